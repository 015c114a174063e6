#pragma once
// A read-only view of one weight tensor: inside the mapped GGUF file (no
// copy, no conversion; row r starts at data + r * row_bytes), or in a copy
// the model owns (load_options::use_mmap = false), maybe with its rows
// interleaved in groups of 8 (quant/detail/interleaved_rows.hpp): then only
// row(8g), the start of group g, is an address to read from.

#include "ember/core/dtype.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace ember {

struct tensor_view {
    const uint8_t* data = nullptr;
    dtype type = dtype::f32;
    std::array<uint64_t, 4> shape{1, 1, 1, 1};  // ggml order: shape[0] = row length
    bool interleaved = false;                    // rows in interleaved groups of 8

    explicit operator bool() const { return data != nullptr; }
    uint64_t columns() const { return shape[0]; }
    uint64_t rows() const { return shape[1] * shape[2] * shape[3]; }
    size_t row_bytes() const { return ember::row_bytes(type, shape[0]); }
    const uint8_t* row(uint64_t index) const { return data + index * row_bytes(); }
    // Only for f32 tensors (norm weights, biases): the values themselves.
    const float* floats() const { return reinterpret_cast<const float*>(data); }
};

}  // namespace ember
