// Kernels: every SIMD version against its scalar version (the ISA the tests
// are compiled for decides which SIMD code runs; with -DEMBER_NATIVE=OFF the
// scalar code is compared with itself and against the exact references), and
// matmul against an exact (double) product of the dequantized weights with
// the activations the reference multiplies them with (8-bit quantized, or
// rounded to f16/bf16), for every weight type, token count and thread count.

#include <doctest/doctest.h>

#include <ember/kernels/activation.hpp>
#include <ember/kernels/attention.hpp>
#include <ember/kernels/matmul.hpp>
#include <ember/kernels/softmax.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "random_values.hpp"

namespace {

using ember_test::random_floats;
using ember_test::random_halves;

using ember::dtype;

// |a - b| within a relative tolerance of the sum of the terms' magnitudes.
bool close(double actual, double expected, double magnitude, double relative = 1e-5) {
    return std::fabs(actual - expected) <= relative * magnitude + 1e-30;
}

}  // namespace

TEST_CASE("float row dot products: SIMD = scalar up to float rounding") {
    std::mt19937 rng(7);
    for (size_t n : {1u, 7u, 8u, 15u, 16u, 31u, 33u, 64u, 100u, 896u, 4864u}) {
        INFO("n = " << n);
        const auto x = random_floats(n, rng);
        const auto w = random_floats(n, rng, 0.05f);
        std::vector<uint8_t> f32_bytes(4 * n), f16_bytes(2 * n + 1), bf16_bytes(2 * n + 1);
        std::memcpy(f32_bytes.data(), w.data(), 4 * n);
        std::vector<float> x_f16(n);
        std::vector<uint16_t> x_bf16(n);
        ember::detail::round_to_f16_scalar(x.data(), x_f16.data(), n);
        ember::detail::round_to_bf16_scalar(x.data(), x_bf16.data(), n);
        // odd offset: weights come from a file mapping at any alignment
        uint8_t* f16_row = f16_bytes.data() + 1;
        uint8_t* bf16_row = bf16_bytes.data() + 1;
        double exact_f32 = 0, exact_f16 = 0, exact_bf16 = 0, magnitude_f32 = 0, magnitude_f16 = 0, magnitude_bf16 = 0;
        for (size_t i = 0; i < n; ++i) {
            const uint16_t h = ember::f32_to_fp16(w[i]), b = ember::f32_to_bf16(w[i]);
            std::memcpy(f16_row + 2 * i, &h, 2);
            std::memcpy(bf16_row + 2 * i, &b, 2);
            exact_f32 += double(w[i]) * x[i];
            magnitude_f32 += std::fabs(double(w[i]) * x[i]);
            const double p16 = double(ember::fp16_to_f32(h)) * x_f16[i];
            exact_f16 += p16, magnitude_f16 += std::fabs(p16);
            const double pb = double(ember::bf16_to_f32(b)) * ember::bf16_to_f32(x_bf16[i]);
            exact_bf16 += pb, magnitude_bf16 += std::fabs(pb);
        }
        CHECK(close(ember::detail::dot_f32_row(f32_bytes.data(), x.data(), n), exact_f32, magnitude_f32));
        CHECK(close(ember::detail::dot_f32_scalar(f32_bytes.data(), x.data(), n), exact_f32, magnitude_f32));
        CHECK(close(ember::detail::dot_f16_row(f16_row, x_f16.data(), n), exact_f16, magnitude_f16));
        CHECK(close(ember::detail::dot_f16_scalar(f16_row, x_f16.data(), n), exact_f16, magnitude_f16));
        CHECK(close(ember::detail::dot_bf16_row(bf16_row, x_bf16.data(), n), exact_bf16, magnitude_bf16));
        CHECK(close(ember::detail::dot_bf16_scalar(bf16_row, x_bf16.data(), n), exact_bf16, magnitude_bf16));
    }
}

