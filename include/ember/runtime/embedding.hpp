#pragma once
// Sentence embeddings: run a text's tokens through the model and pool the
// final hidden states into one vector.
//
//   auto vector = ember::embed(*context, tokens, ember::pooling::mean, /*normalize=*/true);
//   auto vectors = ember::embed_texts(*context, {"first text", "second text"}, {});
//
// Encoders (BERT) see the whole text at once; decoders are pooled over their
// causal states (Qwen3-Embedding style models use `last`, the one state that
// has seen the whole text).
//
// Pooling modes (llama.cpp's numbering, `{arch}.pooling_type`):
//   none  every position's state, concatenated: [n_tokens * n_embd]
//   mean  the average state
//   cls   the first position's state (BERT's [CLS])
//   last  the final position's state
//   rank  what a classification head reads: cls for encoders, last for decoders

#include "ember/error.hpp"
#include "ember/runtime/context.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

// The pooling a model declares (`{arch}.pooling_type`), with `rank`
// (classification) pooling the token a head reads: CLS for encoders, the
// last token for decoders. Models that declare none pool by `cls` (encoders)
// or `last` (decoders): a single vector is what a caller asking for "the
// embedding" wants.
inline pooling default_pooling(const model_config& config) {
    switch (config.pooling_type) {
        case pooling::none: return config.causal ? pooling::last : pooling::cls;
        case pooling::rank: return config.causal ? pooling::last : pooling::cls;
        default: return config.pooling_type;
    }
}

inline const char* to_string(pooling mode) {
    switch (mode) {
        case pooling::none: return "none";
        case pooling::mean: return "mean";
        case pooling::cls: return "cls";
        case pooling::last: return "last";
        case pooling::rank: return "rank";
    }
    return "unknown";
}

// "none", "mean", "cls", "last" or "rank".
inline result<pooling> parse_pooling(std::string_view name) {
    for (pooling mode : {pooling::none, pooling::mean, pooling::cls, pooling::last, pooling::rank})
        if (name == to_string(mode)) return mode;
    return make_error(errc::invalid_argument,
                      "unknown pooling '" + std::string(name) + "' (expected none, mean, cls, last or rank)");
}

// Scales `values` to unit L2 length (a zero vector stays zero). Embeddings
// compared by cosine similarity are usually normalised once, up front.
inline void l2_normalize(std::vector<float>& values) {
    double sum_squares = 0.0;
    for (float value : values) sum_squares += static_cast<double>(value) * value;
    if (!(sum_squares > 0.0) || !std::isfinite(sum_squares)) return;
    const double inverse = 1.0 / std::sqrt(sum_squares);
    for (float& value : values) value = static_cast<float>(value * inverse);
}

// Cosine similarity of two vectors of equal length (0 when either is zero
// or the lengths differ).
inline float cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size() || a.empty()) return 0.0f;
    double dot = 0.0, norm_a = 0.0, norm_b = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        dot += static_cast<double>(a[i]) * b[i];
        norm_a += static_cast<double>(a[i]) * a[i];
        norm_b += static_cast<double>(b[i]) * b[i];
    }
    if (!(norm_a > 0.0) || !(norm_b > 0.0)) return 0.0f;
    return static_cast<float>(dot / std::sqrt(norm_a * norm_b));
}

// Evaluates `tokens` from an empty context and pools the hidden states:
// cls = first position, last = final position, mean = average over all,
// none = every position's state concatenated. L2-normalises on request
// (for `none`, the whole concatenation: normalise rows yourself if needed).
inline result<std::vector<float>> embed(context& context, const std::vector<int32_t>& tokens, pooling mode,
                                        bool normalize = false) {
    const model_config& config = context.model().config();
    const size_t embd = config.n_embd;
    if (tokens.empty()) return make_error(errc::invalid_argument, "embed: no tokens");
    if (tokens.size() > context.n_ctx())
        return make_error(errc::context_full, "embed: " + std::to_string(tokens.size()) + " tokens exceed n_ctx " +
                                                  std::to_string(context.n_ctx()));
    if (mode == pooling::rank) mode = config.causal ? pooling::last : pooling::cls;
    if (mode != pooling::none && mode != pooling::mean && mode != pooling::cls && mode != pooling::last)
        return make_error(errc::invalid_argument, "embed: unknown pooling mode " + std::to_string(static_cast<int>(mode)));

    context.reset();
    std::vector<float> out(mode == pooling::none ? tokens.size() * embd : embd, 0.0f);
    if (mode == pooling::last) {
        // Only the final state matters: one evaluate, whatever its batching.
        EMBER_TRY(context.evaluate(tokens.data(), tokens.size(), logits_for::none));
        const float* state = context.hidden(context.n_hidden_rows() - 1);
        std::copy(state, state + embd, out.begin());
    } else {
        // The context keeps the states of its last forward batch only, and
        // its batch size is not exposed: evaluate in chunks, and when a chunk
        // came back with fewer states than tokens (the context's batch was
        // smaller), take it again in pieces of the size that did fit.
        std::vector<double> sum(mode == pooling::mean ? embd : 0, 0.0);
        size_t chunk = std::min<size_t>(tokens.size(), 512);
        size_t done = 0;
        while (done < tokens.size()) {
            const size_t n = std::min(chunk, tokens.size() - done);
            EMBER_TRY(context.evaluate(tokens.data() + done, n, logits_for::none));
            if (context.n_hidden_rows() != n) {
                if (context.n_hidden_rows() == 0 || context.n_hidden_rows() > n)
                    return make_error(errc::invalid_argument, "embed: the context returned no hidden states");
                chunk = context.n_hidden_rows();
                EMBER_TRY(context.truncate(done));
                continue;
            }
            for (size_t t = 0; t < n; ++t) {
                const size_t position = done + t;
                const float* state = context.hidden(t);
                if (mode == pooling::none)
                    std::copy(state, state + embd, out.begin() + static_cast<std::ptrdiff_t>(position * embd));
                else if (mode == pooling::mean)
                    for (size_t i = 0; i < embd; ++i) sum[i] += state[i];
                else if (mode == pooling::cls && position == 0)
                    std::copy(state, state + embd, out.begin());
            }
            done += n;
            if (mode == pooling::cls) break;  // a causal first state never changes: skip the rest
        }
        if (mode == pooling::mean)
            for (size_t i = 0; i < embd; ++i) out[i] = static_cast<float>(sum[i] / static_cast<double>(tokens.size()));
    }
    if (normalize) l2_normalize(out);
    return out;
}

