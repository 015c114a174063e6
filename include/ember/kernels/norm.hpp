#pragma once
// Normalisations over one row of n values.

#include <cmath>
#include <cstddef>

namespace ember {

// RMSNorm: y = x / sqrt(mean(x²) + eps) · weight. As ggml does it: each
// square rounded to float, the sum accumulated in double.
inline void rms_norm(const float* x, const float* weight, float eps, size_t n, float* y) {
    double sum_squares = 0.0;
    for (size_t i = 0; i < n; ++i) sum_squares += static_cast<double>(x[i] * x[i]);
    const float scale = 1.0f / std::sqrt(static_cast<float>(sum_squares / static_cast<double>(n)) + eps);
    for (size_t i = 0; i < n; ++i) y[i] = x[i] * scale * weight[i];
}

// LayerNorm: y = (x - mean) / sqrt(var + eps) · weight + bias.
inline void layer_norm(const float* x, const float* weight, const float* bias, float eps, size_t n, float* y) {
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) sum += x[i];
    const float mean = static_cast<float>(sum / static_cast<double>(n));
    double sum_squares = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const float centred = x[i] - mean;
        sum_squares += static_cast<double>(centred) * centred;
    }
    const float scale = 1.0f / std::sqrt(static_cast<float>(sum_squares / static_cast<double>(n)) + eps);
    for (size_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * scale * weight[i] + (bias ? bias[i] : 0.0f);
}

}  // namespace ember