TEST_CASE("rounding activations to f16 / bf16: SIMD bits = scalar bits") {
    std::mt19937 rng(3);
    auto values = random_floats(1003, rng, 10.0f);
    // edge cases: ties, subnormals, overflow, infinities, zeros
    const float specials[] = {0.0f, -0.0f, 65504.0f, 65520.0f, 1e6f, -1e6f, 6e-8f, 3e-8f, 1e-5f, -2.98e-8f,
                              1.0f + 1.0f / 2048, 1.0f + 3.0f / 2048, INFINITY, -INFINITY, 1e-40f, 3.4e38f,
                              1.0f + 1.0f / 256, 1.0f + 3.0f / 256};
    values.insert(values.begin(), std::begin(specials), std::end(specials));
    const size_t n = values.size();
    std::vector<float> simd_f16(n), scalar_f16(n), simd_bf16_values(n);
    std::vector<uint16_t> simd_bf16(n), scalar_bf16(n);
    ember::detail::round_to_f16(values.data(), simd_f16.data(), n);
    ember::detail::round_to_f16_scalar(values.data(), scalar_f16.data(), n);
    ember::detail::round_to_bf16(values.data(), simd_bf16.data(), n);
    ember::detail::round_to_bf16_scalar(values.data(), scalar_bf16.data(), n);
    ember::detail::round_to_bf16_values(values.data(), simd_bf16_values.data(), n);
    for (size_t i = 0; i < n; ++i) {
        INFO("value " << values[i]);
        CHECK(ember::bits_from_f32(simd_f16[i]) == ember::bits_from_f32(scalar_f16[i]));
        CHECK(simd_bf16[i] == scalar_bf16[i]);
        CHECK(ember::bits_from_f32(simd_bf16_values[i]) == ember::bits_from_f32(ember::bf16_to_f32(scalar_bf16[i])));
    }
    // NaN stays NaN (quiet) in both
    const float nan_in[9] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
    float nan_out[9];
    uint16_t nan_bf16[9];
    ember::detail::round_to_f16(nan_in, nan_out, 9);
    ember::detail::round_to_bf16(nan_in, nan_bf16, 9);
    for (int i = 0; i < 9; ++i) {
        CHECK(std::isnan(nan_out[i]));
        CHECK(std::isnan(ember::bf16_to_f32(nan_bf16[i])));
    }
}

TEST_CASE("swiglu, gelu and softmax: SIMD = scalar up to float rounding") {
    std::mt19937 rng(11);
    for (size_t n : {1u, 3u, 16u, 17u, 100u, 4864u}) {
        INFO("n = " << n);
        auto gate = random_floats(n, rng, 4.0f);
        const auto up = random_floats(n, rng);
        if (n > 2) gate[0] = -100.0f, gate[1] = 100.0f;  // exp overflow / underflow
        auto simd = gate, scalar = gate;
        ember::swiglu(simd.data(), up.data(), n);
        ember::detail::swiglu_scalar(scalar.data(), up.data(), n);
        for (size_t i = 0; i < n; ++i) {
            const double exact = double(gate[i]) / (1.0 + std::exp(-double(gate[i]))) * up[i];
            CHECK(close(simd[i], exact, std::fabs(exact), 1e-5));
            CHECK(close(scalar[i], exact, std::fabs(exact), 1e-5));
        }

        auto gelu_simd = gate, gelu_scalar = gate;
        ember::gelu(gelu_simd.data(), n);
        ember::detail::gelu_scalar(gelu_scalar.data(), n);
        for (size_t i = 0; i < n; ++i) CHECK(close(gelu_simd[i], gelu_scalar[i], std::fabs(gate[i]), 1e-6));

        auto softmax_simd = random_floats(n, rng, 5.0f), softmax_scalar = softmax_simd;
        const auto logits = softmax_simd;
        ember::softmax(softmax_simd.data(), n);
        ember::detail::softmax_scalar(softmax_scalar.data(), n);
        double max_logit = -1e300, total = 0;
        for (float v : logits) max_logit = std::max(max_logit, double(v));
        for (float v : logits) total += std::exp(double(v) - max_logit);
        for (size_t i = 0; i < n; ++i) {
            const double exact = std::exp(double(logits[i]) - max_logit) / total;
            CHECK(close(softmax_simd[i], exact, exact, 1e-5));
            CHECK(close(softmax_scalar[i], exact, exact, 1e-5));
        }
    }
}

