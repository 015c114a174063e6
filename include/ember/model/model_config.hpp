#pragma once
// model_config: an architecture's hyperparameters, read from GGUF metadata
// (`{arch}.embedding_length`, ...) and validated before anything uses them.
// An architecture is data, not a class: llama, qwen2 and qwen3 are one
// decoder with switches; gpt2 and bert differ in norms, positions and masks.

#include "ember/error.hpp"
#include "ember/io/gguf.hpp"

#include <cmath>
#include <string>
#include <vector>

namespace ember {

enum class architecture { llama, qwen2, qwen3, gpt2, bert };

// How rotary position embedding pairs dimensions (ggml's names in brackets).
enum class rope_style {
    none,            // learned/absolute positions (gpt2, bert)
    adjacent_pairs,  // rotate (x[2i], x[2i+1]) [NORM]: GGUF llama files are permuted for it
    split_halves,    // rotate (x[i], x[i + d/2]) [NEOX]: qwen2, qwen3
};

enum class norm_kind { rms, layer };

// Values of `{arch}.pooling_type`, as llama.cpp numbers them.
enum class pooling { none = 0, mean = 1, cls = 2, last = 3, rank = 4 };

struct model_config {
    architecture arch = architecture::llama;
    std::string arch_name;          // as in general.architecture
    uint32_t n_vocab = 0;           // rows of token_embd.weight
    uint32_t n_ctx_train = 0;       // context length the model was trained for
    uint32_t n_embd = 0;            // residual stream width
    uint32_t n_layer = 0;
    uint32_t n_head = 0;
    uint32_t n_head_kv = 0;         // < n_head: grouped-query attention
    uint32_t head_dim = 0;          // attention.key_length (qwen3: != n_embd / n_head)
    uint32_t value_dim = 0;         // attention.value_length
    uint32_t n_ff = 0;              // feed-forward hidden width
    norm_kind norm = norm_kind::rms;
    float norm_eps = 1e-5f;
    rope_style rope = rope_style::none;
    uint32_t rope_dim = 0;          // leading dimensions of each head that rotate
    float rope_theta = 10000.0f;
    float rope_freq_scale = 1.0f;   // linear scaling: position * scale
    bool causal = true;             // false for encoders (bert)
    pooling pooling_type = pooling::none;
    std::vector<std::string> class_labels;  // {arch}.classifier.output_labels

    uint32_t q_width() const { return n_head * head_dim; }
    uint32_t kv_width() const { return n_head_kv * head_dim; }
    uint32_t v_width() const { return n_head_kv * value_dim; }

