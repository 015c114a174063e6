#ifndef EMBER_QUANT_DETAIL_GEMV_VNNI_HPP
#define EMBER_QUANT_DETAIL_GEMV_VNNI_HPP
// Decode GEMV for quantized weights on AVX-512 VNNI (256-bit forms): a run
// of weight rows times one activation row, the shape of every product when
// generating a token.
//
// Decoding is bound by memory bandwidth only if the dot products keep up
// with it: with two cores streaming ~30 GB/s, each must consume ~15 GB/s of
// weights while also waiting on memory. The per-row vec_dot functions spend
// too many instructions per byte for that on the 4- and 5-bit formats, so
// these take the activation prepared once per matmul and work on many rows
// per call:
//  - Q8_0 / Q4_0 / Q5_0 read the activation as gemm_pack_activation's
//    records (quants, f32 scale, -128·Σa): the weights' zero point (w + 128,
//    q - 8, q - 16) becomes one integer added to the first lane of the
//    accumulator instead of a second multiply; the activation scale is
//    already f32. Where the CPU has byte permutes (VBMI), Q4_0 takes four
//    blocks per step instead, from an activation laid out for that
//    (pack_block_groups).
//  - Q4_K / Q6_K read plain Q8_K blocks; sub-block scales multiply in the
//    integer pipeline (vpdpwssd), are unpacked with vector ops, and the mins
//    accumulate as a vector (one horizontal sum per row, not per block).
// Integer sums are exact; float sums run in a different order than the
// reference's, which changes results by float rounding only.

#include "ember/core/dtype.hpp"
#include "ember/quant/blocks.hpp"
#include "ember/quant/detail/common.hpp"
#include "ember/quant/detail/dot_simd.hpp"
#include "ember/core/detail/tier_target.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ember::detail {

// weights: `rows` rows `stride` bytes apart; activation: see above; out[r].
using gemv_function = void (*)(const uint8_t* weights, size_t stride, int64_t rows, const uint8_t* activation, int64_t n,
                               float* out);

// The form of the activation a GEMV reads (prepare_decode in matmul builds it
// from the quantized activation).
enum class gemv_input {
    quantized,    // the Q8_0 / Q8_K blocks themselves
    records,      // gemm_pack_activation's records
    block_groups  // pack_block_groups: four blocks at a time, split by halves (Q4_0 rows)
};

// Bytes pack_block_groups writes for an activation of n values.
inline size_t block_groups_bytes(int64_t n) { return static_cast<size_t>((n / 32 + 3) / 4) * 256; }

}  // namespace ember::detail
#endif  // EMBER_QUANT_DETAIL_GEMV_VNNI_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX512)
namespace x86 {

// The record's -128·Σa in lane 0 of an otherwise zero vector, divided by
// 2^shift (exact: 128 is a multiple of it) to give -(128 >> shift)·Σa.
template <int Shift>
inline __m256i correction_lane(const uint8_t* record) {
    const __m128i c = _mm_cvtsi32_si128(static_cast<int>(load_u32(record + 36)));
    return _mm256_zextsi128_si256(Shift ? _mm_srai_epi32(c, Shift) : c);
}

// An fp16 scale broadcast to 8 f32 lanes.
inline __m256 broadcast_half(const uint8_t* at) { return _mm256_cvtph_ps(_mm_set1_epi16(static_cast<short>(load_u16(at)))); }

// Q4_0's 16 bytes of nibbles -> 32 codes 0..15 (low nibbles first).
inline __m256i nibbles_to_bytes(const uint8_t* at) {
    const __m128i packed = load_128(at);
    return _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), _mm256_set1_epi8(0x0F));
}

// Unsigned codes of one block of the legacy formats, with the shift that
// turns the record's -128·Σa into the format's zero-point correction.
struct legacy_q8_0 {
    static constexpr int block_bytes = 34, shift = 0;
    static __m256i codes(const uint8_t* block) { return _mm256_xor_si256(load_256(block + 2), _mm256_set1_epi8(static_cast<char>(0x80))); }
};
struct legacy_q4_0 {
    static constexpr int block_bytes = 18, shift = 4;  // -8·Σa
    static __m256i codes(const uint8_t* block) { return nibbles_to_bytes(block + 2); }
};
struct legacy_q5_0 {
    static constexpr int block_bytes = 22, shift = 3;  // -16·Σa
    static __m256i codes(const uint8_t* block) {
        // fifth bits straight from the 32-bit qh into a byte mask
        const __mmask32 high = static_cast<__mmask32>(load_u32(block + 2));
        const __m256i low = nibbles_to_bytes(block + 6);
        return _mm256_mask_add_epi8(low, high, low, _mm256_set1_epi8(0x10));  // (no byte-masked or)
    }
};

