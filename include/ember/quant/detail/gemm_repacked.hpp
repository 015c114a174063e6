#ifndef EMBER_QUANT_DETAIL_GEMM_REPACKED_HPP
#define EMBER_QUANT_DETAIL_GEMM_REPACKED_HPP
// Prefill GEMM for quantized weights (the avx512 tier: AVX-512 VNNI; the avx2
// tier: vpmaddubsw, further down): many tokens times a chunk of weight rows,
// with the rows repacked on the fly so one vpdpbusd computes 16 rows at once.
//
// Why: the row-major micro-kernels (dot_tile.hpp) give each (row, token)
// pair its own vector of 8 partial sums, and every 32-element block then
// costs that pair a conversion, a scale multiply and an FMA — as much float
// work as integer work. Here 16 consecutive rows are interleaved 4 bytes at
// a time ([k][row][4 bytes] per 32 elements), so lane j of a 512-bit vector
// is row j: a token's 4 activation bytes are broadcast to all lanes and one
// vpdpbusd adds 4 products to each of 16 rows. A 32-element group then needs
// 8 vpdpbusd and a single scale FMA for 16 rows. (512-bit rather than 256:
// the same multiply throughput on Zen 4, which splits them in two, with half
// the instructions — at 256 bits the front end, not the multipliers, limits.)
// Repacking 16 rows costs about a tenth of multiplying them with 100 tokens,
// and needs no copy of the model: the packed rows live in per-thread scratch
// only while they are used.
//
// Formats: every weight is turned into an unsigned byte u plus per-group
// float scale (and, for Q4_K, offset):
//   Q8_0, Q4_0, Q5_0  groups of 32, u = w + 128 (w = q, q-8, q-16)  scale d
//   Q6_K              groups of 16, u = q - 32 + 128                 scale d·sc
//   Q4_K              groups of 32, u = q                            scale d·sc, offset -dmin·m
// and Σ u·a is exact in int32; the +128 comes back out through the
// activations' group sums: Σ w·a = Σ u·a - 128 Σ a. Each lane (row) sums its
// blocks in order, so for the legacy formats the float steps can be the
// reference's own: its generic dot products round the block's scale product
// and the running sum separately (block_scaling), and ember does the same —
// bit for bit the scalar dot products, at one extra multiply per block and
// token. (An FMA instead changes the last bit of some rows; with 8-bit
// activations that flips a code in the next layer, and measured, greedy
// continuations of the q5_0 model then parted from the reference's after 3
// tokens instead of none in 24.) The k-quants keep an FMA: the reference's
// own sums for them run in 8 partial lanes, an order no row-per-lane kernel
// shares.
//
// Activations are packed once per matmul (gemm_pack_activation): per token
// and group, the int8 quants, the float scale and either the int32
// correction -128·Σa or (Q4_K) the float d·Σa.

#include "ember/core/dtype.hpp"
#include "ember/quant/blocks.hpp"
#include "ember/quant/detail/common.hpp"
#include "ember/quant/detail/dot_simd.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ember::detail {

// How a group's integer sum s meets the weight scale dx and the activation
// scale dy: the reference's generic code computes s·(dx·dy) (Q8_0, Q5_0) or
// (s·dx)·dy (Q4_0), each product rounded, then adds it to the running sum.
enum class block_scaling { fused, sum_times_product, left_to_right };

struct gemm_format {
    int group = 0;         // elements per scale
    bool offset = false;   // a per-group float offset (Q4_K's min), else the -128·Σa correction
    dtype activation = dtype::f32;
    block_scaling scaling = block_scaling::fused;
};

inline gemm_format gemm_format_of(dtype weight_type) {
    switch (weight_type) {
        case dtype::q8_0: case dtype::q5_0: return {32, false, dtype::q8_0, block_scaling::sum_times_product};
        case dtype::q4_0: return {32, false, dtype::q8_0, block_scaling::left_to_right};
        case dtype::q6_k: return {16, false, dtype::q8_k, block_scaling::fused};
        case dtype::q4_k: return {32, true, dtype::q8_k, block_scaling::fused};
        default: return {};
    }
}

// Packed activation row: per group, its int8 quants, its float scale, and
// its correction (int32) or scaled sum (float) — one record of group + 8
// bytes, so the kernel walks each token with a single pointer.
inline size_t gemm_activation_bytes(dtype weight_type, int64_t n) {
    const gemm_format format = gemm_format_of(weight_type);
    if (format.group == 0) return 0;
    const size_t groups = static_cast<size_t>(n) / static_cast<size_t>(format.group);
    return (groups * static_cast<size_t>(format.group + 8) + 63) / 64 * 64;
}

// Rows repacked and multiplied together.
inline constexpr int gemm_rows = 16;

