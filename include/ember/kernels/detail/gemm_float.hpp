#ifndef EMBER_KERNELS_DETAIL_GEMM_FLOAT_HPP
#define EMBER_KERNELS_DETAIL_GEMM_FLOAT_HPP
// Prefill GEMM for float weights (f16, bf16, f32) in the avx512 tier (16
// weight rows times 16 tokens per micro-kernel) and the avx2 tier (16 rows
// times 6 tokens, see its part below), in f32 FMAs.
//
// Both operands are packed k-major so that a 512-bit vector holds one k for
// 16 rows: the weights per 16-row group into per-thread scratch (converted to
// f32 once, then used by every token), the activations once per matmul in
// tiles of 16 tokens (rounded to f16 / bf16 on the way, as the reference
// rounds them). The micro-kernel then does, per k, one vector load and 16
// FMAs with a broadcast activation — no horizontal sums, 16 accumulators in
// registers, loads well under the FMA rate (AVX-512; AVX2 takes two loads
// and six broadcasts per 12 FMAs). Rounded activations times f16 /
// bf16 weights are exact products in f32, so only the order of additions
// differs from the reference.

#include "ember/kernels/detail/float_dot.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace ember::detail {

enum class activation_rounding { none, f16, bf16 };

inline constexpr size_t float_gemm_block = 16;  // rows per weight group = tokens per activation tile

// Floats the packed activations of n_tokens x columns take.
inline size_t float_gemm_packed_floats(size_t n_tokens, size_t columns) {
    return (n_tokens + float_gemm_block - 1) / float_gemm_block * float_gemm_block * columns;
}

}  // namespace ember::detail
#endif  // EMBER_KERNELS_DETAIL_GEMM_FLOAT_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX512)
inline constexpr bool has_float_gemm = true;
inline constexpr size_t float_gemm_columns = 16;  // columns must be a multiple of this

namespace x86 {

// In place: r[i] lane j <- r[j] lane i. Every step is a two-source
// permute (vpermt2ps): unpack/shuffle intrinsics would do the same, but
// GCC 12 implements them with an undefined pass-through operand that its
// -Wuninitialized flags in sanitizer builds.
inline void transpose_16x16(__m512 (&r)[16]) {
    // lanes: 0-15 pick from the first operand, 16-31 from the second
    const __m512i pairs_low = _mm512_setr_epi32(0, 16, 1, 17, 4, 20, 5, 21, 8, 24, 9, 25, 12, 28, 13, 29);
    const __m512i pairs_high = _mm512_setr_epi32(2, 18, 3, 19, 6, 22, 7, 23, 10, 26, 11, 27, 14, 30, 15, 31);
    const __m512i quads_low = _mm512_setr_epi32(0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29);
    const __m512i quads_high = _mm512_setr_epi32(2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31);
    const __m512i lanes_even = _mm512_setr_epi32(0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
    const __m512i lanes_odd = _mm512_setr_epi32(4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
    __m512 t[16], u[16];
    for (int i = 0; i < 8; ++i) {  // per 128-bit lane L: rows 2i, 2i+1 interleaved, elements 4L, 4L+1 | 4L+2, 4L+3
        t[2 * i] = _mm512_permutex2var_ps(r[2 * i], pairs_low, r[2 * i + 1]);
        t[2 * i + 1] = _mm512_permutex2var_ps(r[2 * i], pairs_high, r[2 * i + 1]);
    }
    // u[4i + j], 128-bit lane L: element 4L + j of rows 4i .. 4i+3
    for (int i = 0; i < 4; ++i) {
        u[4 * i] = _mm512_permutex2var_ps(t[4 * i], quads_low, t[4 * i + 2]);
        u[4 * i + 1] = _mm512_permutex2var_ps(t[4 * i], quads_high, t[4 * i + 2]);
        u[4 * i + 2] = _mm512_permutex2var_ps(t[4 * i + 1], quads_low, t[4 * i + 3]);
        u[4 * i + 3] = _mm512_permutex2var_ps(t[4 * i + 1], quads_high, t[4 * i + 3]);
    }
    for (int j = 0; j < 4; ++j) {
        const __m512 a = _mm512_permutex2var_ps(u[j], lanes_even, u[4 + j]), b = _mm512_permutex2var_ps(u[j], lanes_odd, u[4 + j]);
        const __m512 c = _mm512_permutex2var_ps(u[8 + j], lanes_even, u[12 + j]), d = _mm512_permutex2var_ps(u[8 + j], lanes_odd, u[12 + j]);
        r[j] = _mm512_permutex2var_ps(a, lanes_even, c);
        r[4 + j] = _mm512_permutex2var_ps(b, lanes_even, d);
        r[8 + j] = _mm512_permutex2var_ps(a, lanes_odd, c);
        r[12 + j] = _mm512_permutex2var_ps(b, lanes_odd, d);
    }
}

// 16 consecutive values of a weight row as f32.
inline __m512 load_weights_16(dtype type, const uint8_t* at) {
    switch (type) {
        case dtype::f16: return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at)));
        case dtype::bf16:
            return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(at))), 16));
        default: return _mm512_loadu_ps(reinterpret_cast<const float*>(at));
    }
}

