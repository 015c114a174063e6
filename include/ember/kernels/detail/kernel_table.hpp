#ifndef EMBER_KERNELS_DETAIL_KERNEL_TABLE_HPP
#define EMBER_KERNELS_DETAIL_KERNEL_TABLE_HPP
// One tier's entry points into the kernel layer: what the public functions
// of kernels/ (matmul, attend, swiglu, ...) and the tests call, resolved to
// the tier in use once per call through one table.

#include "ember/core/isa.hpp"
#include "ember/kernels/detail/attention_kernels.hpp"
#include "ember/kernels/detail/matmul_kernels.hpp"

#include <cstddef>
#include <cstdint>

namespace ember::detail {

struct kernel_tier_functions {
    isa tier = isa::generic;
    void (*matmul)(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride, thread_pool& pool,
                   matmul_scratch& scratch) = nullptr;
    void (*matmul_shared_input)(const matmul_target* targets, size_t count, const float* x, size_t n_tokens, thread_pool& pool,
                                matmul_scratch& scratch) = nullptr;
    void (*attend)(const float* query, const uint16_t* keys, const uint16_t* values, size_t visible, size_t head_dim, float scale,
                   attention_rounding rounding, float* scratch, float* out) = nullptr;
    void (*attend_shared_kv)(const float* queries, size_t query_stride, size_t n_queries, const uint16_t* keys,
                             const uint16_t* values, size_t visible, size_t head_dim, float scale, float* scratch, float* out,
                             size_t out_stride) = nullptr;
    void (*attend_tiled)(const float* queries, size_t query_stride, size_t n_queries, size_t first_visible, size_t visible_step,
                         const uint16_t* keys, const uint16_t* values, size_t head_dim, float scale, float* scratch, float* out,
                         size_t out_stride) = nullptr;
    void (*convert_to_f16)(const float* in, uint16_t* out, size_t n) = nullptr;
    void (*swiglu)(float* gate, const float* up, size_t n) = nullptr;
    // the pieces tests check against their scalar descriptions
    float (*dot_f32_row)(const uint8_t* weights, const float* x, size_t n) = nullptr;
    float (*dot_f16_row)(const uint8_t* weights, const float* x, size_t n) = nullptr;
    float (*dot_bf16_row)(const uint8_t* weights, const uint16_t* x, size_t n) = nullptr;
    void (*round_to_f16)(const float* in, float* out, size_t n) = nullptr;
    void (*round_to_bf16)(const float* in, uint16_t* out, size_t n) = nullptr;
    void (*shared_scores)(const float* queries, size_t query_stride, size_t n_queries, const uint16_t* keys, size_t visible,
                          size_t head_dim, float scale, float* scores, size_t scores_stride) = nullptr;
    void (*weighted_values)(const float* weights, size_t weights_stride, size_t n_queries, const uint16_t* values,
                            size_t visible, size_t head_dim, float* out, size_t out_stride) = nullptr;
    void (*reference_f16_scores)(const float* query, const uint16_t* keys, size_t visible, size_t head_dim, float scale,
                                 float* scores) = nullptr;
};

}  // namespace ember::detail
#endif  // EMBER_KERNELS_DETAIL_KERNEL_TABLE_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

inline const kernel_tier_functions& kernel_tier_table() {
    static const kernel_tier_functions table = [] {
        kernel_tier_functions t;
        t.tier = isa::EMBER_TIER;
        t.matmul = tier_matmul;
        t.matmul_shared_input = tier_matmul_shared_input;
        t.attend = EMBER_TIER::attend;
        t.attend_shared_kv = EMBER_TIER::attend_shared_kv;
        t.attend_tiled = EMBER_TIER::attend_tiled;
        t.convert_to_f16 = EMBER_TIER::convert_to_f16;
        t.swiglu = EMBER_TIER::swiglu;
        t.dot_f32_row = EMBER_TIER::dot_f32_row;
        t.dot_f16_row = EMBER_TIER::dot_f16_row;
        t.dot_bf16_row = EMBER_TIER::dot_bf16_row;
        t.round_to_f16 = EMBER_TIER::round_to_f16;
        t.round_to_bf16 = EMBER_TIER::round_to_bf16;
        t.shared_scores = EMBER_TIER::shared_scores;
        t.weighted_values = EMBER_TIER::weighted_values;
        t.reference_f16_scores = EMBER_TIER::reference_f16_scores;
        return t;
    }();
    return table;
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
