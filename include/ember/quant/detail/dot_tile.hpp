#ifndef EMBER_QUANT_DETAIL_DOT_TILE_HPP
#define EMBER_QUANT_DETAIL_DOT_TILE_HPP
// Tiles of dot products for prefill: several weight rows times several
// activation rows at once, so each unpacked weight block is reused across
// tokens and each activation block across rows (register blocking). Prompt
// processing is compute-bound; a row-by-row vec_dot re-unpacks every weight
// block once per token.
//
// out[t * out_stride + r] = dot(weight row r, activation row t)
//
// Micro-kernels (AVX-512 VNNI with VL: 32 vector registers hold the R x T
// accumulators) exist for Q8_0, Q4_0, Q4_K and Q6_K; every other type, and
// targets without VNNI, loop over the type's vec_dot. Integer sums are exact;
// float accumulation order differs from vec_dot by float rounding only.

#include "ember/core/dtype.hpp"
#include "ember/quant/blocks.hpp"
#include "ember/quant/detail/common.hpp"
#include "ember/quant/detail/dot_scalar.hpp"
#include "ember/quant/detail/dot_simd.hpp"

#include <cstddef>
#include <cstdint>

namespace ember::detail {

using dot_tile_function = void (*)(const void* weights, size_t weight_stride, int64_t rows, const void* activations,
                                   size_t activation_stride, int64_t tokens, int64_t n, float* out, size_t out_stride);

// Any type: one vec_dot per (row, token).
template <dot_function Dot>
inline void dot_tile_by_rows(const void* weights, size_t weight_stride, int64_t rows, const void* activations,
                             size_t activation_stride, int64_t tokens, int64_t n, float* out, size_t out_stride) {
    const auto* w = static_cast<const uint8_t*>(weights);
    const auto* a = static_cast<const uint8_t*>(activations);
    for (int64_t r = 0; r < rows; ++r)
        for (int64_t t = 0; t < tokens; ++t)
            out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)] =
                Dot(w + static_cast<size_t>(r) * weight_stride, a + static_cast<size_t>(t) * activation_stride, n);
}

}  // namespace ember::detail
#endif  // EMBER_QUANT_DETAIL_DOT_TILE_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX512)
namespace x86 {

// Four 8-lane int32 vectors -> one 4-lane vector of their horizontal sums.
inline __m128i horizontal_sums_4(__m256i a, __m256i b, __m256i c, __m256i d) {
    const __m256i ab = _mm256_hadd_epi32(a, b), cd = _mm256_hadd_epi32(c, d);
    const __m256i abcd = _mm256_hadd_epi32(ab, cd);  // per half: a b c d partial sums
    return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

inline __m128 horizontal_sums_4(__m256 a, __m256 b, __m256 c, __m256 d) {
    const __m256 ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d);
    const __m256 abcd = _mm256_hadd_ps(ab, cd);
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// Stores the 4 x T float accumulators' horizontal sums.
template <int R, int T>
inline void store_tile(__m256 (&acc)[R][T], float* out, size_t out_stride) {
    static_assert(R == 4, "rows are reduced four at a time");
    for (int t = 0; t < T; ++t)
        _mm_storeu_ps(out + static_cast<size_t>(t) * out_stride, horizontal_sums_4(acc[0][t], acc[1][t], acc[2][t], acc[3][t]));
}

// Q8_0 x Q8_0. vpdpbusd multiplies unsigned by signed bytes: the activations
// are shifted to unsigned (a + 128, an xor of the sign bit) and the weights
// stay signed, so sum a*w = sum (a+128)*w - 128 * sum w; the correction
// -128 * sum w is computed once per weight block and seeds the accumulation.
template <int R, int T>
inline void tile_q8_0(const uint8_t* w, size_t weight_stride, const uint8_t* a, size_t activation_stride,
                      int64_t blocks, float* out, size_t out_stride) {
    __m256 acc[R][T];
    for (auto& row : acc)
        for (auto& v : row) v = _mm256_setzero_ps();
    const __m256i sign_bit = _mm256_set1_epi8(static_cast<char>(0x80));
    for (int64_t b = 0; b < blocks; ++b) {
        __m256i wq[R], correction[R];
        __m256 dx[R];
        for (int r = 0; r < R; ++r) {
            const uint8_t* block = w + static_cast<size_t>(r) * weight_stride + 34 * static_cast<size_t>(b);
            wq[r] = load_256(block + 2);
            correction[r] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_dpbusd_epi32(_mm256_setzero_si256(), sign_bit, wq[r]));
            dx[r] = _mm256_set1_ps(load_half(block));
        }
        for (int t = 0; t < T; ++t) {
            const auto* block = reinterpret_cast<const block_q8_0*>(a + static_cast<size_t>(t) * activation_stride) + b;
            const __m256i shifted = _mm256_xor_si256(load_256(block->qs), sign_bit);
            const __m256 dy = _mm256_set1_ps(half_to_float(block->d));
            for (int r = 0; r < R; ++r) {
                const __m256i sum = _mm256_dpbusd_epi32(correction[r], shifted, wq[r]);
                acc[r][t] = _mm256_fmadd_ps(_mm256_mul_ps(dx[r], dy), _mm256_cvtepi32_ps(sum), acc[r][t]);
            }
        }
    }
    store_tile<R, T>(acc, out, out_stride);
}

// Q4_0 x Q8_0: codes q in 0..15 are the unsigned operand; sum (q-8)*a =
// sum q*a - 8 * sum a, the correction computed once per activation block.
template <int R, int T>
inline void tile_q4_0(const uint8_t* w, size_t weight_stride, const uint8_t* a, size_t activation_stride,
                      int64_t blocks, float* out, size_t out_stride) {
    __m256 acc[R][T];
    for (auto& row : acc)
        for (auto& v : row) v = _mm256_setzero_ps();
    const __m256i eight = _mm256_set1_epi8(8);
    for (int64_t b = 0; b < blocks; ++b) {
        __m256i wq[R];
        __m256 dx[R];
        for (int r = 0; r < R; ++r) {
            const uint8_t* block = w + static_cast<size_t>(r) * weight_stride + 18 * static_cast<size_t>(b);
            wq[r] = unpack_nibbles(block + 2);
            dx[r] = _mm256_set1_ps(load_half(block));
        }
        for (int t = 0; t < T; ++t) {
            const auto* block = reinterpret_cast<const block_q8_0*>(a + static_cast<size_t>(t) * activation_stride) + b;
            const __m256i qy = load_256(block->qs);
            const __m256i correction = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_dpbusd_epi32(_mm256_setzero_si256(), eight, qy));
            const __m256 dy = _mm256_set1_ps(half_to_float(block->d));
            for (int r = 0; r < R; ++r) {
                const __m256i sum = _mm256_dpbusd_epi32(correction, wq[r], qy);
                acc[r][t] = _mm256_fmadd_ps(_mm256_mul_ps(dx[r], dy), _mm256_cvtepi32_ps(sum), acc[r][t]);
            }
        }
    }
    store_tile<R, T>(acc, out, out_stride);
}