// Per-thread scratch for 16 repacked rows: the bytes, then per group 16
// scales and 16 offsets.
inline size_t gemm_scratch_bytes(dtype weight_type, int64_t n) {
    const gemm_format format = gemm_format_of(weight_type);
    if (format.group == 0) return 0;
    const size_t groups = static_cast<size_t>(n) / static_cast<size_t>(format.group);
    return gemm_rows * static_cast<size_t>(n) + 8 * gemm_rows * groups + 64;
}

}  // namespace ember::detail
#endif  // EMBER_QUANT_DETAIL_GEMM_REPACKED_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

// Packs one activation row, quantized to vec_dot_type(weight_type), for the GEMM.
inline void gemm_pack_activation(dtype weight_type, const uint8_t* quantized, int64_t n, uint8_t* packed) {
    const gemm_format format = gemm_format_of(weight_type);
    const size_t record = static_cast<size_t>(format.group) + 8;
    if (format.activation == dtype::q8_0) {
        for (int64_t b = 0; b < n / 32; ++b, packed += record) {
            const uint8_t* block = quantized + 34 * b;
            std::memcpy(packed, block + 2, 32);
#if defined(EMBER_TIER_AVX2)
            // on the per-token path (decoding packs every matmul's input): sum
            // the 32 quants as unsigned (q + 128) with vpsadbw
            const __m256i sums = _mm256_sad_epu8(_mm256_xor_si256(x86::load_256(block + 2), _mm256_set1_epi8(static_cast<char>(0x80))),
                                                 _mm256_setzero_si256());
            const __m128i folded = _mm_add_epi64(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
            const int sum = static_cast<int>(_mm_cvtsi128_si64(folded) + _mm_extract_epi64(folded, 1)) - 32 * 128;
            const float d = x86::half_to_float(load_u16(block));
#else
            int sum = 0;
            for (int i = 0; i < 32; ++i) sum += as_signed(block[2 + i]);
            const float d = fp16_to_f32(load_u16(block));
#endif
            const int32_t correction = -128 * sum;
            std::memcpy(packed + 32, &d, 4);
            std::memcpy(packed + 36, &correction, 4);
        }
        return;
    }
    // Q8_K: d per 256, 16-sums per 16
    const int group = format.group;
    for (int64_t b = 0; b < n / qk_k; ++b) {
        const uint8_t* block = quantized + 292 * b;
        const float d = load_f32(block);
        int16_t bsums[16];
        std::memcpy(bsums, block + 260, sizeof(bsums));
        for (int j = 0; j < qk_k / group; ++j, packed += record) {
            std::memcpy(packed, block + 4 + group * j, static_cast<size_t>(group));
            std::memcpy(packed + group, &d, 4);
            if (format.offset) {  // groups of 32: two 16-sums
                const float scaled_sum = d * static_cast<float>(bsums[2 * j] + bsums[2 * j + 1]);
                std::memcpy(packed + group + 4, &scaled_sum, 4);
            } else {  // groups of 16
                const int32_t correction = -128 * bsums[j];
                std::memcpy(packed + group + 4, &correction, 4);
            }
        }
    }
}

#if defined(EMBER_TIER_AVX2)
namespace x86 {

// ---- one row's 32-element run as 32 bytes: both tiers' GEMMs ----------------------

// Run r (elements 32r .. 32r+31) of a row as 32 codes (Q8_0: the signed quants).
inline __m256i code_run_q8_0(const uint8_t* row, int64_t r) { return load_256(row + 34 * r + 2); }
inline __m256i code_run_q4_0(const uint8_t* row, int64_t r) { return unpack_nibbles(row + 18 * r + 2); }
inline __m256i code_run_q5_0(const uint8_t* row, int64_t r) {
    const uint8_t* block = row + 22 * r;
    return _mm256_or_si256(unpack_nibbles(block + 6), fifth_bits(load_u32(block + 2)));
}
inline __m256i code_run_q4_k(const uint8_t* row, int64_t r) {
    // super-block r/8, run j = r%8: 32 packed bytes per pair of runs, low nibbles first
    const __m256i bytes = load_256(row + 144 * (r / 8) + 16 + 32 * ((r % 8) / 2));
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    return (r % 2) == 0 ? _mm256_and_si256(bytes, low_mask) : _mm256_and_si256(_mm256_srli_epi16(bytes, 4), low_mask);
}
inline __m256i code_run_q6_k(const uint8_t* row, int64_t r) {
    // super-block r/8; half h = (r%8)/4, quarter p = r%4
    const uint8_t* block = row + 210 * (r / 8);
    const int h = static_cast<int>((r % 8) / 4), p = static_cast<int>(r % 4);
    const __m256i ql = load_256(block + 64 * h + 32 * (p & 1));
    const __m256i qh = load_256(block + 128 + 32 * h);
    const __m256i low_mask = _mm256_set1_epi8(0x0F), two_bits = _mm256_set1_epi8(3);
    const __m256i low = p < 2 ? _mm256_and_si256(ql, low_mask) : _mm256_and_si256(_mm256_srli_epi16(ql, 4), low_mask);
    const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * p), two_bits), 4);
    return _mm256_or_si256(low, high);
}

