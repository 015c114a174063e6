#ifndef EMBER_KERNELS_DETAIL_FLOAT_DOT_HPP
#define EMBER_KERNELS_DETAIL_FLOAT_DOT_HPP
// Dot products of one float-format weight row (f32, f16, bf16; read at any
// alignment straight from the file mapping) with activations, for decoding.
//
// Semantics follow the reference: f16 weights meet activations rounded to
// f16 (given here as floats holding f16 values, so every product is exact in
// f32), bf16 weights meet activations rounded to bf16. Sums accumulate in
// f32; SIMD versions add in a different order than the scalar ones, which
// differ from them by float rounding only (tests/test_kernels.cpp).
//
// One version per ISA tier (kernels/detail/tiers.hpp): AVX-512F (+BF16 for
// the bf16 product where the CPU has it), AVX2+FMA+F16C, or portable code.

#include "ember/core/dtype.hpp"
#include "ember/quant/detail/common.hpp"
#include "ember/quant/detail/dot_simd.hpp"  // (its tier part: load_128 & co.)

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ember/core/detail/tier_target.hpp"

namespace ember::detail {

// ---- portable versions (also the reference for the tests) -------------------

inline float dot_f32_scalar(const uint8_t* weights, const float* x, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; ++i) sum += load_f32(weights + 4 * i) * x[i];
    return sum;
}

// x: activations already rounded to f16 values.
inline float dot_f16_scalar(const uint8_t* weights, const float* x, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; ++i) sum += fp16_to_f32(load_u16(weights + 2 * i)) * x[i];
    return sum;
}

// x: activations as bf16 bit patterns.
inline float dot_bf16_scalar(const uint8_t* weights, const uint16_t* x, size_t n) {
    float sum = 0.0f;
    for (size_t i = 0; i < n; ++i) sum += bf16_to_f32(load_u16(weights + 2 * i)) * bf16_to_f32(x[i]);
    return sum;
}

inline void round_to_f16_scalar(const float* in, float* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = fp16_to_f32(f32_to_fp16(in[i]));
}

inline void round_to_bf16_scalar(const float* in, uint16_t* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(in[i]);
}

// Each value rounded to the nearest bf16, kept as a float.
inline void round_to_bf16_values(const float* in, float* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = bf16_to_f32(f32_to_bf16(in[i]));
}

}  // namespace ember::detail
#endif  // EMBER_KERNELS_DETAIL_FLOAT_DOT_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX2)
namespace x86 {

inline float sum_lanes(__m256 v) {
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}

#if defined(EMBER_TIER_AVX512)
inline float sum_lanes(__m512 v) {
    // (extract, not _mm512_castps512_ps256: GCC 12 warns about the cast's undefined upper half)
    return sum_lanes(_mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1)));
}
#endif

inline __m256i load_8_halves(const uint8_t* bytes) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes)); }

// bf16 -> f32 is a 16-bit shift.
inline __m256 widen_bf16(__m128i halves) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(halves), 16)); }

#if !defined(EMBER_TIER_AVX512)
// The avx2 tier's products of one weight row with T activation rows
// (x_stride apart) at once: the weights are loaded (and widened) once for all
// T, and out[t] is bit for bit the one-row product of row t (the one-row
// functions are T = 1), so a prompt's tokens and a decoded token sum in the
// same order: prefill equals token-by-token decoding exactly. (An f16 KV
// cache and attention accumulator turn last-bit differences of a projection
// into ~1e-4 of the logits.) Per row: four 8-lane FMA chains over 32-element
// steps (leftover 8-element steps into the first), folded (0 + 1) + (2 + 3),
// then the lanes, then the last elements one explicit FMA each (a compiler's
// contraction of a scalar tail could differ between inlined copies).
inline float fma_scalar(float a, float b, float c) { return _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(a), _mm_set_ss(b), _mm_set_ss(c))); }

// Loads 8 weights at an element index, and one weight, of each float format.
struct f32_weights {
    const uint8_t* bytes;
    __m256 load(size_t at) const { return _mm256_loadu_ps(reinterpret_cast<const float*>(bytes) + at); }
    float element(size_t at) const { return load_f32(bytes + 4 * at); }
};
struct f16_weights {
    const uint8_t* bytes;
    __m256 load(size_t at) const { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + 2 * at))); }
    float element(size_t at) const { return _cvtsh_ss(load_u16(bytes + 2 * at)); }
};

