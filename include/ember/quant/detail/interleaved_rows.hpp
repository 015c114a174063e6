#ifndef EMBER_QUANT_DETAIL_INTERLEAVED_ROWS_HPP
#define EMBER_QUANT_DETAIL_INTERLEAVED_ROWS_HPP
// Q4_0, Q5_0, Q4_K and Q6_K weights with 8 rows interleaved: a load-time layout (when
// weights are copied into memory, load_options::use_mmap = false) that lets
// one decode instruction serve 8 rows.
//
// Why: the row-at-a-time k-quant and 4-bit GEMVs (gemv_vnni.hpp) spend so many
// instructions per byte — nibble unpacking, per-block scale conversions and
// multiplies, per-row reductions — that they consume ~21-26 GB/s even from
// cache, below this machine's read bandwidth: decoding them is
// compute-bound. Reading eight separate row streams side by side shares that
// work but defeats the hardware prefetcher. Stored interleaved, the same 8
// rows are one stream, and a 256-bit load holds 4 bytes of each row (lane r
// = row r): one vpdpbusd against 4 broadcast activation bytes adds 4
// products to each of 8 rows, and 8 rows' scales convert at once.
//
// Per block index b (Q4_0: 8 x 18 = 144 bytes; Q5_0: 8 x 22 = 176; Q4_K:
// 8 x 144 = 1152; Q6_K: 8 x 210 = 1680):
//   Q4_0  [ d of rows 0..7 (fp16) ][ chunk c = 0..3: rows 0..7's qs[4c..4c+3] ]
//         (low nibbles of chunk c: codes 4c..4c+3; high: 16+4c..16+4c+3)
//   Q5_0  [ d x 8 ][ qh of rows 0..7, bits reordered ][ chunks as Q4_0's ]
//   Q4_K  [ d x 8 ][ dmin x 8 ][ scale byte k = 0..11 of rows 0..7 ]
//         [ pair p = 0..3, chunk c = 0..7: rows 0..7's qs[32p+4c..32p+4c+3] ]
//         (low nibbles of pair p: sub-block 2p, high: 2p+1)
//   Q6_K  [ d x 8 ][ scale s = 0..15 of rows 0..7 ]
//         [ half h = 0..1, chunk c = 0..7: rows 0..7's ql[64h+4c..+3],
//           ql[64h+32+4c..+3], qh[32h+4c..+3] ]
//         (in the order the GEMV reads them: one sequential stream)
// A group of 8 rows takes exactly the bytes of 8 plain rows, so rows
// [8g, 8g + 8) start where plain row 8g would: tensor_view::row(8g) stays
// the address of group g.
//
// Per row: the block's integer sum converted, times (d·dy), added with one
// FMA, block after block — the shape of ggml's repacked (8x8) AVX kernels,
// not checked against their outputs. Against the row-at-a-time GEMVs the
// results differ by float rounding only (tests/test_interleaved_weights.cpp).

#include "ember/core/dtype.hpp"
#include "ember/quant/portable.hpp"
#include "ember/quant/detail/common.hpp"
#include "ember/quant/detail/dot_simd.hpp"
#include "ember/quant/detail/gemm_repacked.hpp"
#include "ember/quant/detail/gemv_vnni.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ember/core/detail/tier_target.hpp"

