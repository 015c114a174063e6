#ifndef EMBER_QUANT_DETAIL_DOT_SIMD_HPP
#define EMBER_QUANT_DETAIL_DOT_SIMD_HPP
// SIMD dot products per ISA tier (x86: AVX2+FMA+F16C in the avx2 tier, with
// AVX-512 VNNI's 256-bit forms in the avx512 tier); this header is included
// once per tier by quant/detail/tiers.hpp (see core/detail/tier_target.hpp).
// Raw intrinsics: xsimd has no 8-bit multiply-accumulate (maddubs / dpbusd).
//
// Integer sums are exact, as in the scalar versions; the float accumulation
// runs over 8 lanes with FMA, so results differ from the scalar ones by float
// rounding only (tested). Types without a SIMD version here use the scalar
// one (vec_dot_function_simd_of returns nullptr); on x86 with AVX2 every
// type has one.
//
// Why 256-bit even with AVX-512: Zen 4 executes 512-bit integer ops as two
// 256-bit halves, and a 32-element block is exactly one 256-bit register, so
// the VNNI path uses the 256-bit EVEX form (AVX512VL) of vpdpbusd.

#include "ember/core/dtype.hpp"
#include "ember/quant/blocks.hpp"
#include "ember/quant/detail/common.hpp"

#include "ember/core/detail/tier_target.hpp"
#include "ember/quant/portable.hpp"

#include <cstdint>

namespace ember::detail {
using dot_function = float (*)(const void* weight_row, const void* activation, int64_t n);
}  // namespace ember::detail
#endif  // EMBER_QUANT_DETAIL_DOT_SIMD_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX2)
namespace x86 {

// fp16 -> f32 in hardware: the same value as fp16_to_f32 (NaNs come back quiet).
inline float half_to_float(uint16_t half) { return _cvtsh_ss(half); }
inline float load_half(const uint8_t* bytes) { return _cvtsh_ss(load_u16(bytes)); }

inline __m256i load_256(const void* bytes) { return _mm256_loadu_si256(static_cast<const __m256i*>(bytes)); }
inline __m128i load_128(const void* bytes) { return _mm_loadu_si128(static_cast<const __m128i*>(bytes)); }

inline float horizontal_sum(__m256 v) {
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
    return _mm_cvtss_f32(sum);
}

inline int horizontal_sum(__m256i v) {
    __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(1, 0, 3, 2)));
    sum = _mm_add_epi32(sum, _mm_shuffle_epi32(sum, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(sum);
}

// 16 bytes of packed nibbles -> 32 bytes: low nibbles (elements 0..15), then
// high nibbles (16..31), the legacy formats' element order.
inline __m256i unpack_nibbles(const uint8_t* bytes) {
    const __m128i packed = load_128(bytes);
    const __m128i low = _mm_and_si128(packed, _mm_set1_epi8(0x0F));
    const __m128i high = _mm_and_si128(_mm_srli_epi16(packed, 4), _mm_set1_epi8(0x0F));
    return _mm256_set_m128i(high, low);
}

// Sum over groups of 4 of unsigned a[i] * signed b[i] into 8 int32 lanes
// (a <= 255 holds, no saturation as long as a*b pairs fit int16, which every
// caller's ranges guarantee: a <= 128, |b| <= 128).
inline __m256i dot_u8_s8(__m256i a, __m256i b) {
#if defined(EMBER_TIER_AVX512)
    return _mm256_dpbusd_epi32(_mm256_setzero_si256(), a, b);
#else
    return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
#endif
}

// Sum over groups of 4 of signed a[i] * signed b[i]: maddubs needs an
// unsigned operand, so move a's sign onto b (|a| fits u8 even for -128).
inline __m256i dot_s8_s8(__m256i a, __m256i b) {
    return dot_u8_s8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

// ---- legacy formats ------------------------------------------------------------------

inline float dot_q8_0_q8_0(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_0*>(activation);
    const int64_t blocks = n / 32;
    __m256 acc_0 = _mm256_setzero_ps(), acc_1 = _mm256_setzero_ps();
    int64_t b = 0;
    // two independent accumulators keep two blocks' FMAs in flight
    for (; b + 1 < blocks; b += 2, x += 68, y += 2) {
        const __m256i dot_0 = dot_s8_s8(load_256(x + 2), load_256(y[0].qs));
        const __m256i dot_1 = dot_s8_s8(load_256(x + 36), load_256(y[1].qs));
        acc_0 = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x) * half_to_float(y[0].d)), _mm256_cvtepi32_ps(dot_0), acc_0);
        acc_1 = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x + 34) * half_to_float(y[1].d)), _mm256_cvtepi32_ps(dot_1),
                                acc_1);
    }
    for (; b < blocks; ++b, x += 34, ++y) {
        const __m256i dot = dot_s8_s8(load_256(x + 2), load_256(y->qs));
        acc_0 = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x) * half_to_float(y->d)), _mm256_cvtepi32_ps(dot), acc_0);
    }
    return horizontal_sum(_mm256_add_ps(acc_0, acc_1));
}

