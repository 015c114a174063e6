// Fused dot products: the scalar versions against an exact (double) dot of
// the dequantized weight row and the dequantized 8-bit activations, and the
// SIMD versions against the scalar ones, on random blocks of every type and
// on the reference models' real rows.

#include <doctest/doctest.h>

#include "test_data.hpp"

#include <ember/io/gguf.hpp>
#include <ember/quant/dequantize.hpp>
#include <ember/quant/dot.hpp>
#include <ember/quant/quantize.hpp>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace {

using ember::dtype;

const dtype dot_types[] = {dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1, dtype::q8_0,
                           dtype::q2_k, dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k};

// Random weight blocks: random bytes with fp16 scales set to modest values
// (random bytes there would make inf/NaN scales).
std::vector<uint8_t> random_weights(dtype type, int64_t n, std::mt19937& rng) {
    const auto& traits = ember::traits_of(type);
    std::vector<uint8_t> bytes(ember::row_bytes(type, static_cast<uint64_t>(n)));
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    std::uniform_real_distribution<float> scale(-0.02f, 0.02f);
    auto put_half = [&](size_t offset) {
        const uint16_t h = ember::f32_to_fp16(scale(rng));
        bytes[offset] = static_cast<uint8_t>(h), bytes[offset + 1] = static_cast<uint8_t>(h >> 8);
    };
    for (size_t o = 0; o < bytes.size(); o += traits.block_bytes) {
        switch (type) {
            case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: put_half(o); break;
            case dtype::q4_1: case dtype::q5_1: case dtype::q4_k: case dtype::q5_k: put_half(o), put_half(o + 2); break;
            case dtype::q2_k: put_half(o + 80), put_half(o + 82); break;
            case dtype::q3_k: put_half(o + 108); break;
            case dtype::q6_k: put_half(o + 208); break;
            default: break;
        }
    }
    return bytes;
}

struct activation {
    std::vector<uint8_t> blocks;
    std::vector<double> values;  // what the blocks stand for (d * q)
    std::vector<double> block_sums;  // Q8_1: the stored s, per block
};

activation quantize_activation(dtype weight_type, const std::vector<float>& x) {
    const dtype type = ember::vec_dot_type(weight_type);
    activation a;
    a.blocks.resize(ember::row_bytes(type, x.size()));
    REQUIRE(ember::quantize_row(type, x.data(), a.blocks.data(), static_cast<int64_t>(x.size())));
    a.values.resize(x.size());
    if (type == dtype::q8_0) {
        const auto* blocks = reinterpret_cast<const ember::block_q8_0*>(a.blocks.data());
        for (size_t i = 0; i < x.size(); ++i)
            a.values[i] = double(ember::fp16_to_f32(blocks[i / 32].d)) * blocks[i / 32].qs[i % 32];
    } else if (type == dtype::q8_1) {
        const auto* blocks = reinterpret_cast<const ember::block_q8_1*>(a.blocks.data());
        for (size_t i = 0; i < x.size(); ++i)
            a.values[i] = double(ember::fp16_to_f32(blocks[i / 32].d)) * blocks[i / 32].qs[i % 32];
        for (size_t b = 0; b < x.size() / 32; ++b) a.block_sums.push_back(ember::fp16_to_f32(blocks[b].s));
    } else {
        const auto* blocks = reinterpret_cast<const ember::block_q8_k*>(a.blocks.data());
        for (size_t i = 0; i < x.size(); ++i) a.values[i] = double(blocks[i / 256].d) * blocks[i / 256].qs[i % 256];
    }
    return a;
}