namespace ember::detail {

inline constexpr int interleaved_rows = 8;

// Q6_K: where row bytes [32i, 32i + 32) (ql for i < 4, then qh) start in
// an interleaved block: half h, slot k of each 96-byte chunk run.
inline size_t q6_k_piece_start(int i) { return i < 4 ? 144 + 768 * (i / 2) + 32 * (i % 2) : 144 + 768 * (i - 4) + 64; }

// Q5_0's 32 high bits, reordered so that the GEMV finds chunk c's with two
// shifts: bit 4c+i (value 4c+i) goes to bit c of byte i, bit 16+4c+i to bit
// 4+c of byte i. Byte lookups, a table per byte of the word (and their
// inverses), as loading runs this on every block.
struct q5_0_high_bit_tables {
    uint32_t forward[4][256] = {}, inverse[4][256] = {};
    constexpr q5_0_high_bit_tables() {
        for (int k = 0; k < 4; ++k)
            for (int byte = 0; byte < 256; ++byte)
                for (int b = 0; b < 8; ++b) {
                    if (!(byte >> b & 1)) continue;
                    const int j = 8 * k + b;  // a value's bit, in the plain order
                    const int c = j % 16 / 4, i = j % 4;
                    forward[k][byte] |= uint32_t(1) << (8 * i + c + (j >= 16 ? 4 : 0));
                    const int value = b < 4 ? 4 * b + k : 16 + 4 * (b - 4) + k;  // bit b of byte k in the new order
                    inverse[k][byte] |= uint32_t(1) << value;
                }
    }
};
inline constexpr q5_0_high_bit_tables q5_0_high_bits{};
inline uint32_t permute_bits(const uint32_t (&table)[4][256], uint32_t bits) {
    return table[0][bits & 0xFF] | table[1][bits >> 8 & 0xFF] | table[2][bits >> 16 & 0xFF] | table[3][bits >> 24];
}

// The kernel's arithmetic one lane at a time, for tests: `rows` (a multiple
// of 8) interleaved Q4_0 or Q5_0 rows times an activation in
// gemm_pack_activation's Q8_0 records (32 quants, f32 scale, int32 -128·Σa).
// Q4_0's codes 0..15 stand for q − 8; Q5_0's 0..31 for q − 16, value j's
// fifth bit found through the reordered high-bit word.
inline void gemv_interleaved_legacy_scalar(dtype type, const uint8_t* groups, int64_t rows, const uint8_t* activation, int64_t n,
                                           float* out) {
    const bool fifth_bit = type == dtype::q5_0;
    const size_t group_bytes = fifth_bit ? 176 : 144, quants = fifth_bit ? 48 : 16;
    const int64_t blocks = n / 32;
    for (int64_t first = 0; first < rows; first += interleaved_rows) {
        float acc[interleaved_rows] = {};
        for (int64_t b = 0; b < blocks; ++b, groups += group_bytes) {
            const uint8_t* record = activation + 40 * b;
            const float dy = load_f32(record + 32);
            const int32_t correction = static_cast<int32_t>(load_u32(record + 36)) / (fifth_bit ? 8 : 16);  // -16·Σa or -8·Σa
            for (int r = 0; r < interleaved_rows; ++r) {
                const uint32_t high = fifth_bit ? permute_bits(q5_0_high_bits.inverse, load_u32(groups + 16 + 4 * r)) : 0;
                int32_t sum = correction;
                for (int c = 0; c < 4; ++c)
                    for (int j = 0; j < 4; ++j) {
                        const uint8_t byte = groups[quants + 32 * c + 4 * r + j];
                        const int low = (byte & 0x0F) | (high >> (4 * c + j) & 1) << 4;
                        const int upper = (byte >> 4) | (high >> (16 + 4 * c + j) & 1) << 4;
                        sum += low * as_signed(record[4 * c + j]) + upper * as_signed(record[16 + 4 * c + j]);
                    }
                const float scale = fp16_to_f32(load_u16(groups + 2 * r)) * dy;
                acc[r] = std::fma(static_cast<float>(sum), scale, acc[r]);
            }
        }
        for (int r = 0; r < interleaved_rows; ++r) out[first + r] = acc[r];
    }
}
inline void gemv_interleaved_q4_0_scalar(const uint8_t* groups, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    gemv_interleaved_legacy_scalar(dtype::q4_0, groups, rows, activation, n, out);
}
inline void gemv_interleaved_q5_0_scalar(const uint8_t* groups, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    gemv_interleaved_legacy_scalar(dtype::q5_0, groups, rows, activation, n, out);
}

// The same for Q4_K against plain Q8_K activation blocks: per row and
// block, the integer sums Σ_j scale_j·(q·a)_j and Σ_j min_j·Σa_j, each
// converted and multiplied in one FMA; the mins' total subtracted at the end.
inline void gemv_interleaved_q4_k_scalar(const uint8_t* groups, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    const int64_t blocks = n / qk_k;
    for (int64_t first = 0; first < rows; first += interleaved_rows) {
        float acc[interleaved_rows] = {}, acc_min[interleaved_rows] = {};
        const auto* y = reinterpret_cast<const block_q8_k*>(activation);
        for (int64_t b = 0; b < blocks; ++b, groups += interleaved_rows * 144, ++y) {
            for (int r = 0; r < interleaved_rows; ++r) {
                uint8_t packed_scales[12];
                for (int k = 0; k < 12; ++k) packed_scales[k] = groups[32 + 8 * k + r];
                int32_t total = 0, mins = 0;
                for (int j = 0; j < 8; ++j) {
                    uint8_t scale, min;
                    scale_min_k4(j, packed_scales, scale, min);
                    int32_t sum = 0;
                    for (int c = 0; c < 8; ++c)
                        for (int i = 0; i < 4; ++i) {
                            const uint8_t byte = groups[128 + 256 * (j / 2) + 32 * c + 4 * r + i];
                            sum += ((j % 2) ? byte >> 4 : byte & 0x0F) * y->qs[32 * j + 4 * c + i];
                        }
                    total += scale * sum;
                    mins += min * (y->bsums[2 * j] + y->bsums[2 * j + 1]);
                }
                acc[r] = std::fma(static_cast<float>(total), fp16_to_f32(load_u16(groups + 2 * r)) * y->d, acc[r]);
                acc_min[r] = std::fma(static_cast<float>(mins), fp16_to_f32(load_u16(groups + 16 + 2 * r)) * y->d, acc_min[r]);
            }
        }
        for (int r = 0; r < interleaved_rows; ++r) out[first + r] = acc[r] - acc_min[r];
    }
}

// The same for Q6_K against plain Q8_K blocks: per row and block, the
// integer sum Σ_s scale_s·((q·a)_s − 32·Σa_s) (codes 0..63 stand for q − 32)
// converted and multiplied in one FMA.
inline void gemv_interleaved_q6_k_scalar(const uint8_t* groups, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    const int64_t blocks = n / qk_k;
    for (int64_t first = 0; first < rows; first += interleaved_rows) {
        float acc[interleaved_rows] = {};
        const auto* y = reinterpret_cast<const block_q8_k*>(activation);
        for (int64_t b = 0; b < blocks; ++b, groups += interleaved_rows * 210, ++y) {
            for (int r = 0; r < interleaved_rows; ++r) {
                // byte `offset` (< 192) of row r's plain block
                auto byte = [&](int offset) { return groups[q6_k_piece_start(offset / 32) + 96 * (offset % 32 / 4) + 4 * r + offset % 4]; };
                int32_t total = 0;
                for (int s = 0; s < 16; ++s) {
                    int32_t sum = -32 * y->bsums[s];
                    for (int e = 16 * s; e < 16 * s + 16; ++e) {
                        const int half = e / 128, k = e % 128 / 32, l = e % 32;  // ggml's order: value 128h + 32k + l
                        const uint8_t low = byte(64 * half + 32 * (k % 2) + l), high = byte(128 + 32 * half + l);
                        const int code = ((k < 2 ? low : low >> 4) & 0x0F) | ((high >> (2 * k)) & 3) << 4;
                        sum += code * y->qs[e];
                    }
                    total += static_cast<int8_t>(groups[16 + 8 * s + r]) * sum;
                }
                acc[r] = std::fma(static_cast<float>(total), fp16_to_f32(load_u16(groups + 2 * r)) * y->d, acc[r]);
            }
        }
        for (int r = 0; r < interleaved_rows; ++r) out[first + r] = acc[r];
    }
}

}  // namespace ember::detail
#endif  // EMBER_QUANT_DETAIL_INTERLEAVED_ROWS_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

