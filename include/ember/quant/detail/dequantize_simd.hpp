#ifndef EMBER_QUANT_DETAIL_DEQUANTIZE_SIMD_HPP
#define EMBER_QUANT_DETAIL_DEQUANTIZE_SIMD_HPP
// SIMD dequantizers (x86 AVX2 + F16C), for prefill paths that convert whole
// weight tiles to f32. Each output element is computed with the same float
// operations as the scalar reference version (an int -> float conversion, a
// product that is exact, at most one add), so the results are the same
// floats, element for element (tested). fp16 NaNs come back quiet.

#include "ember/quant/detail/common.hpp"

#include <cstdint>

#include "ember/core/detail/tier_target.hpp"
#include "ember/quant/portable.hpp"

namespace ember::detail {
using dequantize_row_function = void (*)(const void* blocks, float* out, int64_t n);
}  // namespace ember::detail
#endif  // EMBER_QUANT_DETAIL_DEQUANTIZE_SIMD_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX2)
namespace x86 {

inline __m256i load_bytes_32(const uint8_t* bytes) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bytes)); }
inline __m128i load_bytes_16(const uint8_t* bytes) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes)); }
inline float half_value(const uint8_t* bytes) { return _cvtsh_ss(load_u16(bytes)); }

// out[i] = float(int8 lane i) * scale + offset for 16 lanes of a 128-bit register.
inline void store_16(float* out, __m128i values, __m256 scale, __m256 offset) {
    const __m256 low = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(values));
    const __m256 high = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(values, 8)));
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_mul_ps(low, scale), offset));
    _mm256_storeu_ps(out + 8, _mm256_add_ps(_mm256_mul_ps(high, scale), offset));
}

inline void store_32(float* out, __m256i values, __m256 scale, __m256 offset) {
    store_16(out, _mm256_castsi256_si128(values), scale, offset);
    store_16(out + 16, _mm256_extracti128_si256(values, 1), scale, offset);
}

// Without an offset: x * scale alone (adding +0 could turn -0 into +0).
inline void store_16(float* out, __m128i values, __m256 scale) {
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(values)), scale));
    _mm256_storeu_ps(out + 8, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(values, 8))), scale));
}

inline void store_32(float* out, __m256i values, __m256 scale) {
    store_16(out, _mm256_castsi256_si128(values), scale);
    store_16(out + 16, _mm256_extracti128_si256(values, 1), scale);
}

// Nibble-packed 16 bytes -> 32 values: low nibbles first, then high.
inline __m256i nibbles_32(const uint8_t* bytes) {
    const __m128i packed = load_bytes_16(bytes);
    const __m128i mask = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(packed, 4), mask), _mm_and_si128(packed, mask));
}

// Bit i of a 32-bit word -> byte i = 0x10 (set) or 0 (the fifth bit of Q5_0/Q5_1).
inline __m256i fifth_bits_32(uint32_t bits) {
    const __m256i spread = _mm256_shuffle_epi8(
        _mm256_set1_epi32(static_cast<int>(bits)),
        _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
    const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit), _mm256_set1_epi8(0x10));
}

inline void dequantize_f16(const void* source, float* out, int64_t n) {
    const auto* bytes = static_cast<const uint8_t*>(source);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, _mm256_cvtph_ps(load_bytes_16(bytes + 2 * i)));
    for (; i < n; ++i) out[i] = _cvtsh_ss(load_u16(bytes + 2 * i));
}

inline void dequantize_bf16(const void* source, float* out, int64_t n) {
    const auto* bytes = static_cast<const uint8_t*>(source);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(load_bytes_16(bytes + 2 * i)), 16)));
    for (; i < n; ++i) out[i] = bf16_to_f32(load_u16(bytes + 2 * i));
}

inline void dequantize_q8_0(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 34, out += 32)
        store_32(out, load_bytes_32(block + 2), _mm256_set1_ps(half_value(block)));
}

inline void dequantize_q4_0(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 18, out += 32)
        store_32(out, _mm256_sub_epi8(nibbles_32(block + 2), _mm256_set1_epi8(8)), _mm256_set1_ps(half_value(block)));
}

