#pragma once
// Scaled dot-product attention of one query head over a KV cache stored in
// f16, laid out [position][head_dim] per kv head so keys and values stream
// contiguously:
//
//   out = Σ_j softmax_j(q·k_j · scale) · v_j     for j < visible
//
// The query stays in f32; keys and values are widened from f16 in registers
// (F16C), products accumulate in f32. The x86 versions (AVX-512 or AVX2 +
// F16C, chosen at compile time) keep the head's query and output in
// registers: scores take four keys at a time so one horizontal reduction
// serves four keys; values stream once with the output accumulating in
// registers. They differ from the scalar versions by float rounding only.

#include "ember/core/dtype.hpp"
#include "ember/kernels/detail/float_dot.hpp"
#include "ember/kernels/softmax.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace ember {

namespace detail {

inline void attention_scores_scalar(const float* query, const uint16_t* keys, size_t visible, size_t head_dim, float scale,
                                    float* scores) {
    for (size_t j = 0; j < visible; ++j) {
        const uint16_t* key = keys + j * head_dim;
        float dot = 0.0f;
        for (size_t d = 0; d < head_dim; ++d) dot += query[d] * fp16_to_f32(key[d]);
        scores[j] = dot * scale;
    }
}

inline void attention_values_scalar(const float* weights, const uint16_t* values, size_t visible, size_t head_dim,
                                    float* out) {
    std::fill(out, out + head_dim, 0.0f);
    for (size_t j = 0; j < visible; ++j) {
        const float weight = weights[j];
        const uint16_t* value = values + j * head_dim;
        for (size_t d = 0; d < head_dim; ++d) out[d] += weight * fp16_to_f32(value[d]);
    }
}

#if defined(EMBER_KERNELS_AVX2)
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
    static type fma(type a, type b, type c) { return _mm256_fmadd_ps(a, b, c); }
    static type add(type a, type b) { return _mm256_add_ps(a, b); }
    static __m256 to_256(type v) { return v; }
};

