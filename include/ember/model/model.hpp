#pragma once
// A loaded model: the mapped GGUF file, its validated config, weight views
// and tokenizer. A model is immutable after load and is shared
// (std::shared_ptr) by any number of contexts on any threads.

#include "ember/error.hpp"
#include "ember/io/gguf.hpp"
#include "ember/model/model_config.hpp"
#include "ember/model/weights.hpp"
#include "ember/model/weights_in_memory.hpp"
#include "ember/tokenizer/tokenizer.hpp"

#include <memory>
#include <optional>
#include <string>

namespace ember {

struct load_options {
    // true: weights are read in place from the mapped file (load in about a
    // millisecond, pages shared with other processes). false: the weights
    // matrix products read are copied into the model's own memory, in huge
    // pages and, for Q4_0, Q5_0, Q4_K and Q6_K on AVX-512 VNNI, with rows interleaved
    // (model/weights_in_memory.hpp): faster generation, a load that costs
    // a pass over the file. As llama.cpp's --no-mmap.
    bool use_mmap = true;
};

class model {
public:
    static result<std::shared_ptr<const model>> load(const std::string& path, const load_options& options = {}) {
        auto file = gguf_file::open(path);
        if (!file) return file.error();
        return from_file(std::move(file).value(), options);
    }

    static result<std::shared_ptr<const model>> from_file(gguf_file file, const load_options& options = {}) {
        auto loaded = std::shared_ptr<model>(new model(std::move(file)));
        EMBER_TRY_ASSIGN(loaded->config_, model_config::from_gguf(loaded->file_));
        EMBER_TRY_ASSIGN(loaded->weights_, bind_weights(loaded->file_, loaded->config_));
        if (!options.use_mmap) loaded->weights_memory_ = detail::copy_weights_to_memory(loaded->file_, loaded->weights_);
        // Files without a vocabulary (e.g. synthetic benchmark models) still
        // run on token ids; text needs the tokenizer.
        if (loaded->file_.contains("tokenizer.ggml.model")) {
            EMBER_TRY_ASSIGN(ember::tokenizer vocabulary_tokenizer, ember::tokenizer::from_gguf(loaded->file_));
            if (vocabulary_tokenizer.n_vocab() > static_cast<int32_t>(loaded->config_.n_vocab))
                return make_error(errc::invalid_file, loaded->file_.source_name() + ": the vocabulary has " +
                                                          std::to_string(vocabulary_tokenizer.n_vocab()) +
                                                          " tokens but token_embd.weight only " +
                                                          std::to_string(loaded->config_.n_vocab) + " rows");
            loaded->tokenizer_ = std::move(vocabulary_tokenizer);
        }
        return std::shared_ptr<const model>(std::move(loaded));
    }

    const gguf_file& file() const { return file_; }
    const model_config& config() const { return config_; }
    const model_weights& weights() const { return weights_; }
    bool has_tokenizer() const { return tokenizer_.has_value(); }
    // Only when has_tokenizer().
    const ember::tokenizer& tokenizer() const { return *tokenizer_; }

private:
    explicit model(gguf_file file) : file_(std::move(file)) {}

    gguf_file file_;
    model_config config_;
    model_weights weights_;
    anonymous_memory weights_memory_;  // the copied weights, when not read from the mapping
    std::optional<ember::tokenizer> tokenizer_;
};

}  // namespace ember