inline void dequantize_q4_1(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 20, out += 32)
        store_32(out, nibbles_32(block + 4), _mm256_set1_ps(half_value(block)), _mm256_set1_ps(half_value(block + 2)));
}

inline void dequantize_q5_0(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 22, out += 32) {
        const __m256i q = _mm256_or_si256(nibbles_32(block + 6), fifth_bits_32(load_u32(block + 2)));
        store_32(out, _mm256_sub_epi8(q, _mm256_set1_epi8(16)), _mm256_set1_ps(half_value(block)));
    }
}

inline void dequantize_q5_1(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / 32; ++b, block += 24, out += 32) {
        const __m256i q = _mm256_or_si256(nibbles_32(block + 8), fifth_bits_32(load_u32(block + 4)));
        store_32(out, q, _mm256_set1_ps(half_value(block)), _mm256_set1_ps(half_value(block + 2)));
    }
}

// Q2_K / Q3_K: plane p of 32 bytes holds 2-bit codes at bits 2p.
inline void dequantize_q2_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    const __m256i three = _mm256_set1_epi8(3);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 84) {
        const float d = half_value(block + 80), dmin = half_value(block + 82);
        for (int half = 0; half < 2; ++half) {
            const __m256i q = load_bytes_32(block + 16 + 32 * half);
            for (int plane = 0; plane < 4; ++plane, out += 32) {
                const __m256i codes = _mm256_and_si256(_mm256_srli_epi16(q, 2 * plane), three);
                const uint8_t scale_0 = block[8 * half + 2 * plane], scale_1 = block[8 * half + 2 * plane + 1];
                store_16(out, _mm256_castsi256_si128(codes), _mm256_set1_ps(d * static_cast<float>(scale_0 & 0xF)),
                         _mm256_set1_ps(-(dmin * static_cast<float>(scale_0 >> 4))));
                store_16(out + 16, _mm256_extracti128_si256(codes, 1),
                         _mm256_set1_ps(d * static_cast<float>(scale_1 & 0xF)),
                         _mm256_set1_ps(-(dmin * static_cast<float>(scale_1 >> 4))));
            }
        }
    }
}

inline void dequantize_q3_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    const __m256i three = _mm256_set1_epi8(3);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 110) {
        const float d_all = half_value(block + 108);
        const __m256i hmask = load_bytes_32(block);
        for (int half = 0; half < 2; ++half) {
            const __m256i q = load_bytes_32(block + 32 + 32 * half);
            for (int plane = 0; plane < 4; ++plane, out += 32) {
                const int bit = 4 * half + plane;
                const __m256i mask = _mm256_set1_epi8(static_cast<char>(1 << bit));
                // high bit clear -> subtract 4
                const __m256i minus_four = _mm256_andnot_si256(_mm256_cmpeq_epi8(_mm256_and_si256(hmask, mask), mask),
                                                               _mm256_set1_epi8(4));
                const __m256i values = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(q, 2 * plane), three), minus_four);
                const int sub = 8 * half + 2 * plane;
                store_16(out, _mm256_castsi256_si128(values),
                         _mm256_set1_ps(d_all * static_cast<float>(scale_q3_k(sub, block + 96))));
                store_16(out + 16, _mm256_extracti128_si256(values, 1),
                         _mm256_set1_ps(d_all * static_cast<float>(scale_q3_k(sub + 1, block + 96))));
            }
        }
    }
}