template <int T, class Weights>
inline void dot_tokens(const Weights& weights, const float* x, size_t x_stride, size_t n, float* out) {
    __m256 a[T][4];
    for (int t = 0; t < T; ++t) a[t][0] = a[t][1] = a[t][2] = a[t][3] = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (size_t c = 0; c < 4; ++c) {
            const __m256 w = weights.load(i + 8 * c);
            for (int t = 0; t < T; ++t) a[t][c] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + t * x_stride + i + 8 * c), a[t][c]);
        }
    for (; i + 8 <= n; i += 8) {
        const __m256 w = weights.load(i);
        for (int t = 0; t < T; ++t) a[t][0] = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + t * x_stride + i), a[t][0]);
    }
    for (int t = 0; t < T; ++t) {
        float sum = sum_lanes(_mm256_add_ps(_mm256_add_ps(a[t][0], a[t][1]), _mm256_add_ps(a[t][2], a[t][3])));
        for (size_t j = i; j < n; ++j) sum = fma_scalar(weights.element(j), x[t * x_stride + j], sum);
        out[t] = sum;
    }
}

// bf16 x bf16: two chains over 16-element steps.
template <int T>
inline void dot_bf16_tokens(const uint8_t* weights, const uint16_t* x, size_t x_stride, size_t n, float* out) {
    __m256 a[T][2];
    for (int t = 0; t < T; ++t) a[t][0] = a[t][1] = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (size_t c = 0; c < 2; ++c) {
            const __m256 w = widen_bf16(load_128(weights + 2 * (i + 8 * c)));
            for (int t = 0; t < T; ++t) a[t][c] = _mm256_fmadd_ps(w, widen_bf16(load_128(x + t * x_stride + i + 8 * c)), a[t][c]);
        }
    for (int t = 0; t < T; ++t) {
        float sum = sum_lanes(_mm256_add_ps(a[t][0], a[t][1]));
        for (size_t j = i; j < n; ++j) sum = fma_scalar(bf16_to_f32(load_u16(weights + 2 * j)), bf16_to_f32(x[t * x_stride + j]), sum);
        out[t] = sum;
    }
}
#endif

inline float dot_f32(const uint8_t* weights, const float* x, size_t n) {
    const auto* w = reinterpret_cast<const float*>(weights);  // unaligned loads only
    size_t i = 0;
#if defined(EMBER_TIER_AVX512)
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
    float sum = sum_lanes(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (; i < n; ++i) sum += load_f32(weights + 4 * i) * x[i];
    return sum;
#else
    (void)w, (void)i;
    float sum;
    dot_tokens<1>(f32_weights{weights}, x, 0, n, &sum);
    return sum;
#endif
}

inline float dot_f16(const uint8_t* weights, const float* x, size_t n) {
    size_t i = 0;
#if defined(EMBER_TIER_AVX512)
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    for (; i + 64 <= n; i += 64) {
        prefetch(weights + 2 * i + prefetch_ahead);
        prefetch(weights + 2 * i + prefetch_ahead + 64);
        a0 = _mm512_fmadd_ps(_mm512_cvtph_ps(load_8_halves(weights + 2 * i)), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_cvtph_ps(load_8_halves(weights + 2 * i + 32)), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_cvtph_ps(load_8_halves(weights + 2 * i + 64)), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_cvtph_ps(load_8_halves(weights + 2 * i + 96)), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16)
        a0 = _mm512_fmadd_ps(_mm512_cvtph_ps(load_8_halves(weights + 2 * i)), _mm512_loadu_ps(x + i), a0);
    float sum = sum_lanes(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    for (; i < n; ++i) sum += _cvtsh_ss(load_u16(weights + 2 * i)) * x[i];
    return sum;
#else
    (void)i;
    float sum;
    dot_tokens<1>(f16_weights{weights}, x, 0, n, &sum);
    return sum;
#endif
}

#if defined(EMBER_TIER_AVX512)
// vdpbf16ps: pairs of bf16 products added into f32 lanes (where the CPU has AVX512-BF16)
EMBER_TARGET_AVX512_BF16 inline float dot_bf16_pairs(const uint8_t* weights, const uint16_t* x, size_t n) {
    size_t i = 0;
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512(weights + 2 * i), (__m512bh)_mm512_loadu_si512(x + i));
        a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_loadu_si512(weights + 2 * i + 64), (__m512bh)_mm512_loadu_si512(x + i + 32));
    }
    for (; i + 32 <= n; i += 32)
        a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512(weights + 2 * i), (__m512bh)_mm512_loadu_si512(x + i));
    float sum = sum_lanes(_mm512_add_ps(a0, a1));
    for (; i < n; ++i) sum += bf16_to_f32(load_u16(weights + 2 * i)) * bf16_to_f32(x[i]);
    return sum;
}
#endif

