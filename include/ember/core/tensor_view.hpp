#pragma once
// A read-only view of one weight tensor inside a mapped GGUF file: no copy,
// no conversion. Rows are contiguous; row r starts at data + r * row_bytes.

#include "ember/core/dtype.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace ember {

struct tensor_view {
    const uint8_t* data = nullptr;
    dtype type = dtype::f32;
    std::array<uint64_t, 4> shape{1, 1, 1, 1};  // ggml order: shape[0] = row length

    explicit operator bool() const { return data != nullptr; }
    uint64_t columns() const { return shape[0]; }
    uint64_t rows() const { return shape[1] * shape[2] * shape[3]; }
    size_t row_bytes() const { return ember::row_bytes(type, shape[0]); }
    const uint8_t* row(uint64_t index) const { return data + index * row_bytes(); }
    // Only for f32 tensors (norm weights, biases): the values themselves.
    const float* floats() const { return reinterpret_cast<const float*>(data); }
};

}  // namespace ember
