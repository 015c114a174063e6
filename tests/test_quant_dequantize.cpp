// Dequantization unit tests that need no reference data: random blocks are
// decoded element by element from the format's definition (where element i's
// bits live, written as index arithmetic rather than ggml's loop structure)
// and compared with dequantize_row. The conformance test against
// ../shared/golden/dequant.json is the authority; this one keeps a fresh
// clone honest and pins each layout detail.

#include <doctest/doctest.h>

#include <ember/quant/dequantize.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {

using ember::dtype;

int bits(const uint8_t* bytes, size_t bit_index, int count) {
    int value = 0;
    for (int k = 0; k < count; ++k) value |= ((bytes[(bit_index + k) / 8] >> ((bit_index + k) % 8)) & 1) << k;
    return value;
}

float half_at(const uint8_t* bytes) { return ember::fp16_to_f32(static_cast<uint16_t>(bytes[0] | (bytes[1] << 8))); }

// Random block bytes with sane fp16 scales (finite, modest), so values are finite.
std::vector<uint8_t> random_blocks(dtype type, size_t n_blocks, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<uint8_t> bytes(n_blocks * ember::traits_of(type).block_bytes);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> scale(-0.05f, 0.05f);
    auto put_half = [&](size_t offset) {
        const uint16_t h = ember::f32_to_fp16(scale(rng));
        bytes[offset] = static_cast<uint8_t>(h);
        bytes[offset + 1] = static_cast<uint8_t>(h >> 8);
    };
    const size_t block_bytes = ember::traits_of(type).block_bytes;
    for (size_t b = 0; b < n_blocks; ++b) {
        const size_t o = b * block_bytes;
        switch (type) {
            case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: put_half(o); break;
            case dtype::q4_1: case dtype::q5_1: case dtype::q4_k: case dtype::q5_k: put_half(o), put_half(o + 2); break;
            case dtype::q2_k: put_half(o + 80), put_half(o + 82); break;
            case dtype::q3_k: put_half(o + 108); break;
            case dtype::q6_k: put_half(o + 208); break;
            case dtype::f16: case dtype::bf16: case dtype::f32: break;
            default: break;
        }
    }
    return bytes;
}

// The value of element i (0..block_size-1) of one block, in double.
double element(dtype type, const uint8_t* b, int i) {
    switch (type) {
        case dtype::q4_0: return (bits(b + 2, (i % 16) * 8 + (i / 16) * 4, 4) - 8) * double(half_at(b));
        case dtype::q4_1: return bits(b + 4, (i % 16) * 8 + (i / 16) * 4, 4) * double(half_at(b)) + half_at(b + 2);
        case dtype::q5_0:
            return ((bits(b + 6, (i % 16) * 8 + (i / 16) * 4, 4) | (bits(b + 2, i, 1) << 4)) - 16) * double(half_at(b));
        case dtype::q5_1:
            return (bits(b + 8, (i % 16) * 8 + (i / 16) * 4, 4) | (bits(b + 4, i, 1) << 4)) * double(half_at(b)) +
                   half_at(b + 2);
        case dtype::q8_0: return static_cast<int8_t>(b[2 + i]) * double(half_at(b));
        case dtype::q2_k: {
            // element i: 128-half h, plane p (2 bits at 2p), byte l within 32
            const int h = i / 128, p = (i % 128) / 32, l = i % 32;
            const int q = bits(b + 16, (32 * h + l) * 8 + 2 * p, 2);
            const int sub = i / 16;
            return double(half_at(b + 80)) * (b[sub] & 0xF) * q - double(half_at(b + 82)) * (b[sub] >> 4);
        }
        case dtype::q3_k: {
            const int h = i / 128, p = (i % 128) / 32, l = i % 32;
            const int low = bits(b + 32, (32 * h + l) * 8 + 2 * p, 2);
            const int high = bits(b, l * 8 + (4 * h + p), 1);  // hmask[l] bit (plane over the whole block)
            const int sub = i / 16;
            // 6-bit scale: 4 low bits from the nibble table, 2 high from bytes 8..11
            const int low4 = bits(b + 96, (sub % 8) * 8 + (sub / 8) * 4, 4);
            const int high2 = bits(b + 96 + 8, (sub % 4) * 8 + (sub / 4) * 2, 2);
            const int scale = (low4 | (high2 << 4)) - 32;
            return double(half_at(b + 108)) * scale * (low - (high ? 0 : 4));
        }
        case dtype::q4_k: case dtype::q5_k: {
            const int sub = i / 32;  // 8 sub-blocks of 32
            const uint8_t* s = b + 4;
            int scale, min;
            if (sub < 4) {
                scale = s[sub] & 63, min = s[sub + 4] & 63;
            } else {
                scale = (s[sub + 4] & 15) | ((s[sub - 4] >> 6) << 4);
                min = (s[sub + 4] >> 4) | ((s[sub] >> 6) << 4);
            }
            const uint8_t* qs = b + (type == dtype::q4_k ? 16 : 48);
            int q = bits(qs, ((sub / 2) * 32 + i % 32) * 8 + (sub % 2) * 4, 4);
            if (type == dtype::q5_k) q |= bits(b + 16, (i % 32) * 8 + sub, 1) << 4;
            return double(half_at(b)) * scale * q - double(half_at(b + 2)) * min;
        }
        case dtype::q6_k: {
            const int h = i / 128, p = (i % 128) / 32, l = i % 32;
            const int low = bits(b, (64 * h + 32 * (p % 2) + l) * 8 + 4 * (p / 2), 4);
            const int high = bits(b + 128, (32 * h + l) * 8 + 2 * p, 2);
            const int scale = static_cast<int8_t>(b[192 + i / 16]);
            return double(half_at(b + 208)) * scale * ((low | (high << 4)) - 32);
        }
        case dtype::f16: return half_at(b + 2 * i);
        case dtype::bf16: return ember::bf16_to_f32(static_cast<uint16_t>(b[0] | (b[1] << 8)));
        default: return NAN;
    }
}

}  // namespace

