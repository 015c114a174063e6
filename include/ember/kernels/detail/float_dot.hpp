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
#else
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    float sum = sum_lanes(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
#endif
    for (; i < n; ++i) sum += load_f32(weights + 4 * i) * x[i];
    return sum;
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
#else
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    auto load = [&](size_t at) {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(weights + 2 * at)));
    };
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(load(i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(load(i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(load(i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(load(i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(load(i), _mm256_loadu_ps(x + i), a0);
    float sum = sum_lanes(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
#endif
    for (; i < n; ++i) sum += _cvtsh_ss(load_u16(weights + 2 * i)) * x[i];
    return sum;
}

// bf16 -> f32 is a 16-bit shift.
inline __m256 widen_bf16(__m128i halves) { return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(halves), 16)); }

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
#endif
    size_t i = 0;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(widen_bf16(load_128(weights + 2 * i)), widen_bf16(load_128(x + i)), a0);
        a1 = _mm256_fmadd_ps(widen_bf16(load_128(weights + 2 * i + 16)), widen_bf16(load_128(x + i + 8)), a1);
    }
    float sum = sum_lanes(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) sum += bf16_to_f32(load_u16(weights + 2 * i)) * bf16_to_f32(x[i]);
    return sum;
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