// Q4_K / Q5_K: pairs of 32-element sub-blocks share 32 bytes of nibbles.
inline void dequantize_q45_k(const uint8_t* block, float* out, bool five_bit) {
    const float d = half_value(block), dmin = half_value(block + 2);
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    const uint8_t* q = block + (five_bit ? 48 : 16);
    const __m256i qh = five_bit ? load_bytes_32(block + 16) : _mm256_setzero_si256();
    for (int pair = 0; pair < 4; ++pair, q += 32, out += 64) {
        uint8_t scale, min;
        const __m256i packed = load_bytes_32(q);
        __m256i low = _mm256_and_si256(packed, low_mask);
        __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
        if (five_bit) {
            const __m256i bit_low = _mm256_set1_epi8(static_cast<char>(1 << (2 * pair)));
            const __m256i bit_high = _mm256_set1_epi8(static_cast<char>(2 << (2 * pair)));
            const __m256i sixteen = _mm256_set1_epi8(16);
            low = _mm256_or_si256(low, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_low), bit_low), sixteen));
            high = _mm256_or_si256(high, _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(qh, bit_high), bit_high), sixteen));
        }
        scale_min_k4(2 * pair, block + 4, scale, min);
        store_32(out, low, _mm256_set1_ps(d * static_cast<float>(scale)), _mm256_set1_ps(-(dmin * static_cast<float>(min))));
        scale_min_k4(2 * pair + 1, block + 4, scale, min);
        store_32(out + 32, high, _mm256_set1_ps(d * static_cast<float>(scale)),
                 _mm256_set1_ps(-(dmin * static_cast<float>(min))));
    }
}

inline void dequantize_q4_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 144, out += qk_k) dequantize_q45_k(block, out, false);
}

inline void dequantize_q5_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 176, out += qk_k) dequantize_q45_k(block, out, true);
}

inline void dequantize_q6_k(const void* source, float* out, int64_t n) {
    const auto* block = static_cast<const uint8_t*>(source);
    const __m256i low_mask = _mm256_set1_epi8(0x0F), two_bits = _mm256_set1_epi8(3), bias = _mm256_set1_epi8(32);
    for (int64_t b = 0; b < n / qk_k; ++b, block += 210) {
        const float d = half_value(block + 208);
        for (int half = 0; half < 2; ++half) {
            const __m256i ql_0 = load_bytes_32(block + 64 * half), ql_1 = load_bytes_32(block + 64 * half + 32);
            const __m256i qh = load_bytes_32(block + 128 + 32 * half);
            const __m256i low[4] = {_mm256_and_si256(ql_0, low_mask), _mm256_and_si256(ql_1, low_mask),
                                    _mm256_and_si256(_mm256_srli_epi16(ql_0, 4), low_mask),
                                    _mm256_and_si256(_mm256_srli_epi16(ql_1, 4), low_mask)};
            for (int plane = 0; plane < 4; ++plane, out += 32) {
                const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * plane), two_bits), 4);
                const __m256i values = _mm256_sub_epi8(_mm256_or_si256(low[plane], high), bias);
                const int sub = 8 * half + 2 * plane;
                // (d * scale) * q, as the reference
                store_16(out, _mm256_castsi256_si128(values),
                         _mm256_set1_ps(d * static_cast<float>(as_signed(block[192 + sub]))));
                store_16(out + 16, _mm256_extracti128_si256(values, 1),
                         _mm256_set1_ps(d * static_cast<float>(as_signed(block[192 + sub + 1]))));
            }
        }
    }
}

}  // namespace x86

inline dequantize_row_function dequantize_function_simd_of(dtype type) {
    switch (type) {
        case dtype::f16: return x86::dequantize_f16;
        case dtype::bf16: return x86::dequantize_bf16;
        case dtype::q4_0: return x86::dequantize_q4_0;
        case dtype::q4_1: return x86::dequantize_q4_1;
        case dtype::q5_0: return x86::dequantize_q5_0;
        case dtype::q5_1: return x86::dequantize_q5_1;
        case dtype::q8_0: return x86::dequantize_q8_0;
        case dtype::q2_k: return x86::dequantize_q2_k;
        case dtype::q3_k: return x86::dequantize_q3_k;
        case dtype::q4_k: return x86::dequantize_q4_k;
        case dtype::q5_k: return x86::dequantize_q5_k;
        case dtype::q6_k: return x86::dequantize_q6_k;
        default: return nullptr;
    }
}
#else
inline dequantize_row_function dequantize_function_simd_of(dtype) { return nullptr; }
#endif

// This tier's dequantizer of a type: the SIMD one, else the portable one.
inline dequantize_function tier_dequantize_of(dtype type) {
    if (const dequantize_function simd = dequantize_function_simd_of(type)) return simd;
    return dequantize_function_scalar_of(type);
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