// f32_to_bf16's rounding (nearest even, NaN kept quiet), values kept as f32.
inline __m512 round_bf16_16(__m512 v) {
    const __m512i bits = _mm512_castps_si512(v);
    const __mmask16 is_nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, _mm512_set1_epi32(0x7fffffff)), _mm512_set1_epi32(0x7f800000));
    const __m512i rounded = _mm512_add_epi32(bits, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(_mm512_srli_epi32(bits, 16), _mm512_set1_epi32(1))));
    const __m512i result = _mm512_mask_or_epi32(rounded, is_nan, bits, _mm512_set1_epi32(0x400000));
    return _mm512_castsi512_ps(_mm512_and_si512(result, _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
}

inline __m512 round_16(activation_rounding rounding, __m512 v) {
    switch (rounding) {
        case activation_rounding::f16: return _mm512_cvtph_ps(_mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
        case activation_rounding::bf16: return round_bf16_16(v);
        default: return v;
    }
}

template <int T>
inline void float_gemm_kernel(const float* weights, const float* tokens, size_t columns, int valid_rows, float* out,
                              size_t out_stride) {
    __m512 acc[T];
    for (auto& a : acc) a = _mm512_setzero_ps();
    for (size_t k = 0; k < columns; ++k, weights += 16, tokens += 16) {
        const __m512 w = _mm512_loadu_ps(weights);
        for (int t = 0; t < T; ++t) acc[t] = _mm512_fmadd_ps(w, _mm512_set1_ps(tokens[t]), acc[t]);
    }
    const __mmask16 mask = static_cast<__mmask16>((1u << valid_rows) - 1);
    for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(out + static_cast<size_t>(t) * out_stride, mask, acc[t]);
}

}  // namespace x86

// Packs token tiles [first_tile, last_tile) of x (n_tokens rows of `columns`
// floats, columns % 16 == 0): packed[(tile * columns + k) * 16 + t], tokens
// past n_tokens zero.
inline void float_gemm_pack_tokens(const float* x, size_t n_tokens, size_t columns, activation_rounding rounding,
                                   size_t first_tile, size_t last_tile, float* packed) {
    for (size_t tile = first_tile; tile < last_tile; ++tile) {
        const size_t first_token = tile * 16;
        float* destination = packed + tile * columns * 16;
        for (size_t k = 0; k < columns; k += 16) {
            __m512 v[16];
            for (size_t t = 0; t < 16; ++t)
                v[t] = first_token + t < n_tokens ? x86::round_16(rounding, _mm512_loadu_ps(x + (first_token + t) * columns + k))
                                                  : _mm512_setzero_ps();
            x86::transpose_16x16(v);
            for (int j = 0; j < 16; ++j) _mm512_storeu_ps(destination + (k + static_cast<size_t>(j)) * 16, v[j]);
        }
    }
}

// out[t * out_stride + r] for `rows` (<= 16... any count) weight rows from
// `weights` (rows `weight_stride` bytes apart) and all n_tokens packed
// tokens. scratch: 64 * columns bytes.
inline void float_gemm(dtype type, const uint8_t* weights, size_t weight_stride, size_t rows, const float* packed_tokens,
                       size_t n_tokens, size_t columns, float* out, size_t out_stride, float* scratch) {
    for (size_t first = 0; first < rows; first += 16) {
        const int valid = static_cast<int>(rows - first < 16 ? rows - first : 16);
        const size_t element = type == dtype::f32 ? 4 : 2;
        for (size_t k = 0; k < columns; k += 16) {
            __m512 v[16];
            for (int j = 0; j < 16; ++j)
                v[j] = j < valid ? x86::load_weights_16(type, weights + (first + static_cast<size_t>(j)) * weight_stride + k * element)
                                 : _mm512_setzero_ps();
            x86::transpose_16x16(v);
            for (int j = 0; j < 16; ++j) _mm512_storeu_ps(scratch + (k + static_cast<size_t>(j)) * 16, v[j]);
        }
        for (size_t t = 0; t < n_tokens; t += 16) {
            const float* tile = packed_tokens + t * columns;
            float* o = out + t * out_stride + first;
            switch (n_tokens - t < 16 ? n_tokens - t : 16) {
                case 16: x86::float_gemm_kernel<16>(scratch, tile, columns, valid, o, out_stride); break;
                case 15: x86::float_gemm_kernel<15>(scratch, tile, columns, valid, o, out_stride); break;
                case 14: x86::float_gemm_kernel<14>(scratch, tile, columns, valid, o, out_stride); break;
                case 13: x86::float_gemm_kernel<13>(scratch, tile, columns, valid, o, out_stride); break;
                case 12: x86::float_gemm_kernel<12>(scratch, tile, columns, valid, o, out_stride); break;
                case 11: x86::float_gemm_kernel<11>(scratch, tile, columns, valid, o, out_stride); break;
                case 10: x86::float_gemm_kernel<10>(scratch, tile, columns, valid, o, out_stride); break;
                case 9: x86::float_gemm_kernel<9>(scratch, tile, columns, valid, o, out_stride); break;
                case 8: x86::float_gemm_kernel<8>(scratch, tile, columns, valid, o, out_stride); break;
                case 7: x86::float_gemm_kernel<7>(scratch, tile, columns, valid, o, out_stride); break;
                case 6: x86::float_gemm_kernel<6>(scratch, tile, columns, valid, o, out_stride); break;
                case 5: x86::float_gemm_kernel<5>(scratch, tile, columns, valid, o, out_stride); break;
                case 4: x86::float_gemm_kernel<4>(scratch, tile, columns, valid, o, out_stride); break;
                case 3: x86::float_gemm_kernel<3>(scratch, tile, columns, valid, o, out_stride); break;
                case 2: x86::float_gemm_kernel<2>(scratch, tile, columns, valid, o, out_stride); break;
                default: x86::float_gemm_kernel<1>(scratch, tile, columns, valid, o, out_stride); break;
            }
        }
    }
}

#elif defined(EMBER_TIER_AVX2)
// AVX2: each product summed exactly as the tier's decode dot product sums it
// (float_dot.hpp's dot_tokens / dot_bf16_tokens: 8-lane FMA chains, chain c
// taking the row's 8-element blocks c, c + C, c + 2C, ... (C = 4; 2 for
// bf16; f32/f16 put the leftover blocks into chain 0), then (0 + 1) +
// (2 + 3), the lanes, the scalar tail), so a prompt's logits equal
// token-by-token decoding's bit for bit, as they did with the dot products.
// (A GEMM that sums in the order of k, as the AVX-512 one does, puts
// test_context's prefill-vs-decode difference at 0.00103 on this tier,
// over its bound of 1e-4 of the largest logit.) What changes is the
// blocking: 4 weight rows x 3 tokens per micro-kernel, 12 accumulators,
// 7 loads per 12 FMAs from f32 weights converted once, where the dot
// products take 4 loads and an F16C conversion per 3 FMAs.
//
// Both operands are laid out so that each chain reads one contiguous
// segment: within a row, the 8-element blocks are reordered chain by chain
// (the same order for weights and activations, so the same pairs meet). The
// weights are converted to f32 in that order per 16-row group in per-thread
// scratch; the activations once per matmul (rounded to f16 / bf16 as the
// reference rounds them). Per batch of 12 tokens, the micro-kernel runs one
// chain after the other over its segment, the chains' sums wait on the
// stack, then are added as the dot product adds them.
inline constexpr bool has_float_gemm = true;
inline constexpr size_t float_gemm_columns = 8;  // columns must be a multiple of this

namespace x86 {

// Where the dot product's chains lie in a reordered row of `columns`
// (a multiple of 8) values: chain c over [start[c], start[c] + length[c]),
// then the elements from `tail` on one scalar FMA each, in place.
struct chain_plan {
    int chains = 4;
    size_t start[4] = {}, length[4] = {}, tail = 0;
    size_t body_blocks = 0, leftover_blocks = 0;

    chain_plan(activation_rounding rounding, size_t columns) {
        // f32 / f16: 4 chains over 32-element steps, the leftover 8-element
        // steps into chain 0; bf16: 2 chains over 16-element steps.
        chains = rounding == activation_rounding::bf16 ? 2 : 4;
        const size_t step = 8 * static_cast<size_t>(chains);
        body_blocks = columns / step * static_cast<size_t>(chains);
        leftover_blocks = chains == 4 ? (columns - columns / step * step) / 8 : 0;
        const size_t per_chain = 8 * (body_blocks / static_cast<size_t>(chains));
        start[0] = 0, length[0] = per_chain + 8 * leftover_blocks;
        for (int c = 1; c < chains; ++c) start[c] = start[c - 1] + length[c - 1], length[c] = per_chain;
        tail = 8 * (body_blocks + leftover_blocks);
    }
    // f(from, to) for each 8-element block of a row: its element index
    // before and after reordering (no divisions: this runs per block).
    template <class F>
    void for_blocks(size_t columns, const F& f) const {
        const size_t c_count = static_cast<size_t>(chains), per_chain = body_blocks / c_count;
        for (size_t j = 0; j < per_chain; ++j)
            for (size_t c = 0; c < c_count; ++c) f(8 * (j * c_count + c), start[c] + 8 * j);
        for (size_t b = body_blocks; b < body_blocks + leftover_blocks; ++b) f(8 * b, 8 * (per_chain + b - body_blocks));  // chain 0, after its body
        for (size_t b = body_blocks + leftover_blocks; b < columns / 8; ++b) f(8 * b, 8 * b);  // scalar tail: in place
    }
};

// 8 consecutive values of a weight row as f32.
inline __m256 load_weights_8(dtype type, const uint8_t* at) {
    switch (type) {
        case dtype::f16: return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at)));
        case dtype::bf16: return widen_bf16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at)));
        default: return _mm256_loadu_ps(reinterpret_cast<const float*>(at));
    }
}

