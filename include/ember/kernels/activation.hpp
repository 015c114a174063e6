#pragma once
// Element-wise activations, vectorised with xsimd (its exp/tanh are within
// a few ulp of the C library's) with a scalar loop for the tail and for
// targets xsimd does not support. Decoding one token of a 0.5B model runs
// ~120 000 exponentials in SwiGLU: scalar, that is several percent of the
// token's time.

#include "ember/kernels/detail/activation_kernels.hpp"
#include "ember/kernels/detail/simd.hpp"
#include "ember/kernels/detail/tiers.hpp"

#include <cmath>
#include <cstddef>

namespace ember {


// SwiGLU: gate[i] = silu(gate[i]) · up[i], silu(x) = x / (1 + e^-x). In the
// avx512 tier with the reference's own exponential, 16 at a time, and expf
// for the rest, as the reference does it (the roundings of silu show in the
// logits of 8-bit-activation models); elsewhere with xsimd's.
inline void swiglu(float* gate, const float* up, size_t n) { detail::kernel_tier().swiglu(gate, up, n); }

// GELU, tanh approximation (what GPT-2 and ggml's BERT use).
inline void gelu(float* x, size_t n) {
    size_t i = 0;
#if defined(EMBER_KERNELS_XSIMD)
    using detail::simd::float_batch;
    const float_batch half(0.5f), one(1.0f), scale(detail::gelu_sqrt_2_over_pi), coefficient(detail::gelu_coefficient);
    for (; i + detail::simd::float_lanes <= n; i += detail::simd::float_lanes) {
        const float_batch v = detail::simd::load(x + i);
        detail::simd::store(x + i, half * v * (one + xsimd::tanh(scale * v * (one + coefficient * v * v))));
    }
#endif
    detail::gelu_scalar(x + i, n - i);
}

}  // namespace ember