// Sub-block scales of one k-quant row block, as int16 pairs broadcast for
// vpdpwssd (which multiplies int16 pairs and accumulates into int32).
inline __m256i scale_pairs(int scale) { return _mm256_set1_epi32(static_cast<int>((static_cast<uint32_t>(scale) & 0xFFFF) * 0x10001u)); }

// Q4_K x Q8_K, R rows x T tokens per super-block: integer sums per (row,
// token) in 8 lanes, reduced 4 rows at a time, then the float scales.
template <int R, int T>
inline void tile_q4_k(const uint8_t* w, size_t weight_stride, const uint8_t* a, size_t activation_stride,
                      int64_t blocks, float* out, size_t out_stride) {
    static_assert(R == 4, "rows are reduced four at a time");
    __m128 acc[T];
    for (auto& v : acc) v = _mm_setzero_ps();
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    for (int64_t b = 0; b < blocks; ++b) {
        const uint8_t* block[R];
        alignas(16) float d[R], dmin[R];
        alignas(32) int16_t mins_16[R][16];  // each min twice: pairs with the 16 bsums
        uint8_t scales[R][8];
        for (int r = 0; r < R; ++r) {
            block[r] = w + static_cast<size_t>(r) * weight_stride + 144 * static_cast<size_t>(b);
            d[r] = load_half(block[r]);
            dmin[r] = load_half(block[r] + 2);
            for (int j = 0; j < 8; ++j) {
                uint8_t min;
                scale_min_k4(j, block[r] + 4, scales[r][j], min);
                mins_16[r][2 * j] = mins_16[r][2 * j + 1] = min;
            }
        }
        __m256i sums[R][T];
        for (auto& row : sums)
            for (auto& v : row) v = _mm256_setzero_si256();
        for (int pair = 0; pair < 4; ++pair) {
            __m256i low[R], high[R];
            for (int r = 0; r < R; ++r) {
                const __m256i packed = load_256(block[r] + 16 + 32 * pair);
                low[r] = _mm256_and_si256(packed, low_mask);
                high[r] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
            }
            for (int t = 0; t < T; ++t) {
                const auto* y = reinterpret_cast<const block_q8_k*>(a + static_cast<size_t>(t) * activation_stride) + b;
                const __m256i y_low = load_256(y->qs + 64 * pair), y_high = load_256(y->qs + 64 * pair + 32);
                for (int r = 0; r < R; ++r) {
                    // q <= 15, |y| <= 127: maddubs pairs fit int16; vpdpwssd applies the scale
                    sums[r][t] = _mm256_dpwssd_epi32(sums[r][t], _mm256_maddubs_epi16(low[r], y_low), scale_pairs(scales[r][2 * pair]));
                    sums[r][t] = _mm256_dpwssd_epi32(sums[r][t], _mm256_maddubs_epi16(high[r], y_high), scale_pairs(scales[r][2 * pair + 1]));
                }
            }
        }
        const __m128 d_rows = _mm_load_ps(d), dmin_rows = _mm_load_ps(dmin);
        for (int t = 0; t < T; ++t) {
            const auto* y = reinterpret_cast<const block_q8_k*>(a + static_cast<size_t>(t) * activation_stride) + b;
            const __m256i bsums = load_256(y->bsums);
            __m256i mins[R];
            for (int r = 0; r < R; ++r)
                mins[r] = _mm256_madd_epi16(bsums, _mm256_load_si256(reinterpret_cast<const __m256i*>(mins_16[r])));
            const __m128 isum = _mm_cvtepi32_ps(horizontal_sums_4(sums[0][t], sums[1][t], sums[2][t], sums[3][t]));
            const __m128 msum = _mm_cvtepi32_ps(horizontal_sums_4(mins[0], mins[1], mins[2], mins[3]));
            const __m128 dy = _mm_set1_ps(y->d);
            acc[t] = _mm_add_ps(acc[t], _mm_mul_ps(dy, _mm_sub_ps(_mm_mul_ps(d_rows, isum), _mm_mul_ps(dmin_rows, msum))));
        }
    }
    for (int t = 0; t < T; ++t) _mm_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

// Q6_K x Q8_K: codes 0..63 stand for q - 32; the -32 comes back through the
// activations' 16-sums: sum_s scale_s * (q . y)_s - 32 * sum_s scale_s * bsum_s.
template <int R, int T>
inline void tile_q6_k(const uint8_t* w, size_t weight_stride, const uint8_t* a, size_t activation_stride,
                      int64_t blocks, float* out, size_t out_stride) {
    static_assert(R == 4, "rows are reduced four at a time");
    __m128 acc[T];
    for (auto& v : acc) v = _mm_setzero_ps();
    const __m256i low_mask = _mm256_set1_epi8(0x0F), two_bits = _mm256_set1_epi8(3);
    for (int64_t b = 0; b < blocks; ++b) {
        const uint8_t* block[R];
        alignas(16) float d[R];
        alignas(32) int16_t scales_16[R][16];
        __m256i scale_vectors[R][8];  // per (half, plane): two sub-blocks' scales, one per 128-bit half
        for (int r = 0; r < R; ++r) {
            block[r] = w + static_cast<size_t>(r) * weight_stride + 210 * static_cast<size_t>(b);
            d[r] = load_half(block[r] + 208);
            for (int s = 0; s < 16; ++s) scales_16[r][s] = as_signed(block[r][192 + s]);
            for (int k = 0; k < 8; ++k) scale_vectors[r][k] = scale_pair(scales_16[r][2 * k], scales_16[r][2 * k + 1]);
        }
        __m256i sums[R][T];
        for (int t = 0; t < T; ++t) {
            // start from the -32 * sum scale*bsum correction
            const auto* y = reinterpret_cast<const block_q8_k*>(a + static_cast<size_t>(t) * activation_stride) + b;
            const __m256i bsums = load_256(y->bsums);
            for (int r = 0; r < R; ++r)
                sums[r][t] = _mm256_slli_epi32(_mm256_sub_epi32(_mm256_setzero_si256(),
                    _mm256_madd_epi16(bsums, _mm256_load_si256(reinterpret_cast<const __m256i*>(scales_16[r])))), 5);
        }
        for (int half = 0; half < 2; ++half) {
            for (int plane = 0; plane < 4; ++plane) {
                __m256i q[R];
                for (int r = 0; r < R; ++r) {
                    const uint8_t* ql = block[r] + 64 * half + 32 * (plane & 1);
                    const __m256i low = plane < 2 ? _mm256_and_si256(load_256(ql), low_mask)
                                                  : _mm256_and_si256(_mm256_srli_epi16(load_256(ql), 4), low_mask);
                    const __m256i qh = load_256(block[r] + 128 + 32 * half);
                    q[r] = _mm256_or_si256(low, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * plane), two_bits), 4));
                }
                for (int t = 0; t < T; ++t) {
                    const auto* y = reinterpret_cast<const block_q8_k*>(a + static_cast<size_t>(t) * activation_stride) + b;
                    const __m256i yq = load_256(y->qs + 128 * half + 32 * plane);
                    for (int r = 0; r < R; ++r)  // q <= 63, |y| <= 127: pairs fit int16
                        sums[r][t] = _mm256_dpwssd_epi32(sums[r][t], _mm256_maddubs_epi16(q[r], yq), scale_vectors[r][4 * half + plane]);
                }
            }
        }
        const __m128 d_rows = _mm_load_ps(d);
        for (int t = 0; t < T; ++t) {
            const auto* y = reinterpret_cast<const block_q8_k*>(a + static_cast<size_t>(t) * activation_stride) + b;
            const __m128 isum = _mm_cvtepi32_ps(horizontal_sums_4(sums[0][t], sums[1][t], sums[2][t], sums[3][t]));
            acc[t] = _mm_add_ps(acc[t], _mm_mul_ps(_mm_mul_ps(d_rows, _mm_set1_ps(y->d)), isum));
        }
    }
    for (int t = 0; t < T; ++t) _mm_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
}