inline float dot_q4_0_q8_0(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_0*>(activation);
    const int64_t blocks = n / 32;
    __m256 acc_0 = _mm256_setzero_ps(), acc_1 = _mm256_setzero_ps();
    // sum (q - 8) * y = sum q*y - 8 * sum y: q is unsigned, so no sign trick
    const __m256i eight = _mm256_set1_epi8(8);
    auto block_dot = [&](const uint8_t* block, const block_q8_0& a) {
        const __m256i qy = load_256(a.qs);
        return _mm256_sub_epi32(dot_u8_s8(unpack_nibbles(block + 2), qy), dot_u8_s8(eight, qy));
    };
    int64_t b = 0;
    for (; b + 1 < blocks; b += 2, x += 36, y += 2) {
        const __m256i dot_0 = block_dot(x, y[0]);
        const __m256i dot_1 = block_dot(x + 18, y[1]);
        acc_0 = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x) * half_to_float(y[0].d)), _mm256_cvtepi32_ps(dot_0), acc_0);
        acc_1 = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x + 18) * half_to_float(y[1].d)), _mm256_cvtepi32_ps(dot_1),
                                acc_1);
    }
    for (; b < blocks; ++b, x += 18, ++y) {
        const __m256i dot = block_dot(x, *y);
        acc_0 = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x) * half_to_float(y->d)), _mm256_cvtepi32_ps(dot), acc_0);
    }
    return horizontal_sum(_mm256_add_ps(acc_0, acc_1));
}

// Q5_0's and Q5_1's fifth bits: bit i of the 32-bit word -> 0x10 in byte i.
inline __m256i fifth_bits(uint32_t bits) {
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(static_cast<int>(bits)),
        _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
    const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

// Q4_1 / Q5_1 x Q8_1: sum q*y (q unsigned) scaled by dx*dy, plus the min
// times the activations' precomputed d*sum(y).
inline float dot_q4_1_q8_1(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_1*>(activation);
    __m256 acc = _mm256_setzero_ps();
    float acc_min = 0;
    for (int64_t b = 0; b < n / 32; ++b, x += 20, ++y) {
        const __m256i dot = dot_u8_s8(unpack_nibbles(x + 4), load_256(y->qs));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x) * half_to_float(y->d)), _mm256_cvtepi32_ps(dot), acc);
        acc_min += load_half(x + 2) * half_to_float(y->s);
    }
    return horizontal_sum(acc) + acc_min;
}

inline float dot_q5_1_q8_1(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_1*>(activation);
    __m256 acc = _mm256_setzero_ps();
    float acc_min = 0;
    for (int64_t b = 0; b < n / 32; ++b, x += 24, ++y) {
        const __m256i q = _mm256_or_si256(unpack_nibbles(x + 8), fifth_bits(load_u32(x + 4)));
        const __m256i dot = dot_u8_s8(q, load_256(y->qs));  // q <= 31: maddubs pairs fit int16
        acc = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x) * half_to_float(y->d)), _mm256_cvtepi32_ps(dot), acc);
        acc_min += load_half(x + 2) * half_to_float(y->s);
    }
    return horizontal_sum(acc) + acc_min;
}

