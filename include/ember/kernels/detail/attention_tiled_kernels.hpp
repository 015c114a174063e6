#ifndef EMBER_KERNELS_DETAIL_ATTENTION_TILED_KERNELS_HPP
#define EMBER_KERNELS_DETAIL_ATTENTION_TILED_KERNELS_HPP
// Attention for a batch of 64 or more queries, rounded as the reference
// rounds it: ggml's CPU backend takes such micro-batches (when head_dim is a
// multiple of 16) through its tiled flash-attention kernel, whose every
// rounding step is visible in the logits of models with 8-bit activations
// (measured on llama-qbase-q5_0, 74-token prompt: with ember's per-query f32
// kernel 73 of the 74 positions' logits were ~1e-2 (rms) from the
// reference's; with this one and the other roundings of tests/README.md, 4).
//
// Per query, over the keys it sees, 64 at a time (tiles start at cache
// positions 0, 64, 128, ...):
//  - a score is one FMA chain over the head dimension, in order, starting
//    from 0, then multiplied by the scale;
//  - the running maximum M becomes max(M, tile maximum); when it grows, the
//    output accumulator and the running sum S are multiplied by
//    expf(M_old - M_new);
//  - the tile's weights are p = v_expf(score - M) (reference_math.hpp);
//  - S += the tile's weights, summed 16 at a time (sum_of_16) and those
//    partial sums added in double;
//  - each output element is an FMA chain over the tile's keys, in order;
//  - finally out = accumulator · (1 / S).
// The AVX-512 version computes exactly what the scalar one does (a test
// checks this bit for bit); other targets run the scalar one.

#include "ember/core/dtype.hpp"
#include "ember/kernels/detail/float_dot.hpp"
#include "ember/kernels/detail/reference_math.hpp"
#include "ember/core/detail/tier_target.hpp"
#include "ember/quant/portable.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace ember {

// Keys per tile, and the smallest batch the reference sends through this kernel.
inline constexpr size_t attention_tile = 64;

// Floats of scratch attend_tiled needs.
inline size_t attend_tiled_scratch_floats(size_t head_dim) {
    // keys (transposed) and values of one tile, one row of weights, and per
    // query of a block: M, S and the accumulator
    return 2 * attention_tile * head_dim + attention_tile + attention_tile * (head_dim + 2);
}

