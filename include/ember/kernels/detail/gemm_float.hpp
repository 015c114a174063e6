#ifndef EMBER_KERNELS_DETAIL_GEMM_FLOAT_HPP
#define EMBER_KERNELS_DETAIL_GEMM_FLOAT_HPP
// Prefill GEMM for float weights (f16, bf16, f32) on AVX-512: 16 weight rows
// times 16 tokens per micro-kernel, in f32 FMAs.
//
// Both operands are packed k-major so that a 512-bit vector holds one k for
// 16 rows: the weights per 16-row group into per-thread scratch (converted to
// f32 once, then used by every token), the activations once per matmul in
// tiles of 16 tokens (rounded to f16 / bf16 on the way, as the reference
// rounds them). The micro-kernel then does, per k, one vector load and 16
// FMAs with a broadcast activation — no horizontal sums, 16 accumulators in
// registers, loads well under the FMA rate. Rounded activations times f16 /
// bf16 weights are exact products in f32, so only the order of additions
// differs from the reference.

#include "ember/kernels/detail/float_dot.hpp"

#include <cstddef>
#include <cstdint>

namespace ember::detail {

enum class activation_rounding { none, f16, bf16 };

inline constexpr size_t float_gemm_block = 16;  // rows per weight group = tokens per activation tile

// Floats the packed activations of n_tokens x columns take.
inline size_t float_gemm_packed_floats(size_t n_tokens, size_t columns) {
    return (n_tokens + float_gemm_block - 1) / float_gemm_block * float_gemm_block * columns;
}

}  // namespace ember::detail
#endif  // EMBER_KERNELS_DETAIL_GEMM_FLOAT_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX512)
inline constexpr bool has_float_gemm = true;

namespace x86 {

// In place: r[i] lane j <- r[j] lane i. Every step is a two-source
// permute (vpermt2ps): unpack/shuffle intrinsics would do the same, but
// GCC 12 implements them with an undefined pass-through operand that its
// -Wuninitialized flags in sanitizer builds.
inline void transpose_16x16(__m512 (&r)[16]) {
    // lanes: 0-15 pick from the first operand, 16-31 from the second
    const __m512i pairs_low = _mm512_setr_epi32(0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29);
    const __m512i pairs_high = _mm512_setr_epi32(2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31);
    const __m512i quads_low = _mm512_setr_epi32(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    const __m512i quads_high = _mm512_setr_epi32(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    const __m512i lanes_even = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    const __m512i lanes_odd = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
    __m512 t[16], u[16];
    for (int i = 0; i < 8; ++i) {  // per 128-bit lane L: rows 2i, 2i+1 interleaved, elements 4L, 4L+1 | 4L+2, 4L+3
        t[2 * i] = _mm512_permutex2var_ps(r[2 * i], pairs_low, r[2 * i + 1]);
        t[2 * i + 1] = _mm512_permutex2var_ps(r[2 * i], pairs_high, r[2 * i + 1]);
    }
    // u[4i + j], 128-bit lane L: element 4L + j of rows 4i .. 4i+3
    for (int i = 0; i < 4; ++i) {
        u[4 * i] = _mm512_permutex2var_ps(t[4 * i], quads_low, t[4 * i + 2]);
        u[4 * i + 1] = _mm512_permutex2var_ps(t[4 * i], quads_high, t[4 * i + 2]);
        u[4 * i + 2] = _mm512_permutex2var_ps(t[4 * i + 1], quads_low, t[4 * i + 3]);
        u[4 * i + 3] = _mm512_permutex2var_ps(t[4 * i + 1], quads_high, t[4 * i + 3]);
    }
    for (int j = 0; j < 4; ++j) {
        const __m512 a = _mm512_permutex2var_ps(u[j], lanes_even, u[4 + j]), b = _mm512_permutex2var_ps(u[j], lanes_odd, u[4 + j]);
        const __m512 c = _mm512_permutex2var_ps(u[8 + j], lanes_even, u[12 + j]), d = _mm512_permutex2var_ps(u[8 + j], lanes_odd, u[12 + j]);
        r[j] = _mm512_permutex2var_ps(a, lanes_even, c);
        r[4 + j] = _mm512_permutex2var_ps(b, lanes_even, d);
        r[8 + j] = _mm512_permutex2var_ps(a, lanes_odd, c);
        r[12 + j] = _mm512_permutex2var_ps(b, lanes_odd, d);
    }
}

// 16 consecutive values of a weight row as f32.
inline __m512 load_weights_16(dtype type, const uint8_t* at) {
    switch (type) {
        case dtype::f16: return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)));
        case dtype::bf16:
            return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at))), 16));
        default: return _mm512_loadu_ps(reinterpret_cast<const float*>(at));
    }
}