#if defined(EMBER_TIER_AVX2)
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

// Bytes [offset, offset + 16) of 8 rows' blocks <-> 4 chunks of 32 bytes at
// `out` (chunk c: bytes offset+4c..offset+4c+3 of rows 0..7): the quants of
// the 32-value legacy formats.
inline void interleave_quarters(const uint8_t* const (&row)[interleaved_rows], size_t offset, uint8_t* out) {
#if defined(EMBER_TIER_AVX2)
    __m256i v[4];
    for (int r = 0; r < 4; ++r) v[r] = _mm256_set_m128i(x86::load_128(row[r + 4] + offset), x86::load_128(row[r] + offset));
    x86::transpose_quant_words(v);
    for (int c = 0; c < 4; ++c) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 32 * c), v[c]);
#else
    for (int r = 0; r < interleaved_rows; ++r)
        for (int c = 0; c < 4; ++c) std::memcpy(out + 32 * c + 4 * r, row[r] + offset + 4 * c, 4);
#endif
}
inline void deinterleave_quarters(const uint8_t* in, uint8_t* const (&row)[interleaved_rows], size_t offset) {
#if defined(EMBER_TIER_AVX2)
    __m256i v[4];
    for (int c = 0; c < 4; ++c) v[c] = x86::load_256(in + 32 * c);
    x86::transpose_quant_words(v);
    for (int r = 0; r < 4; ++r) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(row[r] + offset), _mm256_castsi256_si128(v[r]));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(row[r + 4] + offset), _mm256_extracti128_si256(v[r], 1));
    }
#else
    for (int r = 0; r < interleaved_rows; ++r)
        for (int c = 0; c < 4; ++c) std::memcpy(row[r] + offset + 4 * c, in + 32 * c + 4 * r, 4);
#endif
}