namespace {
// The reference's attention for one head, written from its description (ggml's
// CPU flash attention with an f16 cache), one key at a time: f16 query,
// online softmax, f16 accumulator rounded after every step.
std::vector<float> reference_attention(const std::vector<float>& scores, const std::vector<uint16_t>& values,
                                       size_t head_dim) {
    auto to_f16 = [](float x) { return ember::fp16_to_f32(ember::f32_to_fp16(x)); };
    std::vector<float> accumulator(head_dim, 0.0f);
    float m = -INFINITY, s = 0.0f;
    for (size_t j = 0; j < scores.size(); ++j) {
        float ms = 1.0f, vs = 1.0f;
        if (scores[j] > m) {
            const float old = m;
            m = scores[j];
            ms = std::exp(old - m);
            for (float& a : accumulator) a = to_f16(a * ms);
        } else {
            vs = std::exp(scores[j] - m);
        }
        for (size_t d = 0; d < head_dim; ++d)
            accumulator[d] = to_f16(std::fma(ember::fp16_to_f32(values[j * head_dim + d]), vs, accumulator[d]));
        s = std::fma(s, ms, vs);
    }
    for (float& a : accumulator) a *= 1.0f / s;
    return accumulator;
}
}  // namespace

TEST_CASE("attention over an f16 cache: scores exact, values as the reference accumulates them") {
    std::mt19937 rng(5);
    size_t outputs = 0, differing = 0;
    for (size_t head_dim : {8u, 16u, 24u, 32u, 64u, 80u, 96u, 128u, 256u, 40u, 12u}) {
        for (size_t visible : {1u, 2u, 3u, 4u, 5u, 9u, 37u, 300u}) {
            INFO("head_dim " << head_dim << ", visible " << visible);
            const auto query = random_floats(head_dim, rng);
            const auto keys = random_halves(visible * head_dim, rng);
            const auto values = random_halves(visible * head_dim, rng);
            const float scale = 1.0f / std::sqrt(float(head_dim));
            std::vector<float> scores(visible), scalar_scores(visible);
            ember::detail::shared_scores(query.data(), head_dim, 1, keys.data(), visible, head_dim, scale, scores.data(), visible);
            ember::detail::attention_scores_scalar(query.data(), keys.data(), visible, head_dim, scale, scalar_scores.data());
            for (size_t j = 0; j < visible; ++j) {
                double exact = 0, magnitude = 0;
                for (size_t d = 0; d < head_dim; ++d) {
                    const double p = double(query[d]) * ember::fp16_to_f32(keys[j * head_dim + d]);
                    exact += p, magnitude += std::fabs(p);
                }
                CHECK(close(scores[j], exact * scale, magnitude * scale));
                CHECK(close(scalar_scores[j], exact * scale, magnitude * scale));
            }

            // f32 weighted values, SIMD and scalar, against exact sums
            const auto random_weights = random_floats(visible, rng);
            std::vector<float> out(head_dim), scalar_out(head_dim);
            ember::detail::weighted_values(random_weights.data(), visible, 1, values.data(), visible, head_dim, out.data(), head_dim);
            ember::detail::weighted_values_scalar(random_weights.data(), values.data(), visible, head_dim, scalar_out.data());
            for (size_t d = 0; d < head_dim; ++d) {
                double exact = 0, magnitude = 0;
                for (size_t j = 0; j < visible; ++j) {
                    const double p = double(random_weights[j]) * ember::fp16_to_f32(values[j * head_dim + d]);
                    exact += p, magnitude += std::fabs(p);
                }
                CHECK(close(out[d], exact, magnitude));
                CHECK(close(scalar_out[d], exact, magnitude));
            }

            // The full head, SIMD and scalar, against the reference's accumulation
            // on the same (f16-query) scores and against exact softmax attention.
            std::vector<float> rounded_query(head_dim);
            for (size_t d = 0; d < head_dim; ++d) rounded_query[d] = ember::detail::round_to_f16(query[d]);
            ember::detail::attention_scores_scalar(rounded_query.data(), keys.data(), visible, head_dim, scale, scores.data());
            const auto expected = reference_attention(scores, values, head_dim);
            std::vector<float> attended(head_dim), scratch(2 * visible), weights(visible), scalar_attended(head_dim);
            ember::attend(query.data(), keys.data(), values.data(), visible, head_dim, scale,
                          ember::attention_rounding::f16_accumulator, scratch.data(), attended.data());
            ember::detail::online_softmax_weights(scores.data(), visible, weights.data());
            ember::detail::f16_accumulated_values_scalar(scores.data(), weights.data(), values.data(), visible, head_dim,
                                                         scalar_attended.data());
            // f32 rounding: the query as given, exact softmax to float rounding
            std::vector<float> attended_f32(head_dim), exact_f32_query(head_dim);
            ember::attend(query.data(), keys.data(), values.data(), visible, head_dim, scale, ember::attention_rounding::f32,
                          scratch.data(), attended_f32.data());
            {
                std::vector<double> weight(visible);
                double top = -1e300, total = 0;
                for (size_t j = 0; j < visible; ++j) top = std::max(top, double(scalar_scores[j]));
                for (size_t j = 0; j < visible; ++j) total += weight[j] = std::exp(double(scalar_scores[j]) - top);
                for (size_t d = 0; d < head_dim; ++d) {
                    double sum = 0;
                    for (size_t j = 0; j < visible; ++j) sum += weight[j] / total * ember::fp16_to_f32(values[j * head_dim + d]);
                    exact_f32_query[d] = float(sum);
                }
            }
            std::vector<double> p(visible);
            double max_score = -1e300, total = 0;
            for (size_t j = 0; j < visible; ++j) max_score = std::max(max_score, double(scores[j]));
            for (size_t j = 0; j < visible; ++j) total += p[j] = std::exp(double(scores[j]) - max_score);
            for (size_t d = 0; d < head_dim; ++d) {
                double exact = 0, magnitude = 0;
                for (size_t j = 0; j < visible; ++j) {
                    const double term = p[j] / total * ember::fp16_to_f32(values[j * head_dim + d]);
                    exact += term, magnitude += std::fabs(term);
                }
                // f16 accumulation: a few f16 roundings of the magnitude from exact
                CHECK(close(attended[d], exact, magnitude, 4e-3));
                CHECK(close(attended_f32[d], exact_f32_query[d], magnitude, 1e-4));
                // the same roundings as the reference, but for the odd one flipped
                // by an exp or a score one float ulp apart
                CHECK(close(attended[d], expected[d], magnitude, 2e-3));
                CHECK(close(scalar_attended[d], expected[d], magnitude, 2e-3));
                outputs += 2;
                differing += !close(attended[d], expected[d], magnitude, 1e-6) + !close(scalar_attended[d], expected[d], magnitude, 1e-6);
            }
        }
    }
    // Summing in f32 instead would differ from the reference almost everywhere.
    MESSAGE(differing << " of " << outputs << " attention outputs differ from the reference's roundings");
    CHECK(differing * 50 < outputs);
}

