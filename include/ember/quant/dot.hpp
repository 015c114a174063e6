#pragma once
// Fused dot products for decoding: one quantized weight row times an
// activation vector quantized to 8 bits, without dequantizing the weights.
//
//   const ember::dtype activation_type = ember::vec_dot_type(weight_type);   // q8_0, q8_1 or q8_k
//   std::vector<ember::block_q8_k> activation(n / 256);
//   EMBER_TRY(ember::quantize_row(activation_type, x, activation.data(), n));
//   const ember::vec_dot_function dot = ember::vec_dot_function_of(weight_type);
//   for (row ...) y[row] = dot(weights + row * row_bytes, activation.data(), n);
//
// The activation formats are ggml's: Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for
// Q4_1/Q5_1, Q8_K for the k-quants. Integer parts are exact; the float
// accumulation follows ggml's scalar code (`vec_dot_function_scalar_of`), the
// SIMD versions (AVX2, AVX-512 VNNI; picked at compile time from the target
// ISA, e.g. -march=native) sum blocks in a different order and agree with it
// to float rounding.

#include "ember/core/dtype.hpp"
#include "ember/quant/blocks.hpp"
#include "ember/quant/detail/dot_scalar.hpp"
#include "ember/quant/detail/dot_simd.hpp"
#include "ember/quant/detail/dot_tile.hpp"

#include <cstdint>
#include <limits>

namespace ember {

// weight_row: n elements of the weight type (any alignment); activation:
// n elements quantized to vec_dot_type(weight type); n: a multiple of 256
// for k-quants, of 32 otherwise.
using vec_dot_function = float (*)(const void* weight_row, const void* activation, int64_t n);

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

// The fastest version for the compile-time target (scalar where no SIMD
// version exists), or nullptr when ember has no dot product for the type.
inline vec_dot_function vec_dot_function_of(dtype weight_type) {
    if (const vec_dot_function simd = detail::vec_dot_function_simd_of(weight_type)) return simd;
    return vec_dot_function_scalar_of(weight_type);
}

inline bool has_vec_dot(dtype weight_type) { return vec_dot_function_scalar_of(weight_type) != nullptr; }

// Name of the instruction set the SIMD versions use ("avx512-vnni", "avx2"
// or "scalar"), for benchmarks and logs.
inline const char* vec_dot_isa() { return detail::simd_isa_name; }

// ---- tiles of dot products (prefill) ---------------------------------------------
//
// out[t * out_stride + r] = dot(weight row r, activation row t) for r < rows,
// t < tokens: weight rows `weight_stride` bytes apart, activation rows (each
// n elements in vec_dot_type) `activation_stride` bytes apart. Faster than
// rows x tokens vec_dot calls where a micro-kernel exists (AVX-512 VNNI:
// Q8_0, Q4_0, Q4_K, Q6_K), the same calls otherwise; results agree with
// vec_dot to float rounding.
using vec_dot_tile_function = void (*)(const void* weights, size_t weight_stride, int64_t rows,
                                       const void* activations, size_t activation_stride, int64_t tokens, int64_t n,
                                       float* out, size_t out_stride);

namespace detail {
// vec_dot_function_of folds to a direct call for a constant type.
template <dtype Type>
inline float dot_of(const void* weight_row, const void* activation, int64_t n);
}  // namespace detail

// The tile function of the weight type, or nullptr without a dot product.
inline vec_dot_tile_function vec_dot_tile_function_of(dtype weight_type) {
    if (const vec_dot_tile_function simd = detail::dot_tile_function_simd_of(weight_type)) return simd;
    switch (weight_type) {
        case dtype::q4_0: return detail::dot_tile_by_rows<detail::dot_of<dtype::q4_0>>;
        case dtype::q4_1: return detail::dot_tile_by_rows<detail::dot_of<dtype::q4_1>>;
        case dtype::q5_0: return detail::dot_tile_by_rows<detail::dot_of<dtype::q5_0>>;
        case dtype::q5_1: return detail::dot_tile_by_rows<detail::dot_of<dtype::q5_1>>;
        case dtype::q8_0: return detail::dot_tile_by_rows<detail::dot_of<dtype::q8_0>>;
        case dtype::q2_k: return detail::dot_tile_by_rows<detail::dot_of<dtype::q2_k>>;
        case dtype::q3_k: return detail::dot_tile_by_rows<detail::dot_of<dtype::q3_k>>;
        case dtype::q4_k: return detail::dot_tile_by_rows<detail::dot_of<dtype::q4_k>>;
        case dtype::q5_k: return detail::dot_tile_by_rows<detail::dot_of<dtype::q5_k>>;
        case dtype::q6_k: return detail::dot_tile_by_rows<detail::dot_of<dtype::q6_k>>;
        default: return nullptr;
    }
}

template <dtype Type>
inline float detail::dot_of(const void* weight_row, const void* activation, int64_t n) {
    return vec_dot_function_of(Type)(weight_row, activation, n);
}

// One dot product. A type without a dot product, or an n that is negative or
// not a whole number of blocks, gives NaN (a programming error, reported
// without aborting); hot loops should fetch vec_dot_function_of once instead.
inline float vec_dot(dtype weight_type, const void* weight_row, const void* activation, int64_t n) {
    const vec_dot_function function = vec_dot_function_of(weight_type);
    if (!function || n < 0 || n % traits_of(weight_type).block_size != 0)
        return std::numeric_limits<float>::quiet_NaN();
    return function(weight_row, activation, n);
}

}  // namespace ember
