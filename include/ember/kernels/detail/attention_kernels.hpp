#ifndef EMBER_KERNELS_DETAIL_ATTENTION_KERNELS_HPP
#define EMBER_KERNELS_DETAIL_ATTENTION_KERNELS_HPP
// Scaled dot-product attention of one query head over a KV cache stored in
// f16, laid out [position][head_dim] per kv head so keys and values stream
// contiguously:
//
//   out = Σ_j softmax_j(q·k_j · scale) · v_j     for j < visible
//
// in one of the two roundings the reference (ggml's CPU flash attention)
// uses for a query at a time, because its roundings are visible in the
// logits:
//  - f16_accumulator (its per-row kernel): the query is rounded to f16; each
//    score is its f16 dot product (reference_f16_dot_scalar); the softmax
//    runs online over the keys in order (running maximum M, running sum S,
//    expf); the weighted values accumulate in an f16 vector, rounded after
//    every key and rescaled by exp(M_old - M_new) whenever a new maximum
//    arrives.
//  - f32 (standing in for its split-KV decode kernel over long caches): f32
//    query, scores, softmax and sums.
// Batches of 64 or more queries go through attention_tiled.hpp instead.
// Choosing the wrong rounding moves logits by ~3e-4 of their rms on f32
// models, and on models with 8-bit activations those moves flip enough
// roundings to put the logits ~1e-2 away from the reference's (measured).
//
// The x86 versions (the avx512 and avx2 tiers) keep the
// head's query and output in registers: f32 scores take four keys at a time
// so one horizontal reduction serves four keys; the f32 values stream once;
// the f16 accumulation is a chain of FMA + f16 round trip per key.

#include "ember/core/detail/tier_target.hpp"
#include "ember/core/dtype.hpp"
#include "ember/kernels/detail/float_dot.hpp"
#include "ember/kernels/detail/reference_math.hpp"
#include "ember/kernels/detail/simd.hpp"
#include "ember/kernels/softmax.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace ember {

enum class attention_rounding { f32, f16_accumulator };

