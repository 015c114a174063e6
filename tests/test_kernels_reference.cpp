// The kernels that reproduce the reference's own roundings (ggml's CPU
// backend on AVX-512; see tests/README.md): each SIMD version must equal its
// scalar description bit for bit, and each must still compute what it is
// named for (checked against exact double arithmetic), so a wrong constant
// or a dropped key cannot hide behind "equal to itself".

#include <doctest/doctest.h>

#include <ember/kernels/activation.hpp>
#include <ember/kernels/attention.hpp>
#include <ember/kernels/attention_tiled.hpp>
#include <ember/kernels/matmul.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "random_values.hpp"

// The avx512 tier's exponential and GCC's 512-bit reduction, called from a
// function compiled for that tier (the test itself is built for the baseline).
#if defined(EMBER_ISA_X86) && (defined(__GNUC__) || defined(__clang__))
#define EMBER_TEST_AVX512 1
__attribute__((target(EMBER_TARGET_FEATURES_AVX512))) static void v_expf_16(const float* in, float* out) {
    _mm512_storeu_ps(out, ember::detail::avx512::x86::v_expf(_mm512_loadu_ps(in)));
}
__attribute__((target(EMBER_TARGET_FEATURES_AVX512))) static float reduce_add_16(const float* v) {
    return _mm512_reduce_add_ps(_mm512_loadu_ps(v));
}
#endif

namespace {

using ember_test::random_floats;
using ember_test::random_halves;

uint32_t bits(float v) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    return b;
}

// Distance in units in the last place between two finite positive floats.
int64_t ulps(float a, float b) { return std::llabs(int64_t(bits(a)) - int64_t(bits(b))); }

}  // namespace

TEST_CASE("v_expf: within 2 ulp of exp, and the vector version equals the scalar one bit for bit") {
    int64_t worst = 0;
    std::vector<float> xs;
    for (float x = -110.0f; x < 89.0f; x += 0.001953125f * 3.1f) xs.push_back(x);
    for (float x : {0.0f, -0.0f, -INFINITY, INFINITY, -87.3f, 88.7f, -103.9f, -150.0f, 1e-30f, -1e-30f}) xs.push_back(x);
    for (float x : xs) {
        const float mine = ember::detail::reference_v_expf(x);
        const double exact = std::exp(double(x));
        if (std::isfinite(x) && exact > 1.2e-38 && exact < 3e38) worst = std::max(worst, ulps(mine, float(exact)));
        if (x == -INFINITY) CHECK(mine == 0.0f);
        if (x == 0.0f) CHECK(mine == 1.0f);
    }
    CHECK(worst <= 2);
#if defined(EMBER_TEST_AVX512)
    if (ember::active_isa() != ember::isa::avx512) return;
    xs.resize((xs.size() + 15) / 16 * 16, 0.5f);
    int differing = 0;
    for (size_t i = 0; i < xs.size(); i += 16) {
        float out[16];
        v_expf_16(xs.data() + i, out);
        for (int l = 0; l < 16; ++l) differing += bits(out[l]) != bits(ember::detail::reference_v_expf(xs[i + l]));
    }
    CHECK(differing == 0);
#endif
}

TEST_CASE("sum_of_16 pairs as the AVX-512 reduction does") {
    // values whose sum depends on the pairing
    const float v[16] = {1e8f, 1.0f, -1e8f, 3.0f, 0.5f, 7.0f, 1e-3f, -2.0f, 1.0f, 1e8f, 5.0f, -1e8f, 0.25f, 9.0f, -4.0f, 1e7f};
    const float expected = (((v[0] + v[8]) + (v[4] + v[12])) + ((v[2] + v[10]) + (v[6] + v[14]))) +
                           (((v[1] + v[9]) + (v[5] + v[13])) + ((v[3] + v[11]) + (v[7] + v[15])));
    CHECK(bits(ember::detail::sum_of_16(v)) == bits(expected));
#if defined(EMBER_TEST_AVX512)
    if (ember::active_isa() == ember::isa::avx512) CHECK(bits(reduce_add_16(v)) == bits(expected));
#endif
}

