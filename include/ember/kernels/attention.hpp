#pragma once
// Scaled dot-product attention of one query head over an f16 KV cache, by
// the ISA tier in use, in the reference's roundings (which, and why:
// detail/attention_kernels.hpp).

#include "ember/kernels/detail/attention_kernels.hpp"
#include "ember/kernels/detail/tiers.hpp"

#include <cstddef>
#include <cstdint>

namespace ember {

// Several query heads, one query each, over the kv head they share, in the
// f32 rounding: each head's result is attend()'s, bit for bit, but the
// cache is read and widened once for all of them (see cache_block_positions).
// scratch: room for n_queries · visible floats.
inline void attend_shared_kv(const float* queries, size_t query_stride, size_t n_queries, const uint16_t* keys,
                             const uint16_t* values, size_t visible, size_t head_dim, float scale, float* scratch, float* out,
                             size_t out_stride) {
    detail::kernel_tier().attend_shared_kv(queries, query_stride, n_queries, keys, values, visible, head_dim, scale, scratch, out,
                                           out_stride);
}

// scratch: room for 2 · visible floats; out: head_dim floats.
inline void attend(const float* query, const uint16_t* keys, const uint16_t* values, size_t visible, size_t head_dim,
                   float scale, attention_rounding rounding, float* scratch, float* out) {
    detail::kernel_tier().attend(query, keys, values, visible, head_dim, scale, rounding, scratch, out);
}

// f32 -> f16 bit patterns (round to nearest even), e.g. keys and values
// into the cache; F16C where the tier has it.
inline void convert_to_f16(const float* in, uint16_t* out, size_t n) { detail::kernel_tier().convert_to_f16(in, out, n); }

}  // namespace ember
