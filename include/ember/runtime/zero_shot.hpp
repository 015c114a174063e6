#pragma once
// Zero-shot classification with any generative model: which label is the
// model most likely to write after the prompt?
//
//   auto scores = ember::zero_shot_classify(*context, "Review: I loved it.\nSentiment:",
//                                           {"positive", "negative"});
//   for (const auto& entry : *scores) printf("%s %.3f\n", entry.label.c_str(), entry.probability);
//
// Each label is scored by its log-likelihood as a continuation of the
// prompt, log p(label | prompt) = Σ_i log softmax(logits_i)[label token i],
// where the first label token is scored by the prompt's last logits and
// every later one by the logits after the label tokens before it (so
// multi-token labels are exact, not approximated by their first token).
// The prompt is evaluated once; for each label the context is truncated
// back to the prompt and only the label's tokens are evaluated, reusing the
// prompt's KV cache. Probabilities are a softmax over the labels' scores:
// with no length normalisation (the default) that is exactly
// p(label | prompt) renormalised over the candidates.
//
// Length normalisation (option): the sum favours short labels, since every
// extra token multiplies in a probability < 1. `per_token` divides the sum by
// the label's token count and `per_byte` by its length in bytes (the
// "acc_norm" of evaluation harnesses); both turn the probabilities into a
// ranking aid rather than a renormalised likelihood. Use them when labels
// differ a lot in length.
//
// Calibration (option `baseline_prompt`): small models prefer some labels
// whatever the text ("glad" over "sorrowful" after any verse). Scoring
// log p(label | prompt) − log p(label | baseline) with the prompt's template
// minus the text as the baseline cancels that prior (domain-conditional PMI,
// Holtzman et al. 2021).
//
// Label tokenization. A label continues the prompt's text, so its leading
// space belongs to it (" positive" is one token in most vocabularies, and
// that is the token a model writes after "Sentiment:"). By default a space is
// put between the prompt and a label unless the label starts with
// whitespace or the prompt ends with a newline/tab; trailing spaces of the
// prompt are moved into the label for the same reason. The label's tokens
// are what tokenizing prompt+label gives after the prompt's own tokens. If
// the two tokenizations part before the end of the prompt (the label merges
// with the prompt's last token), the label is scored as
// log p(prompt+label) − log p(prompt), both under their own tokenization,
// re-evaluating only the few tokens after the split.

#include "ember/error.hpp"
#include "ember/runtime/context.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

enum class length_normalization { none, per_token, per_byte };

struct zero_shot_options {
    length_normalization normalization = length_normalization::none;
    // Put a space between the prompt and a label that does not start with
    // whitespace (unless the prompt is empty or ends with a newline or tab).
    bool space_before_label = true;
    // Match control tokens in the prompt and labels (<|im_start|> …), as
    // prompts built from a chat template need. Off: all text is plain text.
    bool parse_special = true;
    // Calibration ("domain-conditional PMI"): when set, each label's score is
    // log p(label | prompt) − log p(label | baseline_prompt), which removes
    // the model's prior preference for some labels whatever the text. Use the
    // prompt's template without the text, e.g. "Sentiment:" for
    // "Review: …\nSentiment:". Costs one more scoring pass.
    std::optional<std::string> baseline_prompt;
};

struct zero_shot_score {
    std::string label;
    std::vector<int32_t> tokens;  // the continuation's tokens as scored
    double log_likelihood = 0.0;  // log p(label | prompt), natural log
    double baseline_log_likelihood = 0.0;  // log p(label | baseline_prompt) when calibrating, else 0
    double score = 0.0;  // (log_likelihood − baseline) after length normalisation: the softmax input
    float probability = 0.0f;     // softmax of score over the labels
};

namespace detail {

// log softmax(row)[token], in double: the max is subtracted before exp.
inline double token_log_probability(const float* row, size_t n_vocab, int32_t token) {
    float max_value = row[0];
    for (size_t v = 1; v < n_vocab; ++v) max_value = std::max(max_value, row[v]);
    double sum = 0.0;
    for (size_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(row[v]) - max_value);
    return static_cast<double>(row[static_cast<size_t>(token)]) - max_value - std::log(sum);
}

// Scores continuations of one prompt. The prompt's KV entries stay in the
// context between continuations; `valid_` counts the leading positions that
// still hold the prompt's tokens (a continuation that parts from the prompt
// early overwrites some), and they are rebuilt only when needed.
class continuation_scorer {
public:
    continuation_scorer(context& context, const std::vector<int32_t>& prompt) : context_(context), prompt_(prompt) {}