// The micro-kernels as class templates, so the tiling below can take them as
// template-template parameters.
template <int R, int T>
struct q8_0_kernel {
    static void run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t blocks, float* out, size_t os) {
        tile_q8_0<R, T>(w, ws, a, as, blocks, out, os);
    }
};
template <int R, int T>
struct q4_0_kernel {
    static void run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t blocks, float* out, size_t os) {
        tile_q4_0<R, T>(w, ws, a, as, blocks, out, os);
    }
};
template <int R, int T>
struct q4_k_kernel {
    static void run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t blocks, float* out, size_t os) {
        tile_q4_k<R, T>(w, ws, a, as, blocks, out, os);
    }
};
template <int R, int T>
struct q6_k_kernel {
    static void run(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t blocks, float* out, size_t os) {
        tile_q6_k<R, T>(w, ws, a, as, blocks, out, os);
    }
};

// Covers 4 rows x `tokens` with 4 x T micro-tiles, then one narrower micro-tile.
template <template <int, int> class Kernel, int T>
inline void run_tokens(const uint8_t* w, size_t ws, const uint8_t* a, size_t as, int64_t tokens, int64_t blocks,
                       float* out, size_t os) {
    int64_t t = 0;
    for (; t + T <= tokens; t += T)
        Kernel<4, T>::run(w, ws, a + static_cast<size_t>(t) * as, as, blocks, out + static_cast<size_t>(t) * os, os);
    switch (tokens - t) {  // 0 .. T-1 left
        case 3: Kernel<4, 3>::run(w, ws, a + static_cast<size_t>(t) * as, as, blocks, out + static_cast<size_t>(t) * os, os); break;
        case 2: Kernel<4, 2>::run(w, ws, a + static_cast<size_t>(t) * as, as, blocks, out + static_cast<size_t>(t) * os, os); break;
        case 1: Kernel<4, 1>::run(w, ws, a + static_cast<size_t>(t) * as, as, blocks, out + static_cast<size_t>(t) * os, os); break;
        default: break;
    }
}

