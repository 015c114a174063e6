#pragma once
// One dequantizer per block format, reproducing ggml's reference
// (ggml-quants.c `dequantize_row_*`) operation for operation, so that the
// results are the same floats: the same products, in the same order, with
// the same intermediate roundings (e.g. Q4_K's `(d*scale)*q - dmin*min`).
//
// Compilers may contract `a*b + c` into one FMA (GCC does by default in GNU
// mode). That cannot change a result here: every product that feeds an add is
// exact in float (an 11-bit fp16 mantissa times at most 6+5 bits of scale and
// quant), so fused or not, the add is the only rounding.
//
// Every function takes `n` elements (a multiple of the block size, checked by
// the public `dequantize_row`) and reads exactly n / block_size blocks.

#include "ember/quant/detail/common.hpp"

#include <cstdint>

namespace ember::detail {

// ---- float formats -----------------------------------------------------------

inline void dequantize_f32(const void* source, float* out, int64_t n) {
    std::memcpy(out, source, static_cast<size_t>(n) * sizeof(float));  // host is little-endian
}

inline void dequantize_f16(const void* source, float* out, int64_t n) {
    const auto* bytes = static_cast<const uint8_t*>(source);
    for (int64_t i = 0; i < n; ++i) out[i] = load_fp16(bytes + 2 * i);
}

inline void dequantize_bf16(const void* source, float* out, int64_t n) {
    const auto* bytes = static_cast<const uint8_t*>(source);
    for (int64_t i = 0; i < n; ++i) out[i] = bf16_to_f32(load_u16(bytes + 2 * i));
}

// ---- 32-element blocks -------------------------------------------------------
// Element j of a block is in the low nibble of qs[j] for j < 16 and in the
// high nibble of qs[j - 16] otherwise; Q5 keeps each element's fifth bit at
// bit j of the 32-bit qh.

// Q4_0 {fp16 d; u8 qs[16]}: x = (q - 8) * d
inline void dequantize_q4_0(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 18, out += 32) {
        const float d = load_fp16(block);
        const uint8_t* qs = block + 2;
        for (int j = 0; j < 16; ++j) {
            out[j] = static_cast<float>((qs[j] & 0x0F) - 8) * d;
            out[j + 16] = static_cast<float>((qs[j] >> 4) - 8) * d;
        }
    }
}

// Q4_1 {fp16 d; fp16 m; u8 qs[16]}: x = q * d + m
inline void dequantize_q4_1(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 20, out += 32) {
        const float d = load_fp16(block);
        const float m = load_fp16(block + 2);
        const uint8_t* qs = block + 4;
        for (int j = 0; j < 16; ++j) {
            out[j] = static_cast<float>(qs[j] & 0x0F) * d + m;
            out[j + 16] = static_cast<float>(qs[j] >> 4) * d + m;
        }
    }
}

// Q5_0 {fp16 d; u8 qh[4]; u8 qs[16]}: x = (q - 16) * d
inline void dequantize_q5_0(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 22, out += 32) {
        const float d = load_fp16(block);
        const uint32_t qh = load_u32(block + 2);
        const uint8_t* qs = block + 6;
        for (int j = 0; j < 16; ++j) {
            const int high_0 = static_cast<int>((qh >> j) << 4) & 0x10;
            const int high_1 = static_cast<int>(qh >> (j + 12)) & 0x10;
            out[j] = static_cast<float>(((qs[j] & 0x0F) | high_0) - 16) * d;
            out[j + 16] = static_cast<float>(((qs[j] >> 4) | high_1) - 16) * d;
        }
    }
}

// Q5_1 {fp16 d; fp16 m; u8 qh[4]; u8 qs[16]}: x = q * d + m
inline void dequantize_q5_1(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 24, out += 32) {
        const float d = load_fp16(block);
        const float m = load_fp16(block + 2);
        const uint32_t qh = load_u32(block + 4);
        const uint8_t* qs = block + 8;
        for (int j = 0; j < 16; ++j) {
            const int high_0 = static_cast<int>((qh >> j) << 4) & 0x10;
            const int high_1 = static_cast<int>(qh >> (j + 12)) & 0x10;
            out[j] = static_cast<float>((qs[j] & 0x0F) | high_0) * d + m;
            out[j + 16] = static_cast<float>((qs[j] >> 4) | high_1) * d + m;
        }
    }
}

// Q8_0 {fp16 d; i8 qs[32]}: x = q * d
inline void dequantize_q8_0(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 34, out += 32) {
        const float d = load_fp16(block);
        for (int j = 0; j < 32; ++j) out[j] = static_cast<float>(as_signed(block[2 + j])) * d;
    }
}

// ---- 256-element super-blocks ------------------------------------------------
// The 2/3-bit formats store four 2-bit planes per 32 bytes of qs: element
// 128*h + 32*p + l is at bits 2p of qs[32*h + l].

// Q2_K {u8 scales[16]; u8 qs[64]; fp16 d; fp16 dmin}: 16 sub-blocks of 16;
// scales[s] holds the 4-bit scale (low) and 4-bit min (high) of sub-block s.
inline void dequantize_q2_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 84) {
        const uint8_t* scales = block;
        const uint8_t* q = block + 16;
        const float d = load_fp16(block + 80);
        const float dmin = load_fp16(block + 82);
        int sub = 0;
        for (int half = 0; half < 2; ++half, q += 32) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int part = 0; part < 2; ++part) {
                    const uint8_t scale = scales[sub++];
                    const float dl = d * static_cast<float>(scale & 0xF);
                    const float ml = dmin * static_cast<float>(scale >> 4);
                    const uint8_t* qp = q + 16 * part;
                    for (int l = 0; l < 16; ++l)
                        *out++ = dl * static_cast<float>((qp[l] >> shift) & 3) - ml;
                }
            }
        }
    }
}

