#pragma once
// Sequence classification with a head stored in the GGUF file: `cls.output`
// (+ BERT/RoBERTa's `cls` dense + tanh before it) reads the pooled state —
// the CLS token for encoders, the last token for decoders (Qwen3 rerankers,
// *ForSequenceClassification exports) — and gives one score per label.
//
//   auto scores = ember::classify_text(*context, "I loved this film");   // probabilities
//   size_t best = ember::top_label(*scores);
//
// Models without a head: see zero_shot.hpp (any generative model) and
// linear_probe.hpp (a head fitted on-device on a few labelled embeddings).

#include "ember/error.hpp"
#include "ember/kernels/softmax.hpp"
#include "ember/runtime/embedding.hpp"

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

struct label_score {
    std::string label;
    float score;  // raw head output, or probability after to_probabilities()
};

inline bool has_classifier_head(const model& model) { return static_cast<bool>(model.weights().classifier_output); }

// Raw head outputs (logits), one per label, in the file's label order.
inline result<std::vector<label_score>> classify(context& context, const std::vector<int32_t>& tokens) {
    const model& model = context.model();
    const model_weights& weights = model.weights();
    if (!has_classifier_head(model))
        return make_error(errc::invalid_argument, model.file().source_name() + ": the model has no classification head (cls.output)");
    const pooling mode = model.config().causal ? pooling::last : pooling::cls;
    EMBER_TRY_ASSIGN(std::vector<float> pooled, embed(context, tokens, mode));

    thread_pool single(1);
    matmul_scratch scratch(1, pooled.size(), 1);
    if (weights.classifier) {  // BERT pooler: tanh(W·x + b)
        std::vector<float> dense(weights.classifier.rows());
        matmul(weights.classifier, pooled.data(), 1, dense.data(), dense.size(), single, scratch);
        if (weights.classifier_bias) add_bias(dense.data(), 1, dense.size(), dense.size(), weights.classifier_bias.floats());
        for (float& value : dense) value = std::tanh(value);
        pooled = std::move(dense);
    }
    std::vector<float> scores(weights.classifier_output.rows());
    matmul(weights.classifier_output, pooled.data(), 1, scores.data(), scores.size(), single, scratch);
    if (weights.classifier_output_bias)
        add_bias(scores.data(), 1, scores.size(), scores.size(), weights.classifier_output_bias.floats());

    std::vector<label_score> out;
    const auto& labels = model.config().class_labels;
    for (size_t i = 0; i < scores.size(); ++i)
        out.push_back({i < labels.size() ? labels[i] : "LABEL_" + std::to_string(i), scores[i]});
    return out;
}

// Softmax over the scores, in place.
inline void to_probabilities(std::vector<label_score>& scores) {
    std::vector<float> values;
    for (const auto& entry : scores) values.push_back(entry.score);
    softmax(values.data(), values.size());
    for (size_t i = 0; i < scores.size(); ++i) scores[i].score = values[i];
}

// The labels the head scores, in order ("LABEL_i" where the file names none).
inline std::vector<std::string> head_labels(const model& model) {
    std::vector<std::string> out;
    if (!has_classifier_head(model)) return out;
    const auto& labels = model.config().class_labels;
    for (size_t i = 0; i < model.weights().classifier_output.rows(); ++i)
        out.push_back(i < labels.size() ? labels[i] : "LABEL_" + std::to_string(i));
    return out;
}

// Label probabilities for a text: tokenized as a whole input (BOS/[CLS],
// and EOS/[SEP] where the vocabulary asks), special-token text plain unless
// `parse_special`, then classify() and softmax.
inline result<std::vector<label_score>> classify_text(context& context, std::string_view text, bool parse_special = false) {
    EMBER_TRY_ASSIGN(std::vector<int32_t> tokens, embedding_tokens(context.model(), text, parse_special));
    EMBER_TRY_ASSIGN(std::vector<label_score> scores, classify(context, tokens));
    to_probabilities(scores);
    return scores;
}

// Index of the highest score (the first on ties; 0 for an empty list).
inline size_t top_label(const std::vector<label_score>& scores) {
    size_t best = 0;
    for (size_t i = 1; i < scores.size(); ++i)
        if (scores[i].score > scores[best].score) best = i;
    return best;
}

}  // namespace ember