namespace detail {

// f32 -> nearest f16 -> f32.
inline float round_to_f16(float x) { return fp16_to_f32(f32_to_fp16(x)); }

// The portable scores and values below are compiled without FMA
// contraction: otherwise each inlined copy may contract differently, and
// the heads of attend_shared_kv would not equal attend()'s bit for bit.
EMBER_BEGIN_EXACT_FLOAT
inline void attention_scores_scalar(const float* query, const uint16_t* keys, size_t visible, size_t head_dim, float scale,
                                    float* scores) {
    EMBER_EXACT_FLOAT_SCOPE
    for (size_t j = 0; j < visible; ++j) {
        const uint16_t* key = keys + j * head_dim;
        float dot = 0.0f;
        for (size_t d = 0; d < head_dim; ++d) dot += query[d] * fp16_to_f32(key[d]);
        scores[j] = dot * scale;
    }
}

// The per-row kernel's score of one key: ggml_vec_dot_f16 of the f16 query
// and the f16 key, which on AVX-512 sums 64-element steps in four 16-lane
// FMA accumulators, folds them (0 + 2) + (1 + 3), reduces the 16 lanes as
// _mm512_reduce_add_ps pairs them into a double, and adds the elements past
// the last whole step one by one in double. (Measured: a plain FMA chain
// over the four chunks instead flips 8-bit activations at some positions,
// e.g. position 4 of "The capital of France is" on llama-qbase-q8_0.)
inline float reference_f16_dot_scalar(const float* query, const uint16_t* key, size_t n) {
    const size_t whole = n / 64 * 64;
    float lanes[4][16] = {};
    for (size_t i = 0; i < whole; i += 64)
        for (size_t c = 0; c < 4; ++c)
            for (size_t l = 0; l < 16; ++l)
                lanes[c][l] = std::fma(fp16_to_f32(key[i + 16 * c + l]), query[i + 16 * c + l], lanes[c][l]);
    float folded[16];
    for (size_t l = 0; l < 16; ++l) folded[l] = (lanes[0][l] + lanes[2][l]) + (lanes[1][l] + lanes[3][l]);
    double sum = sum_of_16(folded);
    for (size_t i = whole; i < n; ++i) sum += static_cast<double>(fp16_to_f32(key[i]) * query[i]);
    return static_cast<float>(sum);
}

// out = Σ_j weights[j] · v_j in f32.
inline void weighted_values_scalar(const float* weights, const uint16_t* values, size_t visible, size_t head_dim,
                                   float* out) {
    EMBER_EXACT_FLOAT_SCOPE
    std::fill(out, out + head_dim, 0.0f);
    for (size_t j = 0; j < visible; ++j) {
        const float weight = weights[j];
        const uint16_t* value = values + j * head_dim;
        for (size_t d = 0; d < head_dim; ++d) out[d] += weight * fp16_to_f32(value[d]);
    }
}
EMBER_END_EXACT_FLOAT

// weights[j] = exp(scores[j] - M_j), M_j the running maximum of scores[0..j]:
// each key's weight relative to the maximum when it arrives. The C
// library's expf, as the reference calls it (a vectorised exp differs from
// it in the last bit now and then, and that shows).
inline void online_softmax_weights(const float* scores, size_t visible, float* weights) {
    float running_max = -INFINITY;
    for (size_t j = 0; j < visible; ++j) {
        running_max = std::max(running_max, scores[j]);
        weights[j] = std::exp(scores[j] - running_max);
    }
}

// The f16 accumulator's pass over the values, given the scores and their
// online weights: out = accumulator / S.
inline void f16_accumulated_values_scalar(const float* scores, const float* weights, const uint16_t* values,
                                          size_t visible, size_t head_dim, float* out) {
    std::fill(out, out + head_dim, 0.0f);
    float running_max = -INFINITY, sum = 0.0f;
    for (size_t j = 0; j < visible; ++j) {
        if (scores[j] > running_max) {  // a new maximum shrinks what came before (exp(-inf) = 0 at the first key)
            const float shrink = std::exp(running_max - scores[j]);
            running_max = scores[j];
            for (size_t d = 0; d < head_dim; ++d) out[d] = round_to_f16(out[d] * shrink);
            sum = std::fma(sum, shrink, weights[j]);
        } else {
            sum += weights[j];
        }
        const uint16_t* value = values + j * head_dim;
        for (size_t d = 0; d < head_dim; ++d) out[d] = round_to_f16(std::fma(fp16_to_f32(value[d]), weights[j], out[d]));
    }
    const float inverse = sum == 0.0f ? 0.0f : 1.0f / sum;
    for (size_t d = 0; d < head_dim; ++d) out[d] *= inverse;
}

// Keys and values pass through the cache in blocks of 4 K values: query
// heads that share a kv head (grouped-query attention) each take a block
// while it is in L1, widened to floats once for all of them, so the cache is
// read and converted once per kv head rather than once per query head.
// Blocks hold a multiple of 4 keys (the scores kernel's step) and of 2
// values (the values kernel's pairs): each head's arithmetic is that of one
// pass over the whole cache.
// Widening costs a conversion and a store per value, which pays from three
// heads on (measured, 4000 positions, head_dim 64 / 128: two heads 0-10 %
// slower, three 10 %, four 10-20 %, seven 30 % faster); fewer heads read
// the f16 rows directly, one pass each.
inline constexpr size_t cache_block_values = 4096, min_heads_to_widen = 3;
// (the vectorised kernels' largest head_dim is 256: 16 positions)
inline size_t cache_block_positions(size_t head_dim) { return std::max<size_t>(4, cache_block_values / head_dim / 4 * 4); }

}  // namespace detail
}  // namespace ember
#endif  // EMBER_KERNELS_DETAIL_ATTENTION_KERNELS_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX2)
namespace x86 {

// The two vector widths, behind one interface for the kernels below.
struct vector_256 {
    using type = __m256;
    static constexpr size_t lanes = 8;
    static type zero() { return _mm256_setzero_ps(); }
    static type broadcast(float v) { return _mm256_set1_ps(v); }
    static type load(const float* p) { return _mm256_loadu_ps(p); }
    static void store(float* p, type v) { _mm256_storeu_ps(p, v); }
    static type load_halves(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
    // cache rows as stored (f16) or widened to floats
    static type load_cached(const uint16_t* p) { return load_halves(p); }
    static type load_cached(const float* p) { return load(p); }
    static type fma(type a, type b, type c) { return _mm256_fmadd_ps(a, b, c); }
    static type add(type a, type b) { return _mm256_add_ps(a, b); }
    static type mul(type a, type b) { return _mm256_mul_ps(a, b); }
    static type round_to_f16(type v) { return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT)); }
    static __m256 to_256(type v) { return v; }
};

