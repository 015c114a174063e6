// Quantization f32 -> Q8_0 / Q4_0 / Q4_K / Q6_K (+ the activation formats
// Q8_1 / Q8_K): bytes identical to llama-quantize's on the reference models,
// round-trip error within each format's bound on random and adversarial
// input, defined behaviour on non-finite input, and the API's errors.

#include <doctest/doctest.h>

#include "test_data.hpp"

#include <ember/io/gguf.hpp>
#include <ember/quant/dequantize.hpp>
#include <ember/quant/quantize.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using ember::dtype;

std::vector<uint8_t> quantize(dtype type, const std::vector<float>& values) {
    std::vector<uint8_t> blocks(ember::row_bytes(type, values.size()));
    auto status = ember::quantize_row(type, values.data(), blocks.data(), static_cast<int64_t>(values.size()));
    REQUIRE_MESSAGE(status.has_value(), (status ? std::string() : status.error().message));
    return blocks;
}

std::vector<float> dequantize(dtype type, const std::vector<uint8_t>& blocks, size_t n) {
    std::vector<float> values(n);
    auto status = ember::dequantize_row(type, blocks.data(), values.data(), static_cast<int64_t>(n));
    REQUIRE(status.has_value());
    return values;
}

float fp16_at(const std::vector<uint8_t>& bytes, size_t offset) {
    return ember::fp16_to_f32(static_cast<uint16_t>(bytes[offset] | (bytes[offset + 1] << 8)));
}

std::vector<float> gaussian(size_t n, uint32_t seed, float sigma = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, sigma);
    std::vector<float> values(n);
    for (float& v : values) v = normal(rng);
    return values;
}

double rms_relative_error(const std::vector<float>& x, const std::vector<float>& y) {
    double error = 0, energy = 0;
    for (size_t i = 0; i < x.size(); ++i) {
        error += (static_cast<double>(x[i]) - y[i]) * (static_cast<double>(x[i]) - y[i]);
        energy += static_cast<double>(x[i]) * x[i];
    }
    return energy > 0 ? std::sqrt(error / energy) : std::sqrt(error);
}

// ---- per-format bounds -------------------------------------------------------------
// Each checks every element against a bound computed from the block's own
// stored scales, so the test holds for any input, not just "typical" data.
// `slack` covers float rounding in quantizer and dequantizer (a few ulps of
// the block's magnitude; 1e-4 of a step is far above them, far below a step)
// and `tiny` the absolute rounding of a scale that is itself an f32 subnormal
// (half a subnormal ulp, times up to 128 quant steps).
const double tiny = 128 * static_cast<double>(std::numeric_limits<float>::denorm_min());

// Q8_0: q = round(x/d) with d = amax/127, so |x - q*d| <= d/2 in exact
// arithmetic; storing d as fp16 (d16) moves each value by |q|*|d - d16| <=
// 127*|d - d16|. Bound: d/2 + 127*|d - d16| + slack.
void check_q8_0_bound(const std::vector<float>& x, const std::vector<uint8_t>& blocks, const std::vector<float>& y) {
    for (size_t b = 0; b < x.size() / 32; ++b) {
        float amax = 0;
        for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[32 * b + j]));
        const float d = amax / 127;
        const float d16 = fp16_at(blocks, 34 * b);
        const double bound = d * (0.5 + 1e-4) + 127.0 * std::fabs(d - d16) + tiny;
        for (size_t j = 0; j < 32; ++j) {
            const size_t i = 32 * b + j;
            REQUIRE_MESSAGE(std::fabs(static_cast<double>(x[i]) - y[i]) <= bound,
                            "Q8_0 element " << i << ": x " << x[i] << " y " << y[i] << " bound " << bound);
        }
    }
}

