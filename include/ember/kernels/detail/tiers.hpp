#pragma once
// The kernel layer of every ISA tier, and the entry points of the tier in
// use. As quant/detail/tiers.hpp: each tiered header is read once for its
// portable part, then once per tier inside that tier's target region.

#include "ember/core/detail/tier_target.hpp"
#include "ember/core/isa.hpp"
#include "ember/kernels/detail/activation_kernels.hpp"
#include "ember/kernels/detail/attention_kernels.hpp"
#include "ember/kernels/detail/attention_tiled_kernels.hpp"
#include "ember/kernels/detail/float_dot.hpp"
#include "ember/kernels/detail/gemm_float.hpp"
#include "ember/kernels/detail/kernel_table.hpp"
#include "ember/kernels/detail/matmul_kernels.hpp"
#include "ember/kernels/detail/reference_math.hpp"
#include "ember/quant/detail/tiers.hpp"

#define EMBER_TIER_CONTENTS "ember/kernels/detail/tier_contents.hpp"
#include "ember/core/detail/tier_passes.hpp"

namespace ember::detail {

inline const kernel_tier_functions& kernel_tier_of(isa tier) {
    switch (tier) {
#if defined(EMBER_ISA_X86)
        case isa::avx512: return avx512::kernel_tier_table();
        case isa::avx2: return avx2::kernel_tier_table();
#endif
        default: return generic::kernel_tier_table();
    }
}

// The kernels of the tier in use (active_isa()).
inline const kernel_tier_functions& kernel_tier() { return kernel_tier_of(active_isa()); }

// The tier in use's versions of kernels that tests call by name.
inline float dot_f32_row(const uint8_t* weights, const float* x, size_t n) { return kernel_tier().dot_f32_row(weights, x, n); }
inline float dot_f16_row(const uint8_t* weights, const float* x, size_t n) { return kernel_tier().dot_f16_row(weights, x, n); }
inline float dot_bf16_row(const uint8_t* weights, const uint16_t* x, size_t n) { return kernel_tier().dot_bf16_row(weights, x, n); }
inline void round_to_f16(const float* in, float* out, size_t n) { kernel_tier().round_to_f16(in, out, n); }
inline void round_to_bf16(const float* in, uint16_t* out, size_t n) { kernel_tier().round_to_bf16(in, out, n); }
inline void shared_scores(const float* queries, size_t query_stride, size_t n_queries, const uint16_t* keys, size_t visible,
                          size_t head_dim, float scale, float* scores, size_t scores_stride) {
    kernel_tier().shared_scores(queries, query_stride, n_queries, keys, visible, head_dim, scale, scores, scores_stride);
}
inline void weighted_values(const float* weights, size_t weights_stride, size_t n_queries, const uint16_t* values, size_t visible,
                            size_t head_dim, float* out, size_t out_stride) {
    kernel_tier().weighted_values(weights, weights_stride, n_queries, values, visible, head_dim, out, out_stride);
}
inline void reference_f16_scores(const float* query, const uint16_t* keys, size_t visible, size_t head_dim, float scale,
                                 float* scores) {
    kernel_tier().reference_f16_scores(query, keys, visible, head_dim, scale, scores);
}

}  // namespace ember::detail