TEST_CASE("f16 attention scores: the reference's dot product, vector = scalar, close to exact") {
    std::mt19937 rng(11);
    for (size_t head_dim : {32u, 64u, 80u, 128u, 256u}) {
        const size_t visible = 37;
        std::vector<float> query = random_floats(head_dim, rng);
        for (float& q : query) q = ember::detail::round_to_f16(q);
        const auto keys = random_halves(visible * head_dim, rng);
        std::vector<float> scores(visible);
        ember::detail::reference_f16_scores(query.data(), keys.data(), visible, head_dim, 0.125f, scores.data());
        for (size_t j = 0; j < visible; ++j) {
            const uint16_t* key = keys.data() + j * head_dim;
            CHECK(bits(scores[j]) == bits(ember::detail::reference_f16_dot_scalar(query.data(), key, head_dim) * 0.125f));
            double exact = 0, magnitude = 0;
            for (size_t d = 0; d < head_dim; ++d) {
                exact += double(query[d]) * ember::fp16_to_f32(key[d]);
                magnitude += std::fabs(double(query[d]) * ember::fp16_to_f32(key[d]));
            }
            CHECK(std::fabs(scores[j] - 0.125 * exact) <= 1e-6 * magnitude);
        }
    }
}

// The tiled attention's three kernels of the tier in use (only the avx512
// tier has vector versions; the others are the scalar ones).
struct tiled_kernels {
    void (*scores)(const float*, const float*, size_t, float, size_t, float*);
    double (*exponentials)(float*, float);
    void (*accumulate)(const float*, const float*, size_t, size_t, float*);
};
tiled_kernels tiled_kernels_in_use() {
#if defined(EMBER_ISA_X86)
    if (ember::active_isa() == ember::isa::avx512)
        return {ember::detail::avx512::tiled::scores, ember::detail::avx512::tiled::exponentials, ember::detail::avx512::tiled::accumulate};
#endif
    return {ember::detail::generic::tiled::scores, ember::detail::generic::tiled::exponentials, ember::detail::generic::tiled::accumulate};
}

TEST_CASE("tiled attention: vector kernels = scalar kernels; the whole = exact softmax attention") {
    std::mt19937 rng(3);
    const tiled_kernels tiled = tiled_kernels_in_use();
    for (size_t head_dim : {64u, 128u}) {
        INFO("head_dim " << head_dim);
        // the three kernels on one tile, with 0 < valid <= 64 keys
        const auto query = random_floats(head_dim, rng);
        std::vector<float> keys_t = random_floats(64 * head_dim, rng), values = random_floats(64 * head_dim, rng);
        for (size_t valid : {1u, 17u, 64u}) {
            std::vector<float> a(64), b(64);
            tiled.scores(query.data(), keys_t.data(), head_dim, 0.1f, valid, a.data());
            ember::detail::tiled::scores_scalar(query.data(), keys_t.data(), head_dim, 0.1f, valid, b.data());
            CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * 64) == 0);
            const float max = *std::max_element(a.begin(), a.begin() + valid);
            const double sum_a = tiled.exponentials(a.data(), max);
            const double sum_b = ember::detail::tiled::exponentials_scalar(b.data(), max);
            CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * 64) == 0);
            CHECK(sum_a == sum_b);
            for (size_t j = valid; j < 64; ++j) CHECK(a[j] == 0.0f);  // masked keys weigh nothing
            std::vector<float> acc_a = random_floats(head_dim, rng), acc_b = acc_a;
            tiled.accumulate(a.data(), values.data(), valid, head_dim, acc_a.data());
            ember::detail::tiled::accumulate_scalar(b.data(), values.data(), valid, head_dim, acc_b.data());
            CHECK(std::memcmp(acc_a.data(), acc_b.data(), sizeof(float) * head_dim) == 0);
        }

        // a causal batch of 150 queries after 30 cached positions (three tiles of
        // keys, three blocks of queries), and a non-causal one
        for (size_t step : {1u, 0u}) {
            const size_t past = 30, n = 150, positions = past + n;
            const auto queries = random_floats(n * head_dim, rng, 0.5f);
            const auto k = random_halves(positions * head_dim, rng), v = random_halves(positions * head_dim, rng);
            std::vector<float> scratch(ember::attend_tiled_scratch_floats(head_dim)), out(n * head_dim);
            const size_t first_visible = step ? past + 1 : positions;
            const float scale = 1.0f / std::sqrt(float(head_dim));
            ember::attend_tiled(queries.data(), head_dim, n, first_visible, step, k.data(), v.data(), head_dim, scale,
                                scratch.data(), out.data(), head_dim);
            double worst = 0;
            for (size_t t = 0; t < n; ++t) {
                const size_t visible = first_visible + t * step;
                std::vector<double> p(visible);
                double top = -1e300, total = 0;
                for (size_t j = 0; j < visible; ++j) {
                    double s = 0;
                    for (size_t d = 0; d < head_dim; ++d) s += double(queries[t * head_dim + d]) * ember::fp16_to_f32(k[j * head_dim + d]);
                    p[j] = s * scale;
                    top = std::max(top, p[j]);
                }
                for (double& x : p) total += x = std::exp(x - top);
                for (size_t d = 0; d < head_dim; ++d) {
                    double exact = 0;
                    for (size_t j = 0; j < visible; ++j) exact += p[j] / total * ember::fp16_to_f32(v[j * head_dim + d]);
                    worst = std::max(worst, std::fabs(out[t * head_dim + d] - exact));
                }
            }
            CHECK(worst < 1e-5);
        }
    }
}