// ---------------------------------------------------------------------------
// Texts in, vectors out.

struct embedding_options {
    std::optional<pooling> pooling_mode;  // unset: default_pooling(model config)
    bool normalize = false;               // L2-normalise each vector
    // Match control tokens written in the text (<|endoftext|>, [SEP]). Off:
    // user text cannot inject them. BOS/EOS framing follows the model either way.
    bool parse_special = false;
};

// The tokens a text is embedded from: framed as the model wants a whole
// input (BERT: [CLS] … [SEP]; decoders: BOS, and EOS when the vocabulary asks
// for it — Qwen3-Embedding's <|endoftext|>).
inline result<std::vector<int32_t>> embedding_tokens(const model& model, std::string_view text, bool parse_special = false) {
    if (!model.has_tokenizer())
        return make_error(errc::invalid_argument, model.file().source_name() + ": the file has no tokenizer to embed text with");
    if (text.empty()) return make_error(errc::invalid_argument, "embed: the text is empty");
    const tokenizer& vocabulary = model.tokenizer();
    return vocabulary.encode(text, {vocabulary.add_bos_by_default(), parse_special});
}

namespace detail {
inline result<std::vector<std::vector<float>>> embed_each(context& context,
                                                          const std::vector<std::vector<int32_t>>& token_lists,
                                                          const embedding_options& options, const char* noun) {
    const pooling mode = options.pooling_mode ? *options.pooling_mode : default_pooling(context.model().config());
    std::vector<std::vector<float>> out;
    out.reserve(token_lists.size());
    for (size_t i = 0; i < token_lists.size(); ++i) {
        auto vector = embed(context, token_lists[i], mode, options.normalize);
        if (!vector)
            return make_error(vector.error().code, std::string(noun) + " " + std::to_string(i) + ": " + vector.error().message);
        out.push_back(std::move(vector).value());
    }
    return out;
}
}  // namespace detail

// One vector per token list, in order, through one context (reset for each:
// the inputs do not see each other; the context holds one sequence, so they
// run one after another). Stops at the first failure, naming its index.
inline result<std::vector<std::vector<float>>> embed_batch(context& context,
                                                           const std::vector<std::vector<int32_t>>& token_lists,
                                                           const embedding_options& options = {}) {
    if (token_lists.empty()) return make_error(errc::invalid_argument, "embed: no inputs");
    return detail::embed_each(context, token_lists, options, "input");
}

// One vector per text. Empty texts, texts longer than the context and a
// model without a tokenizer are errors naming the text's index; all texts
// are tokenized and checked before any is evaluated.
inline result<std::vector<std::vector<float>>> embed_texts(context& context, const std::vector<std::string>& texts,
                                                           const embedding_options& options = {}) {
    if (texts.empty()) return make_error(errc::invalid_argument, "embed: no texts");
    std::vector<std::vector<int32_t>> token_lists;
    token_lists.reserve(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
        auto tokens = embedding_tokens(context.model(), texts[i], options.parse_special);
        if (!tokens) return make_error(tokens.error().code, "text " + std::to_string(i) + ": " + tokens.error().message);
        if (tokens->size() > context.n_ctx())
            return make_error(errc::context_full, "text " + std::to_string(i) + ": " + std::to_string(tokens->size()) +
                                                      " tokens exceed the context's " + std::to_string(context.n_ctx()));
        token_lists.push_back(std::move(tokens).value());
    }
    return detail::embed_each(context, token_lists, options, "text");
}

// The embedding of one text.
inline result<std::vector<float>> embed_text(context& context, std::string_view text, const embedding_options& options = {}) {
    EMBER_TRY_ASSIGN(std::vector<int32_t> tokens, embedding_tokens(context.model(), text, options.parse_special));
    const pooling mode = options.pooling_mode ? *options.pooling_mode : default_pooling(context.model().config());
    return embed(context, tokens, mode, options.normalize);
}

}  // namespace ember