#if defined(EMBER_TIER_AVX512)
struct vector_512 {
    using type = __m512;
    static constexpr size_t lanes = 16;
    static type zero() { return _mm512_setzero_ps(); }
    static type broadcast(float v) { return _mm512_set1_ps(v); }
    static type load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, type v) { _mm512_storeu_ps(p, v); }
    static type load_halves(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
    // cache rows as stored (f16) or widened to floats
    static type load_cached(const uint16_t* p) { return load_halves(p); }
    static type load_cached(const float* p) { return load(p); }
    static type fma(type a, type b, type c) { return _mm512_fmadd_ps(a, b, c); }
    static type add(type a, type b) { return _mm512_add_ps(a, b); }
    static type mul(type a, type b) { return _mm512_mul_ps(a, b); }
    static type round_to_f16(type v) { return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT)); }
    static __m256 to_256(type v) { return _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1)); }
};
#endif

// Four 8-lane vectors -> their four horizontal sums.
inline __m128 sums_of_4(__m256 a, __m256 b, __m256 c, __m256 d) {
    const __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// Positions' f16 cache rows -> floats (exact), n a multiple of V::lanes;
// then asks for the next `ahead` values, which arrive while the heads work
// on these (the cache comes from memory: a long one is megabytes per layer).
template <class V>
inline void widen_rows(const uint16_t* halves, size_t n, float* out, size_t ahead) {
    for (size_t i = 0; i < n; i += V::lanes) V::store(out + i, V::load_halves(halves + i));
    for (size_t i = 0; i < ahead; i += 32) prefetch(halves + n + i);
}

// head_dim = Chunks * V::lanes; the query lives in registers. Keys as
// stored (f16) or widened to floats.
template <class V, int Chunks>
struct scores_kernel {
    template <class Key>
    static void run(const float* query, const Key* keys, size_t visible, float scale, float* scores) {
        constexpr size_t head_dim = Chunks * V::lanes;
        typename V::type q[Chunks];
        for (int c = 0; c < Chunks; ++c) q[c] = V::load(query + c * V::lanes);
        const __m128 scale_4 = _mm_set1_ps(scale);
        size_t j = 0;
        for (; j + 4 <= visible; j += 4) {
            const Key* k = keys + j * head_dim;
            typename V::type a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
            for (int c = 0; c < Chunks; ++c) {
                a0 = V::fma(q[c], V::load_cached(k + c * V::lanes), a0);
                a1 = V::fma(q[c], V::load_cached(k + head_dim + c * V::lanes), a1);
                a2 = V::fma(q[c], V::load_cached(k + 2 * head_dim + c * V::lanes), a2);
                a3 = V::fma(q[c], V::load_cached(k + 3 * head_dim + c * V::lanes), a3);
            }
            _mm_storeu_ps(scores + j,
                          _mm_mul_ps(sums_of_4(V::to_256(a0), V::to_256(a1), V::to_256(a2), V::to_256(a3)), scale_4));
        }
        for (; j < visible; ++j) {
            const Key* k = keys + j * head_dim;
            typename V::type a = V::zero();
            for (int c = 0; c < Chunks; ++c) a = V::fma(q[c], V::load_cached(k + c * V::lanes), a);
            const __m256 folded = V::to_256(a);
            scores[j] = _mm_cvtss_f32(sums_of_4(folded, folded, folded, folded)) * scale;
        }
    }
};

// scores_kernel for several queries (one per query head) over one kv head's keys.
template <class V, int Chunks>
struct shared_scores_kernel {
    static void run(const float* queries, size_t query_stride, size_t n_queries, const uint16_t* keys, size_t visible,
                    float scale, float* scores, size_t scores_stride) {
        constexpr size_t head_dim = Chunks * V::lanes;
        if (n_queries < min_heads_to_widen) {
            for (size_t g = 0; g < n_queries; ++g)
                scores_kernel<V, Chunks>::run(queries + g * query_stride, keys, visible, scale, scores + g * scores_stride);
            return;
        }
        const size_t block = cache_block_positions(head_dim);
        alignas(64) float widened[cache_block_values];
        for (size_t start = 0; start < visible; start += block) {
            const size_t count = std::min(block, visible - start);
            widen_rows<V>(keys + start * head_dim, count * head_dim, widened,
                          (std::min(visible, start + 2 * block) - start - count) * head_dim);
            for (size_t g = 0; g < n_queries; ++g)
                scores_kernel<V, Chunks>::run(queries + g * query_stride, static_cast<const float*>(widened), count, scale,
                                              scores + g * scores_stride + start);
        }
    }
};

// weighted_values_scalar for several weight rows (one per query head), the
// values read block by block; each output's sums stay in registers within a
// block and wait in memory between blocks.
template <class V, int Chunks>
struct weighted_values_kernel {
    static void run(const float* weights, size_t weights_stride, size_t n_queries, const uint16_t* values, size_t visible,
                    float* out, size_t out_stride) {
        constexpr size_t head_dim = Chunks * V::lanes, max_queries = 8;
        const size_t block = cache_block_positions(head_dim);
        alignas(64) float widened[cache_block_values];
        // per query, even and odd positions accumulate separately: two FMA chains per chunk
        typename V::type sums[max_queries][2][Chunks];
        for (size_t first_query = 0; first_query < n_queries; first_query += max_queries) {
            const size_t queries = std::min(max_queries, n_queries - first_query);
            for (size_t g = 0; g < queries; ++g)
                for (int c = 0; c < Chunks; ++c) sums[g][0][c] = sums[g][1][c] = V::zero();
            // few queries: the f16 values as stored; more: widened once per block
            auto accumulate = [&](size_t g, size_t start, size_t end, const auto* block_values) {
                const float* w = weights + (first_query + g) * weights_stride;
                typename V::type even[Chunks], odd[Chunks];
                for (int c = 0; c < Chunks; ++c) even[c] = sums[g][0][c], odd[c] = sums[g][1][c];
                size_t j = start;
                for (; j + 2 <= end; j += 2) {
                    const typename V::type w0 = V::broadcast(w[j]), w1 = V::broadcast(w[j + 1]);
                    const auto* v = block_values + (j - start) * head_dim;
                    for (int c = 0; c < Chunks; ++c) {
                        even[c] = V::fma(w0, V::load_cached(v + c * V::lanes), even[c]);
                        odd[c] = V::fma(w1, V::load_cached(v + head_dim + c * V::lanes), odd[c]);
                    }
                }
                if (j < end) {  // an odd count: only ever in the last block
                    const typename V::type w0 = V::broadcast(w[j]);
                    const auto* v = block_values + (j - start) * head_dim;
                    for (int c = 0; c < Chunks; ++c) even[c] = V::fma(w0, V::load_cached(v + c * V::lanes), even[c]);
                }
                for (int c = 0; c < Chunks; ++c) sums[g][0][c] = even[c], sums[g][1][c] = odd[c];
            };
            if (queries < min_heads_to_widen) {
                for (size_t g = 0; g < queries; ++g) accumulate(g, 0, visible, values);
            } else {
                for (size_t start = 0; start < visible; start += block) {
                    const size_t end = std::min(visible, start + block);
                    widen_rows<V>(values + start * head_dim, (end - start) * head_dim, widened,
                                  (std::min(visible, end + block) - end) * head_dim);
                    for (size_t g = 0; g < queries; ++g) accumulate(g, start, end, static_cast<const float*>(widened));
                }
            }
            for (size_t g = 0; g < queries; ++g)
                for (int c = 0; c < Chunks; ++c)
                    V::store(out + (first_query + g) * out_stride + c * V::lanes, V::add(sums[g][0][c], sums[g][1][c]));
        }
    }
};

// f16_accumulated_values_scalar with the accumulator in registers.
template <class V, int Chunks>
struct f16_accumulated_values_kernel {
    static void run(const float* scores, const float* weights, const uint16_t* values, size_t visible, float* out) {
        constexpr size_t head_dim = Chunks * V::lanes;
        typename V::type accumulator[Chunks];
        for (int c = 0; c < Chunks; ++c) accumulator[c] = V::zero();
        float running_max = -INFINITY, sum = 0.0f;
        for (size_t j = 0; j < visible; ++j) {
            if (scores[j] > running_max) {
                const float shrink = std::exp(running_max - scores[j]);
                running_max = scores[j];
                const typename V::type s = V::broadcast(shrink);
                for (int c = 0; c < Chunks; ++c) accumulator[c] = V::round_to_f16(V::mul(accumulator[c], s));
                sum = std::fma(sum, shrink, weights[j]);
            } else {
                sum += weights[j];
            }
            const typename V::type w = V::broadcast(weights[j]);
            const uint16_t* v = values + j * head_dim;
            for (int c = 0; c < Chunks; ++c)
                accumulator[c] = V::round_to_f16(V::fma(V::load_halves(v + c * V::lanes), w, accumulator[c]));
        }
        const typename V::type inverse = V::broadcast(sum == 0.0f ? 0.0f : 1.0f / sum);
        for (int c = 0; c < Chunks; ++c) V::store(out + c * V::lanes, V::mul(accumulator[c], inverse));
    }
};

// Runs Kernel<V, head_dim / lanes> for the head sizes models use; false
// (the caller falls back to scalar) for any other.
template <class V, template <class, int> class Kernel, class... Args>
inline bool for_head_dim(size_t head_dim, Args... args) {
    if (head_dim % V::lanes != 0) return false;
    switch (head_dim / V::lanes) {
        case 1: Kernel<V, 1>::run(args...); return true;
        case 2: Kernel<V, 2>::run(args...); return true;
        case 4: Kernel<V, 4>::run(args...); return true;
        case 5: Kernel<V, 5>::run(args...); return true;
        case 6: Kernel<V, 6>::run(args...); return true;
        case 8: Kernel<V, 8>::run(args...); return true;
        case 16: Kernel<V, 16>::run(args...); return true;
        default: return false;
    }
}

// The widest vector the tier has, then AVX2, for this head size.
template <template <class, int> class Kernel, class... Args>
inline bool run_vectorised(size_t head_dim, Args... args) {
#if defined(EMBER_TIER_AVX512)
    if (for_head_dim<vector_512, Kernel>(head_dim, args...)) return true;
#endif
    return for_head_dim<vector_256, Kernel>(head_dim, args...);
}

}  // namespace x86
#endif