// Q4_0: block b of 8 plain rows (row r's block at row[r]) <-> interleaved block.
inline void interleave_q4_0_block(const uint8_t* const (&row)[interleaved_rows], uint8_t* out) {
    for (int r = 0; r < interleaved_rows; ++r) std::memcpy(out + 2 * r, row[r], 2);
    interleave_quarters(row, 2, out + 16);
}
inline void deinterleave_q4_0_block(const uint8_t* in, uint8_t* const (&row)[interleaved_rows]) {
    for (int r = 0; r < interleaved_rows; ++r) std::memcpy(row[r], in + 2 * r, 2);
    deinterleave_quarters(in + 16, row, 2);
}

// Q5_0: [ d x 8 ][ high bits of rows 0..7, reordered ][ chunks as Q4_0's ]
// (8 x 22 = 176 bytes per block index).
inline void interleave_q5_0_block(const uint8_t* const (&row)[interleaved_rows], uint8_t* out) {
    for (int r = 0; r < interleaved_rows; ++r) {
        std::memcpy(out + 2 * r, row[r], 2);
        store_u32(out + 16 + 4 * r, permute_bits(q5_0_high_bits.forward, load_u32(row[r] + 2)));
    }
    interleave_quarters(row, 6, out + 48);
}
inline void deinterleave_q5_0_block(const uint8_t* in, uint8_t* const (&row)[interleaved_rows]) {
    for (int r = 0; r < interleaved_rows; ++r) {
        std::memcpy(row[r], in + 2 * r, 2);
        store_u32(row[r] + 2, permute_bits(q5_0_high_bits.inverse, load_u32(in + 16 + 4 * r)));
    }
    deinterleave_quarters(in + 48, row, 6);
}

// Bytes [offset, offset + 32) of 8 rows' blocks <-> 8 chunks of 32 bytes,
// `stride` bytes apart from `out` (chunk c: bytes offset+4c..offset+4c+3 of
// rows 0..7).
inline void interleave_piece(const uint8_t* const (&row)[interleaved_rows], size_t offset, uint8_t* out, size_t stride = 32) {
#if defined(EMBER_TIER_AVX512)
    __m256i v[8];  // row r's 32 bytes; transposed: chunk c of rows 0..7
    for (int r = 0; r < interleaved_rows; ++r) v[r] = x86::load_256(row[r] + offset);
    x86::transpose_8x8(v);
    for (int c = 0; c < 8; ++c) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + stride * c), v[c]);
#else
    for (int r = 0; r < interleaved_rows; ++r)
        for (int c = 0; c < 8; ++c) std::memcpy(out + stride * c + 4 * r, row[r] + offset + 4 * c, 4);
#endif
}
inline void deinterleave_piece(const uint8_t* in, uint8_t* const (&row)[interleaved_rows], size_t offset, size_t stride = 32) {
#if defined(EMBER_TIER_AVX512)
    __m256i v[8];  // the transpose is its own inverse
    for (int c = 0; c < 8; ++c) v[c] = x86::load_256(in + stride * c);
    x86::transpose_8x8(v);
    for (int r = 0; r < interleaved_rows; ++r) _mm256_storeu_si256(reinterpret_cast<__m256i*>(row[r] + offset), v[r]);
#else
    for (int r = 0; r < interleaved_rows; ++r)
        for (int c = 0; c < 8; ++c) std::memcpy(row[r] + offset + 4 * c, in + stride * c + 4 * r, 4);
#endif
}

// Q4_K: block b of 8 plain rows <-> interleaved block (the layout above).
inline void interleave_q4_k_block(const uint8_t* const (&row)[interleaved_rows], uint8_t* out) {
    for (int r = 0; r < interleaved_rows; ++r) {
        std::memcpy(out + 2 * r, row[r], 2);
        std::memcpy(out + 16 + 2 * r, row[r] + 2, 2);
        for (int k = 0; k < 12; ++k) out[32 + 8 * k + r] = row[r][4 + k];
    }
    for (int p = 0; p < 4; ++p) interleave_piece(row, 16 + 32 * p, out + 128 + 256 * p);
}
inline void deinterleave_q4_k_block(const uint8_t* in, uint8_t* const (&row)[interleaved_rows]) {
    for (int r = 0; r < interleaved_rows; ++r) {
        std::memcpy(row[r], in + 2 * r, 2);
        std::memcpy(row[r] + 2, in + 16 + 2 * r, 2);
        for (int k = 0; k < 12; ++k) row[r][4 + k] = in[32 + 8 * k + r];
    }
    for (int p = 0; p < 4; ++p) deinterleave_piece(in + 128 + 256 * p, row, 16 + 32 * p);
}