// Q3_K {u8 hmask[32]; u8 qs[64]; u8 scales[12]; fp16 d}: 16 sub-blocks of 16
// with signed 6-bit scales; the third bit of element 32*p + l (p = plane
// 0..7) is bit p of hmask[l], and a clear bit means "subtract 4".
inline void dequantize_q3_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 110) {
        const uint8_t* hmask = block;
        const uint8_t* q = block + 32;
        const uint8_t* scales = block + 96;
        const float d_all = load_fp16(block + 108);
        int sub = 0;
        uint8_t mask = 1;
        for (int half = 0; half < 2; ++half, q += 32) {
            for (int shift = 0; shift < 8; shift += 2, mask = static_cast<uint8_t>(mask << 1)) {
                for (int part = 0; part < 2; ++part) {
                    const float dl = d_all * static_cast<float>(scale_q3_k(sub++, scales));
                    const uint8_t* qp = q + 16 * part;
                    const uint8_t* hp = hmask + 16 * part;
                    for (int l = 0; l < 16; ++l) {
                        const int value = ((qp[l] >> shift) & 3) - ((hp[l] & mask) ? 0 : 4);
                        *out++ = dl * static_cast<float>(value);
                    }
                }
            }
        }
    }
}

// Q4_K {fp16 d; fp16 dmin; u8 scales[12]; u8 qs[128]}: 8 sub-blocks of 32
// with 6-bit scale and min; each 32 bytes of qs hold two sub-blocks (low
// nibbles first).
inline void dequantize_q4_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 144) {
        const float d = load_fp16(block);
        const float dmin = load_fp16(block + 2);
        const uint8_t* scales = block + 4;
        const uint8_t* q = block + 16;
        for (int sub = 0; sub < 8; sub += 2, q += 32) {
            uint8_t scale, min;
            scale_min_k4(sub, scales, scale, min);
            const float d1 = d * static_cast<float>(scale);
            const float m1 = dmin * static_cast<float>(min);
            scale_min_k4(sub + 1, scales, scale, min);
            const float d2 = d * static_cast<float>(scale);
            const float m2 = dmin * static_cast<float>(min);
            for (int l = 0; l < 32; ++l) *out++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
            for (int l = 0; l < 32; ++l) *out++ = d2 * static_cast<float>(q[l] >> 4) - m2;
        }
    }
}

// Q5_K {fp16 d; fp16 dmin; u8 scales[12]; u8 qh[32]; u8 qs[128]}: Q4_K plus a
// fifth bit: sub-block s takes bit s of qh[l].
inline void dequantize_q5_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 176) {
        const float d = load_fp16(block);
        const float dmin = load_fp16(block + 2);
        const uint8_t* scales = block + 4;
        const uint8_t* qh = block + 16;
        const uint8_t* q = block + 48;
        uint8_t mask_1 = 1, mask_2 = 2;
        for (int sub = 0; sub < 8; sub += 2, q += 32) {
            uint8_t scale, min;
            scale_min_k4(sub, scales, scale, min);
            const float d1 = d * static_cast<float>(scale);
            const float m1 = dmin * static_cast<float>(min);
            scale_min_k4(sub + 1, scales, scale, min);
            const float d2 = d * static_cast<float>(scale);
            const float m2 = dmin * static_cast<float>(min);
            for (int l = 0; l < 32; ++l)
                *out++ = d1 * static_cast<float>((q[l] & 0xF) + ((qh[l] & mask_1) ? 16 : 0)) - m1;
            for (int l = 0; l < 32; ++l)
                *out++ = d2 * static_cast<float>((q[l] >> 4) + ((qh[l] & mask_2) ? 16 : 0)) - m2;
            mask_1 = static_cast<uint8_t>(mask_1 << 2);
            mask_2 = static_cast<uint8_t>(mask_2 << 2);
        }
    }
}

// Q6_K {u8 ql[128]; u8 qh[64]; i8 scales[16]; fp16 d}: 16 sub-blocks of 16
// with signed 8-bit scales; per 128 elements, ql holds low nibbles (64 bytes,
// two nibbles each) and qh the top 2 bits (32 bytes, four pairs each).
inline void dequantize_q6_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 210) {
        const float d = load_fp16(block + 208);
        const uint8_t* ql = block;
        const uint8_t* qh = block + 128;
        const uint8_t* scales = block + 192;
        for (int half = 0; half < 2; ++half, out += 128, ql += 64, qh += 32, scales += 8) {
            for (int l = 0; l < 32; ++l) {
                const int sub = l / 16;
                const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                // (d * scale) * q: the reference's left-to-right order
                out[l] = d * static_cast<float>(as_signed(scales[sub])) * static_cast<float>(q1);
                out[l + 32] = d * static_cast<float>(as_signed(scales[sub + 2])) * static_cast<float>(q2);
                out[l + 64] = d * static_cast<float>(as_signed(scales[sub + 4])) * static_cast<float>(q3);
                out[l + 96] = d * static_cast<float>(as_signed(scales[sub + 6])) * static_cast<float>(q4);
            }
        }
    }
}

}  // namespace ember::detail
