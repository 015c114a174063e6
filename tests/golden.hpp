#pragma once
// Reading ../shared/golden/logits: per model a JSON index of cases (prompt,
// reference tokens, greedy continuation, logits file) and raw f32 logits.

#include <ember/core/json.hpp>

#include "test_data.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace ember_test {

struct golden_case {
    std::string prompt;
    std::vector<int32_t> tokens;
    std::vector<int32_t> greedy;
    std::vector<float> logits;  // [n_positions][n_vocab] or [n_vocab] (or pooled outputs)
    bool all_positions = false;
};

struct golden_model {
    std::string model_path;  // "" when the data is missing
    size_t n_vocab = 0;
    std::vector<golden_case> cases;
};

inline std::vector<int32_t> int_list(const ember::json& array) {
    std::vector<int32_t> out;
    for (size_t i = 0; i < array.size(); ++i) out.push_back(static_cast<int32_t>(array[i].as_int64()));
    return out;
}

inline std::vector<float> read_f32(const std::string& path) {
    const std::string bytes = read_text(path);
    std::vector<float> out(bytes.size() / 4);
    std::memcpy(out.data(), bytes.data(), out.size() * 4);
    return out;
}

// `name` as in golden/logits/<name>.json; the model file is named inside it.
inline golden_model load_golden(const std::string& name) {
    golden_model golden;
    const std::string index = shared_path("golden/logits/" + name + ".json");
    if (index.empty()) return golden;
    auto parsed = ember::json::parse(read_text(index));
    if (!parsed) return golden;
    const ember::json& root = *parsed;
    golden.model_path = shared_path("models/" + root["model"].as_string());
    golden.n_vocab = static_cast<size_t>(root["n_vocab"].as_int64());
    const ember::json& cases = root["cases"];
    for (size_t i = 0; i < cases.size(); ++i) {
        golden_case entry;
        entry.prompt = cases[i]["prompt"].as_string();
        entry.tokens = int_list(cases[i]["tokens"]);
        entry.greedy = int_list(cases[i]["greedy"]);
        entry.all_positions = cases[i]["all_positions"].as_bool();
        entry.logits = read_f32(shared_root() + "/golden/logits/" + cases[i]["logits"].as_string());
        golden.cases.push_back(std::move(entry));
    }
    return golden;
}

// max|a - b| and rms(a - b) / rms(b).
struct difference {
    double max_abs = 0.0;
    double rms_ratio = 0.0;
};

inline difference compare(const float* actual, const float* reference, size_t n) {
    double sum_delta = 0.0, sum_reference = 0.0, max_abs = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double delta = static_cast<double>(actual[i]) - reference[i];
        max_abs = std::max(max_abs, std::fabs(delta));
        sum_delta += delta * delta;
        sum_reference += static_cast<double>(reference[i]) * reference[i];
    }
    return {max_abs, std::sqrt(sum_delta / std::max(sum_reference, 1e-30))};
}

}  // namespace ember_test