TEST_CASE("swiglu: silu with the reference's exponential (AVX-512) or close to exact") {
    std::mt19937 rng(9);
    const size_t n = 16 * 40 + 5;  // a tail past the last 16
    const auto gate = random_floats(n, rng, 4.0f), up = random_floats(n, rng);
    std::vector<float> out = gate;
    ember::swiglu(out.data(), up.data(), n);
    for (size_t i = 0; i < n; ++i) {
        const double exact = gate[i] / (1.0 + std::exp(-double(gate[i]))) * up[i];
        CHECK(std::fabs(out[i] - exact) <= 1e-6 * std::fabs(exact) + 1e-30);
        if (ember::active_isa() != ember::isa::avx512) continue;
        const float exp_neg = i < n / 16 * 16 ? ember::detail::reference_v_expf(-gate[i]) : std::exp(-gate[i]);
        CHECK(bits(out[i]) == bits(gate[i] / (1.0f + exp_neg) * up[i]));
    }
}

// The repacked GEMM's integer sums at the edges of their ranges (every
// code at its largest or smallest, activations at -128 / 127, and random
// bytes): an int16 pair sum that saturated (AVX2's vpmaddubsw) would be off
// by thousands. Legacy formats: bit for bit the scalar dot products; k-quants
// within float rounding of them.
TEST_CASE("repacked GEMM: extreme codes and activations, every format") {
    using ember::dtype;
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> scale(0.5f, 2.0f);
    for (dtype type : {dtype::q8_0, dtype::q4_0, dtype::q5_0, dtype::q4_k, dtype::q6_k}) {
        if (!ember::detail::has_gemm_repacked(type)) continue;
        INFO(ember::name_of(type));
        const int64_t n = 512, rows = 24, tokens = 9;
        const dtype activation_type = ember::vec_dot_type(type);
        const size_t row = ember::row_bytes(type, n), activation_row = ember::row_bytes(activation_type, n);
        const bool legacy = activation_type == dtype::q8_0;
        for (int pattern = 0; pattern < 3; ++pattern) {
            // 0: largest codes (Q8_0: -128) x the lowest activation; 1: smallest codes (Q8_0: 127) x 127; 2: random bytes
            INFO("pattern " << pattern);
            std::vector<uint8_t> weights(rows * row), activations(tokens * activation_row);
            for (uint8_t& b : weights)
                b = pattern == 2 ? static_cast<uint8_t>(rng()) : type == dtype::q8_0 ? (pattern == 0 ? 0x80 : 0x7F) : (pattern == 0 ? 0xFF : 0x00);
            auto half = [&] { return ember::f32_to_fp16(pattern == 2 ? scale(rng) : 1.0f); };
            auto put_half = [](uint8_t* at, uint16_t h) { std::memcpy(at, &h, 2); };
            for (int64_t r = 0; r < rows; ++r) {
                uint8_t* w = weights.data() + r * row;
                switch (type) {
                    case dtype::q8_0: for (int64_t b = 0; b < n / 32; ++b) put_half(w + 34 * b, half()); break;
                    case dtype::q4_0: for (int64_t b = 0; b < n / 32; ++b) put_half(w + 18 * b, half()); break;
                    case dtype::q5_0: for (int64_t b = 0; b < n / 32; ++b) put_half(w + 22 * b, half()); break;
                    case dtype::q4_k: for (int64_t b = 0; b < n / 256; ++b) put_half(w + 144 * b, half()), put_half(w + 144 * b + 2, half()); break;
                    case dtype::q6_k: for (int64_t b = 0; b < n / 256; ++b) put_half(w + 210 * b + 208, half()); break;
                    default: break;
                }
            }
            // Q8_0 activations never reach -128 (d = amax / 127): the dot products' sign trick relies on it
            const int lowest = legacy ? -127 : -128;
            std::uniform_int_distribution<int> code(lowest, 127);
            for (int64_t t = 0; t < tokens; ++t) {
                uint8_t* a = activations.data() + t * activation_row;
                for (int64_t b = 0; b < (legacy ? n / 32 : n / 256); ++b) {
                    uint8_t* block = a + (legacy ? 34 : 292) * b;
                    int8_t* qs = reinterpret_cast<int8_t*>(block + (legacy ? 2 : 4));
                    const int count = legacy ? 32 : 256;
                    for (int i = 0; i < count; ++i) qs[i] = static_cast<int8_t>(pattern == 0 ? lowest : pattern == 1 ? 127 : code(rng));
                    if (legacy) {
                        put_half(block, half());
                    } else {
                        const float d = pattern == 2 ? scale(rng) : 1.0f;
                        std::memcpy(block, &d, 4);
                        for (int j = 0; j < 16; ++j) {
                            int16_t sum = 0;
                            for (int i = 0; i < 16; ++i) sum = static_cast<int16_t>(sum + qs[16 * j + i]);
                            std::memcpy(block + 260 + 2 * j, &sum, 2);
                        }
                    }
                }
            }
            const size_t packed_row = ember::detail::gemm_activation_bytes(type, n);
            std::vector<uint8_t> packed(tokens * packed_row);
            for (int64_t t = 0; t < tokens; ++t)
                ember::detail::gemm_pack_activation(type, activations.data() + t * activation_row, n, packed.data() + t * packed_row);
            std::vector<uint8_t> scratch(ember::detail::gemm_scratch_bytes(type, n) + 32);
            uint8_t* aligned = scratch.data() + (32 - reinterpret_cast<uintptr_t>(scratch.data()) % 32) % 32;
            std::vector<float> out(tokens * rows);
            ember::detail::gemm_repacked(type, weights.data(), row, rows, packed.data(), packed_row, tokens, n, out.data(), rows, aligned);
            const auto scalar = ember::vec_dot_function_scalar_of(type);
            std::vector<float> w(n), x(n);
            int wrong = 0;
            for (int64_t t = 0; t < tokens; ++t) {
                for (int64_t i = 0; !legacy && i < n; ++i) {  // Q8_K: d · q
                    const uint8_t* block = activations.data() + t * activation_row + 292 * (i / 256);
                    float d;
                    std::memcpy(&d, block, 4);
                    x[i] = d * static_cast<float>(static_cast<int8_t>(block[4 + i % 256]));
                }
                for (int64_t r = 0; r < rows; ++r) {
                    const float expected = scalar(weights.data() + r * row, activations.data() + t * activation_row, n);
                    const float got = out[t * rows + r];
                    if (legacy) {
                        wrong += bits(got) != bits(expected);
                        continue;
                    }
                    REQUIRE(ember::dequantize_row(type, weights.data() + r * row, w.data(), n));
                    double magnitude = 0;  // sum of |products|: the scale of float rounding
                    for (int64_t i = 0; i < n; ++i) magnitude += std::fabs(double(w[i]) * x[i]);
                    wrong += !(std::fabs(double(got) - expected) <= 1e-5 * magnitude);
                }
            }
            CHECK(wrong == 0);
        }
    }
}

