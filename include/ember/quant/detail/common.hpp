#pragma once
// Shared machinery of the block formats: little-endian byte loads (weights
// come straight from a file mapping, so nothing is assumed about alignment
// and nothing is read through a wider pointer type), the k-quant scale
// unpacking, and ggml's rounding helper.

#include "ember/core/dtype.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

// ---- exact float semantics ----------------------------------------------------
// Code that must reproduce ggml's float results bit for bit (the quantizers,
// whose least-squares searches compare sums of products) must not let the
// compiler contract `a*b + c` into an FMA: GCC does so by default in GNU
// mode, clang within an expression, and the reference was built without it.
// GCC: bracket the code with EMBER_BEGIN_EXACT_FLOAT / EMBER_END_EXACT_FLOAT;
// clang: put EMBER_EXACT_FLOAT_SCOPE first in each function body (its pragma
// is scoped to the enclosing braces). -ffast-math voids all of this.
#if defined(__clang__)
#define EMBER_BEGIN_EXACT_FLOAT
#define EMBER_END_EXACT_FLOAT
#define EMBER_EXACT_FLOAT_SCOPE _Pragma("clang fp contract(off)")
#elif defined(__GNUC__)
#define EMBER_BEGIN_EXACT_FLOAT _Pragma("GCC push_options") _Pragma("GCC optimize(\"fp-contract=off\")")
#define EMBER_END_EXACT_FLOAT _Pragma("GCC pop_options")
#define EMBER_EXACT_FLOAT_SCOPE
#else  // MSVC contracts only under /fp:fast (or /fp:contract)
#define EMBER_BEGIN_EXACT_FLOAT
#define EMBER_END_EXACT_FLOAT
#define EMBER_EXACT_FLOAT_SCOPE
#endif