// f32_to_bf16's rounding (nearest even, NaN kept quiet), values kept as f32.
inline __m512 round_bf16_16(__m512 v) {
    const __m512i bits = _mm512_castps_si512(v);
    const __mmask16 is_nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
    const __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1))));
    const __m512i result = _mm512_mask_or_epi32(rounded, is_nan, bits, _mm512_set1_epi32(0x400000));
    return _mm512_castsi512_ps(_mm512_and_si512(result, _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
}

inline __m512 round_16(activation_rounding rounding, __m512 v) {
    switch (rounding) {
        case activation_rounding::f16: return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
        case activation_rounding::bf16: return round_bf16_16(v);
        default: return v;
    }
}

template <int T>
inline void float_gemm_kernel(const float* weights, const float* tokens, size_t columns, int valid_rows, float* out,
                              size_t out_stride) {
    __m512 acc[T];
    for (auto& a : acc) a = _mm512_setzero_ps();
    for (size_t k = 0; k < columns; ++k, weights += 16, tokens += 16) {
        const __m512 w = _mm512_loadu_ps(weights);
        for (int t = 0; t < T; ++t) acc[t] = _mm512_fmadd_ps(w, _mm512_set1_ps(tokens[t]), acc[t]);
    }
    const __mmask16 mask = static_cast<__mmask16>((1u << valid_rows) - 1);
    for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(out + static_cast<size_t>(t) * out_stride, mask, acc[t]);
}

}  // namespace x86

// Packs token tiles [first_tile, last_tile) of x (n_tokens rows of `columns`
// floats, columns % 16 == 0): packed[(tile * columns + k) * 16 + t], tokens
// past n_tokens zero.
inline void float_gemm_pack_tokens(const float* x, size_t n_tokens, size_t columns, activation_rounding rounding,
                                   size_t first_tile, size_t last_tile, float* packed) {
    for (size_t tile = first_tile; tile < last_tile; ++tile) {
        const size_t first_token = tile * 16;
        float* destination = packed + tile * columns * 16;
        for (size_t k = 0; k < columns; k += 16) {
            __m512 v[16];
            for (size_t t = 0; t < 16; ++t)
                v[t] = first_token + t < n_tokens ? x86::round_16(rounding, _mm512_loadu_ps(x + (first_token + t) * columns + k))
                                                  : _mm512_setzero_ps();
            x86::transpose_16x16(v);
            for (int j = 0; j < 16; ++j) _mm512_storeu_ps(destination + (k + static_cast<size_t>(j)) * 16, v[j]);
        }
    }
}

// out[t * out_stride + r] for `rows` (<= 16... any count) weight rows from
// `weights` (rows `weight_stride` bytes apart) and all n_tokens packed
// tokens. scratch: 64 * columns bytes.
inline void float_gemm(dtype type, const uint8_t* weights, size_t weight_stride, size_t rows, const float* packed_tokens,
                       size_t n_tokens, size_t columns, float* out, size_t out_stride, float* scratch) {
    for (size_t first = 0; first < rows; first += 16) {
        const int valid = static_cast<int>(rows - first < 16 ? rows - first : 16);
        const size_t element = type == dtype::f32 ? 4 : 2;
        for (size_t k = 0; k < columns; k += 16) {
            __m512 v[16];
            for (int j = 0; j < 16; ++j)
                v[j] = j < valid ? x86::load_weights_16(type, weights + (first + static_cast<size_t>(j)) * weight_stride + k * element)
                                 : _mm512_setzero_ps();
            x86::transpose_16x16(v);
            for (int j = 0; j < 16; ++j) _mm512_storeu_ps(scratch + (k + static_cast<size_t>(j)) * 16, v[j]);
        }
        for (size_t t = 0; t < n_tokens; t += 16) {
            const float* tile = packed_tokens + t * columns;
            float* o = out + t * out_stride + first;
            switch (n_tokens - t < 16 ? n_tokens - t : 16) {
                case 16: x86::float_gemm_kernel<16>(scratch, tile, columns, valid, o, out_stride); break;
                case 15: x86::float_gemm_kernel<15>(scratch, tile, columns, valid, o, out_stride); break;
                case 14: x86::float_gemm_kernel<14>(scratch, tile, columns, valid, o, out_stride); break;
                case 13: x86::float_gemm_kernel<13>(scratch, tile, columns, valid, o, out_stride); break;
                case 12: x86::float_gemm_kernel<12>(scratch, tile, columns, valid, o, out_stride); break;
                case 11: x86::float_gemm_kernel<11>(scratch, tile, columns, valid, o, out_stride); break;
                case 10: x86::float_gemm_kernel<10>(scratch, tile, columns, valid, o, out_stride); break;
                case 9: x86::float_gemm_kernel<9>(scratch, tile, columns, valid, o, out_stride); break;
                case 8: x86::float_gemm_kernel<8>(scratch, tile, columns, valid, o, out_stride); break;
                case 7: x86::float_gemm_kernel<7>(scratch, tile, columns, valid, o, out_stride); break;
                case 6: x86::float_gemm_kernel<6>(scratch, tile, columns, valid, o, out_stride); break;
                case 5: x86::float_gemm_kernel<5>(scratch, tile, columns, valid, o, out_stride); break;
                case 4: x86::float_gemm_kernel<4>(scratch, tile, columns, valid, o, out_stride); break;
                case 3: x86::float_gemm_kernel<3>(scratch, tile, columns, valid, o, out_stride); break;
                case 2: x86::float_gemm_kernel<2>(scratch, tile, columns, valid, o, out_stride); break;
                default: x86::float_gemm_kernel<1>(scratch, tile, columns, valid, o, out_stride); break;
            }
        }
    }
}

#else
inline constexpr bool has_float_gemm = false;
#endif

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