namespace detail {

namespace tiled {

// scores[j] = scale · (q · k_j) for j < valid, -inf for valid <= j < 64;
// keys_t: the tile's keys transposed, [head_dim][64].
inline void scores_scalar(const float* query, const float* keys_t, size_t head_dim, float scale, size_t valid,
                          float* scores) {
    for (size_t j = 0; j < attention_tile; ++j) {
        float dot = 0.0f;
        for (size_t d = 0; d < head_dim; ++d) dot = std::fma(keys_t[d * attention_tile + j], query[d], dot);
        scores[j] = j < valid ? dot * scale : -INFINITY;
    }
}

// weights[j] = v_expf(weights[j] - max) over the whole tile; returns their
// sum as the reference forms it.
inline double exponentials_scalar(float* weights, float max) {
    double sum = 0.0;
    for (size_t g = 0; g < attention_tile; g += 16) {
        for (size_t j = g; j < g + 16; ++j) weights[j] = reference_v_expf(weights[j] - max);
        sum += static_cast<double>(sum_of_16(weights + g));
    }
    return sum;
}

// accumulator[d] = fma(v_j[d], weights[j], accumulator[d]) for j < valid in
// order; values: [64][head_dim] f32.
inline void accumulate_scalar(const float* weights, const float* values, size_t valid, size_t head_dim, float* accumulator) {
    for (size_t d = 0; d < head_dim; ++d) {
        float a = accumulator[d];
        for (size_t j = 0; j < valid; ++j) a = std::fma(values[j * head_dim + d], weights[j], a);
        accumulator[d] = a;
    }
}

}  // namespace tiled
}  // namespace detail
}  // namespace ember
#endif  // EMBER_KERNELS_DETAIL_ATTENTION_TILED_KERNELS_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {
namespace tiled {
using detail::tiled::accumulate_scalar;
using detail::tiled::exponentials_scalar;
using detail::tiled::scores_scalar;

#if defined(EMBER_TIER_AVX512)
inline void scores(const float* query, const float* keys_t, size_t head_dim, float scale, size_t valid, float* scores) {
    __m512 a[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (size_t d = 0; d < head_dim; ++d) {
        const __m512 q = _mm512_set1_ps(query[d]);
        const float* k = keys_t + d * attention_tile;
        for (int g = 0; g < 4; ++g) a[g] = _mm512_fmadd_ps(_mm512_loadu_ps(k + 16 * g), q, a[g]);
    }
    for (int g = 0; g < 4; ++g) {
        // lanes at or past `valid` are masked
        const size_t first = 16 * static_cast<size_t>(g);
        const __mmask16 seen = valid >= first + 16 ? 0xFFFF : valid <= first ? 0 : static_cast<__mmask16>((1u << (valid - first)) - 1);
        const __m512 scaled = _mm512_mul_ps(a[g], _mm512_set1_ps(scale));
        _mm512_storeu_ps(scores + first, _mm512_mask_blend_ps(seen, _mm512_set1_ps(-INFINITY), scaled));
    }
}

inline double exponentials(float* weights, float max) {
    double sum = 0.0;
    for (size_t g = 0; g < attention_tile; g += 16) {
        const __m512 e = x86::v_expf(_mm512_sub_ps(_mm512_loadu_ps(weights + g), _mm512_set1_ps(max)));
        _mm512_storeu_ps(weights + g, e);
        sum += static_cast<double>(_mm512_reduce_add_ps(e));
    }
    return sum;
}

// Up to eight 16-lane chunks of the head at a time: their FMA chains are
// independent, so they interleave instead of waiting on each other's latency.
inline void accumulate(const float* weights, const float* values, size_t valid, size_t head_dim, float* accumulator) {
    for (size_t first = 0; first < head_dim; first += 128) {
        const size_t chunks = std::min<size_t>(8, (head_dim - first) / 16);
        __m512 a[8];
        for (size_t c = 0; c < 8; ++c) a[c] = c < chunks ? _mm512_loadu_ps(accumulator + first + 16 * c) : _mm512_setzero_ps();
        for (size_t j = 0; j < valid; ++j) {
            const __m512 w = _mm512_set1_ps(weights[j]);
            const float* v = values + j * head_dim + first;
            for (size_t c = 0; c < 8; ++c)
                if (c < chunks) a[c] = _mm512_fmadd_ps(_mm512_loadu_ps(v + 16 * c), w, a[c]);
        }
        for (size_t c = 0; c < chunks; ++c) _mm512_storeu_ps(accumulator + first + 16 * c, a[c]);
    }
}
#else
inline void scores(const float* query, const float* keys_t, size_t head_dim, float scale, size_t valid, float* out) {
    scores_scalar(query, keys_t, head_dim, scale, valid, out);
}
inline double exponentials(float* weights, float max) { return exponentials_scalar(weights, max); }
inline void accumulate(const float* weights, const float* values, size_t valid, size_t head_dim, float* accumulator) {
    accumulate_scalar(weights, values, valid, head_dim, accumulator);
}
#endif

}  // namespace tiled


// Attention of n_queries queries (rows query_stride floats apart) of one
// head over an f16 KV cache ([position][head_dim], as attend reads it):
// query t sees keys [0, first_visible + t · visible_step) — step 1 for a
// causal batch, 0 when every query sees the same keys. head_dim: a multiple
// of 16. scratch: attend_tiled_scratch_floats(head_dim) floats. Output rows
// out_stride floats apart.
inline void attend_tiled(const float* queries, size_t query_stride, size_t n_queries, size_t first_visible, size_t visible_step,
                         const uint16_t* keys, const uint16_t* values, size_t head_dim, float scale, float* scratch, float* out,
                         size_t out_stride) {
    constexpr size_t tile = attention_tile;
    float* keys_t = scratch;                      // [head_dim][tile]
    float* tile_values = keys_t + tile * head_dim;  // [tile][head_dim]
    float* weights = tile_values + tile * head_dim;
    float* running_max = weights + tile;
    float* running_sum = running_max + tile;
    float* accumulators = running_sum + tile;   // [tile][head_dim]
    const dequantize_function to_floats = tier_dequantize_of(dtype::f16);  // F16C where the tier has it
    for (size_t block = 0; block < n_queries; block += tile) {
        const size_t rows = std::min(tile, n_queries - block);
        std::fill(running_max, running_max + rows, -INFINITY);
        std::fill(running_sum, running_sum + rows, 0.0f);
        std::fill(accumulators, accumulators + rows * head_dim, 0.0f);
        const size_t block_visible = first_visible + (block + rows - 1) * visible_step;  // the most any row sees
        for (size_t start = 0; start < block_visible; start += tile) {
            const size_t in_tile = std::min(tile, block_visible - start);
            // values as f32 rows; keys converted the same way (through the
            // values' rows past the tile's end, free until then), then transposed
            const int64_t tile_elements = static_cast<int64_t>(in_tile * head_dim);
            to_floats(keys + start * head_dim, tile_values, tile_elements);
            for (size_t j = 0; j < tile; ++j)
                for (size_t d = 0; d < head_dim; ++d) keys_t[d * tile + j] = j < in_tile ? tile_values[j * head_dim + d] : 0.0f;
            to_floats(values + start * head_dim, tile_values, tile_elements);
            for (size_t r = 0; r < rows; ++r) {
                const size_t visible = first_visible + (block + r) * visible_step;
                if (visible <= start) continue;  // this row sees none of the tile
                const size_t valid = std::min(tile, visible - start);
                tiled::scores(queries + (block + r) * query_stride, keys_t, head_dim, scale, valid, weights);
                const float tile_max = *std::max_element(weights, weights + valid);
                float* accumulator = accumulators + r * head_dim;
                if (tile_max > running_max[r]) {
                    const float shrink = std::exp(running_max[r] - tile_max);
                    for (size_t d = 0; d < head_dim; ++d) accumulator[d] *= shrink;
                    running_sum[r] *= shrink;
                    running_max[r] = tile_max;
                }
                running_sum[r] = static_cast<float>(static_cast<double>(running_sum[r]) + tiled::exponentials(weights, running_max[r]));
                tiled::accumulate(weights, tile_values, valid, head_dim, accumulator);
            }
        }
        for (size_t r = 0; r < rows; ++r) {
            const float inverse = running_sum[r] == 0.0f ? 0.0f : 1.0f / running_sum[r];
            float* row = out + (block + r) * out_stride;
            for (size_t d = 0; d < head_dim; ++d) row[d] = accumulators[r * head_dim + d] * inverse;
        }
    }
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