// Q6_K: block b of 8 plain rows <-> interleaved block (the layout above).
// Row bytes [32i, 32i + 32) (ql for i < 4, then qh) go to half h, slot k of
// each 96-byte chunk run.
inline void interleave_q6_k_block(const uint8_t* const (&row)[interleaved_rows], uint8_t* out) {
    for (int r = 0; r < interleaved_rows; ++r) {
        std::memcpy(out + 2 * r, row[r] + 208, 2);
        for (int s = 0; s < 16; ++s) out[16 + 8 * s + r] = row[r][192 + s];
    }
    for (int i = 0; i < 6; ++i) interleave_piece(row, 32 * i, out + q6_k_piece_start(i), 96);
}
inline void deinterleave_q6_k_block(const uint8_t* in, uint8_t* const (&row)[interleaved_rows]) {
    for (int r = 0; r < interleaved_rows; ++r) {
        std::memcpy(row[r] + 208, in + 2 * r, 2);
        for (int s = 0; s < 16; ++s) row[r][192 + s] = in[16 + 8 * s + r];
    }
    for (int i = 0; i < 6; ++i) deinterleave_piece(in + q6_k_piece_start(i), row, 32 * i, 96);
}

// `count` (a multiple of 8) plain rows of n values of `type` (interleavable),
// `stride` bytes apart -> interleaved groups at `out` (count * row bytes).
inline void interleave_rows(dtype type, const uint8_t* rows, size_t stride, int64_t count, int64_t n, uint8_t* out) {
    const int64_t blocks = n / traits_of(type).block_size;
    const size_t block_bytes = traits_of(type).block_bytes;
    for (int64_t first = 0; first < count; first += interleaved_rows) {
        const uint8_t* row[interleaved_rows];
        for (int r = 0; r < interleaved_rows; ++r) row[r] = rows + static_cast<size_t>(first + r) * stride;
        for (int64_t b = 0; b < blocks; ++b, out += interleaved_rows * block_bytes) {
            switch (type) {
                case dtype::q5_0: interleave_q5_0_block(row, out); break;
                case dtype::q4_k: interleave_q4_k_block(row, out); break;
                case dtype::q6_k: interleave_q6_k_block(row, out); break;
                default: interleave_q4_0_block(row, out); break;
            }
            for (const uint8_t*& block : row) block += block_bytes;
        }
    }
}

// The inverse: `count` rows (a multiple of 8) from the interleaved groups at
// `groups` back to plain rows `stride` bytes apart.
inline void deinterleave_rows(dtype type, const uint8_t* groups, int64_t count, int64_t n, uint8_t* rows, size_t stride) {
    const int64_t blocks = n / traits_of(type).block_size;
    const size_t block_bytes = traits_of(type).block_bytes;
    for (int64_t first = 0; first < count; first += interleaved_rows) {
        uint8_t* row[interleaved_rows];
        for (int r = 0; r < interleaved_rows; ++r) row[r] = rows + static_cast<size_t>(first + r) * stride;
        for (int64_t b = 0; b < blocks; ++b, groups += interleaved_rows * block_bytes) {
            switch (type) {
                case dtype::q5_0: deinterleave_q5_0_block(groups, row); break;
                case dtype::q4_k: deinterleave_q4_k_block(groups, row); break;
                case dtype::q6_k: deinterleave_q6_k_block(groups, row); break;
                default: deinterleave_q4_0_block(groups, row); break;
            }
            for (uint8_t*& block : row) block += block_bytes;
        }
    }
}

// One row of an interleaved tensor as floats (token embeddings that double
// as the output): its group turned back a block index at a time.
inline void dequantize_interleaved_row(dtype type, const uint8_t* data, size_t row_bytes, int64_t row, int64_t n, float* out) {
    const int64_t values = traits_of(type).block_size;
    const size_t block_bytes = traits_of(type).block_bytes;
    const uint8_t* group = data + static_cast<size_t>(row / interleaved_rows * interleaved_rows) * row_bytes;
    const dequantize_function dequantize = tier_dequantize_of(type);
    uint8_t plain[interleaved_rows * 210];  // the largest interleaved block: Q6_K's
    for (int64_t b = 0; b < n / values; ++b, group += interleaved_rows * block_bytes, out += values) {
        deinterleave_rows(type, group, interleaved_rows, values, plain, block_bytes);
        dequantize(plain + static_cast<size_t>(row % interleaved_rows) * block_bytes, out, values);
    }
}

// ---- decode GEMV (AVX-512 VNNI, 256-bit forms) -----------------------------------------

