#pragma once
// The portable kernels of every type ember computes with: what ggml's
// scalar code computes, the fallback of every ISA tier and the yardstick the
// tiers' SIMD versions are tested against. The fast versions for the CPU in
// use come from dot.hpp, quantize.hpp and dequantize.hpp.

#include "ember/core/dtype.hpp"
#include "ember/quant/detail/dequantize_blocks.hpp"
#include "ember/quant/detail/dot_scalar.hpp"
#include "ember/quant/detail/quantize_blocks.hpp"

#include <cstdint>

namespace ember {

// weight_row: n elements of the weight type (any alignment); activation:
// n elements quantized to vec_dot_type(weight type); n: a multiple of 256
// for k-quants, of 32 otherwise.
using vec_dot_function = float (*)(const void* weight_row, const void* activation, int64_t n);

// Quantizes n floats (a whole number of blocks) into blocks.
using quantize_function = void (*)(const float* in, void* blocks, int64_t n);

// Converts `blocks` (n elements of one tensor row or run of rows) to `n`
// floats. Caller guarantees that `blocks` holds row_bytes(type, n) readable
// bytes and `out` holds n floats.
using dequantize_function = void (*)(const void* blocks, float* out, int64_t n);

// The activation format the weight type's dot product takes, or f32 when
// ember has no quantized dot product for it.
inline dtype vec_dot_type(dtype weight_type) {
    switch (weight_type) {
        case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: return dtype::q8_0;
        case dtype::q4_1: case dtype::q5_1: return dtype::q8_1;
        case dtype::q2_k: case dtype::q3_k: case dtype::q4_k: case dtype::q5_k: case dtype::q6_k: return dtype::q8_k;
        default: return dtype::f32;
    }
}

// The portable version, computing exactly what ggml's scalar code computes.
inline vec_dot_function vec_dot_function_scalar_of(dtype weight_type) {
    switch (weight_type) {
        case dtype::q4_0: return detail::dot_q4_0_q8_0_scalar;
        case dtype::q4_1: return detail::dot_q4_1_q8_1_scalar;
        case dtype::q5_0: return detail::dot_q5_0_q8_0_scalar;
        case dtype::q5_1: return detail::dot_q5_1_q8_1_scalar;
        case dtype::q8_0: return detail::dot_q8_0_q8_0_scalar;
        case dtype::q2_k: return detail::dot_q2_k_q8_k_scalar;
        case dtype::q3_k: return detail::dot_q3_k_q8_k_scalar;
        case dtype::q4_k: return detail::dot_q4_k_q8_k_scalar;
        case dtype::q5_k: return detail::dot_q5_k_q8_k_scalar;
        case dtype::q6_k: return detail::dot_q6_k_q8_k_scalar;
        default: return nullptr;
    }
}

// The portable quantizer of `type`, or nullptr when ember has none.
inline quantize_function quantize_function_scalar_of(dtype type) {
    switch (type) {
        case dtype::q8_0: return detail::quantize_q8_0;
        case dtype::q8_1: return detail::quantize_q8_1;
        case dtype::q4_0: return detail::quantize_q4_0;
        case dtype::q5_0: return detail::quantize_q5_0;
        case dtype::q4_k: return detail::quantize_q4_k;
        case dtype::q6_k: return detail::quantize_q6_k;
        case dtype::q8_k: return detail::quantize_q8_k;
        default: return nullptr;
    }
}

// The portable dequantizer of `type`, or nullptr when ember has none (IQ*, TQ*, ...).
inline dequantize_function dequantize_function_scalar_of(dtype type) {
    switch (type) {
        case dtype::f32: return detail::dequantize_f32;
        case dtype::f16: return detail::dequantize_f16;
        case dtype::bf16: return detail::dequantize_bf16;
        case dtype::q4_0: return detail::dequantize_q4_0;
        case dtype::q4_1: return detail::dequantize_q4_1;
        case dtype::q5_0: return detail::dequantize_q5_0;
        case dtype::q5_1: return detail::dequantize_q5_1;
        case dtype::q8_0: return detail::dequantize_q8_0;
        case dtype::q2_k: return detail::dequantize_q2_k;
        case dtype::q3_k: return detail::dequantize_q3_k;
        case dtype::q4_k: return detail::dequantize_q4_k;
        case dtype::q5_k: return detail::dequantize_q5_k;
        case dtype::q6_k: return detail::dequantize_q6_k;
        default: return nullptr;
    }
}

}  // namespace ember