TEST_CASE("repacked GEMM, legacy formats: bit for bit the scalar dot products (the reference's float steps)") {
    using ember::dtype;
    if (!ember::detail::has_gemm_repacked(dtype::q8_0)) return;  // the avx512 and avx2 tiers'
    std::mt19937 rng(21);
    for (dtype type : {dtype::q8_0, dtype::q4_0, dtype::q5_0}) {
        INFO(ember::name_of(type));
        const int64_t n = 256, rows = 40, tokens = 11;
        const auto w = random_floats(rows * n, rng), x = random_floats(tokens * n, rng);
        const size_t row = ember::row_bytes(type, n), activation_row = ember::row_bytes(dtype::q8_0, n);
        std::vector<uint8_t> weights(rows * row), activations(tokens * activation_row);
        ember::quantize_function_of(type)(w.data(), weights.data(), rows * n);
        for (int64_t t = 0; t < tokens; ++t)
            ember::quantize_function_of(dtype::q8_0)(x.data() + t * n, activations.data() + t * activation_row, n);
        const size_t packed_row = ember::detail::gemm_activation_bytes(type, n);
        std::vector<uint8_t> packed(tokens * packed_row);
        for (int64_t t = 0; t < tokens; ++t)
            ember::detail::gemm_pack_activation(type, activations.data() + t * activation_row, n, packed.data() + t * packed_row);
        std::vector<uint8_t> scratch(ember::detail::gemm_scratch_bytes(type, n) + 32);
        uint8_t* aligned = scratch.data() + (32 - reinterpret_cast<uintptr_t>(scratch.data()) % 32) % 32;
        std::vector<float> out(tokens * rows);
        ember::detail::gemm_repacked(type, weights.data(), row, rows, packed.data(), packed_row, tokens, n, out.data(), rows, aligned);
        const auto scalar = ember::vec_dot_function_scalar_of(type);
        int differing = 0;
        for (int64_t t = 0; t < tokens; ++t)
            for (int64_t r = 0; r < rows; ++r)
                differing += bits(out[t * rows + r]) != bits(scalar(weights.data() + r * row, activations.data() + t * activation_row, n));
        CHECK(differing == 0);
    }
}
