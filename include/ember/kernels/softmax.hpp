#pragma once
// Numerically stable softmax in place: subtract the max before exp.
// Vectorised with xsimd (attention at 4k context runs over a million
// exponentials per token); a scalar loop covers the tail and other targets.

#include "ember/kernels/detail/simd.hpp"
#include "ember/quant/detail/common.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ember {

// Compiled without FMA contraction: the ISA tiers call softmax from code
// built for their own targets, where GCC may inline it and contract its
// products into FMAs at one call site and not at another; then two paths
// that must agree bit for bit (attend and attend_shared_kv) would not.
EMBER_BEGIN_EXACT_FLOAT
namespace detail {
inline void softmax_scalar(float* x, size_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    if (n == 0) return;
    const float max_value = *std::max_element(x, x + n);
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max_value);
        sum += x[i];
    }
    const float inverse = static_cast<float>(1.0 / sum);
    for (size_t i = 0; i < n; ++i) x[i] *= inverse;
}
}  // namespace detail

inline void softmax(float* x, size_t n) {
    EMBER_EXACT_FLOAT_SCOPE
#if defined(EMBER_KERNELS_XSIMD)
    using detail::simd::float_batch;
    constexpr size_t lanes = detail::simd::float_lanes;
    if (n < lanes) return detail::softmax_scalar(x, n);
    const size_t body = n / lanes * lanes;
    float_batch max_lanes = detail::simd::load(x);
    for (size_t i = lanes; i < body; i += lanes) max_lanes = xsimd::max(max_lanes, detail::simd::load(x + i));
    float max_value = detail::simd::reduce_max(max_lanes);
    for (size_t i = body; i < n; ++i) max_value = std::max(max_value, x[i]);

    // lane-wise partial sums: each adds at most n / lanes terms in [0, 1]
    const float_batch max_batch(max_value);
    float_batch sum_lanes(0.0f);
    for (size_t i = 0; i < body; i += lanes) {
        const float_batch e = xsimd::exp(detail::simd::load(x + i) - max_batch);
        detail::simd::store(x + i, e);
        sum_lanes += e;
    }
    double sum = detail::simd::reduce_add(sum_lanes);
    for (size_t i = body; i < n; ++i) {
        x[i] = std::exp(x[i] - max_value);
        sum += x[i];
    }
    const float inverse = static_cast<float>(1.0 / sum);
    const float_batch inverse_batch(inverse);
    for (size_t i = 0; i < body; i += lanes) detail::simd::store(x + i, detail::simd::load(x + i) * inverse_batch);
    for (size_t i = body; i < n; ++i) x[i] *= inverse;
#else
    detail::softmax_scalar(x, n);
#endif
}

EMBER_END_EXACT_FLOAT

}  // namespace ember