// Q5_0: sum (q - 16) * y = sum q*y - 16 * sum y.
inline float dot_q5_0_q8_0(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_0*>(activation);
    const __m256i sixteen = _mm256_set1_epi8(16);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / 32; ++b, x += 22, ++y) {
        const __m256i q = _mm256_or_si256(unpack_nibbles(x + 6), fifth_bits(load_u32(x + 2)));
        const __m256i qy = load_256(y->qs);
        const __m256i dot = _mm256_sub_epi32(dot_u8_s8(q, qy), dot_u8_s8(sixteen, qy));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x) * half_to_float(y->d)), _mm256_cvtepi32_ps(dot), acc);
    }
    return horizontal_sum(acc);
}

// Two 16-element sub-blocks in one 32-byte register, one per 128-bit half:
// their int16 scales, broadcast per half, for madd.
inline __m256i scale_pair(int first, int second) {
    return _mm256_set_m128i(_mm_set1_epi16(static_cast<short>(second)), _mm_set1_epi16(static_cast<short>(first)));
}

// ---- k-quants ---------------------------------------------------------------------------

// Q4_K: per super-block, sum_j scale_j * (q . y)_j over 8 sub-blocks of 32
// in int32 lanes (maddubs: q <= 15 times |y| <= 127, pairs fit int16; madd
// with the scale widens), minus the mins through the activations' 16-sums.
inline float dot_q4_k_q8_k(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_k*>(activation);
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    float acc_mins = 0;
    for (int64_t b = 0; b < n / qk_k; ++b, x += 144, ++y) {
        uint8_t scales[8], mins[8];
        for (int j = 0; j < 8; ++j) scale_min_k4(j, x + 4, scales[j], mins[j]);
        // mins: sum_j min_j * (bsum_2j + bsum_2j+1), as int16 pairs -> int32
        const __m256i mins_16 = _mm256_cvtepu8_epi16(
            _mm_shuffle_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mins)),
                             _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)));
        const int sum_mins = horizontal_sum(_mm256_madd_epi16(load_256(y->bsums), mins_16));

        const uint8_t* q4 = x + 16;
        const int8_t* q8 = y->qs;
        __m256i sumi = _mm256_setzero_si256();
        for (int pair = 0; pair < 4; ++pair, q4 += 32, q8 += 64) {
            const __m256i packed = load_256(q4);
            const __m256i low = _mm256_and_si256(packed, low_mask);
            const __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
            const __m256i dot_low = _mm256_madd_epi16(_mm256_maddubs_epi16(low, load_256(q8)),
                                                      _mm256_set1_epi16(scales[2 * pair]));
            const __m256i dot_high = _mm256_madd_epi16(_mm256_maddubs_epi16(high, load_256(q8 + 32)),
                                                       _mm256_set1_epi16(scales[2 * pair + 1]));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(dot_low, dot_high));
        }
        const float d = load_half(x) * y->d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
        acc_mins += load_half(x + 2) * y->d * static_cast<float>(sum_mins);
    }
    return horizontal_sum(acc) - acc_mins;
}

// One half (128 values) of a Q6_K block as four runs of 32 unsigned 6-bit
// codes (value + 32): low 4 bits from ql, high 2 bits from qh.
inline void q6_k_codes(const uint8_t* ql, __m256i qh, __m256i (&q)[4]) {
    const __m256i low_mask = _mm256_set1_epi8(0x0F), two_bits = _mm256_set1_epi8(0x03);
    const __m256i ql_0 = load_256(ql), ql_1 = load_256(ql + 32);
    q[0] = _mm256_or_si256(_mm256_and_si256(ql_0, low_mask), _mm256_slli_epi16(_mm256_and_si256(qh, two_bits), 4));
    q[1] = _mm256_or_si256(_mm256_and_si256(ql_1, low_mask),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), two_bits), 4));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql_0, 4), low_mask),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), two_bits), 4));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql_1, 4), low_mask),
                           _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), two_bits), 4));
}