namespace {

// Weights of `type`, rows x columns, quantized from random floats where
// ember can quantize the type, else random blocks with modest scales.
std::vector<uint8_t> make_weights(dtype type, size_t rows, size_t columns, std::mt19937& rng) {
    const size_t row_bytes = ember::row_bytes(type, columns);
    std::vector<uint8_t> bytes(row_bytes * rows);
    const auto values = random_floats(rows * columns, rng, 0.05f);
    for (size_t r = 0; r < rows; ++r) {
        const float* row = values.data() + r * columns;
        uint8_t* out = bytes.data() + r * row_bytes;
        if (type == dtype::f32) {
            std::memcpy(out, row, 4 * columns);
        } else if (type == dtype::f16 || type == dtype::bf16) {
            for (size_t i = 0; i < columns; ++i) {
                const uint16_t h = type == dtype::f16 ? ember::f32_to_fp16(row[i]) : ember::f32_to_bf16(row[i]);
                std::memcpy(out + 2 * i, &h, 2);
            }
        } else if (ember::can_quantize(type)) {
            REQUIRE(ember::quantize_row(type, row, out, static_cast<int64_t>(columns)));
        } else {
            for (size_t i = 0; i < row_bytes; ++i) out[i] = static_cast<uint8_t>(rng());
            const auto& traits = ember::traits_of(type);
            const uint16_t half = ember::f32_to_fp16(0.01f);
            auto put_half = [&](size_t offset) { std::memcpy(out + offset, &half, 2); };
            for (size_t o = 0; o < row_bytes; o += traits.block_bytes) {
                switch (type) {
                    case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: put_half(o); break;
                    case dtype::q4_1: case dtype::q5_1: case dtype::q4_k: case dtype::q5_k: put_half(o), put_half(o + 2); break;
                    case dtype::q2_k: put_half(o + 80), put_half(o + 82); break;
                    case dtype::q3_k: put_half(o + 108); break;
                    case dtype::q6_k: put_half(o + 208); break;
                    default: break;
                }
            }
        }
    }
    return bytes;
}

// What the reference multiplies the weights with: the activations after
// 8-bit quantization (dequantized back), or rounded to f16 / bf16.
std::vector<float> effective_activations(dtype weight_type, const std::vector<float>& x, size_t columns) {
    std::vector<float> out(x.size());
    const dtype activation_type = ember::vec_dot_type(weight_type);
    for (size_t t = 0; t < x.size() / columns; ++t) {
        const float* in = x.data() + t * columns;
        float* row = out.data() + t * columns;
        if (weight_type == dtype::f16) {
            for (size_t i = 0; i < columns; ++i) row[i] = ember::fp16_to_f32(ember::f32_to_fp16(in[i]));
        } else if (weight_type == dtype::bf16) {
            for (size_t i = 0; i < columns; ++i) row[i] = ember::bf16_to_f32(ember::f32_to_bf16(in[i]));
        } else if (activation_type != dtype::f32) {
            std::vector<uint8_t> blocks(ember::row_bytes(activation_type, columns));
            REQUIRE(ember::quantize_row(activation_type, in, blocks.data(), static_cast<int64_t>(columns)));
            // Q8_0 / Q8_1 / Q8_K hold d and int8 quants: decode them by layout
            const size_t block = activation_type == dtype::q8_k ? 256 : 32;
            for (size_t b = 0; b < columns / block; ++b) {
                float d;
                const int8_t* q;
                if (activation_type == dtype::q8_k) {
                    const auto* k = reinterpret_cast<const ember::block_q8_k*>(blocks.data()) + b;
                    d = k->d, q = k->qs;
                } else if (activation_type == dtype::q8_1) {
                    const auto* k = reinterpret_cast<const ember::block_q8_1*>(blocks.data()) + b;
                    d = ember::fp16_to_f32(k->d), q = k->qs;
                } else {
                    const auto* k = reinterpret_cast<const ember::block_q8_0*>(blocks.data()) + b;
                    d = ember::fp16_to_f32(k->d), q = k->qs;
                }
                for (size_t i = 0; i < block; ++i) row[b * block + i] = d * q[i];
            }
        } else {
            std::copy(in, in + columns, row);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("attention of query heads sharing a kv head: each head as attend() computes it, block by block") {
    std::mt19937 rng(17);
    for (size_t head_dim : {64u, 128u, 40u, 12u}) {  // 40: 8-lane kernels only; 12: scalar
        const size_t block = ember::detail::cache_block_positions(head_dim);
        for (size_t visible : {size_t(1), size_t(2), size_t(5), block - 1, block, 2 * block + 3, size_t(1031)}) {
            for (size_t heads : {1u, 2u, 3u, 7u, 9u}) {  // 3 on: widened rows; 9: more than 8 at a time
                INFO("head_dim " << head_dim << ", visible " << visible << ", heads " << heads);
                const size_t query_stride = head_dim + 5, out_stride = head_dim + 3;
                const auto queries = random_floats(heads * query_stride, rng);
                const auto keys = random_halves(visible * head_dim, rng);
                const auto values = random_halves(visible * head_dim, rng);
                const float scale = 1.0f / std::sqrt(float(head_dim));
                std::vector<float> shared(heads * out_stride, -5.0f), scratch(heads * visible);
                ember::attend_shared_kv(queries.data(), query_stride, heads, keys.data(), values.data(), visible, head_dim, scale,
                                        scratch.data(), shared.data(), out_stride);
                size_t differing = 0;
                for (size_t g = 0; g < heads; ++g) {
                    std::vector<float> alone(head_dim), alone_scratch(2 * visible);
                    ember::attend(queries.data() + g * query_stride, keys.data(), values.data(), visible, head_dim, scale,
                                  ember::attention_rounding::f32, alone_scratch.data(), alone.data());
                    differing += std::memcmp(alone.data(), shared.data() + g * out_stride, head_dim * sizeof(float)) != 0;
                    for (size_t d = head_dim; d < out_stride && g + 1 < heads; ++d) differing += shared[g * out_stride + d] != -5.0f;
                }
                CHECK(differing == 0);
                // The vectorised values pass, whatever its blocks: per element, even and
                // odd positions in two FMA chains, added at the end.
                if (ember::active_isa() >= ember::isa::avx2 && head_dim % 8 == 0) {
                    std::vector<float> out(heads * out_stride);
                    ember::detail::weighted_values(scratch.data(), visible, heads, values.data(), visible, head_dim, out.data(), out_stride);
                    size_t wrong = 0;
                    for (size_t g = 0; g < heads; ++g)
                        for (size_t d = 0; d < head_dim; ++d) {
                            float chains[2] = {0.0f, 0.0f};
                            for (size_t j = 0; j < visible; ++j)
                                chains[j % 2] = std::fma(scratch[g * visible + j], ember::fp16_to_f32(values[j * head_dim + d]), chains[j % 2]);
                            wrong += out[g * out_stride + d] != chains[0] + chains[1];
                        }
                    CHECK(wrong == 0);
                }
            }
        }
    }
}

TEST_CASE("matmul: every weight type, token count and thread count against an exact product") {
    std::mt19937 rng(2024);
    const dtype types[] = {dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0, dtype::q4_0, dtype::q4_1, dtype::q5_0,
                           dtype::q5_1, dtype::q2_k, dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k};
    struct shape { dtype type; size_t columns; };
    std::vector<shape> shapes;
    for (dtype type : types) shapes.push_back({type, ember::traits_of(type).block_size == 256 ? size_t(512) : size_t(96)});
    // 32-value blocks: whole groups of four blocks and a partial one (the Q4_0 row GEMV's unit)
    for (dtype type : {dtype::q8_0, dtype::q4_0, dtype::q5_0}) shapes.push_back({type, 13 * 32});
    // float rows that are not a multiple of 16 (the AVX-512 GEMM's unit) take the Eigen path
    for (dtype type : {dtype::f32, dtype::f16, dtype::bf16}) shapes.push_back({type, 40});
    for (const shape& s : shapes) {
        const dtype type = s.type;
        const size_t columns = s.columns;
        for (size_t rows : {1u, 3u, 4u, 37u, 130u}) {
            const auto weight_bytes = make_weights(type, rows, columns, rng);
            ember::tensor_view weight;
            weight.data = weight_bytes.data();
            weight.type = type;
            weight.shape = {columns, rows, 1, 1};
            std::vector<float> dequantized(rows * columns);
            ember::dequantize_function_of(type)(weight_bytes.data(), dequantized.data(), static_cast<int64_t>(rows * columns));
            for (size_t n_tokens : {1u, 2u, 5u, 8u, 19u}) {
                const auto x = random_floats(n_tokens * columns, rng);
                const auto effective = effective_activations(type, x, columns);
                for (int threads : {1, 2, 3}) {
                    INFO(ember::name_of(type) << ": rows " << rows << ", columns " << columns << ", tokens " << n_tokens
                                              << ", threads " << threads);
                    ember::thread_pool pool(threads);
                    ember::matmul_scratch scratch(threads, columns, 19);
                    const size_t stride = rows + 3;
                    std::vector<float> out(n_tokens * stride, -7.0f);
                    ember::matmul(weight, x.data(), n_tokens, out.data(), stride, pool, scratch);
                    // Q8_1 carries d * sum(q) in fp16 for the min term: 2^-11 of it
                    const double tolerance = ember::vec_dot_type(type) == dtype::q8_1 ? 1e-3 : 2e-5;
                    size_t bad = 0;
                    for (size_t t = 0; t < n_tokens; ++t) {
                        for (size_t r = 0; r < rows; ++r) {
                            double exact = 0, magnitude = 0;
                            for (size_t i = 0; i < columns; ++i) {
                                const double p = double(dequantized[r * columns + i]) * effective[t * columns + i];
                                exact += p, magnitude += std::fabs(p);
                            }
                            if (!close(out[t * stride + r], exact, magnitude, tolerance)) ++bad;
                        }
                        for (size_t r = rows; r < stride; ++r) bad += out[t * stride + r] != -7.0f;  // untouched
                    }
                    CHECK(bad == 0);
                }
            }
        }
    }
}

// Each tier's sums, bit for bit: the avx2 tier's GEMM adds as its decode dot
// products do (so prefill equals decoding), the avx512 tier's in the order
// of k, one FMA per k.
TEST_CASE("float GEMM (avx2 and avx512 tiers, 8+ tokens): each product summed as the tier defines") {
    if (ember::active_isa() < ember::isa::avx2) return;  // the generic tier has no float GEMM
    const bool avx2 = ember::active_isa() == ember::isa::avx2;
    std::mt19937 rng(4242);
    // 1024 and 304: whole 32-element steps and leftover 8-element ones; 40 and
    // 8 (avx2 only): multiples of 8 that are not of 16, with a bf16 scalar tail
    std::vector<size_t> column_counts = {1024, 304};
    if (avx2) column_counts.insert(column_counts.end(), {40, 8});
    for (dtype type : {dtype::f32, dtype::f16, dtype::bf16}) {
        for (size_t columns : column_counts) {
            for (size_t rows : {5u, 37u, 64u}) {
                const auto weight_bytes = make_weights(type, rows, columns, rng);
                ember::tensor_view weight;
                weight.data = weight_bytes.data();
                weight.type = type;
                weight.shape = {columns, rows, 1, 1};
                const size_t row_bytes = weight.row_bytes();
                std::vector<float> dequantized(rows * columns);
                ember::dequantize_function_of(type)(weight_bytes.data(), dequantized.data(), static_cast<int64_t>(rows * columns));
                for (size_t n_tokens : {8u, 19u, 33u}) {
                    const auto x = random_floats(n_tokens * columns, rng);
                    const auto effective = effective_activations(type, x, columns);
                    std::vector<uint16_t> x_bf16(x.size());
                    ember::detail::round_to_bf16(x.data(), x_bf16.data(), x.size());
                    for (int threads : {1, 2}) {
                        INFO(ember::name_of(type) << ": rows " << rows << ", columns " << columns << ", tokens " << n_tokens
                                                  << ", threads " << threads);
                        ember::thread_pool pool(threads);
                        ember::matmul_scratch scratch(threads, columns, 33);
                        const size_t stride = rows + 3;
                        std::vector<float> out(n_tokens * stride, -7.0f);
                        ember::matmul(weight, x.data(), n_tokens, out.data(), stride, pool, scratch);
                        size_t wrong = 0;
                        for (size_t t = 0; t < n_tokens; ++t) {
                            for (size_t r = 0; r < rows; ++r) {
                                const uint8_t* row = weight_bytes.data() + r * row_bytes;
                                float sum = 0.0f;
                                if (!avx2) {
                                    for (size_t i = 0; i < columns; ++i)
                                        sum = std::fma(dequantized[r * columns + i], effective[t * columns + i], sum);
                                } else if (type == dtype::f32) {
                                    sum = ember::detail::dot_f32_row(row, x.data() + t * columns, columns);
                                } else if (type == dtype::f16) {
                                    sum = ember::detail::dot_f16_row(row, effective.data() + t * columns, columns);
                                } else {
                                    sum = ember::detail::dot_bf16_row(row, x_bf16.data() + t * columns, columns);
                                }
                                wrong += std::memcmp(&sum, &out[t * stride + r], sizeof sum) != 0;
                            }
                            for (size_t r = rows; r < stride; ++r) wrong += out[t * stride + r] != -7.0f;  // untouched
                        }
                        CHECK(wrong == 0);
                    }
                }
            }
        }
    }
}

TEST_CASE("matmul_shared_input: the same results as one matmul per weight") {
    std::mt19937 rng(99);
    const size_t columns = 512;
    struct combination { std::vector<dtype> types; };
    const combination combinations[] = {
        {{dtype::q8_0, dtype::q5_0, dtype::q8_0}},  // one packed Q8_0 input
        {{dtype::q4_0, dtype::q4_0}},               // one input in block groups
        {{dtype::q8_0, dtype::q5_0, dtype::q4_0}},  // Q4_0 apart where it reads block groups
        {{dtype::q4_k, dtype::q6_k, dtype::q4_k}},  // one Q8_K input
        {{dtype::f16, dtype::f16}},
        {{dtype::bf16, dtype::bf16}},
        {{dtype::q8_0, dtype::q4_k}},               // different inputs: separate products
        {{dtype::f32, dtype::q4_0, dtype::f16}},
    };
    for (const auto& combination : combinations) {
        std::vector<std::vector<uint8_t>> storage;
        std::vector<ember::tensor_view> weights;
        const size_t row_counts[] = {130, 17, 64};
        for (size_t i = 0; i < combination.types.size(); ++i) {
            storage.push_back(make_weights(combination.types[i], row_counts[i], columns, rng));
            ember::tensor_view view;
            view.type = combination.types[i];
            view.shape = {columns, row_counts[i], 1, 1};
            weights.push_back(view);
        }
        for (size_t i = 0; i < weights.size(); ++i) weights[i].data = storage[i].data();
        for (size_t n_tokens : {1u, 5u}) {
            for (int threads : {1, 2, 3}) {
                INFO("combination of " << combination.types.size() << " starting " << ember::name_of(combination.types[0])
                                       << ", tokens " << n_tokens << ", threads " << threads);
                ember::thread_pool pool(threads);
                ember::matmul_scratch scratch(threads, columns, 8);
                const auto x = random_floats(n_tokens * columns, rng);
                std::vector<std::vector<float>> fused(weights.size()), separate(weights.size());
                std::vector<ember::matmul_target> targets;
                for (size_t i = 0; i < weights.size(); ++i) {
                    fused[i].assign(n_tokens * (row_counts[i] + 1), -3.0f);
                    separate[i] = fused[i];
                    targets.push_back({&weights[i], fused[i].data(), row_counts[i] + 1});
                }
                ember::matmul_shared_input(targets.data(), targets.size(), x.data(), n_tokens, pool, scratch);
                for (size_t i = 0; i < weights.size(); ++i)
                    ember::matmul(weights[i], x.data(), n_tokens, separate[i].data(), row_counts[i] + 1, pool, scratch);
                for (size_t i = 0; i < weights.size(); ++i) CHECK(fused[i] == separate[i]);
            }
        }
    }
}

TEST_CASE("convert_to_f16 = f32_to_fp16") {
    std::mt19937 rng(17);
    auto values = random_floats(1001, rng, 100.0f);
    values.push_back(1e6f), values.push_back(-70000.0f), values.push_back(3e-8f), values.push_back(1e-5f);
    std::vector<uint16_t> converted(values.size());
    ember::convert_to_f16(values.data(), converted.data(), values.size());
    size_t differing = 0;
    for (size_t i = 0; i < values.size(); ++i) differing += converted[i] != ember::f32_to_fp16(values[i]);
    CHECK(differing == 0);
}
