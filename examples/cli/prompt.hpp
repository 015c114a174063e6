#pragma once
// What several subcommands share: load a model with its tokenizer, and
// tokenize a prompt the way `--special` means in DESIGN.md (BOS when the
// model asks for it, special-token text parsed).

#include "command.hpp"

#include <ember/model/model.hpp>

#include <memory>
#include <optional>
#include <string>

namespace ember_cli {

// The model, or nullptr after printing a one-line reason.
inline std::shared_ptr<const ember::model> load_model_with_tokenizer(const std::string& path,
                                                                      const ember::load_options& load = {}) {
    if (path.empty()) {
        fail("missing -m MODEL");
        return nullptr;
    }
    auto model = ember::model::load(path, load);
    if (!model) {
        fail(model.error().message);
        return nullptr;
    }
    if (!(*model)->has_tokenizer()) {
        fail(path + ": the file has no tokenizer (tokenizer.ggml.* metadata)");
        return nullptr;
    }
    return *model;
}

inline std::vector<int32_t> tokenize_prompt(const ember::model& model, const std::string& text) {
    const ember::tokenizer& tokenizer = model.tokenizer();
    return tokenizer.encode(text, {tokenizer.add_bos_by_default(), /*parse_special=*/true});
}

// Writes raw little-endian f32 values; false (after a message) on failure.
inline bool write_f32(const std::string& path, const float* values, size_t count) {
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (!file) {
        fail(path + ": cannot open for writing");
        return false;
    }
    const bool ok = std::fwrite(values, sizeof(float), count, file) == count;
    if (std::fclose(file) != 0 || !ok) {
        fail(path + ": write failed");
        return false;
    }
    return true;
}

inline std::string json_int_list(const std::vector<int32_t>& values) {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + std::to_string(values[i]);
    return out + "]";
}

}  // namespace ember_cli
