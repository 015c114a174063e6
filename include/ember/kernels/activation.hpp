#pragma once
// Element-wise activations.

#include <cmath>
#include <cstddef>

namespace ember {

// SwiGLU: gate[i] = silu(gate[i]) · up[i], silu(x) = x / (1 + e^-x).
inline void swiglu(float* gate, const float* up, size_t n) {
    for (size_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

// GELU, tanh approximation (what GPT-2 and ggml's BERT use).
inline void gelu(float* x, size_t n) {
    constexpr float sqrt_2_over_pi = 0.7978845608028654f;
    constexpr float coefficient = 0.044715f;
    for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.0f + std::tanh(sqrt_2_over_pi * v * (1.0f + coefficient * v * v)));
    }
}

}  // namespace ember