// scores_g[j] = scale · query_g · key_j for n_queries queries (rows
// query_stride apart) and j < visible, into rows scores_stride apart.
inline void shared_scores(const float* queries, size_t query_stride, size_t n_queries, const uint16_t* keys, size_t visible,
                          size_t head_dim, float scale, float* scores, size_t scores_stride) {
#if defined(EMBER_TIER_AVX2)
    if (x86::run_vectorised<x86::shared_scores_kernel>(head_dim, queries, query_stride, n_queries, keys, visible, scale, scores,
                                                       scores_stride))
        return;
#endif
    for (size_t g = 0; g < n_queries; ++g)
        attention_scores_scalar(queries + g * query_stride, keys, visible, head_dim, scale, scores + g * scores_stride);
}

// out_g = Σ_j weights_g[j] · value_j over j < visible, in f32, for n_queries
// rows of weights (weights_stride apart) and of output (out_stride apart).
inline void weighted_values(const float* weights, size_t weights_stride, size_t n_queries, const uint16_t* values,
                            size_t visible, size_t head_dim, float* out, size_t out_stride) {
#if defined(EMBER_TIER_AVX2)
    if (x86::run_vectorised<x86::weighted_values_kernel>(head_dim, weights, weights_stride, n_queries, values, visible, out,
                                                         out_stride))
        return;
#endif
    for (size_t g = 0; g < n_queries; ++g)
        weighted_values_scalar(weights + g * weights_stride, values, visible, head_dim, out + g * out_stride);
}

