#ifndef EMBER_QUANT_DETAIL_QUANTIZE_SIMD_HPP
#define EMBER_QUANT_DETAIL_QUANTIZE_SIMD_HPP
// SIMD activation quantizers (x86 AVX2): the 8-bit formats the dot products
// take are made once per matrix-vector product, on the per-token path, so
// they get vector versions. Every operation is element-wise and the same as
// in the scalar versions (detail/quantize_blocks.hpp) -- same products, same
// rounding rule, same clamps -- so for finite input the bytes are identical
// (tested). Non-finite input differs only in which garbage code it gets.

#include "ember/quant/blocks.hpp"
#include "ember/quant/detail/common.hpp"
#include "ember/quant/detail/quantize_blocks.hpp"

#include <cstdint>
#include <cstring>

#include "ember/core/detail/tier_target.hpp"
#include "ember/quant/portable.hpp"

namespace ember::detail {
using quantize_row_function = void (*)(const float* in, void* blocks, int64_t n);
}  // namespace ember::detail
#endif  // EMBER_QUANT_DETAIL_QUANTIZE_SIMD_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX2)
namespace x86 {

inline float horizontal_max(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

// max |x| over 32 floats, skipping NaN like the scalar `a > amax ? a : amax`
// (maxps returns its second operand when either is NaN).
inline float absolute_max_32(const float* x) {
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) m = _mm256_max_ps(_mm256_andnot_ps(sign_mask, _mm256_loadu_ps(x + 8 * k)), m);
    return horizontal_max(m);
}

// round_away_clamped(v, -128, 127) on 8 lanes: NaN -> 0, clamp, truncate,
// step away from zero on a dropped fraction of at least one half.
inline __m256i round_away_clamped_8(__m256 v) {
    v = _mm256_and_ps(v, _mm256_cmp_ps(v, v, _CMP_ORD_Q));  // NaN -> +0
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-128.0f)), _mm256_set1_ps(127.0f));
    const __m256i whole = _mm256_cvttps_epi32(v);
    const __m256 fraction = _mm256_sub_ps(v, _mm256_cvtepi32_ps(whole));
    // compare masks are -1 where true: whole - (fraction >= .5) + (fraction <= -.5)
    const __m256i up = _mm256_castps_si256(_mm256_cmp_ps(fraction, _mm256_set1_ps(0.5f), _CMP_GE_OQ));
    const __m256i down = _mm256_castps_si256(_mm256_cmp_ps(fraction, _mm256_set1_ps(-0.5f), _CMP_LE_OQ));
    return _mm256_add_epi32(_mm256_sub_epi32(whole, up), down);
}

// 4 x 8 int32 (each in int8 range) -> 32 int8 in element order.
inline __m256i pack_32(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i ab = _mm256_packs_epi32(a, b);  // per 128-bit half: a0-3 b0-3 | a4-7 b4-7
    const __m256i cd = _mm256_packs_epi32(c, d);
    const __m256i abcd = _mm256_packs_epi16(ab, cd);  // a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7
    return _mm256_permutevar8x32_epi32(abcd, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

inline void quantize_q8_0_avx2(const float* x, void* destination, int64_t n) {
    auto* out = static_cast<block_q8_0*>(destination);
    for (int64_t b = 0; b < n / 32; ++b, x += 32, ++out) {
        const float d = absolute_max_32(x) / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out->d = f32_to_fp16(d);
        const __m256 scale = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; ++k) q[k] = round_away_clamped_8(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), scale));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out->qs), pack_32(q[0], q[1], q[2], q[3]));
    }
}

inline void quantize_q8_1_avx2(const float* x, void* destination, int64_t n) {
    auto* out = static_cast<block_q8_1*>(destination);
    for (int64_t b = 0; b < n / 32; ++b, x += 32, ++out) {
        const float d = absolute_max_32(x) / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        out->d = f32_to_fp16(d);
        const __m256 scale = _mm256_set1_ps(id);
        __m256i q[4];
        for (int k = 0; k < 4; ++k) q[k] = round_away_clamped_8(_mm256_mul_ps(_mm256_loadu_ps(x + 8 * k), scale));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out->qs), pack_32(q[0], q[1], q[2], q[3]));
        const __m256i sum = _mm256_add_epi32(_mm256_add_epi32(q[0], q[1]), _mm256_add_epi32(q[2], q[3]));
        __m128i s = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
        out->s = f32_to_fp16(static_cast<float>(_mm_cvtsi128_si32(s)) * d);
    }
}

// Q8_K: q = nearest-even(x * -127/max) capped at 127; cvtps2dq under the
// default rounding mode is nearest-even, like nearest_int for |v| <= 2^22.
inline void quantize_q8_k_avx2(const float* x, void* destination, int64_t n) {
    auto* out = static_cast<block_q8_k*>(destination);
    const __m256 sign_mask = _mm256_set1_ps(-0.0f);
    for (int64_t b = 0; b < n / qk_k; ++b, x += qk_k, ++out) {
        __m256 m = _mm256_setzero_ps();
        for (int k = 0; k < qk_k; k += 8) m = _mm256_max_ps(_mm256_andnot_ps(sign_mask, _mm256_loadu_ps(x + k)), m);
        const float amax = horizontal_max(m);
        if (amax == 0.0f) {
            std::memset(out, 0, sizeof(block_q8_k));
            continue;
        }
        float max = 0;  // the first element of largest magnitude, as the scalar scan finds it
        for (int j = 0; j < qk_k; ++j)
            if (std::fabs(x[j]) == amax) {
                max = x[j];
                break;
            }
        const float iscale = -127.0f / max;
        const __m256 scale = _mm256_set1_ps(iscale);
        const __m256i cap = _mm256_set1_epi32(127);
        for (int group = 0; group < 8; ++group) {  // 32 elements = two bsums groups
            __m256i q[4];
            for (int k = 0; k < 4; ++k)
                q[k] = _mm256_min_epi32(
                    _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 32 * group + 8 * k), scale)), cap);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(out->qs + 32 * group), pack_32(q[0], q[1], q[2], q[3]));
            for (int half = 0; half < 2; ++half) {
                const __m256i sum = _mm256_add_epi32(q[2 * half], q[2 * half + 1]);
                __m128i s = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
                s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
                s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
                out->bsums[2 * group + half] = static_cast<int16_t>(_mm_cvtsi128_si32(s));
            }
        }
        out->d = 1 / iscale;
    }
}

}  // namespace x86

inline quantize_row_function quantize_function_simd_of(dtype type) {
    switch (type) {
        case dtype::q8_0: return x86::quantize_q8_0_avx2;
        case dtype::q8_1: return x86::quantize_q8_1_avx2;
        case dtype::q8_k: return x86::quantize_q8_k_avx2;
        default: return nullptr;
    }
}
#else
inline quantize_row_function quantize_function_simd_of(dtype) { return nullptr; }
#endif

// This tier's quantizer into a type: the SIMD one, else the portable one.
inline quantize_function tier_quantize_of(dtype type) {
    if (const quantize_function simd = quantize_function_simd_of(type)) return simd;
    return quantize_function_scalar_of(type);
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