#if defined(EMBER_KERNELS_AVX512)
struct vector_512 {
    using type = __m512;
    static constexpr size_t lanes = 16;
    static type zero() { return _mm512_setzero_ps(); }
    static type broadcast(float v) { return _mm512_set1_ps(v); }
    static type load(const float* p) { return _mm512_loadu_ps(p); }
    static void store(float* p, type v) { _mm512_storeu_ps(p, v); }
    static type load_halves(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
    static type fma(type a, type b, type c) { return _mm512_fmadd_ps(a, b, c); }
    static type add(type a, type b) { return _mm512_add_ps(a, b); }
    static __m256 to_256(type v) { return _mm256_add_ps(_mm512_extractf32x8_ps(v, 0), _mm512_extractf32x8_ps(v, 1)); }
};
#endif

// Four 8-lane vectors -> their four horizontal sums.
inline __m128 sums_of_4(__m256 a, __m256 b, __m256 c, __m256 d) {
    const __m256 abcd = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// head_dim = Chunks * V::lanes; the query lives in registers.
template <class V, int Chunks>
inline void scores_kernel(const float* query, const uint16_t* keys, size_t visible, float scale, float* scores) {
    constexpr size_t head_dim = Chunks * V::lanes;
    typename V::type q[Chunks];
    for (int c = 0; c < Chunks; ++c) q[c] = V::load(query + c * V::lanes);
    const __m128 scale_4 = _mm_set1_ps(scale);
    size_t j = 0;
    for (; j + 4 <= visible; j += 4) {
        const uint16_t* k = keys + j * head_dim;
        typename V::type a0 = V::zero(), a1 = V::zero(), a2 = V::zero(), a3 = V::zero();
        for (int c = 0; c < Chunks; ++c) {
            a0 = V::fma(q[c], V::load_halves(k + c * V::lanes), a0);
            a1 = V::fma(q[c], V::load_halves(k + head_dim + c * V::lanes), a1);
            a2 = V::fma(q[c], V::load_halves(k + 2 * head_dim + c * V::lanes), a2);
            a3 = V::fma(q[c], V::load_halves(k + 3 * head_dim + c * V::lanes), a3);
        }
        _mm_storeu_ps(scores + j, _mm_mul_ps(sums_of_4(V::to_256(a0), V::to_256(a1), V::to_256(a2), V::to_256(a3)), scale_4));
    }
    for (; j < visible; ++j) {
        const uint16_t* k = keys + j * head_dim;
        typename V::type a = V::zero();
        for (int c = 0; c < Chunks; ++c) a = V::fma(q[c], V::load_halves(k + c * V::lanes), a);
        const __m256 folded = V::to_256(a);
        scores[j] = _mm_cvtss_f32(sums_of_4(folded, folded, folded, folded)) * scale;
    }
}

// out = Σ_j weights[j] · v_j with the output in registers.
template <class V, int Chunks>
inline void values_kernel(const float* weights, const uint16_t* values, size_t visible, float* out) {
    constexpr size_t head_dim = Chunks * V::lanes;
    // even and odd positions accumulate separately: two FMA chains per chunk
    typename V::type even[Chunks], odd[Chunks];
    for (int c = 0; c < Chunks; ++c) even[c] = odd[c] = V::zero();
    size_t j = 0;
    for (; j + 2 <= visible; j += 2) {
        const typename V::type w0 = V::broadcast(weights[j]), w1 = V::broadcast(weights[j + 1]);
        const uint16_t* v = values + j * head_dim;
        for (int c = 0; c < Chunks; ++c) {
            even[c] = V::fma(w0, V::load_halves(v + c * V::lanes), even[c]);
            odd[c] = V::fma(w1, V::load_halves(v + head_dim + c * V::lanes), odd[c]);
        }
    }
    if (j < visible) {
        const typename V::type w = V::broadcast(weights[j]);
        const uint16_t* v = values + j * head_dim;
        for (int c = 0; c < Chunks; ++c) even[c] = V::fma(w, V::load_halves(v + c * V::lanes), even[c]);
    }
    for (int c = 0; c < Chunks; ++c) V::store(out + c * V::lanes, V::add(even[c], odd[c]));
}

template <class V>
inline bool attention_scores(const float* query, const uint16_t* keys, size_t visible, size_t head_dim, float scale,
                             float* scores) {
    if (head_dim % V::lanes != 0) return false;
    switch (head_dim / V::lanes) {
        case 1: scores_kernel<V, 1>(query, keys, visible, scale, scores); return true;
        case 2: scores_kernel<V, 2>(query, keys, visible, scale, scores); return true;
        case 4: scores_kernel<V, 4>(query, keys, visible, scale, scores); return true;
        case 5: scores_kernel<V, 5>(query, keys, visible, scale, scores); return true;
        case 6: scores_kernel<V, 6>(query, keys, visible, scale, scores); return true;
        case 8: scores_kernel<V, 8>(query, keys, visible, scale, scores); return true;
        case 16: scores_kernel<V, 16>(query, keys, visible, scale, scores); return true;
        default: return false;
    }
}

template <class V>
inline bool attention_values(const float* weights, const uint16_t* values, size_t visible, size_t head_dim, float* out) {
    if (head_dim % V::lanes != 0) return false;
    switch (head_dim / V::lanes) {
        case 1: values_kernel<V, 1>(weights, values, visible, out); return true;
        case 2: values_kernel<V, 2>(weights, values, visible, out); return true;
        case 4: values_kernel<V, 4>(weights, values, visible, out); return true;
        case 5: values_kernel<V, 5>(weights, values, visible, out); return true;
        case 6: values_kernel<V, 6>(weights, values, visible, out); return true;
        case 8: values_kernel<V, 8>(weights, values, visible, out); return true;
        case 16: values_kernel<V, 16>(weights, values, visible, out); return true;
        default: return false;
    }
}

}  // namespace x86
#endif

// scores[j] = scale · query · key_j for j < visible.
inline void attention_scores(const float* query, const uint16_t* keys, size_t visible, size_t head_dim, float scale,
                             float* scores) {
#if defined(EMBER_KERNELS_AVX512)
    if (x86::attention_scores<x86::vector_512>(query, keys, visible, head_dim, scale, scores)) return;
#endif
#if defined(EMBER_KERNELS_AVX2)
    if (x86::attention_scores<x86::vector_256>(query, keys, visible, head_dim, scale, scores)) return;
#endif
    attention_scores_scalar(query, keys, visible, head_dim, scale, scores);
}

// out = Σ_j weights[j] · value_j over j < visible.
inline void attention_values(const float* weights, const uint16_t* values, size_t visible, size_t head_dim, float* out) {
#if defined(EMBER_KERNELS_AVX512)
    if (x86::attention_values<x86::vector_512>(weights, values, visible, head_dim, out)) return;
#endif
#if defined(EMBER_KERNELS_AVX2)
    if (x86::attention_values<x86::vector_256>(weights, values, visible, head_dim, out)) return;
#endif
    attention_values_scalar(weights, values, visible, head_dim, out);
}

}  // namespace detail

// scores: room for `visible` floats.
inline void attend(const float* query, const uint16_t* keys, const uint16_t* values, size_t visible, size_t head_dim,
                   float scale, float* scores, float* out) {
    detail::attention_scores(query, keys, visible, head_dim, scale, scores);
    softmax(scores, visible);
    detail::attention_values(scores, values, visible, head_dim, out);
}

// f32 -> f16 bit patterns (round to nearest even), e.g. keys and values
// into the cache; F16C where the target has it.
inline void convert_to_f16(const float* in, uint16_t* out, size_t n) {
    size_t i = 0;
#if defined(EMBER_KERNELS_AVX2)
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_cvtps_ph(_mm256_loadu_ps(in + i), _MM_FROUND_TO_NEAREST_INT));
#endif
    for (; i < n; ++i) out[i] = f32_to_fp16(in[i]);
}

}  // namespace ember