// Q6_K: codes 0..63 stand for q - 32. sum_s scale_s * (q - 32) . y over 16
// sub-blocks of 16 = sum_s scale_s * (q . y)_s - 32 * sum_s scale_s * bsum_s,
// the correction coming from the activations' 16-sums. A 32-byte register
// holds two sub-blocks, one per 128-bit half, so the scales go in per half.
inline float dot_q6_k_q8_k(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_k*>(activation);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / qk_k; ++b, x += 210, ++y) {
        const auto* scales = reinterpret_cast<const int8_t*>(x + 192);
        const __m256i scales_16 = _mm256_cvtepi8_epi16(load_128(scales));
        const __m256i correction = _mm256_madd_epi16(load_256(y->bsums), scales_16);  // sum scale_s * bsum_s
        __m256i sumi = _mm256_setzero_si256();
        const int8_t* q8 = y->qs;
        for (int half = 0; half < 2; ++half) {
            const uint8_t* ql = x + 64 * half;
            const __m256i qh = load_256(x + 128 + 32 * half);
            __m256i q[4];
            q6_k_codes(ql, qh, q);
            for (int k = 0; k < 4; ++k, q8 += 32) {
                const int sub = 8 * half + 2 * k;
                const __m256i scale = _mm256_set_m128i(_mm_set1_epi16(scales[sub + 1]), _mm_set1_epi16(scales[sub]));
                // q <= 63, |y| <= 127: pairs fit int16
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(q[k], load_256(q8)), scale));
            }
        }
        sumi = _mm256_sub_epi32(sumi, _mm256_slli_epi32(correction, 5));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x + 208) * y->d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return horizontal_sum(acc);
}

// Q2_K: 2-bit codes, 16 sub-blocks of 16 with 4-bit scale and 4-bit min.
inline float dot_q2_k_q8_k(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_k*>(activation);
    const __m256i three = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / qk_k; ++b, x += 84, ++y) {
        const uint8_t* scales = x;
        // the mins' lane sums enter the accumulator first, as the reference's
        // do (its float rounding order, so results agree bit for bit)
        const __m256i mins_16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(load_128(scales), 4), _mm_set1_epi8(0x0F)));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(-y->d * load_half(x + 82)),
                              _mm256_cvtepi32_ps(_mm256_madd_epi16(mins_16, load_256(y->bsums))), acc);
        __m256i sumi = _mm256_setzero_si256();
        const int8_t* q8 = y->qs;
        for (int half = 0; half < 2; ++half) {
            const __m256i q = load_256(x + 16 + 32 * half);
            for (int plane = 0; plane < 4; ++plane, q8 += 32) {
                const int sub = 8 * half + 2 * plane;
                const __m256i codes = _mm256_and_si256(_mm256_srli_epi16(q, 2 * plane), three);
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(codes, load_256(q8)),
                                                                scale_pair(scales[sub] & 0xF, scales[sub + 1] & 0xF)));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(y->d * load_half(x + 80)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return horizontal_sum(acc);
}

// Q3_K: value = u - 4 with u = 2-bit code | (high bit << 2) in 0..7, so
// sum_s scale_s * (u - 4) . y = sum_s scale_s * (u . y)_s - 4 * sum_s scale_s * bsum_s.
inline float dot_q3_k_q8_k(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_k*>(activation);
    const __m256i three = _mm256_set1_epi8(3), four = _mm256_set1_epi8(4);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < n / qk_k; ++b, x += 110, ++y) {
        alignas(32) int16_t scales[16];
        for (int sub = 0; sub < 16; ++sub) scales[sub] = static_cast<int16_t>(scale_q3_k(sub, x + 96));
        const __m256i correction =
            _mm256_madd_epi16(load_256(y->bsums), _mm256_load_si256(reinterpret_cast<const __m256i*>(scales)));
        const __m256i hmask = load_256(x);
        __m256i sumi = _mm256_setzero_si256();
        const int8_t* q8 = y->qs;
        for (int half = 0; half < 2; ++half) {
            const __m256i q = load_256(x + 32 + 32 * half);
            for (int plane = 0; plane < 4; ++plane, q8 += 32) {
                const __m256i bit = _mm256_set1_epi8(static_cast<char>(1 << (4 * half + plane)));
                const __m256i high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hmask, bit), bit), four);
                const __m256i codes = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(q, 2 * plane), three), high);
                const int sub = 8 * half + 2 * plane;
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(_mm256_maddubs_epi16(codes, load_256(q8)),
                                                                scale_pair(scales[sub], scales[sub + 1])));
            }
        }
        sumi = _mm256_sub_epi32(sumi, _mm256_slli_epi32(correction, 2));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x + 108) * y->d), _mm256_cvtepi32_ps(sumi), acc);
    }
    return horizontal_sum(acc);
}