// Q4_0: d = max/-8 (max: the element of largest magnitude), codes q in
// [0, 15] give (q - 8)*d, i.e. the range [-8d, 7d]: max itself is exact
// (code 0) and elements on its side are within d/2. Elements of the opposite
// sign can reach amax = 8|d| but only 7|d| is representable: there the error
// is |x| - 7|d| <= |d|. So |e| <= max(|d|/2, |x| - 7|d|) in exact arithmetic;
// fp16 storage adds 8*|d - d16| (|q - 8| <= 8).
void check_q4_0_bound(const std::vector<float>& x, const std::vector<uint8_t>& blocks, const std::vector<float>& y) {
    for (size_t b = 0; b < x.size() / 32; ++b) {
        float amax = 0, max = 0;
        for (size_t j = 0; j < 32; ++j)
            if (amax < std::fabs(x[32 * b + j])) amax = std::fabs(x[32 * b + j]), max = x[32 * b + j];
        const float d = std::fabs(max / -8);
        const float d16 = std::fabs(fp16_at(blocks, 18 * b));
        for (size_t j = 0; j < 32; ++j) {
            const size_t i = 32 * b + j;
            const double bound = std::max(d * (0.5 + 1e-4), std::fabs(x[i]) - 7.0 * d + 1e-4 * d) +
                                 8.0 * std::fabs(d - d16) + tiny;
            REQUIRE_MESSAGE(std::fabs(static_cast<double>(x[i]) - y[i]) <= bound,
                            "Q4_0 element " << i << ": x " << x[i] << " y " << y[i] << " bound " << bound);
        }
    }
}

// Q5_0: as Q4_0 with d = max/-16 and codes in [0, 31]: the range is
// [-16d, 15d], so |e| <= max(|d|/2, |x| - 15|d|), plus 16*|d - d16|.
void check_q5_0_bound(const std::vector<float>& x, const std::vector<uint8_t>& blocks, const std::vector<float>& y) {
    for (size_t b = 0; b < x.size() / 32; ++b) {
        float amax = 0, max = 0;
        for (size_t j = 0; j < 32; ++j)
            if (amax < std::fabs(x[32 * b + j])) amax = std::fabs(x[32 * b + j]), max = x[32 * b + j];
        const float d = std::fabs(max / -16);
        const float d16 = std::fabs(fp16_at(blocks, 22 * b));
        for (size_t j = 0; j < 32; ++j) {
            const size_t i = 32 * b + j;
            const double bound = std::max(d * (0.5 + 1e-4), std::fabs(x[i]) - 15.0 * d + 1e-4 * d) +
                                 16.0 * std::fabs(d - d16) + tiny;
            REQUIRE_MESSAGE(std::fabs(static_cast<double>(x[i]) - y[i]) <= bound,
                            "Q5_0 element " << i << ": x " << x[i] << " y " << y[i] << " bound " << bound);
        }
    }
}

// Q4_K and Q6_K end with a re-quantization against the scales actually
// stored: q = clamp(nearest((x + m)/s), lo, hi) for sub-block scale s (and min
// m, Q4_K). Wherever (x + m)/s lies inside [lo - 1/2, hi + 1/2] that is plain
// round-to-nearest: |e| <= s/2. Outside it (clipping) the search over scales
// keeps the excess small; the RMS checks cover it.
void check_q4_k_bound(const std::vector<float>& x, const std::vector<uint8_t>& blocks, const std::vector<float>& y,
                      size_t& clipped) {
    for (size_t b = 0; b < x.size() / 256; ++b) {
        const uint8_t* block = blocks.data() + 144 * b;
        const float d = fp16_at(blocks, 144 * b), dmin = fp16_at(blocks, 144 * b + 2);
        for (int sub = 0; sub < 8; ++sub) {
            uint8_t sc, m;
            ember::detail::scale_min_k4(sub, block + 4, sc, m);
            const float s = d * sc, min = dmin * m;
            for (int l = 0; l < 32; ++l) {
                const size_t i = 256 * b + 32 * sub + l;
                const float position = (x[i] + min) / s;
                if (!(position >= -0.5f && position <= 15.5f)) {
                    ++clipped;
                    continue;
                }
                const double bound = s * (0.5 + 1e-4) + 1e-6 * std::fabs(x[i]) + tiny;
                REQUIRE_MESSAGE(std::fabs(static_cast<double>(x[i]) - y[i]) <= bound,
                                "Q4_K element " << i << ": x " << x[i] << " y " << y[i] << " bound " << bound);
            }
        }
    }
}