// f32_to_bf16's rounding (nearest even, NaN kept quiet), values kept as f32.
inline __m256 round_bf16_8(__m256 v) {
    const __m256i bits = _mm256_castps_si256(v);
    const __m256i is_nan = _mm256_cmpgt_epi32(_mm256_and_si256(bits, _mm256_set1_epi32(0x7fffffff)), _mm256_set1_epi32(0x7f800000));
    const __m256i rounded =
        _mm256_add_epi32(bits, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1))));
    const __m256i result = _mm256_blendv_epi8(rounded, _mm256_or_si256(bits, _mm256_set1_epi32(0x400000)), is_nan);
    return _mm256_castsi256_ps(_mm256_and_si256(result, _mm256_set1_epi32(static_cast<int>(0xffff0000u))));
}

inline __m256 round_8(activation_rounding rounding, __m256 v) {
    switch (rounding) {
        case activation_rounding::f16: return _mm256_cvtph_ps(_mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
        case activation_rounding::bf16: return round_bf16_8(v);
        default: return v;
    }
}

// One chain over its segment: sums[t * token_stride + r] = Σ w[r] · x[t] in 8 lanes, for
// 4 reordered weight rows and T reordered token rows (`columns` floats apart),
// `weights` and `tokens` at the segment's start.
template <int T>
inline void float_gemm_chain(const float* weights, const float* tokens, size_t length, size_t columns, __m256* sums,
                             size_t token_stride) {
    __m256 acc[4][T];
    for (auto& row : acc)
        for (auto& a : row) a = _mm256_setzero_ps();
    for (size_t i = 0; i < length; i += 8) {
        __m256 xv[T];
        for (int t = 0; t < T; ++t) xv[t] = _mm256_loadu_ps(tokens + static_cast<size_t>(t) * columns + i);
        for (int r = 0; r < 4; ++r) {
            const __m256 wv = _mm256_loadu_ps(weights + static_cast<size_t>(r) * columns + i);
            for (int t = 0; t < T; ++t) acc[r][t] = _mm256_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int t = 0; t < T; ++t)
        for (int r = 0; r < 4; ++r) sums[static_cast<size_t>(t) * token_stride + static_cast<size_t>(r)] = acc[r][t];
}

// Weight rows per group (reordered in scratch) and tokens per batch: the
// chain sums of a batch (C x 16 x 12 vectors, 24 KB on the stack) wait
// there until all chains are done.
inline constexpr size_t float_gemm_rows_per_group = 16;
inline constexpr size_t float_gemm_batch = 12;

// out[t * out_stride + r] for r < valid_rows (<= 16), t < n_tokens: 16
// reordered weight rows (zeros past valid_rows, to a multiple of 4), n_tokens
// reordered token rows. Per batch of tokens, chain by chain: a chain's
// segment of the 16 rows (16 * columns bytes) stays in L1 while the batch's
// tokens pass, and each 3 tokens' segment while 4 row blocks use it; then
// the chains' sums added as the dot product adds them.
template <int C>
inline void float_gemm_group(const float* weights, const float* tokens, size_t n_tokens, size_t columns, const chain_plan& plan,
                             int valid_rows, float* out, size_t out_stride) {
    constexpr size_t group = float_gemm_rows_per_group, batch = float_gemm_batch;
    const size_t row_blocks = (static_cast<size_t>(valid_rows) + 3) / 4;
    __m256 sums[C][batch * group];
    for (size_t first = 0; first < n_tokens; first += batch) {
        const size_t count = std::min(batch, n_tokens - first);
        for (int c = 0; c < C; ++c) {
            for (size_t t = 0; t < count; t += 3) {
                const float* x = tokens + (first + t) * columns + plan.start[c];
                for (size_t block = 0; block < row_blocks; ++block) {
                    const float* w = weights + 4 * block * columns + plan.start[c];
                    __m256* into = sums[c] + t * group + 4 * block;
                    switch (count - t < 3 ? count - t : 3) {
                        case 3: float_gemm_chain<3>(w, x, plan.length[c], columns, into, group); break;
                        case 2: float_gemm_chain<2>(w, x, plan.length[c], columns, into, group); break;
                        default: float_gemm_chain<1>(w, x, plan.length[c], columns, into, group); break;
                    }
                }
            }
        }
        for (size_t t = 0; t < count; ++t)
            for (int r = 0; r < valid_rows; ++r) {
                const size_t at = t * group + static_cast<size_t>(r);
                __m256 v;
                if constexpr (C == 4)
                    v = _mm256_add_ps(_mm256_add_ps(sums[0][at], sums[1][at]), _mm256_add_ps(sums[2][at], sums[3][at]));
                else
                    v = _mm256_add_ps(sums[0][at], sums[1][at]);
                float sum = sum_lanes(v);
                const float* w = weights + static_cast<size_t>(r) * columns;
                const float* x = tokens + (first + t) * columns;
                for (size_t j = plan.tail; j < columns; ++j) sum = fma_scalar(w[j], x[j], sum);
                out[(first + t) * out_stride + static_cast<size_t>(r)] = sum;
            }
    }
}

}  // namespace x86

// Reorders (and rounds) tokens [16 * first_tile, 16 * last_tile) of x
// (n_tokens rows of `columns` floats, columns % 8 == 0) into packed, row
// by row (packed[t * columns + destination]).
inline void float_gemm_pack_tokens(const float* x, size_t n_tokens, size_t columns, activation_rounding rounding,
                                   size_t first_tile, size_t last_tile, float* packed) {
    const x86::chain_plan plan(rounding, columns);
    const size_t last = std::min(n_tokens, last_tile * float_gemm_block);
    for (size_t t = first_tile * float_gemm_block; t < last; ++t) {
        const float* in = x + t * columns;
        float* row = packed + t * columns;
        plan.for_blocks(columns, [&](size_t from, size_t to) { _mm256_storeu_ps(row + to, x86::round_8(rounding, _mm256_loadu_ps(in + from))); });
    }
}

// out[t * out_stride + r] for `rows` (any count) weight rows from `weights`
// (rows `weight_stride` bytes apart) and all n_tokens packed tokens.
// scratch: 64 * columns bytes (16 reordered f32 rows).
inline void float_gemm(dtype type, const uint8_t* weights, size_t weight_stride, size_t rows, const float* packed_tokens,
                       size_t n_tokens, size_t columns, float* out, size_t out_stride, float* scratch) {
    const activation_rounding rounding = type == dtype::f16    ? activation_rounding::f16
                                         : type == dtype::bf16 ? activation_rounding::bf16
                                                               : activation_rounding::none;
    const x86::chain_plan plan(rounding, columns);
    constexpr size_t group = x86::float_gemm_rows_per_group;
    for (size_t first = 0; first < rows; first += group) {
        const int valid = static_cast<int>(rows - first < group ? rows - first : group);
        const size_t padded = (static_cast<size_t>(valid) + 3) / 4 * 4;  // whole row blocks, zeros past valid
        for (size_t r = 0; r < padded; ++r) {
            float* row = scratch + r * columns;
            if (static_cast<int>(r) >= valid) {
                for (size_t i = 0; i < columns; i += 8) _mm256_storeu_ps(row + i, _mm256_setzero_ps());
                continue;
            }
            const uint8_t* in = weights + (first + r) * weight_stride;
            if (type == dtype::f16)
                plan.for_blocks(columns, [&](size_t from, size_t to) { _mm256_storeu_ps(row + to, x86::load_weights_8(dtype::f16, in + 2 * from)); });
            else if (type == dtype::bf16)
                plan.for_blocks(columns, [&](size_t from, size_t to) { _mm256_storeu_ps(row + to, x86::load_weights_8(dtype::bf16, in + 2 * from)); });
            else
                plan.for_blocks(columns, [&](size_t from, size_t to) { _mm256_storeu_ps(row + to, x86::load_weights_8(dtype::f32, in + 4 * from)); });
        }
        if (plan.chains == 2)
            x86::float_gemm_group<2>(scratch, packed_tokens, n_tokens, columns, plan, valid, out + first, out_stride);
        else
            x86::float_gemm_group<4>(scratch, packed_tokens, n_tokens, columns, plan, valid, out + first, out_stride);
    }
}

#else
inline constexpr bool has_float_gemm = false;
#endif

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
