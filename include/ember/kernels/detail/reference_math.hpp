#ifndef EMBER_KERNELS_DETAIL_REFERENCE_MATH_HPP
#define EMBER_KERNELS_DETAIL_REFERENCE_MATH_HPP
// Two pieces of the reference's (ggml's CPU backend on AVX-512) arithmetic
// whose exact roundings show in logits, shared by attention and SwiGLU:
//  - v_expf, ggml's vectorised exponential: exp(x) = 2^n · p(b) with
//    n = round(x / ln 2), b = x - n·ln 2 (in two parts) and a degree-5
//    polynomial p, every step one FMA or product as its AVX-512 code does
//    it. It is within ~1.5 ulp of expf, so its bits are its own, not libm's;
//  - sum_of_16, the pairing of _mm512_reduce_add_ps (GCC): halves, quarters,
//    then (0 + 2) + (1 + 3).
// The scalar versions compute exactly what the AVX-512 ones do (tests check
// this bit for bit).

#include "ember/kernels/detail/float_dot.hpp"

#include <cmath>

namespace ember::detail {

inline float reference_v_expf(float x) {
    const float shifter = 0x1.8p23f;  // adding it rounds to an integer
    const float n = std::fma(x, 0x1.715476p+0f, shifter) - shifter;
    if (!(std::fabs(n) <= 192.0f)) return n > 0.0f ? INFINITY : 0.0f;  // out of range, or x = -inf (n NaN)
    const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
    const float u = b * b;
    const float p = std::fma(std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)),
                             u, std::fma(0x1.ffffecp-1f, b, 1.0f));
    return std::ldexp(p, static_cast<int>(n));  // as vscalefps: one rounding, subnormals included
}

inline float sum_of_16(const float* v) {
    float eighths[8], quarters[4];
    for (int i = 0; i < 8; ++i) eighths[i] = v[8 + i] + v[i];
    for (int i = 0; i < 4; ++i) quarters[i] = eighths[4 + i] + eighths[i];
    return (quarters[0] + quarters[2]) + (quarters[1] + quarters[3]);
}

}  // namespace ember::detail
#endif  // EMBER_KERNELS_DETAIL_REFERENCE_MATH_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX512)
namespace x86 {
inline __m512 v_expf(__m512 x) {
    const __m512 shifter = _mm512_set1_ps(0x1.8p23f);
    const __m512 n = _mm512_sub_ps(_mm512_fmadd_ps(x, _mm512_set1_ps(0x1.715476p+0f), shifter), shifter);
    const __m512 b = _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.7f7d1cp-20f), _mm512_fnmadd_ps(n, _mm512_set1_ps(0x1.62e4p-1f), x));
    const __m512 u = _mm512_mul_ps(b, b);
    const __m512 p = _mm512_fmadd_ps(
        _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(0x1.0e4020p-7f), b, _mm512_set1_ps(0x1.573e2ep-5f)), u,
                        _mm512_fmadd_ps(_mm512_set1_ps(0x1.555e66p-3f), b, _mm512_set1_ps(0x1.fffdb6p-2f))),
        u, _mm512_fmadd_ps(_mm512_set1_ps(0x1.ffffecp-1f), b, _mm512_set1_ps(1.0f)));
    const __m512 scaled = _mm512_scalef_ps(p, n);
    const __mmask16 in_range = _mm512_cmp_ps_mask(_mm512_abs_ps(n), _mm512_set1_ps(192.0f), _CMP_LE_OQ);
    const __mmask16 positive = _mm512_cmp_ps_mask(n, _mm512_setzero_ps(), _CMP_GT_OQ);
    const __m512 outside = _mm512_mask_blend_ps(positive, _mm512_setzero_ps(), _mm512_set1_ps(INFINITY));
    return _mm512_mask_blend_ps(in_range, outside, scaled);
}
}  // namespace x86
#endif

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