inline float dot_bf16(const uint8_t* weights, const uint16_t* x, size_t n) {
#if defined(EMBER_TIER_AVX512)
    static const bool pairs = has_cpu_feature(cpu_feature::avx512bf16);
    if (pairs) return dot_bf16_pairs(weights, x, n);
    size_t i = 0;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(widen_bf16(load_128(weights + 2 * i)), widen_bf16(load_128(x + i)), a0);
        a1 = _mm256_fmadd_ps(widen_bf16(load_128(weights + 2 * i + 16)), widen_bf16(load_128(x + i + 8)), a1);
    }
    float sum = sum_lanes(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) sum += bf16_to_f32(load_u16(weights + 2 * i)) * bf16_to_f32(x[i]);
    return sum;
#else
    float sum;
    dot_bf16_tokens<1>(weights, x, 0, n, &sum);
    return sum;
#endif
}

// The same rounding as f32_to_fp16 (nearest even) in hardware.
inline void round_to_f16(const float* in, float* out, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT)));
    round_to_f16_scalar(in + i, out + i, n - i);
}

// f32_to_bf16 (nearest even, NaNs kept quiet), eight at a time.
inline void round_to_bf16(const float* in, uint16_t* out, size_t n) {
    size_t i = 0;
    const __m256i one = _mm256_set1_epi32(1), bias = _mm256_set1_epi32(0x7fff);
    const __m256i abs_mask = _mm256_set1_epi32(0x7fffffff), infinity = _mm256_set1_epi32(0x7f800000);
    const __m256i quiet = _mm256_set1_epi32(0x400000);
    for (; i + 8 <= n; i += 8) {
        const __m256i bits = _mm256_castps_si256(_mm256_loadu_ps(in + i));
        const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(bits, abs_mask), infinity);
        const __m256i rounded = _mm256_add_epi32(bits, _mm256_add_epi32(bias, _mm256_and_si256(_mm256_srli_epi32(bits, 16), one)));
        const __m256i result = _mm256_srli_epi32(_mm256_blendv_epi8(rounded, _mm256_or_si256(bits, quiet), is_nan), 16);
        // 8 x u32 (each < 65536) -> 8 x u16
        const __m128i packed = _mm_packus_epi32(_mm256_castsi256_si128(result), _mm256_extracti128_si256(result, 1));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), packed);
    }
    round_to_bf16_scalar(in + i, out + i, n - i);
}

}  // namespace x86
#endif

// ---- the versions the kernels call ------------------------------------------

inline float dot_f32_row(const uint8_t* weights, const float* x, size_t n) {
#if defined(EMBER_TIER_AVX2)
    return x86::dot_f32(weights, x, n);
#else
    return dot_f32_scalar(weights, x, n);
#endif
}

inline float dot_f16_row(const uint8_t* weights, const float* x, size_t n) {
#if defined(EMBER_TIER_AVX2)
    return x86::dot_f16(weights, x, n);
#else
    return dot_f16_scalar(weights, x, n);
#endif
}

inline float dot_bf16_row(const uint8_t* weights, const uint16_t* x, size_t n) {
#if defined(EMBER_TIER_AVX2)
    return x86::dot_bf16(weights, x, n);
#else
    return dot_bf16_scalar(weights, x, n);
#endif
}

