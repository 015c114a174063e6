#pragma once
// Quantization f32 -> blocks, for writing quantized models (the quantize
// command, synthetic benchmark models) and for the 8-bit activations of the
// quantized dot products.
//
//   std::vector<uint8_t> blocks(ember::row_bytes(ember::dtype::q4_k, n));
//   EMBER_TRY(ember::quantize_row(ember::dtype::q4_k, weights, blocks.data(), n));
//
// Weight formats: Q8_0, Q4_0, Q5_0, Q4_K, Q6_K. Activation formats: Q8_0, Q8_1,
// Q8_K (`blocks` must then be an array of block_q8_0 / block_q8_1 /
// block_q8_k, see blocks.hpp). The algorithms are ggml's reference
// quantizers (what llama-quantize runs without an importance matrix), so
// ember writes the bytes llama.cpp would. Non-finite input never causes
// undefined behaviour; see detail/quantize_blocks.hpp for what it produces.

#include "ember/core/dtype.hpp"
#include "ember/error.hpp"
#include "ember/quant/blocks.hpp"
#include "ember/quant/dequantize.hpp"
#include "ember/quant/detail/tiers.hpp"
#include "ember/quant/portable.hpp"

#include <cstdint>

namespace ember {

// Quantizes n floats (a whole number of blocks) into blocks.


// The fastest quantizer for the tier in use (SIMD versions exist for the
// activation formats and give the same bytes), or nullptr.
inline quantize_function quantize_function_of(dtype type) { return detail::quant_kernels().of(type).quantize; }

inline bool can_quantize(dtype type) { return quantize_function_of(type) != nullptr; }

// Quantizes n elements of `in` into row_bytes(type, n) bytes at `blocks`.
// Fails (writing nothing) for a type ember cannot quantize (errc::unsupported,
// naming it) or an n that is not a whole number of blocks.
inline result<void> quantize_row(dtype type, const float* in, void* blocks, int64_t n) {
    const quantize_function function = quantize_function_of(type);
    EMBER_TRY(detail::check_row(type, n, function != nullptr, "quantize"));
    if (n > 0) function(in, blocks, n);
    return {};
}

}  // namespace ember