// The exact dot of what the blocks stand for, and the sum of |terms| (the
// scale of float rounding in any summation order). Q4_1/Q5_1 use their
// activation's stored s = fp16(d * sum q) for the min term, as the format
// defines: min * s instead of min * d * sum q.
std::pair<double, double> exact_dot(dtype type, const std::vector<uint8_t>& weights, const activation& a) {
    const int64_t n = static_cast<int64_t>(a.values.size());
    double dot = 0, magnitude = 0;
    if (type == dtype::q4_1 || type == dtype::q5_1) {
        const size_t block_bytes = ember::traits_of(type).block_bytes;
        for (size_t b = 0; b < a.block_sums.size(); ++b) {
            const uint8_t* block = weights.data() + b * block_bytes;
            const double d = ember::fp16_to_f32(static_cast<uint16_t>(block[0] | (block[1] << 8)));
            const double m = ember::fp16_to_f32(static_cast<uint16_t>(block[2] | (block[3] << 8)));
            for (size_t j = 0; j < 32; ++j) {
                // the code q of element j: nibble j % 16 (high half for j >= 16), Q5_1's fifth bit at bit j of qh
                const uint8_t* qs = block + (type == dtype::q4_1 ? 4 : 8);
                int q = (qs[j % 16] >> (j < 16 ? 0 : 4)) & 0xF;
                if (type == dtype::q5_1) q |= ((block[4 + j / 8] >> (j % 8)) & 1) << 4;
                const double term = d * q * a.values[32 * b + j];
                dot += term, magnitude += std::fabs(term);
            }
            dot += m * a.block_sums[b], magnitude += std::fabs(m * a.block_sums[b]);
        }
        return {dot, magnitude};
    }
    std::vector<float> w(static_cast<size_t>(n));
    REQUIRE(ember::dequantize_row(type, weights.data(), w.data(), n));
    for (int64_t i = 0; i < n; ++i) {
        const double term = double(w[static_cast<size_t>(i)]) * a.values[static_cast<size_t>(i)];
        dot += term, magnitude += std::fabs(term);
    }
    return {dot, magnitude};
}

}  // namespace

TEST_CASE("scalar dot products equal the exact dot of what the blocks stand for") {
    std::mt19937 rng(1234);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (dtype type : dot_types) {
        INFO(ember::name_of(type));
        const auto scalar = ember::vec_dot_function_scalar_of(type);
        REQUIRE(bool(scalar));
        const int64_t block = ember::traits_of(type).block_size;
        for (int64_t blocks : {1, 2, 3, 7, 16}) {
            const int64_t n = blocks * block;
            const auto weights = random_weights(type, n, rng);
            std::vector<float> x(static_cast<size_t>(n));
            for (float& v : x) v = normal(rng);
            const activation a = quantize_activation(type, x);
            const auto exact_and_magnitude = exact_dot(type, weights, a);
            const double exact = exact_and_magnitude.first, magnitude = exact_and_magnitude.second;
            const float got = scalar(weights.data(), a.blocks.data(), n);
            // float rounding of a sum of n terms: well under 1e-6 of the sum of |terms|
            CHECK_MESSAGE(std::fabs(got - exact) <= 1e-6 * magnitude + 1e-30,
                          blocks << " blocks: got " << got << " exact " << exact << " magnitude " << magnitude);
        }
    }
}

