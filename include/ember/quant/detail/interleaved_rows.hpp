#pragma once
// Q4_0 weights with 8 rows interleaved: a load-time layout (when weights
// are copied into memory, load_options::use_mmap = false) that lets one decode instruction serve
// 8 rows.
//
// Why: the row-at-a-time Q4_0 GEMV (gemv_vnni.hpp) spends ~13 instructions
// per 18-byte block — nibble unpacking, a scale conversion and a multiply,
// a conversion and an FMA — so it consumes ~21-23 GB/s even from cache,
// below this machine's read bandwidth: decoding is compute-bound. Reading
// eight separate row streams side by side shares that work but defeats the
// hardware prefetcher. Stored interleaved, the same 8 rows are one stream:
// per block index b, 144 bytes
//
//     [ 8 fp16 scales, row 0..7 ][ 4 chunks c = 0..3: row 0..7's qs[4c..4c+3] ]
//
// so a 256-bit load holds 4 bytes of each row (lane r = row r), its low
// nibbles are codes 4c..4c+3 and its high nibbles codes 16+4c..16+4c+3, and
// one vpdpbusd against 4 broadcast activation bytes adds 4 products to each
// of the 8 rows; the 8 scales convert with one vcvtph2ps. ~40 instructions
// per 144 bytes instead of ~100.
//
// A group of 8 rows takes exactly the bytes of 8 plain rows, so rows
// [8g, 8g + 8) start where plain row 8g would: tensor_view::row(8g) stays
// the address of group g. Per row, the float steps are the reference's
// interleaved (q4_0 8x8) kernel's: acc = fma(Σ codes·a - 8·Σa, d·dy, acc),
// block after block.

#include "ember/core/dtype.hpp"
#include "ember/quant/dequantize.hpp"
#include "ember/quant/detail/common.hpp"
#include "ember/quant/detail/dot_simd.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ember::detail {

inline constexpr int interleaved_rows = 8;

// ---- layout (portable) ---------------------------------------------------------------

// Whether this target decodes `type` from interleaved rows (and so whether
// a loader should interleave them).
inline bool can_interleave(dtype type);

#if defined(EMBER_QUANT_X86_AVX2)
namespace x86 {
// Block b's 16 quant bytes of rows r and r + 4 side by side (v[r], r < 4),
// transposed as 32-bit elements within each 128-bit half: v[c] then holds
// dword c of rows 0..3 | 4..7 — chunk c of the interleaved block. The same
// transpose takes chunks back to rows (it is its own inverse).
inline void transpose_quant_words(__m256i (&v)[4]) {
    const __m256i a0 = _mm256_unpacklo_epi32(v[0], v[1]), a1 = _mm256_unpackhi_epi32(v[0], v[1]);
    const __m256i a2 = _mm256_unpacklo_epi32(v[2], v[3]), a3 = _mm256_unpackhi_epi32(v[2], v[3]);
    v[0] = _mm256_unpacklo_epi64(a0, a2);
    v[1] = _mm256_unpackhi_epi64(a0, a2);
    v[2] = _mm256_unpacklo_epi64(a1, a3);
    v[3] = _mm256_unpackhi_epi64(a1, a3);
}
}  // namespace x86
#endif

// Block b of 8 plain rows (row r's block at row[r]) <-> interleaved block.
inline void interleave_q4_0_block(const uint8_t* const (&row)[interleaved_rows], uint8_t* out) {
    for (int r = 0; r < interleaved_rows; ++r) std::memcpy(out + 2 * r, row[r], 2);
#if defined(EMBER_QUANT_X86_AVX2)
    __m256i v[4];
    for (int r = 0; r < 4; ++r) v[r] = _mm256_set_m128i(x86::load_128(row[r + 4] + 2), x86::load_128(row[r] + 2));
    x86::transpose_quant_words(v);
    for (int c = 0; c < 4; ++c) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 16 + 32 * c), v[c]);
#else
    for (int r = 0; r < interleaved_rows; ++r)
        for (int c = 0; c < 4; ++c) std::memcpy(out + 16 + 32 * c + 4 * r, row[r] + 2 + 4 * c, 4);
#endif
}
inline void deinterleave_q4_0_block(const uint8_t* in, uint8_t* const (&row)[interleaved_rows]) {
    for (int r = 0; r < interleaved_rows; ++r) std::memcpy(row[r], in + 2 * r, 2);
#if defined(EMBER_QUANT_X86_AVX2)
    __m256i v[4];
    for (int c = 0; c < 4; ++c) v[c] = x86::load_256(in + 16 + 32 * c);
    x86::transpose_quant_words(v);
    for (int r = 0; r < 4; ++r) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(row[r] + 2), _mm256_castsi256_si128(v[r]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(row[r + 4] + 2), _mm256_extracti128_si256(v[r], 1));
    }
#else
    for (int r = 0; r < interleaved_rows; ++r)
        for (int c = 0; c < 4; ++c) std::memcpy(row[r] + 2 + 4 * c, in + 16 + 32 * c + 4 * r, 4);
#endif
}

// `count` (a multiple of 8) plain Q4_0 rows of n values, `stride` bytes
// apart -> interleaved groups at `out` (count * row_bytes(q4_0, n) bytes).
inline void interleave_q4_0(const uint8_t* rows, size_t stride, int64_t count, int64_t n, uint8_t* out) {
    for (int64_t first = 0; first < count; first += interleaved_rows) {
        const uint8_t* row[interleaved_rows];
        for (int r = 0; r < interleaved_rows; ++r) row[r] = rows + static_cast<size_t>(first + r) * stride;
        for (int64_t b = 0; b < n / 32; ++b, out += 144) {
            interleave_q4_0_block(row, out);
            for (const uint8_t*& block : row) block += 18;
        }
    }
}