// out[t * out_stride] = dot_*_row(weights, x + t * x_stride, n) for t <
// n_tokens, bit for bit; in the avx2 tier three tokens per pass over the row.
#if defined(EMBER_TIER_AVX2) && !defined(EMBER_TIER_AVX512)
template <class Activation, void (*One)(const uint8_t*, const Activation*, size_t, size_t, float*),
          void (*Two)(const uint8_t*, const Activation*, size_t, size_t, float*),
          void (*Three)(const uint8_t*, const Activation*, size_t, size_t, float*)>
inline void dot_row_tokens(const uint8_t* weights, const Activation* x, size_t x_stride, size_t n_tokens, size_t n, float* out,
                           size_t out_stride) {
    float sums[3];
    size_t t = 0;
    for (; t + 3 <= n_tokens; t += 3) {
        Three(weights, x + t * x_stride, x_stride, n, sums);
        for (size_t k = 0; k < 3; ++k) out[(t + k) * out_stride] = sums[k];
    }
    const size_t left = n_tokens - t;
    if (left == 0) return;
    (left == 2 ? Two : One)(weights, x + t * x_stride, x_stride, n, sums);
    for (size_t k = 0; k < left; ++k) out[(t + k) * out_stride] = sums[k];
}
template <int T>
inline void dot_f32_tokens(const uint8_t* weights, const float* x, size_t x_stride, size_t n, float* out) {
    x86::dot_tokens<T>(x86::f32_weights{weights}, x, x_stride, n, out);
}
template <int T>
inline void dot_f16_tokens(const uint8_t* weights, const float* x, size_t x_stride, size_t n, float* out) {
    x86::dot_tokens<T>(x86::f16_weights{weights}, x, x_stride, n, out);
}
inline void dot_f32_row_tokens(const uint8_t* weights, const float* x, size_t x_stride, size_t n_tokens, size_t n, float* out,
                               size_t out_stride) {
    dot_row_tokens<float, dot_f32_tokens<1>, dot_f32_tokens<2>, dot_f32_tokens<3>>(weights, x, x_stride, n_tokens, n, out, out_stride);
}
inline void dot_f16_row_tokens(const uint8_t* weights, const float* x, size_t x_stride, size_t n_tokens, size_t n, float* out,
                               size_t out_stride) {
    dot_row_tokens<float, dot_f16_tokens<1>, dot_f16_tokens<2>, dot_f16_tokens<3>>(weights, x, x_stride, n_tokens, n, out, out_stride);
}
inline void dot_bf16_row_tokens(const uint8_t* weights, const uint16_t* x, size_t x_stride, size_t n_tokens, size_t n, float* out,
                                size_t out_stride) {
    dot_row_tokens<uint16_t, x86::dot_bf16_tokens<1>, x86::dot_bf16_tokens<2>, x86::dot_bf16_tokens<3>>(weights, x, x_stride, n_tokens,
                                                                                                       n, out, out_stride);
}
#else
inline void dot_f32_row_tokens(const uint8_t* weights, const float* x, size_t x_stride, size_t n_tokens, size_t n, float* out,
                               size_t out_stride) {
    for (size_t t = 0; t < n_tokens; ++t) out[t * out_stride] = dot_f32_row(weights, x + t * x_stride, n);
}
inline void dot_f16_row_tokens(const uint8_t* weights, const float* x, size_t x_stride, size_t n_tokens, size_t n, float* out,
                               size_t out_stride) {
    for (size_t t = 0; t < n_tokens; ++t) out[t * out_stride] = dot_f16_row(weights, x + t * x_stride, n);
}
inline void dot_bf16_row_tokens(const uint8_t* weights, const uint16_t* x, size_t x_stride, size_t n_tokens, size_t n, float* out,
                                size_t out_stride) {
    for (size_t t = 0; t < n_tokens; ++t) out[t * out_stride] = dot_bf16_row(weights, x + t * x_stride, n);
}
#endif

inline void round_to_f16(const float* in, float* out, size_t n) {
#if defined(EMBER_TIER_AVX2)
    x86::round_to_f16(in, out, n);
#else
    round_to_f16_scalar(in, out, n);
#endif
}

inline void round_to_bf16(const float* in, uint16_t* out, size_t n) {
#if defined(EMBER_TIER_AVX2)
    x86::round_to_bf16(in, out, n);
#else
    round_to_bf16_scalar(in, out, n);
#endif
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