void check_q6_k_bound(const std::vector<float>& x, const std::vector<uint8_t>& blocks, const std::vector<float>& y,
                      size_t& clipped) {
    for (size_t b = 0; b < x.size() / 256; ++b) {
        const uint8_t* block = blocks.data() + 210 * b;
        const float d = fp16_at(blocks, 210 * b + 208);
        for (int sub = 0; sub < 16; ++sub) {
            const float s = d * static_cast<float>(static_cast<int8_t>(block[192 + sub]));
            for (int l = 0; l < 16; ++l) {
                const size_t i = 256 * b + 16 * sub + l;
                const float position = x[i] / s;
                if (!(position >= -32.5f && position <= 31.5f)) {
                    ++clipped;
                    continue;
                }
                const double bound = std::fabs(s) * (0.5 + 1e-4) + 1e-6 * std::fabs(x[i]) + tiny;
                REQUIRE_MESSAGE(std::fabs(static_cast<double>(x[i]) - y[i]) <= bound,
                                "Q6_K element " << i << ": x " << x[i] << " y " << y[i] << " bound " << bound);
            }
        }
    }
}

// Whatever the input, no element is off by more than its block's range
// (2 * amax): every format's codes span [min, max] of the block or more.
void check_block_range(dtype type, const std::vector<float>& x, const std::vector<float>& y) {
    const size_t block = ember::traits_of(type).block_size;
    for (size_t b = 0; b < x.size() / block; ++b) {
        float amax = 0;
        for (size_t j = 0; j < block; ++j) amax = std::max(amax, std::fabs(x[block * b + j]));
        for (size_t j = 0; j < block; ++j) {
            const size_t i = block * b + j;
            REQUIRE_MESSAGE(std::fabs(static_cast<double>(x[i]) - y[i]) <= 2.0 * amax * (1 + 1e-4) + tiny,
                            "element " << i << ": x " << x[i] << " y " << y[i] << " block amax " << amax);
        }
    }
}

// Checks every element's bound; returns how many were clipped (outside the
// round-to-nearest range, so not covered by the per-element bound).
size_t check_bounds(dtype type, const std::vector<float>& x) {
    const auto blocks = quantize(type, x);
    const auto y = dequantize(type, blocks, x.size());
    check_block_range(type, x, y);
    size_t clipped = 0;
    switch (type) {
        case dtype::q8_0: check_q8_0_bound(x, blocks, y); break;
        case dtype::q4_0: check_q4_0_bound(x, blocks, y); break;
        case dtype::q5_0: check_q5_0_bound(x, blocks, y); break;
        case dtype::q4_k: check_q4_k_bound(x, blocks, y, clipped); break;
        case dtype::q6_k: check_q6_k_bound(x, blocks, y, clipped); break;
        default: FAIL("no bound for this type");
    }
    return clipped;
}

const dtype weight_types[] = {dtype::q8_0, dtype::q4_0, dtype::q5_0, dtype::q4_k, dtype::q6_k};

}  // namespace

TEST_CASE("quantizers reproduce llama-quantize's bytes on the reference model") {
    // llama-qbase-f32 holds the weights every quantized llama-qbase file was
    // made from (by llama-quantize, no importance matrix). Quantizing them
    // again must give the same bytes, tensor for tensor.
    const std::string source_path = ember_test::shared_path("models/llama-qbase-f32.gguf");
    if (source_path.empty()) return;
    auto source = ember::gguf_file::open(source_path);
    REQUIRE(source.has_value());
    int compared[64] = {};
    for (const char* name : {"q8_0", "q4_0", "q5_0", "q4_k_m", "q6_k"}) {
        const std::string path = ember_test::shared_path(std::string("models/llama-qbase-") + name + ".gguf");
        if (path.empty()) continue;
        auto file = ember::gguf_file::open(path);
        REQUIRE(file.has_value());
        for (const ember::gguf_tensor& tensor : file->tensors()) {
            if (!ember::can_quantize(tensor.type) || tensor.type == dtype::f32) continue;
            INFO(name << " " << tensor.name << " " << ember::name_of(tensor.type));
            const ember::gguf_tensor* original = source->find_tensor(tensor.name);
            REQUIRE(original != nullptr);
            REQUIRE(original->type == dtype::f32);
            REQUIRE(original->n_elements == tensor.n_elements);
            std::vector<float> weights(original->n_elements);
            std::memcpy(weights.data(), original->data, weights.size() * sizeof(float));
            const auto blocks = quantize(tensor.type, weights);
            REQUIRE(blocks.size() == tensor.n_bytes);
            size_t differing = 0;
            for (size_t i = 0; i < blocks.size(); ++i) differing += blocks[i] != tensor.data[i];
            CHECK(differing == 0);
            ++compared[static_cast<int>(tensor.type)];
        }
    }
    std::printf("bit-exact with llama-quantize: %d q8_0, %d q4_0, %d q5_0, %d q4_k, %d q6_k tensors\n",
                compared[static_cast<int>(dtype::q8_0)], compared[static_cast<int>(dtype::q4_0)],
                compared[static_cast<int>(dtype::q5_0)],
                compared[static_cast<int>(dtype::q4_k)], compared[static_cast<int>(dtype::q6_k)]);
    for (dtype type : weight_types) CHECK(compared[static_cast<int>(type)] > 0);
}