// One block of one row: acc += (codes · y + correction) · dx · dy.
template <class Format>
inline __m256 legacy_block(const uint8_t* w, const __m256i& y, const __m256i& correction, const __m256& dy, __m256 acc) {
    const __m256i sum = _mm256_dpbusd_epi32(correction, Format::codes(w), y);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(broadcast_half(w), dy), acc);
}

// One row at a time: two rows side by side halve the activation loads, but
// interleaving two weight streams defeats the hardware prefetcher (measured:
// less than half the bandwidth from DRAM).
template <class Format>
inline void gemv_legacy(const uint8_t* weights, size_t stride, int64_t rows, const uint8_t* activation, int64_t n,
                        float* out) {
    constexpr int bytes = Format::block_bytes;
    const int64_t blocks = n / 32;
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* w = weights + static_cast<size_t>(r) * stride;
        const uint8_t* record = activation;
        // even and odd blocks apart: two independent FMA chains
        __m256 even = _mm256_setzero_ps(), odd = _mm256_setzero_ps();
        int64_t b = 0;
        for (; b + 2 <= blocks; b += 2, w += 2 * bytes, record += 80) {
            prefetch(w + prefetch_page_ahead);
            if (2 * bytes > 64) prefetch(w + prefetch_page_ahead + 64);
            even = legacy_block<Format>(w, load_256(record), correction_lane<Format::shift>(record),
                                        _mm256_set1_ps(load_f32(record + 32)), even);
            odd = legacy_block<Format>(w + bytes, load_256(record + 40), correction_lane<Format::shift>(record + 40),
                                       _mm256_set1_ps(load_f32(record + 72)), odd);
        }
        if (b < blocks)
            even = legacy_block<Format>(w, load_256(record), correction_lane<Format::shift>(record),
                                        _mm256_set1_ps(load_f32(record + 32)), even);
        out[r] = horizontal_sum(_mm256_add_ps(even, odd));
    }
}

// (VBMI: compiled for it, used only where the CPU has it)
// Q4_0 rows four blocks (72 bytes, 128 values) per step, in 512-bit
// registers: one row at a time, as above, but with a quarter of the
// instructions per byte (from cache, 1024 x 1024: 12-13 -> 21-23 GB/s per
// core), so that two cores outrun memory on a mapped file, whose rows cannot
// be interleaved. Byte permutes (VBMI) gather the four blocks' quants and
// scales from two overlapping loads; the activation comes laid out to match
// (pack_block_groups), 256 bytes per four blocks:
//   [0, 64)    values 0-15 of blocks 0..3 (16 bytes each): the low nibbles' partners
//   [64, 128)  values 16-31 of blocks 0..3: the high nibbles' partners
//   [128, 192) int32 lanes: lane 4j holds block j's -8·Σa, the rest 0
//   [192, 256) f32 lanes: lanes 4j..4j+3 hold block j's scale
// so that 32-bit lanes 4j..4j+3 of every product belong to block j. A last,
// partial group (n/32 not a multiple of 4) is zero-filled and read per block.
struct q4_0_group_permutes {
    // vpermt2b over bytes [0, 64) and [8, 72) of the group: quants of block j at 16j
    alignas(64) uint8_t quants[64] = {};
    // vpermb over bytes [0, 64): block j's fp16 scale in 16-bit lanes 4j..4j+3
    alignas(64) uint8_t scales[64] = {};
    constexpr q4_0_group_permutes() {
        for (int j = 0; j < 4; ++j)
            for (int i = 0; i < 16; ++i) {
                const int offset = 18 * j + 2 + i;
                quants[16 * j + i] = static_cast<uint8_t>(offset < 64 ? offset : 64 + offset - 8);
            }
        for (int lane = 0; lane < 16; ++lane) {
            scales[2 * lane] = static_cast<uint8_t>(18 * (lane / 4));
            scales[2 * lane + 1] = static_cast<uint8_t>(18 * (lane / 4) + 1);
        }
    }
};
inline constexpr q4_0_group_permutes q4_0_group_permute{};