// 8x8 transpose of 32-bit elements: out[k] holds dword k of in[0..7].
inline void transpose_8x8(__m256i (&v)[8]) {
    const __m256i t0 = _mm256_unpacklo_epi32(v[0], v[1]), t1 = _mm256_unpackhi_epi32(v[0], v[1]);
    const __m256i t2 = _mm256_unpacklo_epi32(v[2], v[3]), t3 = _mm256_unpackhi_epi32(v[2], v[3]);
    const __m256i t4 = _mm256_unpacklo_epi32(v[4], v[5]), t5 = _mm256_unpackhi_epi32(v[4], v[5]);
    const __m256i t6 = _mm256_unpacklo_epi32(v[6], v[7]), t7 = _mm256_unpackhi_epi32(v[6], v[7]);
    const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    const __m256i u4 = _mm256_unpacklo_epi64(t4, t6), u5 = _mm256_unpackhi_epi64(t4, t6);
    const __m256i u6 = _mm256_unpacklo_epi64(t5, t7), u7 = _mm256_unpackhi_epi64(t5, t7);
    v[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
    v[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
    v[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
    v[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
    v[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
    v[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
    v[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
    v[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}
}  // namespace x86
#endif

#if defined(EMBER_TIER_AVX512)
namespace x86 {

// Run r as the unsigned bytes u = w + 128 (w = q, q - 8, q - 16, q - 32;
// Q4_K's codes as they are: its min comes in through the offset).
inline __m256i run_q8_0(const uint8_t* row, int64_t r) {
    return _mm256_xor_si256(code_run_q8_0(row, r), _mm256_set1_epi8(static_cast<char>(0x80)));
}
inline __m256i run_q4_0(const uint8_t* row, int64_t r) { return _mm256_add_epi8(code_run_q4_0(row, r), _mm256_set1_epi8(120)); }
inline __m256i run_q5_0(const uint8_t* row, int64_t r) { return _mm256_add_epi8(code_run_q5_0(row, r), _mm256_set1_epi8(112)); }
inline __m256i run_q4_k(const uint8_t* row, int64_t r) { return code_run_q4_k(row, r); }
inline __m256i run_q6_k(const uint8_t* row, int64_t r) { return _mm256_add_epi8(code_run_q6_k(row, r), _mm256_set1_epi8(96)); }

// Group scales (and offsets) of one row into lane `lane` of the scratch
// (16 lanes per group).
inline void row_scales(dtype type, const uint8_t* row, int64_t n, int lane, float* scales, float* offsets) {
    switch (type) {
        case dtype::q8_0: for (int64_t b = 0; b < n / 32; ++b) scales[gemm_rows * b + lane] = load_half(row + 34 * b); break;
        case dtype::q4_0: for (int64_t b = 0; b < n / 32; ++b) scales[gemm_rows * b + lane] = load_half(row + 18 * b); break;
        case dtype::q5_0: for (int64_t b = 0; b < n / 32; ++b) scales[gemm_rows * b + lane] = load_half(row + 22 * b); break;
        case dtype::q6_k:
            for (int64_t b = 0; b < n / qk_k; ++b) {
                const uint8_t* block = row + 210 * b;
                const float d = load_half(block + 208);
                for (int j = 0; j < 16; ++j) scales[gemm_rows * (16 * b + j) + lane] = d * static_cast<float>(as_signed(block[192 + j]));
            }
            break;
        case dtype::q4_k:
            for (int64_t b = 0; b < n / qk_k; ++b) {
                const uint8_t* block = row + 144 * b;
                const float d = load_half(block), dmin = load_half(block + 2);
                for (int j = 0; j < 8; ++j) {
                    uint8_t scale, min;
                    scale_min_k4(j, block + 4, scale, min);
                    scales[gemm_rows * (8 * b + j) + lane] = d * static_cast<float>(scale);
                    offsets[gemm_rows * (8 * b + j) + lane] = -dmin * static_cast<float>(min);
                }
            }
            break;
        default: break;
    }
}


// Repacks `valid` (<= 16) rows; missing rows are zero bytes with zero
// scales. Per 32-element run: for k = 0..7, rows 0..15's 4 bytes.
template <__m256i (*Run)(const uint8_t*, int64_t)>
inline void repack_runs(const uint8_t* rows, size_t stride, int valid, int64_t n, uint8_t* packed) {
    for (int64_t r = 0; r < n / 32; ++r) {
        for (int half = 0; half < 2; ++half) {
            __m256i v[8];
            for (int j = 0; j < 8; ++j) {
                const int row = 8 * half + j;
                v[j] = row < valid ? Run(rows + static_cast<size_t>(row) * stride, r) : _mm256_setzero_si256();
            }
            transpose_8x8(v);
            for (int k = 0; k < 8; ++k)
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(packed + 512 * r + 64 * k + 32 * half), v[k]);
        }
    }
}

inline void repack_rows(dtype type, const uint8_t* rows, size_t stride, int valid, int64_t n, uint8_t* packed,
                        float* scales, float* offsets) {
    switch (type) {
        case dtype::q8_0: repack_runs<run_q8_0>(rows, stride, valid, n, packed); break;
        case dtype::q4_0: repack_runs<run_q4_0>(rows, stride, valid, n, packed); break;
        case dtype::q5_0: repack_runs<run_q5_0>(rows, stride, valid, n, packed); break;
        case dtype::q4_k: repack_runs<run_q4_k>(rows, stride, valid, n, packed); break;
        case dtype::q6_k: repack_runs<run_q6_k>(rows, stride, valid, n, packed); break;
        default: break;
    }
    const gemm_format format = gemm_format_of(type);
    const int64_t groups = n / format.group;
    for (int64_t i = 0; i < gemm_rows * groups; ++i) scales[i] = offsets[i] = 0.0f;
    for (int j = 0; j < valid; ++j) row_scales(type, rows + static_cast<size_t>(j) * stride, n, j, scales, offsets);
}

// Keeps the compiler from fusing a product into the following sum (GCC
// contracts intrinsics' mul + add into an FMA, which rounds once where the
// reference rounds twice).
inline __m512 unfused(__m512 v) {
#if defined(__GNUC__)
    __asm__("" : "+v"(v));
#endif
    return v;
}

// acc + the group's contribution s·dx·dy, rounded as `Scaling` says.
template <block_scaling Scaling>
inline __m512 add_group(__m512 acc, __m512i sum, __m512 dx, __m512 dy) {
    const __m512 s = _mm512_cvtepi32_ps(sum);
    if (Scaling == block_scaling::fused) return _mm512_fmadd_ps(s, _mm512_mul_ps(dx, dy), acc);
    if (Scaling == block_scaling::sum_times_product) return _mm512_add_ps(acc, unfused(_mm512_mul_ps(s, _mm512_mul_ps(dx, dy))));
    return _mm512_add_ps(acc, unfused(_mm512_mul_ps(_mm512_mul_ps(s, dx), dy)));
}

// 16 packed rows x T tokens over all groups. The k loop runs outside the
// token loop so the T accumulations interleave (vpdpbusd's latency hides
// behind the other tokens').
template <int Group, bool Offset, block_scaling Scaling, int T>
inline void gemm_kernel(const uint8_t* packed, const float* scales, const float* offsets, const uint8_t* activations,
                        size_t activation_stride, int64_t n, int valid, float* out, size_t out_stride) {
    constexpr int k_steps = Group / 4;
    constexpr int record = Group + 8;
    const int64_t groups = n / Group;
    __m512 acc[T];
    for (auto& a : acc) a = _mm512_setzero_ps();
    const uint8_t* token[T];  // each token's current group record
    for (int t = 0; t < T; ++t) token[t] = activations + static_cast<size_t>(t) * activation_stride;
    for (int64_t g = 0; g < groups; ++g, packed += gemm_rows * Group, scales += gemm_rows, offsets += gemm_rows) {
        __m512i w[k_steps];
        for (int k = 0; k < k_steps; ++k) w[k] = _mm512_loadu_si512(packed + 64 * k);
        __m512i sum[T];
        for (int t = 0; t < T; ++t)
            sum[t] = Offset ? _mm512_setzero_si512() : _mm512_set1_epi32(static_cast<int>(load_u32(token[t] + Group + 4)));
        for (int k = 0; k < k_steps; ++k)
            for (int t = 0; t < T; ++t)
                sum[t] = _mm512_dpbusd_epi32(sum[t], w[k], _mm512_set1_epi32(static_cast<int>(load_u32(token[t] + 4 * k))));
        const __m512 scale = _mm512_loadu_ps(scales);
        for (int t = 0; t < T; ++t) {
            const __m512 dy = _mm512_set1_ps(load_f32(token[t] + Group));
            acc[t] = add_group<Scaling>(acc[t], sum[t], scale, dy);
            if (Offset) acc[t] = _mm512_fmadd_ps(_mm512_loadu_ps(offsets), _mm512_set1_ps(load_f32(token[t] + Group + 4)), acc[t]);
            token[t] += record;
        }
    }
    const __mmask16 mask = static_cast<__mmask16>((1u << valid) - 1);
    for (int t = 0; t < T; ++t) _mm512_mask_storeu_ps(out + static_cast<size_t>(t) * out_stride, mask, acc[t]);
}

template <int Group, bool Offset, block_scaling Scaling>
inline void gemm_tokens(const uint8_t* packed, const float* scales, const float* offsets, const uint8_t* activations,
                        size_t activation_stride, int64_t tokens, int64_t n, int valid, float* out, size_t out_stride) {
    constexpr int T = 8;
    int64_t t = 0;
    for (; t + T <= tokens; t += T)
        gemm_kernel<Group, Offset, Scaling, T>(packed, scales, offsets, activations + static_cast<size_t>(t) * activation_stride,
                                      activation_stride, n, valid, out + static_cast<size_t>(t) * out_stride, out_stride);
    const uint8_t* a = activations + static_cast<size_t>(t) * activation_stride;
    float* o = out + static_cast<size_t>(t) * out_stride;
    switch (tokens - t) {
        case 7: gemm_kernel<Group, Offset, Scaling, 7>(packed, scales, offsets, a, activation_stride, n, valid, o, out_stride); break;
        case 6: gemm_kernel<Group, Offset, Scaling, 6>(packed, scales, offsets, a, activation_stride, n, valid, o, out_stride); break;
        case 5: gemm_kernel<Group, Offset, Scaling, 5>(packed, scales, offsets, a, activation_stride, n, valid, o, out_stride); break;
        case 4: gemm_kernel<Group, Offset, Scaling, 4>(packed, scales, offsets, a, activation_stride, n, valid, o, out_stride); break;
        case 3: gemm_kernel<Group, Offset, Scaling, 3>(packed, scales, offsets, a, activation_stride, n, valid, o, out_stride); break;
        case 2: gemm_kernel<Group, Offset, Scaling, 2>(packed, scales, offsets, a, activation_stride, n, valid, o, out_stride); break;
        case 1: gemm_kernel<Group, Offset, Scaling, 1>(packed, scales, offsets, a, activation_stride, n, valid, o, out_stride); break;
        default: break;
    }
}

}  // namespace x86

inline bool has_gemm_repacked(dtype weight_type) { return gemm_format_of(weight_type).group != 0; }

// out[t * out_stride + r] = Σ_i W[r][i] · a_t[i] for r < rows, t < tokens:
// weight rows `weight_stride` bytes apart; activations packed by
// gemm_pack_activation, `activation_stride` bytes apart; scratch of
// gemm_scratch_bytes(type, n) bytes, 32-byte aligned.
inline void gemm_repacked(dtype type, const uint8_t* weights, size_t weight_stride, int64_t rows, const uint8_t* activations,
                          size_t activation_stride, int64_t tokens, int64_t n, float* out, size_t out_stride,
                          uint8_t* scratch) {
    const gemm_format format = gemm_format_of(type);
    const int64_t groups = n / format.group;
    uint8_t* packed = scratch;
    auto* scales = reinterpret_cast<float*>(scratch + gemm_rows * static_cast<size_t>(n));
    float* offsets = scales + gemm_rows * groups;
    // the kernel of the format: group size, offset or correction, block scaling
    const auto multiply = format.group == 16 ? x86::gemm_tokens<16, false, block_scaling::fused>
                          : format.offset     ? x86::gemm_tokens<32, true, block_scaling::fused>
                          : format.scaling == block_scaling::left_to_right
                              ? x86::gemm_tokens<32, false, block_scaling::left_to_right>
                              : x86::gemm_tokens<32, false, block_scaling::sum_times_product>;
    for (int64_t first = 0; first < rows; first += gemm_rows) {
        const int valid = static_cast<int>(rows - first < gemm_rows ? rows - first : gemm_rows);
        x86::repack_rows(type, weights + static_cast<size_t>(first) * weight_stride, weight_stride, valid, n, packed, scales, offsets);
        multiply(packed, scales, offsets, activations, activation_stride, tokens, n, valid, out + first, out_stride);
    }
}

#elif defined(EMBER_TIER_AVX2)
// AVX2 (no vpdpbusd): the same 16-row groups, scratch size and activation
// records, multiplied 8 rows per 256-bit register with vpmaddubsw (unsigned
// weight byte × signed activation byte → int16 pair sums, saturating) and
// vpmaddwd with ones (→ int32 per row). So that no pair sum saturates, the
// weights stay small unsigned codes instead of u = w + 128:
//   Q4_0, Q4_K  q in 0..15   pairs ≤ 2·15·128 = 3840: 8 steps of 4 bytes (a
//                            whole group) add up in int16 before one vpmaddwd
//   Q5_0        q in 0..31   pairs ≤ 7936: 4 steps per vpmaddwd
//   Q6_K        q in 0..63   pairs ≤ 16128: 2 steps per vpmaddwd
//   Q8_0        w signed     |w| × sign(a, w) (vpsignb): pairs ≤ 2·128·127,
//                            one step per vpmaddwd, and no correction
// and the zero point comes back through the records' correction −128·Σa,
// shifted arithmetically (exact: a multiple of 128) to −8·Σa (Q4_0, >> 4),
// −16·Σa (Q5_0, >> 3), −32·Σa (Q6_K, >> 2); Q4_K's offset as on AVX-512.
// The integer sums are exact, and the float steps per row and group are the
// AVX-512 kernel's: for the legacy formats the scalar dot products', bit for
// bit.
//
// Scratch (gemm_scratch_bytes): the two halves of the group (rows 0..7,
// 8..15) each contiguous — per half, per 32-element run, per 4-byte step k,
// the 8 rows' 4 bytes (32 bytes) — then the scales, per half per group 8
// floats, then the offsets likewise. Each half is multiplied with all tokens
// in turn: 8 rows × up to 6 tokens of float accumulators, int16 (and int32)
// partial sums, the weight and the broadcast activation fit the 16 ymm
// registers (5 or 6 tokens measured alike, 4 and 8 slower). Measured on a
// Zen 4 capped to avx2 (kernel_bench 1024 x 1024, 128 tokens, 1 thread, per
// CPU second): 2-6x the vec_dot tiles it replaces — Q8_0 ~50-58 GMAC/s
// (four instructions per 4-byte step and token: the sign trick leaves no
// room to sum in int16), Q4_0/Q5_0/Q4_K ~80-99, Q6_K ~60-64.
namespace x86 {


// Repacks `valid` (<= 16) rows, missing rows as zero codes: half h at
// packed + 8·n·h, run r at + 256·r, step k at + 32·k (rows 8h .. 8h+7).
template <__m256i (*Run)(const uint8_t*, int64_t)>
inline void repack_code_runs(const uint8_t* rows, size_t stride, int valid, int64_t n, uint8_t* packed) {
    for (int half = 0; half < 2; ++half) {
        uint8_t* out = packed + static_cast<size_t>(8 * n) * half;
        if (8 * half >= valid) {  // no row of this half: never read
            continue;
        }
        for (int64_t r = 0; r < n / 32; ++r) {
            __m256i v[8];
            for (int j = 0; j < 8; ++j) {
                const int row = 8 * half + j;
                v[j] = row < valid ? Run(rows + static_cast<size_t>(row) * stride, r) : _mm256_setzero_si256();
            }
            transpose_8x8(v);
            for (int k = 0; k < 8; ++k) _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 256 * r + 32 * k), v[k]);
        }
    }
}

// Scale (and offset) slot of group g, row `lane` (0..15).
inline size_t scale_slot(int64_t groups, int64_t g, int lane) {
    return static_cast<size_t>(8 * groups * (lane / 8) + 8 * g + lane % 8);
}

inline void code_row_scales(dtype type, const uint8_t* row, int64_t n, int64_t groups, int lane, float* scales, float* offsets) {
    switch (type) {
        case dtype::q8_0: for (int64_t b = 0; b < n / 32; ++b) scales[scale_slot(groups, b, lane)] = load_half(row + 34 * b); break;
        case dtype::q4_0: for (int64_t b = 0; b < n / 32; ++b) scales[scale_slot(groups, b, lane)] = load_half(row + 18 * b); break;
        case dtype::q5_0: for (int64_t b = 0; b < n / 32; ++b) scales[scale_slot(groups, b, lane)] = load_half(row + 22 * b); break;
        case dtype::q6_k:
            for (int64_t b = 0; b < n / qk_k; ++b) {
                const uint8_t* block = row + 210 * b;
                const float d = load_half(block + 208);
                for (int j = 0; j < 16; ++j)
                    scales[scale_slot(groups, 16 * b + j, lane)] = d * static_cast<float>(as_signed(block[192 + j]));
            }
            break;
        case dtype::q4_k:
            for (int64_t b = 0; b < n / qk_k; ++b) {
                const uint8_t* block = row + 144 * b;
                const float d = load_half(block), dmin = load_half(block + 2);
                for (int j = 0; j < 8; ++j) {
                    uint8_t scale, min;
                    scale_min_k4(j, block + 4, scale, min);
                    scales[scale_slot(groups, 8 * b + j, lane)] = d * static_cast<float>(scale);
                    offsets[scale_slot(groups, 8 * b + j, lane)] = -dmin * static_cast<float>(min);
                }
            }
            break;
        default: break;
    }
}

inline void repack_code_rows(dtype type, const uint8_t* rows, size_t stride, int valid, int64_t n, uint8_t* packed,
                             float* scales, float* offsets) {
    switch (type) {
        case dtype::q8_0: repack_code_runs<code_run_q8_0>(rows, stride, valid, n, packed); break;
        case dtype::q4_0: repack_code_runs<code_run_q4_0>(rows, stride, valid, n, packed); break;
        case dtype::q5_0: repack_code_runs<code_run_q5_0>(rows, stride, valid, n, packed); break;
        case dtype::q4_k: repack_code_runs<code_run_q4_k>(rows, stride, valid, n, packed); break;
        case dtype::q6_k: repack_code_runs<code_run_q6_k>(rows, stride, valid, n, packed); break;
        default: break;
    }
    const gemm_format format = gemm_format_of(type);
    const int64_t groups = n / format.group;
    for (int64_t i = 0; i < gemm_rows * groups; ++i) scales[i] = offsets[i] = 0.0f;
    for (int j = 0; j < valid; ++j) code_row_scales(type, rows + static_cast<size_t>(j) * stride, n, groups, j, scales, offsets);
}

// Keeps the compiler from fusing a product into the following sum (see the
// AVX-512 kernel's unfused).
inline __m256 unfused_256(__m256 v) {
#if defined(__GNUC__)
    __asm__("" : "+x"(v));
#endif
    return v;
}

// Keeps an int16/int32 running sum a sum in order: without it GCC
// reassociates each token's chain of adds into a tree, computing every
// product first and spilling them.
inline void in_order(__m256i& v) {
#if defined(__GNUC__)
    __asm__("" : "+x"(v));
#endif
}

template <block_scaling Scaling>
inline __m256 add_group_256(__m256 acc, __m256i sum, __m256 dx, __m256 dy) {
    const __m256 s = _mm256_cvtepi32_ps(sum);
    if (Scaling == block_scaling::fused) return _mm256_fmadd_ps(s, _mm256_mul_ps(dx, dy), acc);
    if (Scaling == block_scaling::sum_times_product)
        return _mm256_add_ps(acc, unfused_256(_mm256_mul_ps(s, unfused_256(_mm256_mul_ps(dx, dy)))));
    return _mm256_add_ps(acc, unfused_256(_mm256_mul_ps(unfused_256(_mm256_mul_ps(s, dx)), dy)));
}

// How one format's codes meet the activations.
template <int Group_, int Batch_, int Shift_, bool Signed_, bool Offset_, block_scaling Scaling_, int Tokens_>
struct code_format {
    static constexpr int group = Group_;     // elements per scale
    static constexpr int batch = Batch_;     // 4-byte steps summed in int16 before vpmaddwd
    static constexpr int shift = Shift_;     // correction >> shift is the zero point's term (-1: none)
    static constexpr bool is_signed = Signed_;  // Q8_0: signed codes, sign trick
    static constexpr bool offset = Offset_;
    static constexpr block_scaling scaling = Scaling_;
    static constexpr int tokens = Tokens_;   // tokens per pass over the half's weights
};
using code_q8_0 = code_format<32, 1, -1, true, false, block_scaling::sum_times_product, 6>;
using code_q4_0 = code_format<32, 8, 4, false, false, block_scaling::left_to_right, 6>;
using code_q5_0 = code_format<32, 4, 3, false, false, block_scaling::sum_times_product, 6>;
using code_q4_k = code_format<32, 8, -1, false, true, block_scaling::fused, 6>;
using code_q6_k = code_format<16, 2, 2, false, false, block_scaling::fused, 5>;

// 8 packed rows (one half) x T tokens over all groups; `valid` of the 8
// lanes are stored.
template <class F, int T>
inline void gemm_kernel_256(const uint8_t* packed, const float* scales, const float* offsets, const uint8_t* activations,
                            size_t activation_stride, int64_t n, int valid, float* out, size_t out_stride) {
    constexpr int group = F::group;
    constexpr int k_steps = group / 4;
    constexpr int record = group + 8;
    const int64_t groups = n / group;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[T];
    for (auto& a : acc) a = _mm256_setzero_ps();
    const uint8_t* token[T];  // each token's current group record
    for (int t = 0; t < T; ++t) token[t] = activations + static_cast<size_t>(t) * activation_stride;
    for (int64_t g = 0; g < groups; ++g, packed += 8 * group, scales += 8, offsets += 8) {
        __m256i sum[T];
        for (int first = 0; first < k_steps; first += F::batch) {
            __m256i part[T];
            for (int k = first; k < first + F::batch; ++k) {
                const __m256i w = load_256(packed + 32 * k);
                const __m256i magnitude = F::is_signed ? _mm256_sign_epi8(w, w) : w;
                for (int t = 0; t < T; ++t) {
                    const __m256i a = _mm256_set1_epi32(static_cast<int>(load_u32(token[t] + 4 * k)));
                    const __m256i p = _mm256_maddubs_epi16(magnitude, F::is_signed ? _mm256_sign_epi8(a, w) : a);
                    part[t] = k == first ? p : _mm256_add_epi16(part[t], p);
                    in_order(part[t]);
                }
            }
            for (int t = 0; t < T; ++t) {
                const __m256i wide = _mm256_madd_epi16(part[t], ones);
                if (first == 0) {
                    sum[t] = F::shift < 0 ? wide
                                          : _mm256_add_epi32(wide, _mm256_set1_epi32(static_cast<int32_t>(load_u32(token[t] + group + 4)) >>
                                                                                     (F::shift < 0 ? 0 : F::shift)));
                } else {
                    sum[t] = _mm256_add_epi32(sum[t], wide);
                }
                in_order(sum[t]);
            }
        }
        const __m256 scale = _mm256_loadu_ps(scales);
        for (int t = 0; t < T; ++t) {
            const __m256 dy = _mm256_set1_ps(load_f32(token[t] + group));
            acc[t] = add_group_256<F::scaling>(acc[t], sum[t], scale, dy);
            if (F::offset)
                acc[t] = _mm256_fmadd_ps(_mm256_loadu_ps(offsets), _mm256_set1_ps(load_f32(token[t] + group + 4)), acc[t]);
            token[t] += record;
        }
    }
    if (valid == 8) {
        for (int t = 0; t < T; ++t) _mm256_storeu_ps(out + static_cast<size_t>(t) * out_stride, acc[t]);
    } else {
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(valid), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        for (int t = 0; t < T; ++t) _mm256_maskstore_ps(out + static_cast<size_t>(t) * out_stride, mask, acc[t]);
    }
}

template <class F, int T>
inline void gemm_tail_256(int left, const uint8_t* packed, const float* scales, const float* offsets, const uint8_t* a,
                          size_t activation_stride, int64_t n, int valid, float* o, size_t out_stride) {
    if constexpr (T > 0) {
        if (left == T) return gemm_kernel_256<F, T>(packed, scales, offsets, a, activation_stride, n, valid, o, out_stride);
        gemm_tail_256<F, T - 1>(left, packed, scales, offsets, a, activation_stride, n, valid, o, out_stride);
    }
}

template <class F>
inline void gemm_tokens_256(const uint8_t* packed, const float* scales, const float* offsets, const uint8_t* activations,
                            size_t activation_stride, int64_t tokens, int64_t n, int valid, float* out, size_t out_stride) {
    constexpr int T = F::tokens;
    int64_t t = 0;
    for (; t + T <= tokens; t += T)
        gemm_kernel_256<F, T>(packed, scales, offsets, activations + static_cast<size_t>(t) * activation_stride, activation_stride,
                              n, valid, out + static_cast<size_t>(t) * out_stride, out_stride);
    gemm_tail_256<F, T - 1>(static_cast<int>(tokens - t), packed, scales, offsets,
                            activations + static_cast<size_t>(t) * activation_stride, activation_stride, n, valid,
                            out + static_cast<size_t>(t) * out_stride, out_stride);
}

// Both halves of a repacked group.
template <class F>
inline void gemm_group_256(const uint8_t* packed, const float* scales, const float* offsets, const uint8_t* activations,
                           size_t activation_stride, int64_t tokens, int64_t n, int valid, float* out, size_t out_stride) {
    const int64_t groups = n / F::group;
    for (int half = 0; half < 2 && 8 * half < valid; ++half) {
        const int lanes = valid - 8 * half < 8 ? valid - 8 * half : 8;
        gemm_tokens_256<F>(packed + static_cast<size_t>(8 * n) * half, scales + 8 * groups * half, offsets + 8 * groups * half,
                           activations, activation_stride, tokens, n, lanes, out + 8 * half, out_stride);
    }
}

}  // namespace x86

inline bool has_gemm_repacked(dtype weight_type) { return gemm_format_of(weight_type).group != 0; }

// As the AVX-512 gemm_repacked: out[t * out_stride + r] = Σ_i W[r][i] · a_t[i];
// scratch of gemm_scratch_bytes(type, n) bytes, 32-byte aligned.
inline void gemm_repacked(dtype type, const uint8_t* weights, size_t weight_stride, int64_t rows, const uint8_t* activations,
                          size_t activation_stride, int64_t tokens, int64_t n, float* out, size_t out_stride,
                          uint8_t* scratch) {
    const gemm_format format = gemm_format_of(type);
    const int64_t groups = n / format.group;
    uint8_t* packed = scratch;
    auto* scales = reinterpret_cast<float*>(scratch + gemm_rows * static_cast<size_t>(n));
    float* offsets = scales + gemm_rows * groups;
    const auto multiply = type == dtype::q8_0   ? x86::gemm_group_256<x86::code_q8_0>
                          : type == dtype::q4_0 ? x86::gemm_group_256<x86::code_q4_0>
                          : type == dtype::q5_0 ? x86::gemm_group_256<x86::code_q5_0>
                          : type == dtype::q4_k ? x86::gemm_group_256<x86::code_q4_k>
                                                : x86::gemm_group_256<x86::code_q6_k>;
    for (int64_t first = 0; first < rows; first += gemm_rows) {
        const int valid = static_cast<int>(rows - first < gemm_rows ? rows - first : gemm_rows);
        x86::repack_code_rows(type, weights + static_cast<size_t>(first) * weight_stride, weight_stride, valid, n, packed, scales,
                              offsets);
        multiply(packed, scales, offsets, activations, activation_stride, tokens, n, valid, out + first, out_stride);
    }
}

#else
inline bool has_gemm_repacked(dtype) { return false; }
inline void gemm_repacked(dtype, const uint8_t*, size_t, int64_t, const uint8_t*, size_t, int64_t, int64_t, float*, size_t,
                          uint8_t*) {}
#endif

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