TEST_CASE("round-trip error of random input is within each format's bound") {
    // RMS bounds for N(0,1) data, from uniform rounding noise (rms = step/sqrt(12))
    // with the step each format uses, plus ~25% margin:
    //   Q8_0: step = amax/127 over 32 values, E[amax] ~ 2.2 sigma -> 0.5% ; bound 0.7%
    //   Q6_K: step ~ amax/32 over 16 values, E[amax] ~ 2.0 sigma  -> 1.8% ; bound 2.3%
    //   Q4_0: step = amax/8 over 32 values                         -> 8%  ; bound 10%
    //   Q5_0: step = amax/16 over 32 values                        -> 4%  ; bound 5%
    //   Q4_K: step ~ (max - min)/15 over 32 values, range ~ 4.1 sigma -> 7.9%,
    //         the least-squares search over scale and min lowers it ; bound 9%
    struct expectation { dtype type; double rms_bound; };
    const expectation expectations[] = {
        {dtype::q8_0, 0.007}, {dtype::q6_k, 0.023}, {dtype::q4_0, 0.10}, {dtype::q5_0, 0.05}, {dtype::q4_k, 0.09}};
    for (const auto& expected : expectations) {
        const dtype type = expected.type;
        const double rms_bound = expected.rms_bound;
        INFO(ember::name_of(type));
        for (uint32_t seed = 1; seed <= 4; ++seed) {
            const auto x = gaussian(4096, seed, seed == 4 ? 1e-3f : 1.0f);
            // clipping (k-quants) happens only to a block's extremes
            const size_t clipped = check_bounds(type, x);
            CHECK(clipped <= x.size() / 50);
            const auto y = dequantize(type, quantize(type, x), x.size());
            const double relative = rms_relative_error(x, y);
            CHECK(relative <= rms_bound);
            if (seed == 1) std::printf("%s: rms relative error %.4f (bound %.3f), %zu of %zu elements clipped\n",
                                       std::string(ember::name_of(type)).c_str(), relative, rms_bound, clipped, x.size());
        }
    }
}