#if defined(EMBER_TIER_AVX512)
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
            prefetch(groups + prefetch_ahead);
            prefetch(groups + prefetch_ahead + 64);
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

// Q5_0: as Q4_0, each chunk's fifth bits taken from the reordered high-bit
// word with one shift and one mask per half (bit c of byte i: value 4c+i;
// bit 4+c: value 16+4c+i).
template <int C>
inline void q5_0_chunk(const uint8_t* groups, const uint8_t* record, __m256i high_bits, __m256i& low_sum, __m256i& high_sum) {
    const __m256i low_mask = _mm256_set1_epi8(0x0F), fifth_bit = _mm256_set1_epi8(0x10);
    const __m256i packed = load_256(groups + 48 + 32 * C);
    const __m256i low = _mm256_or_si256(_mm256_and_si256(packed, low_mask), _mm256_and_si256(_mm256_slli_epi32(high_bits, 4 - C), fifth_bit));
    const __m256i high = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask),
                                         _mm256_and_si256(_mm256_srli_epi32(high_bits, C), fifth_bit));
    low_sum = _mm256_dpbusd_epi32(low_sum, low, _mm256_set1_epi32(static_cast<int>(load_u32(record + 4 * C))));
    high_sum = _mm256_dpbusd_epi32(high_sum, high, _mm256_set1_epi32(static_cast<int>(load_u32(record + 16 + 4 * C))));
}

inline void gemv_interleaved_q5_0(const uint8_t* groups, size_t, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    const int64_t blocks = n / 32;
    for (int64_t first = 0; first < rows; first += interleaved_rows) {
        __m256 acc = _mm256_setzero_ps();
        const uint8_t* record = activation;
        for (int64_t b = 0; b < blocks; ++b, groups += 176, record += 40) {
            prefetch(groups + prefetch_ahead);
            prefetch(groups + prefetch_ahead + 64);
            prefetch(groups + prefetch_ahead + 128);
            const __m256 scale = _mm256_mul_ps(_mm256_cvtph_ps(load_128(groups)), _mm256_set1_ps(load_f32(record + 32)));
            const __m256i high_bits = load_256(groups + 16);
            // two chains (low and high nibbles), the correction -16·Σa in every lane of one
            __m256i low_sum = _mm256_set1_epi32(static_cast<int32_t>(load_u32(record + 36)) >> 3);
            __m256i high_sum = _mm256_setzero_si256();
            q5_0_chunk<0>(groups, record, high_bits, low_sum, high_sum);
            q5_0_chunk<1>(groups, record, high_bits, low_sum, high_sum);
            q5_0_chunk<2>(groups, record, high_bits, low_sum, high_sum);
            q5_0_chunk<3>(groups, record, high_bits, low_sum, high_sum);
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(low_sum, high_sum)), scale, acc);
        }
        _mm256_storeu_ps(out + first, acc);
    }
}

// Q4_K: per block, the 8 rows' 6-bit scales and mins unpacked as bytes
// [sub-block][row] with vector operations (ggml's bit layout: sub-blocks
// 0-3 in the low 6 bits of bytes 0-3 / 4-7, sub-blocks 4-7 from the nibbles
// of bytes 8-11 and the top 2 bits of bytes 0-7).
inline void unpack_interleaved_q4_k_scales(const uint8_t* block, uint8_t (&scales)[64], uint8_t (&mins)[64]) {
    const __m256i bytes_0_3 = load_256(block + 32), bytes_4_7 = load_256(block + 64), bytes_8_11 = load_256(block + 96);
    const __m256i low_6 = _mm256_set1_epi8(63), low_4 = _mm256_set1_epi8(0x0F), bits_4_5 = _mm256_set1_epi8(0x30);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(scales), _mm256_and_si256(bytes_0_3, low_6));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(scales + 32),
                        _mm256_or_si256(_mm256_and_si256(bytes_8_11, low_4), _mm256_and_si256(_mm256_srli_epi16(bytes_0_3, 2), bits_4_5)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(mins), _mm256_and_si256(bytes_4_7, low_6));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(mins + 32),
                        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bytes_8_11, 4), low_4),
                                        _mm256_and_si256(_mm256_srli_epi16(bytes_4_7, 2), bits_4_5)));
}

// 8 bytes (one sub-block's value for rows 0..7) -> 8 int32 lanes.
inline __m256i row_bytes_to_lanes(const uint8_t* bytes) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(bytes)));
}

