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
// SIMD versions of the ISA tier in use (active_isa(): AVX2, AVX-512 VNNI)
// sum blocks in a different order and agree with it to float rounding.

#include "ember/core/dtype.hpp"
#include "ember/core/isa.hpp"
#include "ember/quant/blocks.hpp"
#include "ember/quant/detail/tiers.hpp"
#include "ember/quant/portable.hpp"

#include <cstdint>
#include <limits>

namespace ember {

// The fastest version for the tier in use (scalar where it has no SIMD
// version), or nullptr when ember has no dot product for the type.
inline vec_dot_function vec_dot_function_of(dtype weight_type) { return detail::quant_kernels().of(weight_type).vec_dot; }

inline bool has_vec_dot(dtype weight_type) { return vec_dot_function_scalar_of(weight_type) != nullptr; }

// Name of the ISA tier the SIMD versions come from ("avx512", "avx2" or
// "generic"), for benchmarks and logs.
inline const char* vec_dot_isa() { return isa_name(active_isa()).data(); }

// ---- tiles of dot products (prefill) ---------------------------------------------
//
// out[t * out_stride + r] = dot(weight row r, activation row t) for r < rows,
// t < tokens: weight rows `weight_stride` bytes apart, activation rows (each
// n elements in vec_dot_type) `activation_stride` bytes apart. Faster than
// rows x tokens vec_dot calls where a micro-kernel exists (AVX-512 VNNI:
// Q8_0, Q4_0, Q4_K, Q6_K), the same calls otherwise; results agree with
// vec_dot to float rounding.
using vec_dot_tile_function = detail::dot_tile_function;

// The tile function of the weight type in the tier in use, or nullptr without a dot product.
inline vec_dot_tile_function vec_dot_tile_function_of(dtype weight_type) { return detail::quant_kernels().of(weight_type).tile; }

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