// The inverse: `count` rows (a multiple of 8) from the interleaved groups at
// `groups` back to plain rows `stride` bytes apart.
inline void deinterleave_q4_0(const uint8_t* groups, int64_t count, int64_t n, uint8_t* rows, size_t stride) {
    for (int64_t first = 0; first < count; first += interleaved_rows) {
        uint8_t* row[interleaved_rows];
        for (int r = 0; r < interleaved_rows; ++r) row[r] = rows + static_cast<size_t>(first + r) * stride;
        for (int64_t b = 0; b < n / 32; ++b, groups += 144) {
            deinterleave_q4_0_block(groups, row);
            for (uint8_t*& block : row) block += 18;
        }
    }
}

// One row of an interleaved Q4_0 tensor as floats, a block at a time.
inline void dequantize_interleaved_q4_0_row(const uint8_t* data, size_t row_bytes, int64_t row, int64_t n, float* out) {
    const uint8_t* group = data + static_cast<size_t>(row / interleaved_rows * interleaved_rows) * row_bytes;
    const int r = static_cast<int>(row % interleaved_rows);
    const dequantize_function dequantize = dequantize_function_of(dtype::q4_0);
    for (int64_t b = 0; b < n / 32; ++b, group += 144) {
        uint8_t block[18];
        std::memcpy(block, group + 2 * r, 2);
        for (int c = 0; c < 4; ++c) std::memcpy(block + 2 + 4 * c, group + 16 + 32 * c + 4 * r, 4);
        dequantize(block, out + 32 * b, 32);
    }
}

// The kernel's arithmetic one lane at a time, for tests: `rows` (a multiple
// of 8) interleaved rows times an activation in gemm_pack_activation's Q8_0
// records (32 quants, f32 scale, int32 -128·Σa).
inline void gemv_interleaved_q4_0_scalar(const uint8_t* groups, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    const int64_t blocks = n / 32;
    for (int64_t first = 0; first < rows; first += interleaved_rows) {
        float acc[interleaved_rows] = {};
        for (int64_t b = 0; b < blocks; ++b, groups += 144) {
            const uint8_t* record = activation + 40 * b;
            const float dy = load_f32(record + 32);
            const int32_t correction = static_cast<int32_t>(load_u32(record + 36)) / 16;  // -8·Σa
            for (int r = 0; r < interleaved_rows; ++r) {
                int32_t sum = correction;
                for (int c = 0; c < 4; ++c)
                    for (int j = 0; j < 4; ++j) {
                        const uint8_t byte = groups[16 + 32 * c + 4 * r + j];
                        sum += (byte & 0x0F) * as_signed(record[4 * c + j]) + (byte >> 4) * as_signed(record[16 + 4 * c + j]);
                    }
                const float scale = fp16_to_f32(load_u16(groups + 2 * r)) * dy;
                acc[r] = std::fma(static_cast<float>(sum), scale, acc[r]);
            }
        }
        for (int r = 0; r < interleaved_rows; ++r) out[first + r] = acc[r];
    }
}

// ---- decode GEMV (AVX-512 VNNI, 256-bit forms) -----------------------------------------

#if defined(EMBER_QUANT_X86_VNNI) && defined(__AVX512BW__)
#define EMBER_QUANT_GEMV_INTERLEAVED 1
namespace x86 {

// `rows` (a multiple of 8) interleaved rows; the activation as above. The
// stride argument (gemv_function's) is unused: groups are contiguous.
inline void gemv_interleaved_q4_0(const uint8_t* groups, size_t, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    const int64_t blocks = n / 32;
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    for (int64_t first = 0; first < rows; first += interleaved_rows) {
        __m256 acc = _mm256_setzero_ps();
        const uint8_t* record = activation;
        for (int64_t b = 0; b < blocks; ++b, groups += 144, record += 40) {
            const __m256 scale = _mm256_mul_ps(_mm256_cvtph_ps(load_128(groups)), _mm256_set1_ps(load_f32(record + 32)));
            // two chains (low and high nibbles), the correction -8·Σa in every lane of one
            __m256i low_sum = _mm256_set1_epi32(static_cast<int32_t>(load_u32(record + 36)) >> 4);
            __m256i high_sum = _mm256_setzero_si256();
            for (int c = 0; c < 4; ++c) {
                const __m256i packed = load_256(groups + 16 + 32 * c);
                const __m256i low = _mm256_and_si256(packed, low_mask);
                const __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
                low_sum = _mm256_dpbusd_epi32(low_sum, low, _mm256_set1_epi32(static_cast<int>(load_u32(record + 4 * c))));
                high_sum = _mm256_dpbusd_epi32(high_sum, high, _mm256_set1_epi32(static_cast<int>(load_u32(record + 16 + 4 * c))));
            }
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(low_sum, high_sum)), scale, acc);
        }
        _mm256_storeu_ps(out + first, acc);
    }
}

}  // namespace x86

inline bool can_interleave(dtype type) { return type == dtype::q4_0; }
#else
inline bool can_interleave(dtype) { return false; }
#endif

}  // namespace ember::detail