    result<void> start() {
        const model& model = context_.model();
        if (!model.config().causal)
            return make_error(errc::invalid_argument, model.file().source_name() +
                                                          ": zero-shot scoring needs a generative (causal) model, not an encoder");
        if (!model.weights().output)
            return make_error(errc::invalid_argument, model.file().source_name() + ": the model has no output (logits) head");
        if (prompt_.empty())
            return make_error(errc::invalid_argument,
                              "zero-shot: the prompt has no tokens (an empty prompt needs a model that adds BOS)");
        if (prompt_.size() > context_.n_ctx())
            return make_error(errc::context_full, "zero-shot: the prompt's " + std::to_string(prompt_.size()) +
                                                      " tokens exceed n_ctx " + std::to_string(context_.n_ctx()));
        context_.reset();
        EMBER_TRY(context_.evaluate(prompt_, logits_for::last));
        last_logits_.assign(context_.logits(), context_.logits() + context_.n_vocab());
        valid_ = prompt_.size();
        return {};
    }

    // log p(tokens | prompt[0, keep)), for 1 <= keep <= prompt length.
    result<double> score(size_t keep, const std::vector<int32_t>& tokens) {
        const size_t n_prompt = prompt_.size(), n_vocab = context_.n_vocab();
        if (tokens.empty()) return make_error(errc::invalid_argument, "zero-shot: an empty continuation");
        if (keep == 0 || keep > n_prompt) return make_error(errc::invalid_argument, "zero-shot: continuation split out of range");
        for (int32_t token : tokens)
            if (token < 0 || static_cast<size_t>(token) >= n_vocab)
                return make_error(errc::out_of_range, "zero-shot: token id " + std::to_string(token) +
                                                          " is outside the vocabulary (" + std::to_string(n_vocab) + ")");
        if (tokens.size() > context_.n_ctx() - keep)
            return make_error(errc::context_full, "zero-shot: " + std::to_string(keep) + " prompt + " +
                                                      std::to_string(tokens.size()) + " continuation tokens exceed n_ctx " +
                                                      std::to_string(context_.n_ctx()));
        double sum = 0.0;
        if (keep == n_prompt) {
            // The prompt's last logits score the first token; the
            // continuation's own tokens (all but its last) score the rest.
            sum += token_log_probability(last_logits_.data(), n_vocab, tokens[0]);
            if (tokens.size() > 1) {
                EMBER_TRY(rebuild_prompt(n_prompt));
                EMBER_TRY(context_.evaluate(tokens.data(), tokens.size() - 1, logits_for::all));
                for (size_t j = 0; j + 1 < tokens.size(); ++j)
                    sum += token_log_probability(context_.logits(j), n_vocab, tokens[j + 1]);
            }
            return sum;
        }
        // Parted before the prompt's end: re-evaluate from the last shared
        // token, whose logits score the continuation's first token.
        std::vector<int32_t> sequence;
        sequence.reserve(tokens.size());
        sequence.push_back(prompt_[keep - 1]);
        sequence.insert(sequence.end(), tokens.begin(), tokens.end() - 1);
        EMBER_TRY(rebuild_prompt(keep - 1));
        EMBER_TRY(context_.evaluate(sequence, logits_for::all));
        valid_ = keep;
        for (size_t j = 0; j < tokens.size(); ++j) sum += token_log_probability(context_.logits(j), n_vocab, tokens[j]);
        return sum;
    }