// scores[j] = scale · reference_f16_dot(query, key_j): query f16-rounded.
inline void reference_f16_scores(const float* query, const uint16_t* keys, size_t visible, size_t head_dim, float scale,
                                 float* scores) {
#if defined(EMBER_TIER_AVX512)
    const size_t whole = head_dim / 64 * 64;
    for (size_t j = 0; j < visible; ++j) {
        const uint16_t* key = keys + j * head_dim;
        __m512 lanes[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (size_t i = 0; i < whole; i += 64)
            for (int c = 0; c < 4; ++c)
                lanes[c] = _mm512_fmadd_ps(x86::vector_512::load_halves(key + i + 16 * c), _mm512_loadu_ps(query + i + 16 * c), lanes[c]);
        double sum = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(lanes[0], lanes[2]), _mm512_add_ps(lanes[1], lanes[3])));
        for (size_t i = whole; i < head_dim; ++i) sum += static_cast<double>(fp16_to_f32(key[i]) * query[i]);
        scores[j] = static_cast<float>(sum) * scale;
    }
#elif defined(EMBER_TIER_AVX2)
    // the same sixteen lanes as two halves: lanes[c][0] holds 0-7, lanes[c][1] holds 8-15
    const size_t whole = head_dim / 64 * 64;
    for (size_t j = 0; j < visible; ++j) {
        const uint16_t* key = keys + j * head_dim;
        __m256 lanes[4][2] = {};
        for (size_t i = 0; i < whole; i += 64)
            for (int c = 0; c < 4; ++c)
                for (int h = 0; h < 2; ++h)
                    lanes[c][h] = _mm256_fmadd_ps(x86::vector_256::load_halves(key + i + 16 * c + 8 * h),
                                                  _mm256_loadu_ps(query + i + 16 * c + 8 * h), lanes[c][h]);
        __m256 folded[2];
        for (int h = 0; h < 2; ++h)
            folded[h] = _mm256_add_ps(_mm256_add_ps(lanes[0][h], lanes[2][h]), _mm256_add_ps(lanes[1][h], lanes[3][h]));
        // sum_of_16: eighths (i + 8), quarters (i + 4), then (0 + 2) + (1 + 3)
        const __m256 eighths = _mm256_add_ps(folded[1], folded[0]);
        const __m128 quarters = _mm_add_ps(_mm256_extractf128_ps(eighths, 1), _mm256_castps256_ps128(eighths));
        const __m128 pairs = _mm_add_ps(quarters, _mm_movehl_ps(quarters, quarters));
        double sum = _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
        for (size_t i = whole; i < head_dim; ++i) sum += static_cast<double>(fp16_to_f32(key[i]) * query[i]);
        scores[j] = static_cast<float>(sum) * scale;
    }