namespace ember::detail {

// Elements per k-quant super-block.
inline constexpr int qk_k = 256;

// Decode GEMVs stream each weight row once: asking for the cache lines
// 256 bytes ahead keeps more misses in flight than the hardware prefetcher
// alone. Measured with alternating runs: qwen2.5-0.5b F16 25-29 -> 29-33
// tok/s (128 and 512 bytes ahead gained less, 1024 and 2048 lost, 4096 lost
// 20 %), qwen3-0.6b Q4_K_M (Q4_K and Q6_K GEMVs) +3-10 %, interleaved Q4_0
// +1-7 %. A prefetch never faults, so reading past a row's end is harmless.
inline constexpr size_t prefetch_ahead = 256;
// The quantized row-at-a-time GEMVs ask a page ahead instead: the hardware
// prefetcher stops at each 4 KB page of a mapped file, and a request that far
// ahead has the next page's translation and first lines ready when the
// stream gets there. Measured (2 threads, alternating runs, mapped
// qwen2.5-0.5b): Q4_0 60-63 -> 67-68 tok/s (2-8 KB ahead all alike), Q8_0
// 56 -> 59-60 and, with --no-mmap, 61 -> 62-63; Q4_K_M (Q5_0, Q6_K and Q8_0
// rows) +3 %; Q4_K/Q6_K rows alone (qwen3-0.6b Q4_K_M) unchanged. 256 bytes
// ahead had cost the Q8_0/Q4_0/Q5_0 row GEMV 0-15 %.
inline constexpr size_t prefetch_page_ahead = 4096;
inline void prefetch(const void* at) {
#if defined(__GNUC__)
    __builtin_prefetch(at, 0, 3);
#else
    (void)at;
#endif
}

// ---- byte loads ------------------------------------------------------------
// Explicit little-endian assembly: correct on any host, and a single load on
// little-endian ones (compilers recognise the pattern).

inline uint16_t load_u16(const uint8_t* bytes) {
    return static_cast<uint16_t>(bytes[0] | (bytes[1] << 8));
}

inline uint32_t load_u32(const uint8_t* bytes) {
    return static_cast<uint32_t>(bytes[0]) | (static_cast<uint32_t>(bytes[1]) << 8) |
           (static_cast<uint32_t>(bytes[2]) << 16) | (static_cast<uint32_t>(bytes[3]) << 24);
}

inline float load_f32(const uint8_t* bytes) { return f32_from_bits(load_u32(bytes)); }

inline float load_fp16(const uint8_t* bytes) { return fp16_to_f32(load_u16(bytes)); }

inline void store_u16(uint8_t* bytes, uint16_t value) {
    bytes[0] = static_cast<uint8_t>(value);
    bytes[1] = static_cast<uint8_t>(value >> 8);
}

inline void store_u32(uint8_t* bytes, uint32_t value) {
    for (int i = 0; i < 4; ++i) bytes[i] = static_cast<uint8_t>(value >> (8 * i));
}

inline void store_fp16(uint8_t* bytes, float value) { store_u16(bytes, f32_to_fp16(value)); }

inline int8_t as_signed(uint8_t byte) { return static_cast<int8_t>(byte); }

// ---- rounding --------------------------------------------------------------

// ggml's nearest_int: adding 1.5*2^23 leaves round-to-nearest-even of the value
// in the low mantissa bits. Exact for |value| <= 2^22; outside that range (or
// for inf/NaN) it returns some int without undefined behaviour, which is what
// keeps garbage input from becoming a crash.
inline int nearest_int(float value) {
    const float shifted = value + 12582912.0f;
    const uint32_t bits = bits_from_f32(shifted);
    return static_cast<int>(bits & 0x007fffffu) - 0x00400000;
}

// `static_cast<int>(value)` (truncation toward zero) for values in
// [lowest, highest]; values outside, and NaN, are clamped (NaN to 0) instead
// of being undefined behaviour. ggml's reference casts unguarded; for every
// finite input it produces in-range values, so results agree with it there.
inline int truncate_clamped(float value, int lowest, int highest) {
    if (!(value == value)) return 0;
    if (!(value > static_cast<float>(lowest))) return lowest;
    if (!(value < static_cast<float>(highest))) return highest;
    return static_cast<int>(value);
}

// C's roundf (halves away from zero) into [lowest, highest], NaN -> 0.
// Written without branches or libm calls (GCC calls truncf out of line) so
// loops over it vectorize (it is on the per-token path: activation
// quantization): truncate, then step away
// from zero when the dropped fraction (exact for |value| < 2^23, zero above)
// is at least a half.
inline int round_away_clamped(float value, int lowest, int highest) {
    float v = value == value ? value : 0.0f;
    v = v < static_cast<float>(lowest) ? static_cast<float>(lowest) : v;
    v = v > static_cast<float>(highest) ? static_cast<float>(highest) : v;
    const int whole = static_cast<int>(v);  // in range now: truncation, no libm call
    const float fraction = v - static_cast<float>(whole);
    return whole + (fraction >= 0.5f) - (fraction <= -0.5f);
}

// ---- k-quant scales ----------------------------------------------------------

// Q4_K/Q5_K pack eight 6-bit (scale, min) pairs into 12 bytes: pairs 0-3 in the
// low 6 bits of bytes 0-3 (scale) and 4-7 (min); pairs 4-7 keep their low 4
// bits in bytes 8-11 and their top 2 bits in the spare high bits of bytes 0-7.
inline void scale_min_k4(int index, const uint8_t* scales, uint8_t& scale, uint8_t& min) {
    if (index < 4) {
        scale = scales[index] & 63;
        min = scales[index + 4] & 63;
    } else {
        scale = static_cast<uint8_t>((scales[index + 4] & 0xF) | ((scales[index - 4] >> 6) << 4));
        min = static_cast<uint8_t>((scales[index + 4] >> 4) | ((scales[index] >> 6) << 4));
    }
}

// Q3_K packs sixteen 6-bit scales (stored +32) into 12 bytes: low 4 bits of
// scales 0-7 / 8-15 in the low / high nibbles of bytes 0-7, top 2 bits in
// bytes 8-11 (scale j at bits 2*(j/4) of byte 8 + j%4).
inline int scale_q3_k(int index, const uint8_t* scales) {
    const int low = index < 8 ? (scales[index] & 0xF) : (scales[index - 8] >> 4);
    const int high = (scales[8 + index % 4] >> (2 * (index / 4))) & 3;
    return (low | (high << 4)) - 32;
}

}  // namespace ember::detail