TEST_CASE("SIMD dot products agree with the scalar ones") {
    std::printf("vec_dot ISA: %s\n", ember::vec_dot_isa());
    std::mt19937 rng(99);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    int simd_types = 0;
    for (dtype type : dot_types) {
        INFO(ember::name_of(type));
        const auto fast = ember::vec_dot_function_of(type);
        const auto scalar = ember::vec_dot_function_scalar_of(type);
        REQUIRE(bool(fast));
        simd_types += fast != scalar;
        const int64_t block = ember::traits_of(type).block_size;
        for (int64_t blocks : {0, 1, 2, 3, 5, 8, 33}) {  // odd counts reach the unrolled loops' tails
            const int64_t n = blocks * block;
            const auto weights = random_weights(type, n, rng);
            std::vector<float> x(static_cast<size_t>(n));
            for (float& v : x) v = normal(rng) * (blocks == 5 ? 1e3f : 1.0f);
            const activation a = quantize_activation(type, x);
            const double magnitude = n ? exact_dot(type, weights, a).second : 0;
            const float want = scalar(weights.data(), a.blocks.data(), n);
            const float got = fast(weights.data(), a.blocks.data(), n);
            CHECK_MESSAGE(std::fabs(double(got) - want) <= 1e-6 * magnitude,
                          blocks << " blocks: simd " << got << " scalar " << want);
        }
        // extreme codes: every weight byte 0x80 / 0xFF (Q8_0: -128 and -1) with full-scale activations
        for (uint8_t fill : {uint8_t(0x80), uint8_t(0xFF), uint8_t(0x7F)}) {
            const int64_t n = 4 * block;
            auto weights = random_weights(type, n, rng);
            const std::vector<uint8_t> scaled = weights;
            for (size_t i = 0; i < weights.size(); ++i) weights[i] = fill;
            // keep the scales sane: copy them back from the random blocks
            const size_t block_bytes = ember::traits_of(type).block_bytes;
            for (size_t o = 0; o < weights.size(); o += block_bytes) {
                switch (type) {
                    case dtype::q2_k: for (int k = 80; k < 84; ++k) weights[o + k] = scaled[o + k]; break;
                    case dtype::q3_k: for (int k = 108; k < 110; ++k) weights[o + k] = scaled[o + k]; break;
                    case dtype::q6_k: for (int k = 208; k < 210; ++k) weights[o + k] = scaled[o + k]; break;
                    case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: weights[o] = scaled[o], weights[o + 1] = scaled[o + 1]; break;
                    default: for (int k = 0; k < 4; ++k) weights[o + k] = scaled[o + k]; break;
                }
            }
            std::vector<float> x(static_cast<size_t>(n));
            for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 3 == 0) ? -1.0f : 1.0f;  // |q| = 127 everywhere
            const activation a = quantize_activation(type, x);
            const auto exact_and_magnitude = exact_dot(type, weights, a);
            const double exact = exact_and_magnitude.first, magnitude = exact_and_magnitude.second;
            const float want = scalar(weights.data(), a.blocks.data(), n);
            const float got = fast(weights.data(), a.blocks.data(), n);
            CHECK_MESSAGE(std::fabs(double(want) - exact) <= 1e-6 * magnitude, "fill " << int(fill));
            CHECK_MESSAGE(std::fabs(double(got) - want) <= 1e-6 * magnitude, "fill " << int(fill));
        }
    }
    if (ember::active_isa() >= ember::isa::avx2) CHECK(simd_types == 10);  // every type has an x86 version
}

TEST_CASE("dot products over the reference models' rows") {
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    int rows = 0;
    for (const char* name : {"q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k_m", "q4_k_m", "q5_k_m", "q6_k"}) {
        const std::string path = ember_test::shared_path(std::string("models/llama-qbase-") + name + ".gguf");
        if (path.empty()) continue;
        auto file = ember::gguf_file::open(path);
        REQUIRE(file.has_value());
        for (const ember::gguf_tensor& tensor : file->tensors()) {
            if (!ember::has_vec_dot(tensor.type)) continue;
            INFO(name << " " << tensor.name);
            const auto n = static_cast<int64_t>(tensor.shape[0]);
            const size_t row_bytes = ember::row_bytes(tensor.type, static_cast<uint64_t>(n));
            std::vector<float> x(static_cast<size_t>(n));
            for (float& v : x) v = normal(rng);
            const activation a = quantize_activation(tensor.type, x);
            for (uint64_t row = 0; row < std::min<uint64_t>(tensor.rows(), 3); ++row) {
                const std::vector<uint8_t> weights(tensor.data + row * row_bytes, tensor.data + (row + 1) * row_bytes);
                const auto exact_and_magnitude = exact_dot(tensor.type, weights, a);
                const double exact = exact_and_magnitude.first, magnitude = exact_and_magnitude.second;
                const float scalar = ember::vec_dot_function_scalar_of(tensor.type)(weights.data(), a.blocks.data(), n);
                const float fast = ember::vec_dot(tensor.type, weights.data(), a.blocks.data(), n);
                CHECK(std::fabs(double(scalar) - exact) <= 1e-6 * magnitude);
                CHECK(std::fabs(double(fast) - scalar) <= 1e-6 * magnitude);
                ++rows;
            }
        }
    }
    std::printf("checked %d model rows\n", rows);
}