TEST_CASE("every dequantizer decodes its layout element by element") {
    for (dtype type : {dtype::f16, dtype::bf16, dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1, dtype::q8_0,
                       dtype::q2_k, dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k}) {
        INFO(ember::name_of(type));
        const auto& traits = ember::traits_of(type);
        const size_t n_blocks = traits.block_size == 1 ? 512 : 5;
        const auto bytes = random_blocks(type, n_blocks, static_cast<uint32_t>(type) + 1);
        std::vector<float> values(n_blocks * traits.block_size, NAN);
        REQUIRE(ember::dequantize_row(type, bytes.data(), values.data(), static_cast<int64_t>(values.size())));
        size_t mismatches = 0;
        for (size_t e = 0; e < values.size(); ++e) {
            const size_t block = e / traits.block_size;
            const int i = static_cast<int>(e % traits.block_size);
            const uint8_t* b = bytes.data() + block * traits.block_bytes;
            const double want = traits.block_size == 1 ? element(type, bytes.data() + e * traits.block_bytes, 0)
                                                       : element(type, b, i);
            if (std::isnan(want) && std::isnan(values[e])) continue;
            // The reference's float ops round at most twice per value (Q6_K: d*scale, then *q),
            // each by half an ulp of float: 2^-23 relative covers it.
            if (!(std::fabs(values[e] - want) <= std::fabs(want) * 1.2e-7 + 1e-30)) {
                if (++mismatches <= 5) FAIL_CHECK("element " << e << ": got " << values[e] << " want " << want);
            }
        }
        CHECK(mismatches == 0);
    }
}

TEST_CASE("f32 rows are copied and unaligned input is fine") {
    std::vector<uint8_t> bytes(1 + 8 * 4);
    const float source[8] = {1.5f, -2.0f, 0.0f, 3.25f, -0.0f, 1e-40f, 65504.0f, -1e30f};
    std::memcpy(bytes.data() + 1, source, sizeof source);
    float out[8];
    REQUIRE(ember::dequantize_row(dtype::f32, bytes.data() + 1, out, 8));
    for (int i = 0; i < 8; ++i) CHECK(std::memcmp(&out[i], &source[i], 4) == 0);

    // A Q8_0 block at an odd address: d = 0.5, qs = -3, 4, ...
    std::vector<uint8_t> q8(1 + 34, 0);
    q8[1] = 0x00, q8[2] = 0x38;  // fp16 0x3800 = 0.5
    q8[3] = static_cast<uint8_t>(-3), q8[4] = 4;
    float y[32];
    REQUIRE(ember::dequantize_row(dtype::q8_0, q8.data() + 1, y, 32));
    CHECK(y[0] == -1.5f);
    CHECK(y[1] == 2.0f);
    CHECK(y[2] == 0.0f);
}

TEST_CASE("dequantize_function_of covers exactly the promised types") {
    for (const auto& traits : ember::detail::dtype_table) {
        INFO(traits.name);
        CHECK(ember::can_dequantize(traits.type) == traits.has_dequantize);
    }
}

TEST_CASE("SIMD dequantizers give the portable dequantizers' floats") {
    // Fully random bytes, scales included: inf/NaN/subnormal scales too.
    std::mt19937 rng(5);
    for (const auto& traits : ember::detail::dtype_table) {
        if (!traits.has_dequantize) continue;
        INFO(traits.name);
        const auto fast = ember::dequantize_function_of(traits.type);
        const auto portable = ember::dequantize_function_scalar_of(traits.type);
        const size_t n_blocks = traits.block_size == 1 ? 1027 : 9;  // f16: a tail after the 8-wide loop
        std::vector<uint8_t> bytes(n_blocks * traits.block_bytes);
        for (auto& b : bytes) b = static_cast<uint8_t>(rng());
        const auto n = static_cast<int64_t>(n_blocks * traits.block_size);
        std::vector<float> a(static_cast<size_t>(n)), b(static_cast<size_t>(n));
        fast(bytes.data(), a.data(), n);
        portable(bytes.data(), b.data(), n);
        size_t differing = 0;
        for (size_t i = 0; i < a.size(); ++i)
            differing += !(std::memcmp(&a[i], &b[i], 4) == 0 || (std::isnan(a[i]) && std::isnan(b[i])));
        CHECK(differing == 0);
    }
}