#else
    for (size_t j = 0; j < visible; ++j) scores[j] = reference_f16_dot_scalar(query, keys + j * head_dim, head_dim) * scale;
#endif
}

// The f16 accumulator's pass (see the top of the file).
inline void f16_accumulated_values(const float* scores, const float* weights, const uint16_t* values, size_t visible,
                                   size_t head_dim, float* out) {
#if defined(EMBER_TIER_AVX2)
    if (x86::run_vectorised<x86::f16_accumulated_values_kernel>(head_dim, scores, weights, values, visible, out)) return;
#endif
    f16_accumulated_values_scalar(scores, weights, values, visible, head_dim, out);
}



// Several query heads, one query each, over the kv head they share, in the
// f32 rounding: each head's result is attend()'s, bit for bit, but the
// cache is read and widened once for all of them (see cache_block_positions).
// scratch: room for n_queries · visible floats.
inline void attend_shared_kv(const float* queries, size_t query_stride, size_t n_queries, const uint16_t* keys,
                             const uint16_t* values, size_t visible, size_t head_dim, float scale, float* scratch, float* out,
                             size_t out_stride) {
    shared_scores(queries, query_stride, n_queries, keys, visible, head_dim, scale, scratch, visible);
    for (size_t g = 0; g < n_queries; ++g) softmax(scratch + g * visible, visible);
    weighted_values(scratch, visible, n_queries, values, visible, head_dim, out, out_stride);
}

// scratch: room for 2 · visible floats; out: head_dim floats.
inline void attend(const float* query, const uint16_t* keys, const uint16_t* values, size_t visible, size_t head_dim,
                   float scale, attention_rounding rounding, float* scratch, float* out) {
    if (rounding == attention_rounding::f32)
        return attend_shared_kv(query, head_dim, 1, keys, values, visible, head_dim, scale, scratch, out, head_dim);
    float* scores = scratch;
    float* weights = scratch + visible;
    for (size_t d = 0; d < head_dim; ++d) out[d] = detail::round_to_f16(query[d]);  // out holds the f16 query until the end
    reference_f16_scores(out, keys, visible, head_dim, scale, scores);
    online_softmax_weights(scores, visible, weights);
    f16_accumulated_values(scores, weights, values, visible, head_dim, out);
}

// f32 -> f16 bit patterns (round to nearest even), e.g. keys and values
// into the cache; F16C where the tier has it.
inline void convert_to_f16(const float* in, uint16_t* out, size_t n) {
    size_t i = 0;
#if defined(EMBER_TIER_AVX2)
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; i < n; ++i) out[i] = f32_to_fp16(in[i]);
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
