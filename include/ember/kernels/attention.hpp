#pragma once
// Scaled dot-product attention of one query head over a KV cache stored in
// f16, laid out [position][head_dim] per kv head so keys and values stream
// contiguously:
//
//   out = Σ_j softmax_j(q·k_j · scale) · v_j     for j < visible

#include "ember/core/dtype.hpp"
#include "ember/kernels/softmax.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace ember {

// scores: room for `visible` floats.
inline void attend(const float* query, const uint16_t* keys, const uint16_t* values, size_t visible, size_t head_dim,
                   float scale, float* scores, float* out) {
    for (size_t j = 0; j < visible; ++j) {
        const uint16_t* key = keys + j * head_dim;
        float dot = 0.0f;
        for (size_t d = 0; d < head_dim; ++d) dot += query[d] * fp16_to_f32(key[d]);
        scores[j] = dot * scale;
    }
    softmax(scores, visible);
    std::fill(out, out + head_dim, 0.0f);
    for (size_t j = 0; j < visible; ++j) {
        const float weight = scores[j];
        const uint16_t* value = values + j * head_dim;
        for (size_t d = 0; d < head_dim; ++d) out[d] += weight * fp16_to_f32(value[d]);
    }
}

}  // namespace ember