// One activation row of Q8_0 blocks -> block groups (block_groups_bytes(n)).
EMBER_TARGET_AVX512_VBMI inline void pack_block_groups(const uint8_t* quantized, int64_t n, uint8_t* out) {
    const int64_t blocks = n / 32;
    std::memset(out, 0, block_groups_bytes(n));
    for (int64_t b = 0; b < blocks; ++b) {
        const uint8_t* block = quantized + 34 * b;
        uint8_t* group = out + 256 * (b / 4);
        const int j = static_cast<int>(b % 4);
        std::memcpy(group + 16 * j, block + 2, 16);
        std::memcpy(group + 64 + 16 * j, block + 18, 16);
        // Σa with vpsadbw over the quants as unsigned (a + 128)
        const __m256i sums = _mm256_sad_epu8(_mm256_xor_si256(load_256(block + 2), _mm256_set1_epi8(static_cast<char>(0x80))),
                                             _mm256_setzero_si256());
        const __m128i folded = _mm_add_epi64(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
        const int sum = static_cast<int>(_mm_cvtsi128_si64(folded) + _mm_extract_epi64(folded, 1)) - 32 * 128;
        store_u32(group + 128 + 16 * j, static_cast<uint32_t>(-8 * sum));
        _mm_storeu_ps(reinterpret_cast<float*>(group + 192 + 16 * j), _mm_set1_ps(half_to_float(load_u16(block))));
    }
}

// One group of four blocks: acc += (codes · y + correction) · dx · dy, lane-wise.
EMBER_TARGET_AVX512_VBMI inline __m512 q4_0_group(const uint8_t* w, const uint8_t* y, const __m512i& quant_permute, const __m512i& scale_permute,
                         __m512 acc) {
    const __m512i first = _mm512_loadu_si512(w), shifted = _mm512_loadu_si512(w + 8);
    const __m512i packed = _mm512_permutex2var_epi8(first, quant_permute, shifted);
    const __m512i low_mask = _mm512_set1_epi8(0x0F);
    __m512i sum = _mm512_dpbusd_epi32(_mm512_loadu_si512(y + 128), _mm512_and_si512(packed, low_mask), _mm512_loadu_si512(y));
    sum = _mm512_dpbusd_epi32(sum, _mm512_and_si512(_mm512_srli_epi16(packed, 4), low_mask), _mm512_loadu_si512(y + 64));
    const __m512 dx = _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi8(scale_permute, first)));
    const __m512 scale = _mm512_mul_ps(dx, _mm512_loadu_ps(reinterpret_cast<const float*>(y + 192)));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, acc);
}

EMBER_TARGET_AVX512_VBMI inline void gemv_q4_0_groups(const uint8_t* weights, size_t stride, int64_t rows, const uint8_t* activation, int64_t n,
                             float* out) {
    const __m512i quant_permute = _mm512_load_si512(q4_0_group_permute.quants);
    const __m512i scale_permute = _mm512_load_si512(q4_0_group_permute.scales);
    const int64_t groups = n / 128, rest = n / 32 % 4;
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t* w = weights + static_cast<size_t>(r) * stride;
        const uint8_t* y = activation;
        // two accumulators: two independent FMA chains
        __m512 even = _mm512_setzero_ps(), odd = _mm512_setzero_ps();
        int64_t g = 0;
        for (; g + 2 <= groups; g += 2, w += 144, y += 512) {
            for (int line = 0; line < 3; ++line) prefetch(w + prefetch_page_ahead + 64 * line);
            even = q4_0_group(w, y, quant_permute, scale_permute, even);
            odd = q4_0_group(w + 72, y + 256, quant_permute, scale_permute, odd);
        }
        if (g < groups) even = q4_0_group(w, y, quant_permute, scale_permute, even), w += 72, y += 256;
        __m256 tail = _mm256_setzero_ps();
        for (int j = 0; j < rest; ++j, w += 18) {
            const __m256i values = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(y + 64 + 16 * j),
                                                       reinterpret_cast<const __m128i*>(y + 16 * j));
            const __m256i correction = _mm256_zextsi128_si256(_mm_cvtsi32_si128(static_cast<int>(load_u32(y + 128 + 16 * j))));
            const __m256i sum = _mm256_dpbusd_epi32(correction, nibbles_to_bytes(w + 2), values);
            tail = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum), _mm256_mul_ps(broadcast_half(w), _mm256_set1_ps(load_f32(y + 192 + 16 * j))),
                                   tail);
        }
        out[r] = _mm512_reduce_add_ps(_mm512_add_ps(even, odd)) + horizontal_sum(tail);
    }
}