TEST_CASE("adversarial finite input stays within bounds") {
    const size_t n = 512;
    std::vector<std::pair<const char*, std::vector<float>>> cases;
    cases.push_back({"zeros", std::vector<float>(n, 0.0f)});
    cases.push_back({"constant", std::vector<float>(n, 0.3f)});
    cases.push_back({"negative constant", std::vector<float>(n, -7.25f)});
    {
        auto x = gaussian(n, 7);
        x[100] = 1e4f;  // one huge outlier
        cases.push_back({"outlier", x});
    }
    {
        auto x = gaussian(n, 8);
        for (size_t i = 0; i < n; i += 2) x[i] = 0.0f;
        x[3] = -65000.0f;  // near fp16's largest finite value
        cases.push_back({"sparse with large negative", x});
    }
    {
        std::vector<float> x(n);
        for (size_t i = 0; i < n; ++i) x[i] = std::ldexp(static_cast<float>(i % 7) - 3.0f, -140);  // f32 subnormals
        cases.push_back({"denormals", x});
    }
    {
        std::vector<float> x(n);
        for (size_t i = 0; i < n; ++i) x[i] = std::ldexp(static_cast<float>(i % 5) + 1.0f, -20);  // fp16 subnormal scales
        cases.push_back({"tiny", x});
    }
    {
        auto x = gaussian(n, 9);
        for (size_t i = 0; i < n; ++i) x[i] = x[i] * (i < n / 2 ? 1e-6f : 1e3f);  // wildly different blocks
        cases.push_back({"mixed magnitudes", x});
    }
    for (const auto& test_case : cases) {
        const char* name = test_case.first;
        const std::vector<float>& x = test_case.second;
        for (dtype type : weight_types) {
            INFO(std::string(name) << " " << ember::name_of(type));
            check_bounds(type, x);
        }
    }
    // All zeros must come back exactly zero; a constant block near exactly.
    for (dtype type : weight_types) {
        const auto y = dequantize(type, quantize(type, cases[0].second), n);
        CHECK(std::all_of(y.begin(), y.end(), [](float v) { return v == 0.0f; }));
    }
}

TEST_CASE("non-finite input: defined results, confined to its block") {
    // Documented behaviour (detail/quantize_blocks.hpp): no undefined behaviour
    // (this test runs under UBSan in CI), the block holding inf/NaN gets
    // whatever codes/scale, and every other block quantizes exactly as if the
    // bad block were not there.
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (dtype type : {dtype::q8_0, dtype::q4_0, dtype::q5_0, dtype::q4_k, dtype::q6_k, dtype::q8_1, dtype::q8_k}) {
        const size_t block = ember::traits_of(type).block_size, bytes = ember::traits_of(type).block_bytes;
        for (float bad : {inf, -inf, nan}) {
            INFO(ember::name_of(type) << " " << bad);
            auto x = gaussian(3 * block, 11);
            const auto clean = quantize(type, x);
            x[block + 5] = bad;  // the middle block only
            const auto dirty = quantize(type, x);
            CHECK(std::equal(clean.begin(), clean.begin() + bytes, dirty.begin()));
            CHECK(std::equal(clean.begin() + 2 * bytes, clean.end(), dirty.begin() + 2 * bytes));
            if (type != dtype::q8_1 && type != dtype::q8_k) {
                std::vector<float> y(3 * block);
                CHECK(ember::dequantize_row(type, dirty.data(), y.data(), static_cast<int64_t>(y.size())));
            }
        }
    }
}

TEST_CASE("activation quantizers: Q8_1 sums and Q8_K bsums match their quants") {
    const auto x = gaussian(1024, 21);
    {
        std::vector<ember::block_q8_1> blocks(x.size() / 32);
        REQUIRE(ember::quantize_row(dtype::q8_1, x.data(), blocks.data(), static_cast<int64_t>(x.size())));
        for (size_t b = 0; b < blocks.size(); ++b) {
            int sum = 0;
            float amax = 0;
            for (int j = 0; j < 32; ++j) sum += blocks[b].qs[j], amax = std::max(amax, std::fabs(x[32 * b + j]));
            const float d = ember::fp16_to_f32(blocks[b].d);
            CHECK(blocks[b].d == ember::f32_to_fp16(amax / 127));
            CHECK(blocks[b].s == ember::f32_to_fp16(static_cast<float>(sum) * (amax / 127)));
            for (int j = 0; j < 32; ++j)
                CHECK(std::fabs(x[32 * b + j] - blocks[b].qs[j] * d) <= amax / 127 * 0.5001f + 127 * std::fabs(d - amax / 127));
        }
    }
    {
        std::vector<ember::block_q8_k> blocks(x.size() / 256);
        REQUIRE(ember::quantize_row(dtype::q8_k, x.data(), blocks.data(), static_cast<int64_t>(x.size())));
        for (size_t b = 0; b < blocks.size(); ++b) {
            float amax = 0;
            for (int j = 0; j < 256; ++j) amax = std::max(amax, std::fabs(x[256 * b + j]));
            CHECK(std::fabs(blocks[b].d) == doctest::Approx(amax / 127).epsilon(1e-6));
            for (int g = 0; g < 16; ++g) {
                int sum = 0;
                for (int j = 0; j < 16; ++j) sum += blocks[b].qs[16 * g + j];
                CHECK(blocks[b].bsums[g] == sum);
            }
            for (int j = 0; j < 256; ++j)
                CHECK(std::fabs(x[256 * b + j] - blocks[b].qs[j] * blocks[b].d) <= std::fabs(blocks[b].d) * 0.5001f);
        }
        std::vector<ember::block_q8_k> zero(1);
        const std::vector<float> zeros(256, 0.0f);
        REQUIRE(ember::quantize_row(dtype::q8_k, zeros.data(), zero.data(), 256));
        CHECK(zero[0].d == 0.0f);
        CHECK(std::all_of(zero[0].bsums, zero[0].bsums + 16, [](int16_t s) { return s == 0; }));
    }
}