TEST_CASE("vec_dot API: activation types and misuse") {
    CHECK(ember::vec_dot_type(dtype::q4_0) == dtype::q8_0);
    CHECK(ember::vec_dot_type(dtype::q8_0) == dtype::q8_0);
    CHECK(ember::vec_dot_type(dtype::q5_1) == dtype::q8_1);
    CHECK(ember::vec_dot_type(dtype::q6_k) == dtype::q8_k);
    CHECK(ember::vec_dot_type(dtype::iq4_xs) == dtype::f32);
    CHECK_FALSE(ember::has_vec_dot(dtype::iq4_xs));
    std::vector<uint8_t> bytes(1024, 0);
    CHECK(std::isnan(ember::vec_dot(dtype::iq4_xs, bytes.data(), bytes.data(), 256)));
    CHECK(std::isnan(ember::vec_dot(dtype::q4_k, bytes.data(), bytes.data(), 32)));
    CHECK(std::isnan(ember::vec_dot(dtype::q8_0, bytes.data(), bytes.data(), -32)));
    CHECK(ember::vec_dot(dtype::q8_0, bytes.data(), bytes.data(), 0) == 0.0f);
}

TEST_CASE("tiles of dot products equal one vec_dot per row and token") {
    std::mt19937 rng(2024);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (dtype type : dot_types) {
        INFO(ember::name_of(type));
        const auto tile = ember::vec_dot_tile_function_of(type);
        REQUIRE(bool(tile));
        const auto scalar = ember::vec_dot_function_scalar_of(type);
        const int64_t block = ember::traits_of(type).block_size;
        const dtype activation_type = ember::vec_dot_type(type);
        for (int64_t rows : {1, 4, 7, 13}) {
            for (int64_t tokens : {1, 3, 4, 6, 9}) {
                const int64_t n = (block == 256 ? 3 : 9) * block;
                // padded strides: rows and activation rows are not contiguous
                const size_t weight_stride = ember::row_bytes(type, static_cast<uint64_t>(n)) + 7;
                const size_t activation_stride = ember::row_bytes(activation_type, static_cast<uint64_t>(n)) + 4;
                std::vector<uint8_t> weights(weight_stride * static_cast<size_t>(rows));
                for (int64_t r = 0; r < rows; ++r) {
                    const auto row = random_weights(type, n, rng);
                    std::copy(row.begin(), row.end(), weights.begin() + static_cast<std::ptrdiff_t>(r * weight_stride));
                }
                std::vector<uint8_t> activations(activation_stride * static_cast<size_t>(tokens));
                std::vector<double> magnitudes(static_cast<size_t>(tokens));
                std::vector<activation> quantized;
                for (int64_t t = 0; t < tokens; ++t) {
                    std::vector<float> x(static_cast<size_t>(n));
                    for (float& v : x) v = normal(rng);
                    quantized.push_back(quantize_activation(type, x));
                    std::copy(quantized.back().blocks.begin(), quantized.back().blocks.end(),
                              activations.begin() + static_cast<std::ptrdiff_t>(t * activation_stride));
                }
                const size_t out_stride = static_cast<size_t>(rows) + 3;
                std::vector<float> out(out_stride * static_cast<size_t>(tokens), -1234.0f);
                tile(weights.data(), weight_stride, rows, activations.data(), activation_stride, tokens, n, out.data(),
                     out_stride);
                int bad = 0;
                for (int64_t t = 0; t < tokens; ++t) {
                    for (int64_t r = 0; r < rows; ++r) {
                        const std::vector<uint8_t> row(weights.begin() + static_cast<std::ptrdiff_t>(r * weight_stride),
                                                       weights.begin() + static_cast<std::ptrdiff_t>(r * weight_stride) +
                                                           static_cast<std::ptrdiff_t>(ember::row_bytes(type, static_cast<uint64_t>(n))));
                        const double magnitude = exact_dot(type, row, quantized[static_cast<size_t>(t)]).second;
                        const float want = scalar(row.data(), quantized[static_cast<size_t>(t)].blocks.data(), n);
                        const float got = out[static_cast<size_t>(t) * out_stride + static_cast<size_t>(r)];
                        bad += !(std::fabs(double(got) - want) <= 1e-6 * magnitude);
                    }
                    // the padding between rows of out is untouched
                    for (size_t pad = static_cast<size_t>(rows); pad < out_stride; ++pad)
                        bad += out[static_cast<size_t>(t) * out_stride + pad] != -1234.0f;
                }
                CHECK_MESSAGE(bad == 0, rows << " rows x " << tokens << " tokens");
            }
        }
    }
}
