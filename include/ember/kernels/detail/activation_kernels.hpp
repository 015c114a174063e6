#ifndef EMBER_KERNELS_DETAIL_ACTIVATION_KERNELS_HPP
#define EMBER_KERNELS_DETAIL_ACTIVATION_KERNELS_HPP
// The element-wise activations' portable versions, and SwiGLU per ISA tier
// (kernels/activation.hpp is the public interface).

#include "ember/core/detail/tier_target.hpp"
#include "ember/kernels/detail/reference_math.hpp"
#include "ember/kernels/detail/simd.hpp"

#include <cmath>
#include <cstddef>

namespace ember {
namespace detail {
inline void swiglu_scalar(float* gate, const float* up, size_t n) {
    for (size_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

constexpr float gelu_sqrt_2_over_pi = 0.7978845608028654f;
constexpr float gelu_coefficient = 0.044715f;

inline void gelu_scalar(float* x, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(gelu_sqrt_2_over_pi * v * (1.0f + gelu_coefficient * v * v)));
    }
}
}  // namespace detail
}  // namespace ember
#endif  // EMBER_KERNELS_DETAIL_ACTIVATION_KERNELS_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {
inline void swiglu(float* gate, const float* up, size_t n) {
    size_t i = 0;
#if defined(EMBER_TIER_AVX512)
    const __m512 one = _mm512_set1_ps(1.0f);
    for (; i + 16 <= n; i += 16) {
        const __m512 x = _mm512_loadu_ps(gate + i);
        const __m512 silu = _mm512_div_ps(x, _mm512_add_ps(one, x86::v_expf(_mm512_sub_ps(_mm512_setzero_ps(), x))));
        _mm512_storeu_ps(gate + i, _mm512_mul_ps(silu, _mm512_loadu_ps(up + i)));
    }
#elif defined(EMBER_KERNELS_XSIMD)
    using detail::simd::float_batch;
    const float_batch one(1.0f);
    for (; i + detail::simd::float_lanes <= n; i += detail::simd::float_lanes) {
        const float_batch g = detail::simd::load(gate + i);
        detail::simd::store(gate + i, g / (one + xsimd::exp(-g)) * detail::simd::load(up + i));
    }
#endif
    swiglu_scalar(gate + i, up + i, n - i);
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
