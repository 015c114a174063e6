#pragma once
// Attention of a batch of queries over an f16 KV cache, 64 keys at a time,
// by the ISA tier in use (the method: detail/attention_tiled_kernels.hpp).

#include "ember/kernels/detail/attention_tiled_kernels.hpp"
#include "ember/kernels/detail/tiers.hpp"

#include <cstddef>
#include <cstdint>

namespace ember {

// Attention of n_queries queries (rows query_stride floats apart) of one
// head over an f16 KV cache ([position][head_dim], as attend reads it):
// query t sees keys [0, first_visible + t · visible_step) — step 1 for a
// causal batch, 0 when every query sees the same keys. head_dim: a multiple
// of 16. scratch: attend_tiled_scratch_floats(head_dim) floats. Output rows
// out_stride floats apart.
inline void attend_tiled(const float* queries, size_t query_stride, size_t n_queries, size_t first_visible, size_t visible_step,
                         const uint16_t* keys, const uint16_t* values, size_t head_dim, float scale, float* scratch, float* out,
                         size_t out_stride) {
    detail::kernel_tier().attend_tiled(queries, query_stride, n_queries, first_visible, visible_step, keys, values, head_dim, scale,
                                       scratch, out, out_stride);
}

}  // namespace ember
