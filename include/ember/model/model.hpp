#pragma once
// A loaded model: the mapped GGUF file, its validated config and weight
// views. A model is immutable after load and is shared (std::shared_ptr)
// by any number of contexts on any threads.

#include "ember/error.hpp"
#include "ember/io/gguf.hpp"
#include "ember/model/model_config.hpp"
#include "ember/model/weights.hpp"

#include <memory>
#include <string>

namespace ember {

class model {
public:
    static result<std::shared_ptr<const model>> load(const std::string& path) {
        auto file = gguf_file::open(path);
        if (!file) return file.error();
        return from_file(std::move(file).value());
    }

    static result<std::shared_ptr<const model>> from_file(gguf_file file) {
        auto loaded = std::shared_ptr<model>(new model(std::move(file)));
        EMBER_TRY_ASSIGN(loaded->config_, model_config::from_gguf(loaded->file_));
        EMBER_TRY_ASSIGN(loaded->weights_, bind_weights(loaded->file_, loaded->config_));
        return std::shared_ptr<const model>(std::move(loaded));
    }

    const gguf_file& file() const { return file_; }
    const model_config& config() const { return config_; }
    const model_weights& weights() const { return weights_; }

private:
    explicit model(gguf_file file) : file_(std::move(file)) {}

    gguf_file file_;
    model_config config_;
    model_weights weights_;
};

}  // namespace ember