    // log p(prompt[keep, n) | prompt[0, keep)): what a continuation that
    // parts at `keep` replaces.
    result<double> prompt_tail(size_t keep) {
        const size_t n_prompt = prompt_.size(), n_vocab = context_.n_vocab();
        if (keep == 0 || keep > n_prompt) return make_error(errc::invalid_argument, "zero-shot: prompt split out of range");
        if (keep == n_prompt) return 0.0;
        auto cached = prompt_tails_.find(keep);
        if (cached != prompt_tails_.end()) return cached->second;
        EMBER_TRY(rebuild_prompt(keep - 1));
        // positions keep-1 .. n-2: their logits score prompt[keep .. n-1]
        EMBER_TRY(context_.evaluate(prompt_.data() + keep - 1, n_prompt - keep, logits_for::all));
        valid_ = n_prompt - 1;
        double sum = 0.0;
        for (size_t j = 0; j + keep < n_prompt; ++j) sum += token_log_probability(context_.logits(j), n_vocab, prompt_[keep + j]);
        prompt_tails_[keep] = sum;
        return sum;
    }

    // Leaves the context holding exactly the prompt.
    result<void> finish() { return rebuild_prompt(prompt_.size()); }

private:
    // Makes the context hold prompt[0, n) and nothing after it.
    result<void> rebuild_prompt(size_t n) {
        if (valid_ < n) {
            EMBER_TRY(context_.truncate(std::min(valid_, context_.n_past())));
            EMBER_TRY(context_.evaluate(prompt_.data() + context_.n_past(), n - context_.n_past(), logits_for::none));
            valid_ = n;
        }
        return context_.truncate(n);
    }