inline void gemv_interleaved_q4_k(const uint8_t* groups, size_t, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    const int64_t blocks = n / qk_k;
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    for (int64_t first = 0; first < rows; first += interleaved_rows) {
        __m256 acc = _mm256_setzero_ps(), acc_min = _mm256_setzero_ps();
        const auto* y = reinterpret_cast<const block_q8_k*>(activation);
        for (int64_t b = 0; b < blocks; ++b, groups += interleaved_rows * 144, ++y) {
            alignas(32) uint8_t scales[64], mins[64];
            unpack_interleaved_q4_k_scales(groups, scales, mins);
            // Σ_j min_j · (the activation's two 16-sums of sub-block j)
            alignas(32) int32_t pair_sums[8];
            _mm256_store_si256(reinterpret_cast<__m256i*>(pair_sums), _mm256_madd_epi16(load_256(y->bsums), _mm256_set1_epi16(1)));
            __m256i min_total = _mm256_setzero_si256();
            for (int j = 0; j < 8; ++j)
                min_total = _mm256_add_epi32(min_total, _mm256_mullo_epi32(row_bytes_to_lanes(mins + 8 * j), _mm256_set1_epi32(pair_sums[j])));
            // Σ_j scale_j · (q · a)_j: sub-blocks 2p (low nibbles) and 2p+1 (high) per pair
            __m256i total = _mm256_setzero_si256();
            for (int p = 0; p < 4; ++p) {
                __m256i low_sum = _mm256_setzero_si256(), high_sum = _mm256_setzero_si256();
                const uint8_t* quants = groups + 128 + 256 * p;
                for (int line = 0; line < 4; ++line) prefetch(quants + prefetch_ahead + 64 * line);
                const auto* a = reinterpret_cast<const uint8_t*>(y->qs) + 64 * p;
                for (int c = 0; c < 8; ++c) {
                    const __m256i packed = load_256(quants + 32 * c);
                    low_sum = _mm256_dpbusd_epi32(low_sum, _mm256_and_si256(packed, low_mask),
                                                  _mm256_set1_epi32(static_cast<int>(load_u32(a + 4 * c))));
                    high_sum = _mm256_dpbusd_epi32(high_sum, _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask),
                                                   _mm256_set1_epi32(static_cast<int>(load_u32(a + 32 + 4 * c))));
                }
                total = _mm256_add_epi32(total, _mm256_mullo_epi32(low_sum, row_bytes_to_lanes(scales + 16 * p)));
                total = _mm256_add_epi32(total, _mm256_mullo_epi32(high_sum, row_bytes_to_lanes(scales + 16 * p + 8)));
            }
            const __m256 dy = _mm256_set1_ps(y->d);
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_mul_ps(_mm256_cvtph_ps(load_128(groups)), dy), acc);
            acc_min = _mm256_fmadd_ps(_mm256_cvtepi32_ps(min_total), _mm256_mul_ps(_mm256_cvtph_ps(load_128(groups + 16)), dy), acc_min);
        }
        _mm256_storeu_ps(out + first, _mm256_sub_ps(acc, acc_min));
    }
}

// Helpers of the Q6_K GEMV. (Functions rather than lambdas: GCC warns that a
// lambda returning a vector changes the ABI when the tier's target is set by
// a pragma region.) The offset sum −32·Σa of sub-block `sub`; four bytes
// broadcast as an int32; a sub-block's sums times its 8 rows' int8 scales.
inline __m256i q6_k_offset_sum(const int16_t* bsums, int sub) { return _mm256_set1_epi32(-32 * bsums[sub]); }
inline __m256i broadcast_u32(const uint8_t* bytes) { return _mm256_set1_epi32(static_cast<int>(load_u32(bytes))); }
inline __m256i q6_k_scaled(__m256i sum, const uint8_t* scales, int sub) {
    return _mm256_mullo_epi32(sum, _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales + 8 * sub))));
}

