#pragma once
// Dequantization: any weight type a GGUF file of a common model uses, to f32.
//
//   float row[4096];
//   EMBER_TRY(ember::dequantize_row(tensor.type, tensor.data, row, 4096));
//
// Results are bit-identical to ggml's reference dequantizers (the same float
// operations in the same order), so conformance tests can compare exactly.
// Blocks are read byte by byte: `blocks` may have any alignment (e.g. point
// straight into a file mapping).

#include "ember/core/dtype.hpp"
#include "ember/error.hpp"
#include "ember/quant/detail/tiers.hpp"
#include "ember/quant/portable.hpp"

#include <cstdint>
#include <string>

namespace ember {

// Converts `blocks` (n elements of one tensor row or run of rows) to `n`
// floats. Type-specific: `dequantize_function_of`. Caller guarantees that
// `blocks` holds row_bytes(type, n) readable bytes and `out` holds n floats.


// The fastest dequantizer for the tier in use (its SIMD versions give the
// same floats as the portable ones), or nullptr.
inline dequantize_function dequantize_function_of(dtype type) { return detail::quant_kernels().of(type).dequantize; }

inline bool can_dequantize(dtype type) { return dequantize_function_of(type) != nullptr; }

namespace detail {
// Checks `n` against `type` for the row functions: errc::unsupported naming
// the type when ember cannot compute with it, errc::invalid_argument when n is
// negative or not a whole number of blocks.
inline result<void> check_row(dtype type, int64_t n, bool supported, const char* operation) {
    const auto& traits = traits_of(type);
    if (!supported)
        return make_error(errc::unsupported, std::string(operation) + ": unsupported type " +
                                                 std::string(traits.name));
    if (n < 0 || n % traits.block_size != 0)
        return make_error(errc::invalid_argument,
                          std::string(operation) + ": " + std::to_string(n) + " elements of type " +
                              std::string(traits.name) + " is not a whole number of " +
                              std::to_string(traits.block_size) + "-element blocks");
    return {};
}
}  // namespace detail

// Dequantizes n elements of `type` from `blocks` into `out`. Fails (writing
// nothing) for a type ember cannot dequantize or an n that is not a multiple
// of the type's block size.
inline result<void> dequantize_row(dtype type, const void* blocks, float* out, int64_t n) {
    const dequantize_function function = dequantize_function_of(type);
    EMBER_TRY(detail::check_row(type, n, function != nullptr, "dequantize"));
    if (n > 0) function(blocks, out, n);
    return {};
}

}  // namespace ember