    context& context_;
    const std::vector<int32_t>& prompt_;
    std::vector<float> last_logits_;
    size_t valid_ = 0;
    std::map<size_t, double> prompt_tails_;
};

inline bool is_label_separator(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace detail

// Token-level scoring: log p(continuation | prompt) for each continuation,
// the prompt evaluated once. Every continuation must be non-empty; the
// prompt must be non-empty (its last logits score each continuation's first
// token). On return the context holds the prompt (n_past == prompt.size()),
// ready for generation.
inline result<std::vector<double>> continuation_log_likelihoods(context& context, const std::vector<int32_t>& prompt,
                                                                const std::vector<std::vector<int32_t>>& continuations) {
    if (continuations.empty()) return make_error(errc::invalid_argument, "zero-shot: no continuations to score");
    for (size_t i = 0; i < continuations.size(); ++i)
        if (continuations[i].empty())
            return make_error(errc::invalid_argument, "zero-shot: continuation " + std::to_string(i) + " has no tokens");
    detail::continuation_scorer scorer(context, prompt);
    EMBER_TRY(scorer.start());
    std::vector<double> out;
    out.reserve(continuations.size());
    for (size_t i = 0; i < continuations.size(); ++i) {
        auto sum = scorer.score(prompt.size(), continuations[i]);
        if (!sum) return make_error(sum.error().code, "continuation " + std::to_string(i) + ": " + sum.error().message);
        out.push_back(*sum);
    }
    EMBER_TRY(scorer.finish());
    return out;
}

// Softmax of the scores into the probabilities, in double.
inline void zero_shot_probabilities(std::vector<zero_shot_score>& scores) {
    if (scores.empty()) return;
    double max_score = scores[0].score;
    for (const auto& entry : scores) max_score = std::max(max_score, entry.score);
    double sum = 0.0;
    for (const auto& entry : scores) sum += std::exp(entry.score - max_score);
    for (auto& entry : scores) entry.probability = static_cast<float>(std::exp(entry.score - max_score) / sum);
}

// Text-level zero-shot classification (see the top of this file). Errors:
// no labels, an empty label, a label that adds no tokens, a non-generative
// model or one without a tokenizer, prompt or prompt+label beyond n_ctx.
// On return the context holds the prompt's tokens.
inline result<std::vector<zero_shot_score>> zero_shot_classify(context& context, std::string_view prompt,
                                                               const std::vector<std::string>& labels,
                                                               const zero_shot_options& options = {}) {
    const model& model = context.model();
    if (!model.has_tokenizer())
        return make_error(errc::invalid_argument, model.file().source_name() + ": the file has no tokenizer");
    if (labels.empty()) return make_error(errc::invalid_argument, "zero-shot: no candidate labels");
    const tokenizer& vocabulary = model.tokenizer();
    std::vector<double> baseline(labels.size(), 0.0);
    if (options.baseline_prompt) {
        zero_shot_options uncalibrated = options;
        uncalibrated.baseline_prompt.reset();
        auto base = zero_shot_classify(context, *options.baseline_prompt, labels, uncalibrated);
        if (!base) return make_error(base.error().code, "baseline prompt: " + base.error().message);
        for (size_t i = 0; i < labels.size(); ++i) baseline[i] = (*base)[i].log_likelihood;
    }

    // Trailing spaces belong to the label that follows (" positive").
    std::string_view trimmed = prompt;
    while (!trimmed.empty() && trimmed.back() == ' ') trimmed.remove_suffix(1);
    const bool moved_space = trimmed.size() != prompt.size();
    const bool ends_in_break = !trimmed.empty() && detail::is_label_separator(trimmed.back());

    // BOS by hand rather than add_bos: that flag also appends EOS/SEP when a
    // vocabulary asks for it, which must not sit between prompt and label.
    const auto tokenize = [&](std::string_view text) {
        std::vector<int32_t> tokens;
        if (vocabulary.add_bos_by_default() && vocabulary.bos() >= 0) tokens.push_back(vocabulary.bos());
        vocabulary.encode(text, tokens, {false, options.parse_special});
        return tokens;
    };
    const std::vector<int32_t> prompt_tokens = tokenize(trimmed);

    struct plan {
        size_t keep;                  // prompt tokens shared with prompt+label
        std::vector<int32_t> tokens;  // what follows them
        size_t bytes;                 // the continuation's length in bytes
    };
    std::vector<plan> plans;
    std::string whole_text;
    for (size_t i = 0; i < labels.size(); ++i) {
        const std::string& label = labels[i];
        const std::string named = "label " + std::to_string(i) + " ('" + label + "')";
        if (label.empty()) return make_error(errc::invalid_argument, "zero-shot: label " + std::to_string(i) + " is empty");
        std::string continuation = label;
        const bool label_starts_with_space = detail::is_label_separator(label.front());
        if (!label_starts_with_space && (moved_space || (options.space_before_label && !trimmed.empty() && !ends_in_break)))
            continuation.insert(continuation.begin(), ' ');
        whole_text.assign(trimmed.data(), trimmed.size());
        whole_text += continuation;
        std::vector<int32_t> whole = tokenize(whole_text);
        size_t keep = 0;
        while (keep < prompt_tokens.size() && keep < whole.size() && whole[keep] == prompt_tokens[keep]) ++keep;
        if (keep == whole.size())
            return make_error(errc::invalid_argument, "zero-shot: " + named + " adds no tokens to the prompt");
        if (keep == 0)
            return make_error(errc::invalid_argument, "zero-shot: " + named +
                                                          " merges with the prompt's first token; end the prompt with a separator");
        if (whole.size() > context.n_ctx())
            return make_error(errc::context_full, "zero-shot: " + named + ": prompt and label are " +
                                                      std::to_string(whole.size()) + " tokens, more than n_ctx " +
                                                      std::to_string(context.n_ctx()));
        plans.push_back({keep, std::vector<int32_t>(whole.begin() + static_cast<std::ptrdiff_t>(keep), whole.end()),
                         continuation.size()});
    }

    detail::continuation_scorer scorer(context, prompt_tokens);
    EMBER_TRY(scorer.start());
    std::vector<zero_shot_score> out(labels.size());
    for (size_t i = 0; i < labels.size(); ++i) {
        auto sum = scorer.score(plans[i].keep, plans[i].tokens);
        if (!sum) return make_error(sum.error().code, "label " + std::to_string(i) + ": " + sum.error().message);
        auto replaced = scorer.prompt_tail(plans[i].keep);
        if (!replaced) return replaced.error();
        zero_shot_score& entry = out[i];
        entry.label = labels[i];
        entry.tokens = plans[i].tokens;
        entry.log_likelihood = *sum - *replaced;
        entry.baseline_log_likelihood = baseline[i];
        const double calibrated = entry.log_likelihood - entry.baseline_log_likelihood;
        switch (options.normalization) {
            case length_normalization::none: entry.score = calibrated; break;
            case length_normalization::per_token:
                entry.score = calibrated / static_cast<double>(plans[i].tokens.size());
                break;
            case length_normalization::per_byte: entry.score = calibrated / static_cast<double>(plans[i].bytes); break;
        }
    }
    EMBER_TRY(scorer.finish());
    zero_shot_probabilities(out);
    return out;
}

}  // namespace ember
