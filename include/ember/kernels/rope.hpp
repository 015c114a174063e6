#pragma once
// Rotary position embedding. Pair i of a head rotates by
//   θ_i = position · scale · base^(-2i/rope_dim) / factor_i
// computed as ggml does (θ multiplied up step by step in float), so angles
// agree with the reference at every position. Dimensions past rope_dim pass
// through unchanged.

#include "ember/model/model_config.hpp"

#include <cmath>
#include <cstddef>

namespace ember {

// cos/sin of each pair's angle at `position`: cos_sin[2i], cos_sin[2i+1].
inline void rope_angles(int64_t position, const model_config& config, const float* freq_factors, float* cos_sin) {
    const float theta_scale = std::pow(config.rope_theta, -2.0f / static_cast<float>(config.rope_dim));
    float theta = static_cast<float>(position);
    for (uint32_t i = 0; i < config.rope_dim / 2; ++i) {
        const float factor = freq_factors ? freq_factors[i] : 1.0f;
        const float angle = config.rope_freq_scale * (theta / factor);
        cos_sin[2 * i] = std::cos(angle);
        cos_sin[2 * i + 1] = std::sin(angle);
        theta *= theta_scale;
    }
}

// Rotates one head vector in place with precomputed angles.
inline void rope_apply(float* head, rope_style style, uint32_t rope_dim, const float* cos_sin) {
    const uint32_t half = rope_dim / 2;
    for (uint32_t i = 0; i < half; ++i) {
        // adjacent pairs (x[2i], x[2i+1]) or split halves (x[i], x[i + d/2])
        float* a = style == rope_style::adjacent_pairs ? head + 2 * i : head + i;
        float* b = style == rope_style::adjacent_pairs ? head + 2 * i + 1 : head + i + half;
        const float c = cos_sin[2 * i], s = cos_sin[2 * i + 1];
        const float x0 = *a, x1 = *b;
        *a = x0 * c - x1 * s;
        *b = x0 * s + x1 * c;
    }
}

}  // namespace ember
