#pragma once
// The GGML tensor types as they appear in GGUF files: id, name, block size
// (elements per block) and block bytes. Every type a GGUF file may name is
// listed so files can be validated and described even when ember cannot
// compute with the type (`has_dequantize == false`, e.g. IQ*/TQ*).

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace ember {

enum class dtype : uint32_t {
    f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9,
    q2_k = 10, q3_k = 11, q4_k = 12, q5_k = 13, q6_k = 14, q8_k = 15,
    iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21,
    iq2_s = 22, iq4_xs = 23, i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28,
    iq1_m = 29, bf16 = 30, tq1_0 = 34, tq2_0 = 35, mxfp4 = 39,
};

struct dtype_traits {
    dtype type;
    std::string_view name;
    uint32_t block_size;     // elements per block
    uint32_t block_bytes;    // bytes per block
    bool has_dequantize;     // ember can convert it to f32
};

namespace detail {
inline constexpr dtype_traits dtype_table[] = {
    {dtype::f32, "f32", 1, 4, true},          {dtype::f16, "f16", 1, 2, true},
    {dtype::q4_0, "q4_0", 32, 18, true},      {dtype::q4_1, "q4_1", 32, 20, true},
    {dtype::q5_0, "q5_0", 32, 22, true},      {dtype::q5_1, "q5_1", 32, 24, true},
    {dtype::q8_0, "q8_0", 32, 34, true},      {dtype::q8_1, "q8_1", 32, 36, false},
    {dtype::q2_k, "q2_k", 256, 84, true},     {dtype::q3_k, "q3_k", 256, 110, true},
    {dtype::q4_k, "q4_k", 256, 144, true},    {dtype::q5_k, "q5_k", 256, 176, true},
    {dtype::q6_k, "q6_k", 256, 210, true},    {dtype::q8_k, "q8_k", 256, 292, false},
    {dtype::iq2_xxs, "iq2_xxs", 256, 66, false}, {dtype::iq2_xs, "iq2_xs", 256, 74, false},
    {dtype::iq3_xxs, "iq3_xxs", 256, 98, false}, {dtype::iq1_s, "iq1_s", 256, 50, false},
    {dtype::iq4_nl, "iq4_nl", 32, 18, false}, {dtype::iq3_s, "iq3_s", 256, 110, false},
    {dtype::iq2_s, "iq2_s", 256, 82, false},  {dtype::iq4_xs, "iq4_xs", 256, 136, false},
    {dtype::i8, "i8", 1, 1, false},           {dtype::i16, "i16", 1, 2, false},
    {dtype::i32, "i32", 1, 4, false},         {dtype::i64, "i64", 1, 8, false},
    {dtype::f64, "f64", 1, 8, false},         {dtype::iq1_m, "iq1_m", 256, 56, false},
    {dtype::bf16, "bf16", 1, 2, true},        {dtype::tq1_0, "tq1_0", 256, 54, false},
    {dtype::tq2_0, "tq2_0", 256, 66, false},  {dtype::mxfp4, "mxfp4", 32, 17, false},
};
}  // namespace detail

// Traits of a type id read from a file, or nullptr when the id is unknown.
inline const dtype_traits* find_dtype(uint32_t id) {
    for (const auto& traits : detail::dtype_table)
        if (static_cast<uint32_t>(traits.type) == id) return &traits;
    return nullptr;
}

// Traits of a known type (always found: every enumerator is in the table).
inline const dtype_traits& traits_of(dtype type) { return *find_dtype(static_cast<uint32_t>(type)); }

inline std::string_view name_of(dtype type) { return traits_of(type).name; }

// Bytes of one row of `n` elements; n must be a multiple of the block size.
inline size_t row_bytes(dtype type, uint64_t n) {
    const auto& traits = traits_of(type);
    return static_cast<size_t>(n / traits.block_size * traits.block_bytes);
}

// ---- half-precision scalars ------------------------------------------------
// IEEE binary16 and bfloat16 <-> float, bit-exact (round to nearest even),
// portable and constexpr-free so they work on any compiler.

inline float f32_from_bits(uint32_t bits) { float f; std::memcpy(&f, &bits, 4); return f; }
inline uint32_t bits_from_f32(float f) { uint32_t bits; std::memcpy(&bits, &f, 4); return bits; }

inline float fp16_to_f32(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0x1f) return f32_from_bits(sign | 0x7f800000u | (mantissa << 13));  // inf/nan
    if (exponent == 0) {
        if (mantissa == 0) return f32_from_bits(sign);                                   // ±0
        // subnormal: value = mantissa * 2^-24
        const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
        return sign ? -magnitude : magnitude;
    }
    return f32_from_bits(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline uint16_t f32_to_fp16(float value) {
    const uint32_t bits = bits_from_f32(value);
    const uint32_t sign = (bits >> 16) & 0x8000u;
    const uint32_t abs_bits = bits & 0x7fffffffu;
    if (abs_bits >= 0x7f800000u)  // inf or nan (keep nan quiet)
        return static_cast<uint16_t>(sign | 0x7c00u | (abs_bits > 0x7f800000u ? 0x200u : 0u));
    if (abs_bits >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to inf
    if (abs_bits < 0x38800000u) {  // result is subnormal or zero: scale and round
        const float magnitude = f32_from_bits(abs_bits) * 16777216.0f;  // * 2^24
        // rint with default rounding mode = nearest even
        const float rounded = magnitude + 12582912.0f - 12582912.0f;    // 1.5 * 2^23 trick
        return static_cast<uint16_t>(sign | static_cast<uint32_t>(rounded));
    }
    // normal: rebias exponent, round mantissa to 10 bits, nearest even
    const uint32_t rounding = 0xfffu + ((abs_bits >> 13) & 1u);
    return static_cast<uint16_t>(sign | ((abs_bits - 0x38000000u + rounding) >> 13));
}

inline float bf16_to_f32(uint16_t b) { return f32_from_bits(static_cast<uint32_t>(b) << 16); }

inline uint16_t f32_to_bf16(float value) {
    const uint32_t bits = bits_from_f32(value);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet nan
    return static_cast<uint16_t>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace ember