// Q4_K's 12 scale bytes -> 8 scales (bytes 0-7) and 8 mins (bytes 8-15), as
// ggml's AVX2 code unpacks them: four 32-bit word operations.
inline void unpack_q4_k_scales(const uint8_t* packed, uint8_t (&out)[16]) {
    constexpr uint32_t low_6 = 0x3f3f3f3f, low_4 = 0x0f0f0f0f, low_2 = 0x03030303;
    uint32_t words[4];
    std::memcpy(words, packed, 12);
    words[3] = ((words[2] >> 4) & low_4) | (((words[1] >> 6) & low_2) << 4);
    const uint32_t mins_low = words[1] & low_6;
    words[1] = (words[2] & low_4) | (((words[0] >> 6) & low_2) << 4);
    words[2] = mins_low;
    words[0] &= low_6;
    std::memcpy(out, words, 16);
}

// Four u8 scales -> int32 lanes holding each scale in both 16-bit halves
// (vpdpwssd multiplies 16-bit pairs), stored for broadcast loads.
inline void scale_pairs_of(const uint8_t* scales, uint32_t (&pairs)[8]) {
    const __m256i s = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(pairs), _mm256_or_si256(s, _mm256_slli_epi32(s, 16)));
}

inline float gemv_q4_k_row(const uint8_t* x, const block_q8_k* y, int64_t blocks) {
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps(), acc_mins = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b, x += 144, ++y) {
        prefetch(x + prefetch_page_ahead);
        prefetch(x + prefetch_page_ahead + 64);
        alignas(16) uint8_t scales_mins[16];
        unpack_q4_k_scales(x + 4, scales_mins);
        uint32_t pairs[8];
        scale_pairs_of(scales_mins, pairs);
        // mins · (16-sums of the activation, pairwise): each min twice
        const __m256i mins_16 = _mm256_cvtepu8_epi16(_mm_shuffle_epi8(
            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales_mins + 8)),
            _mm_setr_epi8(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)));
        const __m256i mins = _mm256_madd_epi16(load_256(y->bsums), mins_16);
        // four accumulators: vpdpwssd's latency would otherwise chain the block
        __m256i sums[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256()};
        const uint8_t* q4 = x + 16;
        const int8_t* q8 = y->qs;
        for (int pair = 0; pair < 4; ++pair, q4 += 32, q8 += 64) {
            const __m256i packed = load_256(q4);
            const __m256i low = _mm256_and_si256(packed, low_mask);
            const __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
            // q <= 15, |y| <= 127: maddubs pairs fit int16; vpdpwssd applies the scale
            __m256i& sum = sums[pair];
            sum = _mm256_dpwssd_epi32(sum, _mm256_maddubs_epi16(low, load_256(q8)), _mm256_set1_epi32(static_cast<int>(pairs[2 * pair])));
            sum = _mm256_dpwssd_epi32(sum, _mm256_maddubs_epi16(high, load_256(q8 + 32)), _mm256_set1_epi32(static_cast<int>(pairs[2 * pair + 1])));
        }
        const __m256i sumi = _mm256_add_epi32(_mm256_add_epi32(sums[0], sums[1]), _mm256_add_epi32(sums[2], sums[3]));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(load_half(x) * y->d), acc);
        acc_mins = _mm256_fmadd_ps(_mm256_cvtepi32_ps(mins), _mm256_set1_ps(load_half(x + 2) * y->d), acc_mins);
    }
    return horizontal_sum(_mm256_sub_ps(acc, acc_mins));
}

inline void gemv_q4_k(const uint8_t* weights, size_t stride, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    const auto* y = reinterpret_cast<const block_q8_k*>(activation);
    for (int64_t r = 0; r < rows; ++r) out[r] = gemv_q4_k_row(weights + static_cast<size_t>(r) * stride, y, n / qk_k);
}

