// Conformance: dequantize every tensor of every ../shared/models/llama-qbase-*.gguf
// and compare with the reference dequantization in ../shared/golden/dequant.json
// (element count, f64 sum and sum of squares, 64 sampled values).
//
// Dequantization is exact arithmetic on the block's stored numbers, so the
// sampled values must agree bit for bit; one ulp is tolerated only in case the
// reference's compiler fused a multiply-add (`d*q - m` as one FMA), and every
// such sample is counted and reported so an inexact match cannot hide.

#include <doctest/doctest.h>

#include "test_data.hpp"

#include <ember/core/json.hpp>
#include <ember/io/gguf.hpp>
#include <ember/quant/dequantize.hpp>

#include <cctype>
#include <cmath>
#include <set>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

// Distance in units in the last place between two finite floats of any sign.
int64_t ulp_distance(float a, float b) {
    auto ordered = [](float value) {
        int32_t bits;
        std::memcpy(&bits, &value, 4);
        return bits < 0 ? static_cast<int64_t>(INT32_MIN) - bits : static_cast<int64_t>(bits);
    };
    const int64_t d = ordered(a) - ordered(b);
    return d < 0 ? -d : d;
}

struct totals {
    int files = 0;
    int tensors = 0;
    int64_t samples = 0;
    int64_t samples_one_ulp = 0;
    double worst_sum_relative = 0;
    double worst_sumsq_relative = 0;
    std::set<ember::dtype> types;
};

std::string lowercase(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower;
}

void check_file(const std::string& file_name, const ember::json& expected_tensors, const std::string& path,
                totals& total) {
    auto file = ember::gguf_file::open(path);
    REQUIRE_MESSAGE(file.has_value(), (file ? std::string() : file.error().message));
    ++total.files;

    // Every tensor of the file is in the golden and vice versa.
    CHECK_MESSAGE(file->tensors().size() == expected_tensors.size(), file_name);

    std::vector<float> values;
    // (no structured bindings: clang 14 cannot capture them in doctest's lambdas)
    for (const auto& entry : expected_tensors.as_object()) {
        const std::string& tensor_name = entry.first;
        const ember::json& expected = entry.second;
        INFO(file_name << " " << tensor_name);
        const ember::gguf_tensor* tensor = file->find_tensor(tensor_name);
        REQUIRE(tensor != nullptr);
        CHECK(lowercase(expected["type"].as_string()) == ember::name_of(tensor->type));  // "q4_K" vs "q4_k"
        total.types.insert(tensor->type);
        const auto n = static_cast<int64_t>(expected["n"].as_number());
        REQUIRE(static_cast<int64_t>(tensor->n_elements) == n);

        values.assign(static_cast<size_t>(n), 0.0f);
        const auto status = ember::dequantize_row(tensor->type, tensor->data, values.data(), n);
        REQUIRE_MESSAGE(status.has_value(), (status ? std::string() : status.error().message));

        double sum = 0, sumsq = 0, sum_abs = 0;
        for (float v : values) {
            sum += v;
            sumsq += static_cast<double>(v) * v;
            sum_abs += std::fabs(v);
        }
        const double expected_sum = expected["sum"].as_number();
        const double expected_sumsq = expected["sumsq"].as_number();
        // A sum can cancel to ~0, so its error is relative to the sum of |x|.
        const double sum_relative = std::fabs(sum - expected_sum) / std::max(sum_abs, 1e-30);
        const double sumsq_relative = std::fabs(sumsq - expected_sumsq) / std::max(expected_sumsq, 1e-30);
        CHECK(sum_relative <= 1e-6);
        CHECK(sumsq_relative <= 1e-6);
        total.worst_sum_relative = std::max(total.worst_sum_relative, sum_relative);
        total.worst_sumsq_relative = std::max(total.worst_sumsq_relative, sumsq_relative);

        const ember::json& indices = expected["sample_index"];
        const ember::json& samples = expected["sample"];
        REQUIRE(indices.size() == samples.size());
        for (size_t i = 0; i < indices.size(); ++i) {
            const auto index = static_cast<int64_t>(indices[i].as_number());
            REQUIRE(index >= 0);
            REQUIRE(index < n);
            const float want = static_cast<float>(samples[i].as_number());
            const float got = values[static_cast<size_t>(index)];
            const int64_t ulps = ulp_distance(got, want);
            if (ulps == 1) ++total.samples_one_ulp;
            CHECK_MESSAGE(ulps <= 1, "index " << index << ": got " << got << ", want " << want);
            ++total.samples;
        }
        ++total.tensors;
    }
}

}  // namespace

TEST_CASE("dequantization of every llama-qbase tensor matches the reference") {
    const std::string golden_path = ember_test::shared_path("golden/dequant.json");
    if (golden_path.empty()) return;
    auto golden = ember::json::parse(ember_test::read_text(golden_path));
    REQUIRE_MESSAGE(golden.has_value(), (golden ? std::string() : golden.error().message));
    REQUIRE(golden->is_object());
    REQUIRE(golden->size() >= 12);  // one file per quantized/half type in shared/README.md

    totals total;
    for (const auto& entry : golden->as_object()) {
        const std::string& file_name = entry.first;
        const ember::json& expected_tensors = entry.second;
        const std::string path = ember_test::shared_path("models/" + file_name);
        if (path.empty()) continue;
        check_file(file_name, expected_tensors, path, total);
    }
    std::printf("dequant conformance: %d files, %d tensors, %lld samples (%lld within 1 ulp, rest exact), "
                "worst relative error of sum %.3g, of sum of squares %.3g\n",
                total.files, total.tensors, static_cast<long long>(total.samples),
                static_cast<long long>(total.samples_one_ulp), total.worst_sum_relative,
                total.worst_sumsq_relative);
    CHECK(total.files == static_cast<int>(golden->size()));
    // Together the files exercise every type ember promises to dequantize.
    using ember::dtype;
    for (dtype type : {dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0, dtype::q4_0, dtype::q4_1, dtype::q5_0,
                       dtype::q5_1, dtype::q2_k, dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k})
        CHECK_MESSAGE(total.types.count(type) == 1, "no tensor of type " << ember::name_of(type));
}