// Q6_K: per half h of the block, chunk c holds values 128h + 32k + 4c..+3 of
// each row for k = 0..3 (two ql words: low nibbles k = 0, 1, high k = 2, 3;
// a qh word: bits 2k, 2k+1), which fall in sub-block
// 8h + 2k + c/4. Each sub-block's sum starts at −32·Σa (the codes' offset)
// and is scaled once with its 8 rows' int8 scales.
inline void gemv_interleaved_q6_k(const uint8_t* groups, size_t, int64_t rows, const uint8_t* activation, int64_t n, float* out) {
    const int64_t blocks = n / qk_k;
    const __m256i low_mask = _mm256_set1_epi8(0x0F), high_mask = _mm256_set1_epi8(0x30);
    for (int64_t first = 0; first < rows; first += interleaved_rows) {
        __m256 acc = _mm256_setzero_ps();
        const auto* y = reinterpret_cast<const block_q8_k*>(activation);
        for (int64_t b = 0; b < blocks; ++b, groups += interleaved_rows * 210, ++y) {
            __m256i total = _mm256_setzero_si256();
            for (int half = 0; half < 2; ++half) {
                const uint8_t* chunks = groups + 144 + 768 * half;  // 96 bytes per c: ql low, ql high, qh
                const auto* a = reinterpret_cast<const uint8_t*>(y->qs) + 128 * half;
                // written out per k, not as loops over arrays: GCC keeps such arrays on the stack
                // (functions, not lambdas, for the vector results: see q6_k_offset_sum)
                const int16_t* bsums = y->bsums + 8 * half;
                for (int s = 0; s < 2; ++s) {  // chunks 4s..4s+3: sub-blocks 8h + 2k + s
                    for (int line = 0; line < 6; ++line) prefetch(chunks + 384 * s + prefetch_ahead + 64 * line);
                    __m256i sum_0 = q6_k_offset_sum(bsums, s), sum_1 = q6_k_offset_sum(bsums, 2 + s), sum_2 = q6_k_offset_sum(bsums, 4 + s),
                            sum_3 = q6_k_offset_sum(bsums, 6 + s);
                    for (int c = 4 * s; c < 4 * s + 4; ++c) {
                        const uint8_t* chunk = chunks + 96 * c;
                        const __m256i low_a = load_256(chunk), low_b = load_256(chunk + 32), high = load_256(chunk + 64);
                        // bits 2k, 2k+1 of each qh byte moved to bits 4, 5 (16-bit shifts: the masks drop what crosses bytes)
                        const __m256i q_0 = _mm256_or_si256(_mm256_and_si256(low_a, low_mask), _mm256_and_si256(_mm256_slli_epi16(high, 4), high_mask));
                        const __m256i q_1 = _mm256_or_si256(_mm256_and_si256(low_b, low_mask), _mm256_and_si256(_mm256_slli_epi16(high, 2), high_mask));
                        const __m256i q_2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(low_a, 4), low_mask), _mm256_and_si256(high, high_mask));
                        const __m256i q_3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(low_b, 4), low_mask),
                                                            _mm256_and_si256(_mm256_srli_epi16(high, 2), high_mask));
                        sum_0 = _mm256_dpbusd_epi32(sum_0, q_0, broadcast_u32(a + 4 * c));
                        sum_1 = _mm256_dpbusd_epi32(sum_1, q_1, broadcast_u32(a + 32 + 4 * c));
                        sum_2 = _mm256_dpbusd_epi32(sum_2, q_2, broadcast_u32(a + 64 + 4 * c));
                        sum_3 = _mm256_dpbusd_epi32(sum_3, q_3, broadcast_u32(a + 96 + 4 * c));
                    }
                    const uint8_t* scales = groups + 16 + 64 * half;
                    total = _mm256_add_epi32(total, _mm256_add_epi32(_mm256_add_epi32(q6_k_scaled(sum_0, scales, s), q6_k_scaled(sum_1, scales, 2 + s)),
                                                                     _mm256_add_epi32(q6_k_scaled(sum_2, scales, 4 + s), q6_k_scaled(sum_3, scales, 6 + s))));
                }
            }
            acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_mul_ps(_mm256_cvtph_ps(load_128(groups)), _mm256_set1_ps(y->d)), acc);
        }
        _mm256_storeu_ps(out + first, acc);
    }
}

}  // namespace x86

// The interleaved GEMV of a type, and the activation it reads.
inline gemv_function interleaved_gemv_function_of(dtype type, gemv_input& input) {
    input = type == dtype::q4_0 || type == dtype::q5_0 ? gemv_input::records : gemv_input::quantized;
    switch (type) {
        case dtype::q4_0: return x86::gemv_interleaved_q4_0;
        case dtype::q5_0: return x86::gemv_interleaved_q5_0;
        case dtype::q4_k: return x86::gemv_interleaved_q4_k;
        case dtype::q6_k: return x86::gemv_interleaved_q6_k;
        default: return nullptr;
    }
}
inline bool can_interleave(dtype type) {
    return type == dtype::q4_0 || type == dtype::q5_0 || type == dtype::q4_k || type == dtype::q6_k;
}
#else
inline gemv_function interleaved_gemv_function_of(dtype, gemv_input& input) {
    input = gemv_input::quantized;
    return nullptr;
}
inline bool can_interleave(dtype) { return false; }
#endif

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
