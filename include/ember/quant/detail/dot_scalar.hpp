#pragma once
// Portable dot products of one quantized weight row with 8-bit quantized
// activations: ports of ggml's generic (scalar) `ggml_vec_dot_<w>_<a>`, same
// integer sums, same float operations in the same order (contraction off, see
// EMBER_BEGIN_EXACT_FLOAT), so they compute what ggml's source says. They
// are the fallback of every ISA and the yardstick the SIMD versions are
// tested against.
//
// weight_row: n / block_size weight blocks (any alignment, read bytewise);
// activation: n / block_size activation blocks (block_q8_0 / block_q8_1 /
// block_q8_k arrays as made by quantize_row). n is a multiple of the block
// size (checked by the public entry points, not here).

#include "ember/quant/blocks.hpp"
#include "ember/quant/detail/common.hpp"

#include <cstdint>
#include <cstring>

EMBER_BEGIN_EXACT_FLOAT
// GCC 12 with AVX512-VNNI miscompiles integer dot-product loops such as
// sum((int8_t)u8 * s8) or sum(((u8 & 15) - 8) * s8): it turns them into
// vpdpbusd as if the first operand were unsigned (wrong results; reproduced
// with g++ 12.2 -O2 -march=znver4). These portable versions are the yardstick
// for the SIMD ones, so GCC's vectorizer is kept out of them entirely; on x86
// the SIMD versions are what runs.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-tree-vectorize")
#endif
namespace ember::detail {

// ---- legacy formats x Q8_0 / Q8_1 ----------------------------------------------

inline float dot_q4_0_q8_0_scalar(const void* weight_row, const void* activation, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_0*>(activation);
    float sum = 0;
    for (int64_t b = 0; b < n / 32; ++b, x += 18, ++y) {
        int sum_0 = 0, sum_1 = 0;
        for (int j = 0; j < 16; ++j) {
            sum_0 += ((x[2 + j] & 0x0F) - 8) * y->qs[j];
            sum_1 += ((x[2 + j] >> 4) - 8) * y->qs[j + 16];
        }
        sum += static_cast<float>(sum_0 + sum_1) * load_fp16(x) * fp16_to_f32(y->d);
    }
    return sum;
}

inline float dot_q4_1_q8_1_scalar(const void* weight_row, const void* activation, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_1*>(activation);
    float sum = 0;
    for (int64_t b = 0; b < n / 32; ++b, x += 20, ++y) {
        int sum_0 = 0, sum_1 = 0;
        for (int j = 0; j < 16; ++j) {
            sum_0 += (x[4 + j] & 0x0F) * y->qs[j];
            sum_1 += (x[4 + j] >> 4) * y->qs[j + 16];
        }
        // (dx*dy)*sumi + m*s: the min times the activations' sum, precomputed in s
        sum += (load_fp16(x) * fp16_to_f32(y->d)) * static_cast<float>(sum_0 + sum_1) +
               load_fp16(x + 2) * fp16_to_f32(y->s);
    }
    return sum;
}

inline float dot_q5_0_q8_0_scalar(const void* weight_row, const void* activation, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_0*>(activation);
    float sum = 0;
    for (int64_t b = 0; b < n / 32; ++b, x += 22, ++y) {
        const uint32_t qh = load_u32(x + 2);
        int sum_0 = 0, sum_1 = 0;
        for (int j = 0; j < 16; ++j) {
            const int high_0 = static_cast<int>((qh >> j) << 4) & 0x10;
            const int high_1 = static_cast<int>(qh >> (j + 12)) & 0x10;
            sum_0 += (((x[6 + j] & 0x0F) | high_0) - 16) * y->qs[j];
            sum_1 += (((x[6 + j] >> 4) | high_1) - 16) * y->qs[j + 16];
        }
        sum += (load_fp16(x) * fp16_to_f32(y->d)) * static_cast<float>(sum_0 + sum_1);
    }
    return sum;
}

inline float dot_q5_1_q8_1_scalar(const void* weight_row, const void* activation, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_1*>(activation);
    float sum = 0;
    for (int64_t b = 0; b < n / 32; ++b, x += 24, ++y) {
        const uint32_t qh = load_u32(x + 4);
        int sum_0 = 0, sum_1 = 0;
        for (int j = 0; j < 16; ++j) {
            const int high_0 = static_cast<int>((qh >> j) << 4) & 0x10;
            const int high_1 = static_cast<int>(qh >> (j + 12)) & 0x10;
            sum_0 += ((x[8 + j] & 0x0F) | high_0) * y->qs[j];
            sum_1 += ((x[8 + j] >> 4) | high_1) * y->qs[j + 16];
        }
        sum += (load_fp16(x) * fp16_to_f32(y->d)) * static_cast<float>(sum_0 + sum_1) +
               load_fp16(x + 2) * fp16_to_f32(y->s);
    }
    return sum;
}

inline float dot_q8_0_q8_0_scalar(const void* weight_row, const void* activation, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_0*>(activation);
    float sum = 0;
    for (int64_t b = 0; b < n / 32; ++b, x += 34, ++y) {
        // int8 view of the quants (char-type access, no aliasing issue)
        const auto* qs = reinterpret_cast<const int8_t*>(x + 2);
        int sumi = 0;
        for (int j = 0; j < 32; ++j) sumi += qs[j] * y->qs[j];
        sum += static_cast<float>(sumi) * (load_fp16(x) * fp16_to_f32(y->d));
    }
    return sum;
}

// ---- k-quants x Q8_K ---------------------------------------------------------------
// ggml's generic k-quant dots accumulate each super-block's integer sums in
// 8 lanes (sums[l] += d * aux32[l]) and add the lanes at the end; that lane
// structure is part of the float result, so it is kept.

inline float dot_q2_k_q8_k_scalar(const void* weight_row, const void* activation, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_k*>(activation);
    float sum = 0;
    for (int64_t b = 0; b < n / qk_k; ++b, x += 84, ++y) {
        const uint8_t* scales = x;
        const uint8_t* q2 = x + 16;
        const int8_t* q8 = y->qs;
        int sum_mins = 0;
        for (int j = 0; j < 16; ++j) sum_mins += y->bsums[j] * (scales[j] >> 4);
        const float d_all = y->d * load_fp16(x + 80);
        const float d_min = y->d * load_fp16(x + 82);
        int isum = 0, sub = 0;
        for (int half = 0; half < 2; ++half, q2 += 32) {
            for (int shift = 0; shift < 8; shift += 2, q8 += 32) {
                int part = 0;
                for (int l = 0; l < 16; ++l) part += q8[l] * ((q2[l] >> shift) & 3);
                isum += (scales[sub++] & 0xF) * part;
                part = 0;
                for (int l = 16; l < 32; ++l) part += q8[l] * ((q2[l] >> shift) & 3);
                isum += (scales[sub++] & 0xF) * part;
            }
        }
        sum += d_all * static_cast<float>(isum) - d_min * static_cast<float>(sum_mins);
    }
    return sum;
}

inline float dot_q3_k_q8_k_scalar(const void* weight_row, const void* activation, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_k*>(activation);
    float sums[8] = {};
    int8_t values[qk_k];
    for (int64_t b = 0; b < n / qk_k; ++b, x += 110, ++y) {
        const uint8_t* hmask = x;
        const uint8_t* q3 = x + 32;
        int8_t* a = values;
        uint8_t mask = 1;
        for (int half = 0; half < 2; ++half, q3 += 32) {
            for (int shift = 0; shift < 8; shift += 2, a += 32, mask = static_cast<uint8_t>(mask << 1))
                for (int l = 0; l < 32; ++l)
                    a[l] = static_cast<int8_t>(((q3[l] >> shift) & 3) - ((hmask[l] & mask) ? 0 : 4));
        }
        int32_t lanes[8] = {};
        const int8_t* q8 = y->qs;
        a = values;
        for (int sub = 0; sub < 16; ++sub) {
            const int scale = scale_q3_k(sub, x + 96);
            for (int l = 0; l < 8; ++l) lanes[l] += scale * (q8[l] * a[l]);
            for (int l = 0; l < 8; ++l) lanes[l] += scale * (q8[l + 8] * a[l + 8]);
            q8 += 16;
            a += 16;
        }
        const float d = load_fp16(x + 108) * y->d;
        for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(lanes[l]);
    }
    float sum = 0;
    for (int l = 0; l < 8; ++l) sum += sums[l];
    return sum;
}

// Q4_K/Q5_K: unpacks the 8 (scale, min) pairs, then the shared 8-lane sum.
inline float dot_q45_k_q8_k_scalar(const void* weight_row, const void* activation, int64_t n, bool five_bit) {
    EMBER_EXACT_FLOAT_SCOPE
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_k*>(activation);
    const int block_bytes = five_bit ? 176 : 144;
    float sums[8] = {};
    float sum = 0;
    int8_t values[qk_k];
    for (int64_t b = 0; b < n / qk_k; ++b, x += block_bytes, ++y) {
        const uint8_t* q4 = x + (five_bit ? 48 : 16);
        const uint8_t* qh = x + 16;
        int8_t* a = values;
        for (int pair = 0; pair < 4; ++pair, q4 += 32) {
            for (int l = 0; l < 32; ++l)
                a[l] = static_cast<int8_t>((q4[l] & 0xF) + (five_bit && (qh[l] & (1 << (2 * pair))) ? 16 : 0));
            a += 32;
            for (int l = 0; l < 32; ++l)
                a[l] = static_cast<int8_t>((q4[l] >> 4) + (five_bit && (qh[l] & (2 << (2 * pair))) ? 16 : 0));
            a += 32;
        }
        uint8_t scales[8], mins[8];
        for (int j = 0; j < 8; ++j) scale_min_k4(j, x + 4, scales[j], mins[j]);
        int sum_mins = 0;
        for (int j = 0; j < 16; ++j) sum_mins += y->bsums[j] * mins[j / 2];
        int32_t lanes[8] = {};
        const int8_t* q8 = y->qs;
        a = values;
        for (int j = 0; j < 8; ++j) {
            const int32_t scale = scales[j];
            for (int part = 0; part < 4; ++part, q8 += 8, a += 8)
                for (int l = 0; l < 8; ++l) lanes[l] += scale * (q8[l] * a[l]);
        }
        const float d = load_fp16(x) * y->d;
        for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(lanes[l]);
        const float d_min = load_fp16(x + 2) * y->d;
        sum -= d_min * static_cast<float>(sum_mins);
    }
    for (int l = 0; l < 8; ++l) sum += sums[l];
    return sum;
}

inline float dot_q4_k_q8_k_scalar(const void* weight_row, const void* activation, int64_t n) {
    return dot_q45_k_q8_k_scalar(weight_row, activation, n, false);
}

inline float dot_q5_k_q8_k_scalar(const void* weight_row, const void* activation, int64_t n) {
    return dot_q45_k_q8_k_scalar(weight_row, activation, n, true);
}

inline float dot_q6_k_q8_k_scalar(const void* weight_row, const void* activation, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    const auto* x = static_cast<const uint8_t*>(weight_row);
    const auto* y = static_cast<const block_q8_k*>(activation);
    float sums[8] = {};
    int8_t values[qk_k];
    for (int64_t b = 0; b < n / qk_k; ++b, x += 210, ++y) {
        const uint8_t* ql = x;
        const uint8_t* qh = x + 128;
        int8_t* a = values;
        for (int half = 0; half < 2; ++half, a += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; ++l) {
                a[l] = static_cast<int8_t>(((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32);
                a[l + 32] = static_cast<int8_t>(((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
                a[l + 64] = static_cast<int8_t>(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
                a[l + 96] = static_cast<int8_t>(((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
            }
        }
        int32_t lanes[8] = {};
        const int8_t* q8 = y->qs;
        a = values;
        for (int sub = 0; sub < 16; ++sub) {
            const int scale = as_signed(x[192 + sub]);
            for (int part = 0; part < 2; ++part, q8 += 8, a += 8)
                for (int l = 0; l < 8; ++l) lanes[l] += scale * (q8[l] * a[l]);
        }
        const float d = load_fp16(x + 208) * y->d;
        for (int l = 0; l < 8; ++l) sums[l] += d * static_cast<float>(lanes[l]);
    }
    float sum = 0;
    for (int l = 0; l < 8; ++l) sum += sums[l];
    return sum;
}

}  // namespace ember::detail
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif
EMBER_END_EXACT_FLOAT