// Q6_K: codes 0..63 stand for q - 32: sum_s scale_s (q . y)_s - 32 sum_s scale_s bsum_s.
inline float gemv_q6_k_row(const uint8_t* x, const block_q8_k* y, int64_t blocks) {
    // sub-blocks 2k (low 128 bits) and 2k+1 (high 128 bits): dword indices into the scale pairs
    __m256 acc = _mm256_setzero_ps();
    for (int64_t b = 0; b < blocks; ++b, x += 210, ++y) {
        for (int line = 0; line < 4; ++line) prefetch(x + prefetch_page_ahead + 64 * line);
        const __m128i scales_8 = load_128(x + 192);
        const __m256i scales_16 = _mm256_cvtepi8_epi16(scales_8);
        const __m256i correction = _mm256_madd_epi16(load_256(y->bsums), scales_16);
        // int32 lanes (scale, scale) as 16-bit pairs, for sub-blocks 0-7 and 8-15
        const __m256i s_low = _mm256_cvtepi8_epi32(scales_8), s_high = _mm256_cvtepi8_epi32(_mm_srli_si128(scales_8, 8));
        const __m256i pairs_low = _mm256_or_si256(_mm256_and_si256(s_low, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(s_low, 16));
        const __m256i pairs_high = _mm256_or_si256(_mm256_and_si256(s_high, _mm256_set1_epi32(0xFFFF)), _mm256_slli_epi32(s_high, 16));
        // four accumulators (one per run k): vpdpwssd's latency would otherwise chain the block
        __m256i sums[4] = {_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(correction, 5)), _mm256_setzero_si256(),
                           _mm256_setzero_si256(), _mm256_setzero_si256()};
        const int8_t* q8 = y->qs;
        for (int half = 0; half < 2; ++half) {
            const uint8_t* ql = x + 64 * half;
            const __m256i qh = load_256(x + 128 + 32 * half);
            const __m256i pairs = half == 0 ? pairs_low : pairs_high;
            __m256i q[4];
            q6_k_codes(ql, qh, q);
            for (int k = 0; k < 4; ++k, q8 += 32) {
                // run k covers sub-blocks 2k, 2k+1 of this half: scales (2k, 2k+1) into the two 128-bit halves
                const __m256i scale = _mm256_permutevar8x32_epi32(pairs, _mm256_setr_epi32(2 * k, 2 * k, 2 * k, 2 * k, 2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1));
                // q <= 63, |y| <= 127: maddubs pairs fit int16
                sums[k] = _mm256_dpwssd_epi32(sums[k], _mm256_maddubs_epi16(q[k], load_256(q8)), scale);
            }
        }
        const __m256i sumi = _mm256_add_epi32(_mm256_add_epi32(sums[0], sums[1]), _mm256_add_epi32(sums[2], sums[3]));
        acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi), _mm256_set1_ps(load_half(x + 208) * y->d), acc);
    }
    return horizontal_sum(acc);
}

inline void gemv_q6_k(const uint8_t* weights, size_t stride, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    const auto* y = reinterpret_cast<const block_q8_k*>(activation);
    for (int64_t r = 0; r < rows; ++r) out[r] = gemv_q6_k_row(weights + static_cast<size_t>(r) * stride, y, n / qk_k);
}

}  // namespace x86

// The GEMV of a weight type in this tier, or nullptr, and the activation it reads.
inline gemv_function gemv_function_of(dtype type, gemv_input& input) {
    const bool legacy = type == dtype::q8_0 || type == dtype::q4_0 || type == dtype::q5_0;
    input = legacy ? gemv_input::records : gemv_input::quantized;
    switch (type) {
        case dtype::q8_0: return x86::gemv_legacy<x86::legacy_q8_0>;
        case dtype::q4_0:
            if (!has_cpu_feature(cpu_feature::avx512vbmi)) return x86::gemv_legacy<x86::legacy_q4_0>;
            input = gemv_input::block_groups;
            return x86::gemv_q4_0_groups;
        case dtype::q5_0: return x86::gemv_legacy<x86::legacy_q5_0>;
        case dtype::q4_k: return x86::gemv_q4_k;
        case dtype::q6_k: return x86::gemv_q6_k;
        default: return nullptr;
    }
}
#else
inline gemv_function gemv_function_of(dtype, gemv_input& input) {
    input = gemv_input::quantized;
    return nullptr;
}
#endif

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