    static result<model_config> from_gguf(const gguf_file& file);
};

namespace detail {

inline result<architecture> parse_architecture(std::string_view name) {
    if (name == "llama") return architecture::llama;
    if (name == "qwen2") return architecture::qwen2;
    if (name == "qwen3") return architecture::qwen3;
    if (name == "gpt2") return architecture::gpt2;
    if (name == "bert") return architecture::bert;
    return make_error(errc::unsupported, "unsupported architecture '" + std::string(name) +
                                             "' (supported: llama, qwen2, qwen3, gpt2, bert)");
}

}  // namespace detail

inline result<model_config> model_config::from_gguf(const gguf_file& file) {
    model_config config;
    EMBER_TRY_ASSIGN(std::string_view name, file.get<std::string_view>("general.architecture"));
    EMBER_TRY_ASSIGN(config.arch, detail::parse_architecture(name));
    config.arch_name = std::string(name);
    const std::string prefix = config.arch_name + ".";
    auto key = [&](const char* suffix) { return prefix + suffix; };
    auto invalid = [&](const std::string& message) {
        return make_error(errc::invalid_file, file.source_name() + ": " + message);
    };

    EMBER_TRY_ASSIGN(config.n_ctx_train, file.get<uint32_t>(key("context_length")));
    EMBER_TRY_ASSIGN(config.n_embd, file.get<uint32_t>(key("embedding_length")));
    EMBER_TRY_ASSIGN(config.n_layer, file.get<uint32_t>(key("block_count")));
    EMBER_TRY_ASSIGN(config.n_ff, file.get<uint32_t>(key("feed_forward_length")));
    EMBER_TRY_ASSIGN(config.n_head, file.get<uint32_t>(key("attention.head_count")));
    EMBER_TRY_ASSIGN(config.n_head_kv, file.get_or<uint32_t>(key("attention.head_count_kv"), config.n_head));
    if (config.n_embd == 0 || config.n_layer == 0 || config.n_head == 0 || config.n_head_kv == 0 || config.n_ff == 0)
        return invalid("zero in embedding_length, block_count, head_count, head_count_kv or feed_forward_length");
    if (config.n_head % config.n_head_kv != 0)
        return invalid("head_count " + std::to_string(config.n_head) + " is not a multiple of head_count_kv " +
                       std::to_string(config.n_head_kv));
    // Bound the sizes so later products (buffers, KV cache) cannot overflow.
    constexpr uint32_t max_width = 1u << 20;
    if (config.n_embd > max_width || config.n_ff > max_width || config.n_head > 4096 || config.n_layer > 4096)
        return invalid("implausibly large hyperparameters");

    const uint32_t default_head_dim = config.n_embd / config.n_head;
    EMBER_TRY_ASSIGN(config.head_dim, file.get_or<uint32_t>(key("attention.key_length"), default_head_dim));
    EMBER_TRY_ASSIGN(config.value_dim, file.get_or<uint32_t>(key("attention.value_length"), config.head_dim));
    if (config.head_dim == 0 || config.head_dim > 4096 || config.value_dim != config.head_dim)
        return invalid("attention key_length " + std::to_string(config.head_dim) + " / value_length " +
                       std::to_string(config.value_dim) + " unsupported (must be equal, 1..4096)");

    const bool rms = config.arch == architecture::llama || config.arch == architecture::qwen2 ||
                     config.arch == architecture::qwen3;
    config.norm = rms ? norm_kind::rms : norm_kind::layer;
    EMBER_TRY_ASSIGN(config.norm_eps, file.get<float>(key(rms ? "attention.layer_norm_rms_epsilon"
                                                              : "attention.layer_norm_epsilon")));
    if (!(config.norm_eps >= 0.0f) || !std::isfinite(config.norm_eps)) return invalid("norm epsilon is not a finite non-negative number");

    switch (config.arch) {
        case architecture::llama: config.rope = rope_style::adjacent_pairs; break;
        case architecture::qwen2:
        case architecture::qwen3: config.rope = rope_style::split_halves; break;
        case architecture::gpt2:
        case architecture::bert: config.rope = rope_style::none; break;
    }
    if (config.rope != rope_style::none) {
        EMBER_TRY_ASSIGN(config.rope_dim, file.get_or<uint32_t>(key("rope.dimension_count"), config.head_dim));
        if (config.rope_dim == 0 || config.rope_dim > config.head_dim || config.rope_dim % 2 != 0)
            return invalid("rope.dimension_count " + std::to_string(config.rope_dim) +
                           " must be even and at most the head dimension " + std::to_string(config.head_dim));
        EMBER_TRY_ASSIGN(config.rope_theta, file.get_or<float>(key("rope.freq_base"), 10000.0f));
        if (!(config.rope_theta > 0.0f) || !std::isfinite(config.rope_theta)) return invalid("rope.freq_base must be positive");
        EMBER_TRY_ASSIGN(std::string_view scaling, file.get_or<std::string_view>(key("rope.scaling.type"), "none"));
        if (scaling == "linear") {
            EMBER_TRY_ASSIGN(float factor, file.get<float>(key("rope.scaling.factor")));
            if (!(factor > 0.0f) || !std::isfinite(factor)) return invalid("rope.scaling.factor must be positive");
            config.rope_freq_scale = 1.0f / factor;
        } else if (scaling != "none") {
            return make_error(errc::unsupported, file.source_name() + ": rope scaling '" + std::string(scaling) +
                                                     "' is not supported (none, linear)");
        }
    }

    EMBER_TRY_ASSIGN(config.causal, file.get_or<bool>(key("attention.causal"), config.arch != architecture::bert));
    EMBER_TRY_ASSIGN(uint32_t pooling_id, file.get_or<uint32_t>(key("pooling_type"), config.arch == architecture::bert ? 2u : 0u));
    if (pooling_id > 4) return invalid("pooling_type " + std::to_string(pooling_id) + " is unknown");
    config.pooling_type = static_cast<pooling>(pooling_id);
    if (file.contains(key("classifier.output_labels"))) {
        EMBER_TRY_ASSIGN(auto labels, file.get_array<std::string_view>(key("classifier.output_labels")));
        for (auto label : labels) config.class_labels.emplace_back(label);
    }

    const gguf_tensor* embedding = file.find_tensor("token_embd.weight");
    if (!embedding) return invalid("missing tensor 'token_embd.weight'");
    if (embedding->n_dims != 2 || embedding->shape[0] != config.n_embd)
        return invalid("tensor 'token_embd.weight' has shape " + std::to_string(embedding->shape[0]) + " x " +
                       std::to_string(embedding->shape[1]) + ", expected " + std::to_string(config.n_embd) + " x n_vocab");
    if (embedding->shape[1] > (1u << 24)) return invalid("vocabulary larger than 16M tokens");
    config.n_vocab = static_cast<uint32_t>(embedding->shape[1]);
    return config;
}

}  // namespace ember