TEST_CASE("quantize_row and dequantize_row reject what they cannot do") {
    std::vector<float> x(512, 1.0f);
    std::vector<uint8_t> blocks(4096);
    auto unsupported = ember::quantize_row(dtype::iq2_xxs, x.data(), blocks.data(), 256);
    REQUIRE_FALSE(unsupported);
    CHECK(unsupported.error().code == ember::errc::unsupported);
    CHECK(unsupported.error().message.find("iq2_xxs") != std::string::npos);

    auto not_a_block = ember::quantize_row(dtype::q4_k, x.data(), blocks.data(), 100);
    REQUIRE_FALSE(not_a_block);
    CHECK(not_a_block.error().code == ember::errc::invalid_argument);
    CHECK(not_a_block.error().message.find("256") != std::string::npos);
    CHECK_FALSE(ember::quantize_row(dtype::q8_0, x.data(), blocks.data(), -32));

    auto cannot = ember::dequantize_row(dtype::tq2_0, blocks.data(), x.data(), 256);
    REQUIRE_FALSE(cannot);
    CHECK(cannot.error().code == ember::errc::unsupported);
    CHECK(cannot.error().message.find("tq2_0") != std::string::npos);
    auto partial = ember::dequantize_row(dtype::q8_0, blocks.data(), x.data(), 33);
    REQUIRE_FALSE(partial);
    CHECK(partial.error().code == ember::errc::invalid_argument);
    CHECK(ember::dequantize_row(dtype::q5_k, blocks.data(), x.data(), 0));  // empty is fine
}

TEST_CASE("SIMD activation quantizers give the scalar quantizers' bytes") {
    // Includes exact ties: with amax 127 the Q8_0 scale is 1, so x.5 values
    // land on halves and must round away from zero like C's roundf.
    std::vector<std::vector<float>> inputs;
    inputs.push_back(gaussian(4096, 31));
    inputs.push_back(gaussian(4096, 32, 1e-30f));
    {
        std::vector<float> ties(4096);
        for (size_t i = 0; i < ties.size(); ++i) ties[i] = (i % 32 == 0) ? 127.0f : static_cast<float>(i % 255) * 0.5f - 63.5f;
        inputs.push_back(ties);
    }
    {
        std::vector<float> mixed = gaussian(4096, 33);
        for (size_t i = 0; i < mixed.size(); i += 97) mixed[i] = -mixed[i] * 50.0f;  // signed maxima
        for (size_t i = 256; i < 512; ++i) mixed[i] = 0.0f;  // an all-zero Q8_K block
        inputs.push_back(mixed);
    }
    for (dtype type : {dtype::q8_0, dtype::q8_1, dtype::q8_k}) {
        INFO(ember::name_of(type));
        const auto fast = ember::quantize_function_of(type);
        const auto scalar = ember::quantize_function_scalar_of(type);
        REQUIRE(bool(fast));
        REQUIRE(bool(scalar));
        for (const auto& x : inputs) {
            std::vector<uint8_t> a(ember::row_bytes(type, x.size())), b(a.size());
            fast(x.data(), a.data(), static_cast<int64_t>(x.size()));
            scalar(x.data(), b.data(), static_cast<int64_t>(x.size()));
            CHECK(a == b);
        }
    }
}
