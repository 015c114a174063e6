#include <doctest/doctest.h>
#include <ember/core/dtype.hpp>

#include <cmath>

TEST_CASE("dtype table: block geometry of the common types") {
    CHECK(ember::traits_of(ember::dtype::q8_0).block_size == 32);
    CHECK(ember::traits_of(ember::dtype::q8_0).block_bytes == 34);
    CHECK(ember::traits_of(ember::dtype::q4_k).block_bytes == 144);
    CHECK(ember::traits_of(ember::dtype::q6_k).block_bytes == 210);
    CHECK(ember::find_dtype(4) == nullptr);  // removed Q4_2
    CHECK(ember::find_dtype(1000) == nullptr);
    CHECK(ember::row_bytes(ember::dtype::q4_0, 64) == 36);
}

TEST_CASE("fp16 conversion is exact for every half value and rounds to nearest even") {
    for (uint32_t bits = 0; bits < 0x10000; ++bits) {
        const auto half = static_cast<uint16_t>(bits);
        const float value = ember::fp16_to_f32(half);
        if (std::isnan(value)) continue;
        CHECK_EQ(ember::f32_to_fp16(value), half);
    }
    CHECK(ember::fp16_to_f32(0x3c00) == 1.0f);
    CHECK(ember::fp16_to_f32(0x0001) == std::ldexp(1.0f, -24));
    // halfway between 1 and the next half (1 + 2^-10): ties to even -> 1
    CHECK(ember::f32_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
    CHECK(ember::f32_to_fp16(65520.0f) == 0x7c00);  // rounds to infinity
    CHECK(ember::f32_to_fp16(std::ldexp(1.0f, -25)) == 0);  // tie to even zero
}

TEST_CASE("bf16 conversion rounds to nearest even") {
    CHECK(ember::bf16_to_f32(0x3f80) == 1.0f);
    CHECK(ember::f32_to_bf16(1.0f) == 0x3f80);
    CHECK(ember::f32_to_bf16(ember::f32_from_bits(0x3f808000u)) == 0x3f80);  // tie -> even
    CHECK(ember::f32_to_bf16(ember::f32_from_bits(0x3f818000u)) == 0x3f82);  // tie -> even (up)
}