// Q5_K: Q4_K plus a fifth bit (sub-block s: bit s of qh[l]); codes <= 31.
inline float dot_q5_k_q8_k(const void* weight_row, const void* activation, int64_t n) {
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_k*>(activation);
    const __m256i low_mask = _mm256_set1_epi8(0x0F), sixteen = _mm256_set1_epi8(16);
    __m256 acc = _mm256_setzero_ps();
    float acc_mins = 0;
    for (int64_t b = 0; b < n / qk_k; ++b, x += 176, ++y) {
        uint8_t scales[8], mins[8];
        for (int j = 0; j < 8; ++j) scale_min_k4(j, x + 4, scales[j], mins[j]);
        const __m256i mins_16 = _mm256_cvtepu8_epi16(
            _mm_shuffle_epi8(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(mins)),
                             _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)));
        const int sum_mins = horizontal_sum(_mm256_madd_epi16(load_256(y->bsums), mins_16));
        const __m256i qh = load_256(x + 16);
        const uint8_t* q5 = x + 48;
        const int8_t* q8 = y->qs;
        __m256i sumi = _mm256_setzero_si256();
        for (int pair = 0; pair < 4; ++pair, q5 += 32, q8 += 64) {
            const __m256i packed = load_256(q5);
            const __m256i bit_low = _mm256_set1_epi8(static_cast<char>(1 << (2 * pair)));
            const __m256i bit_high = _mm256_set1_epi8(static_cast<char>(2 << (2 * pair)));
            const __m256i low = _mm256_or_si256(_mm256_and_si256(packed, low_mask),
                _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_low), bit_low), sixteen));
            const __m256i high = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask),
                _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_high), bit_high), sixteen));
            const __m256i dot_low = _mm256_madd_epi16(_mm256_maddubs_epi16(low, load_256(q8)),
                                                      _mm256_set1_epi16(scales[2 * pair]));
            const __m256i dot_high = _mm256_madd_epi16(_mm256_maddubs_epi16(high, load_256(q8 + 32)),
                                                       _mm256_set1_epi16(scales[2 * pair + 1]));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(dot_low, dot_high));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(load_half(x) * y->d), _mm256_cvtepi32_ps(sumi), acc);
        acc_mins += load_half(x + 2) * y->d * static_cast<float>(sum_mins);
    }
    return horizontal_sum(acc) - acc_mins;
}

}  // namespace x86

inline dot_function vec_dot_function_simd_of(dtype weight_type) {
    switch (weight_type) {
        case dtype::q8_0: return x86::dot_q8_0_q8_0;
        case dtype::q4_0: return x86::dot_q4_0_q8_0;
        case dtype::q4_1: return x86::dot_q4_1_q8_1;
        case dtype::q5_0: return x86::dot_q5_0_q8_0;
        case dtype::q5_1: return x86::dot_q5_1_q8_1;
        case dtype::q2_k: return x86::dot_q2_k_q8_k;
        case dtype::q3_k: return x86::dot_q3_k_q8_k;
        case dtype::q4_k: return x86::dot_q4_k_q8_k;
        case dtype::q5_k: return x86::dot_q5_k_q8_k;
        case dtype::q6_k: return x86::dot_q6_k_q8_k;
        default: return nullptr;
    }
}

#else  // no SIMD version in this tier

inline dot_function vec_dot_function_simd_of(dtype) { return nullptr; }

#endif

// This tier's dot product of a type: the SIMD one, else the portable one.
inline vec_dot_function tier_vec_dot_of(dtype type) {
    if (const vec_dot_function simd = vec_dot_function_simd_of(type)) return simd;
    return vec_dot_function_scalar_of(type);
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