// Rows in groups of 4 through the micro-kernels, the 0-3 left over through vec_dot.
template <template <int, int> class Kernel, int T, dot_function Dot, int BlockSize>
inline void dot_tile_blocked(const void* weights, size_t weight_stride, int64_t rows, const void* activations,
                             size_t activation_stride, int64_t tokens, int64_t n, float* out, size_t out_stride) {
    const auto* w = static_cast<const uint8_t*>(weights);
    const auto* a = static_cast<const uint8_t*>(activations);
    const int64_t blocks = n / BlockSize;
    int64_t r = 0;
    for (; r + 4 <= rows; r += 4)
        run_tokens<Kernel, T>(w + static_cast<size_t>(r) * weight_stride, weight_stride, a, activation_stride, tokens,
                              blocks, out + r, out_stride);
    if (r < rows)
        dot_tile_by_rows<Dot>(w + static_cast<size_t>(r) * weight_stride, weight_stride, rows - r, activations,
                              activation_stride, tokens, n, out + r, out_stride);
}

}  // namespace x86

inline dot_tile_function dot_tile_function_simd_of(dtype weight_type) {
    switch (weight_type) {
        case dtype::q8_0: return x86::dot_tile_blocked<x86::q8_0_kernel, 4, x86::dot_q8_0_q8_0, 32>;
        case dtype::q4_0: return x86::dot_tile_blocked<x86::q4_0_kernel, 4, x86::dot_q4_0_q8_0, 32>;
        case dtype::q4_k: return x86::dot_tile_blocked<x86::q4_k_kernel, 4, x86::dot_q4_k_q8_k, qk_k>;
        case dtype::q6_k: return x86::dot_tile_blocked<x86::q6_k_kernel, 4, x86::dot_q6_k_q8_k, qk_k>;
        default: return nullptr;
    }
}
#else
inline dot_tile_function dot_tile_function_simd_of(dtype) { return nullptr; }
#endif

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
