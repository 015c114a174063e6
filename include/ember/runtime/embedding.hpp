#pragma once
// Sentence embeddings: run a text's tokens through the model and pool the
// final hidden states into one vector.
//
//   auto vector = ember::embed(*context, tokens, ember::pooling::mean, /*normalize=*/true);
//
// Encoders (BERT) see the whole text at once; decoders are pooled over their
// causal states (Qwen3-Embedding style models use `last`).

#include "ember/error.hpp"
#include "ember/runtime/context.hpp"

#include <cmath>
#include <vector>

namespace ember {

// The pooling a model declares (`{arch}.pooling_type`), with `rank`
// (classification) pooling the token a head reads: CLS for encoders, the
// last token for decoders. Models that declare none pool by `last`.
inline pooling default_pooling(const model_config& config) {
    switch (config.pooling_type) {
        case pooling::none: return config.causal ? pooling::last : pooling::cls;
        case pooling::rank: return config.causal ? pooling::last : pooling::cls;
        default: return config.pooling_type;
    }
}

// Evaluates `tokens` from an empty context and pools the hidden states:
// cls = first position, last = final position, mean = average over all,
// none = every position's state concatenated. L2-normalises on request.
inline result<std::vector<float>> embed(context& context, const std::vector<int32_t>& tokens, pooling mode,
                                        bool normalize = false) {
    const size_t embd = context.model().config().n_embd;
    if (tokens.empty()) return make_error(errc::invalid_argument, "embed: no tokens");
    if (tokens.size() > context.n_ctx())
        return make_error(errc::context_full, "embed: " + std::to_string(tokens.size()) + " tokens exceed n_ctx " +
                                                  std::to_string(context.n_ctx()));
    context.reset();
    std::vector<float> out(mode == pooling::none ? tokens.size() * embd : embd, 0.0f);
    size_t done = 0;
    // Decoders may take the text in several batches; gather what pooling needs from each.
    while (done < tokens.size()) {
        const size_t n = context.model().config().causal ? std::min<size_t>(tokens.size() - done, 512) : tokens.size();
        EMBER_TRY(context.evaluate(tokens.data() + done, n, logits_for::none));
        for (size_t t = 0; t < n; ++t) {
            const size_t position = done + t;
            const float* state = context.hidden(t);
            if (mode == pooling::none) std::copy(state, state + embd, out.begin() + static_cast<std::ptrdiff_t>(position * embd));
            else if (mode == pooling::mean) for (size_t i = 0; i < embd; ++i) out[i] += state[i];
            else if ((mode == pooling::cls || mode == pooling::rank) && position == 0) std::copy(state, state + embd, out.begin());
            else if (mode == pooling::last && position + 1 == tokens.size()) std::copy(state, state + embd, out.begin());
        }
        done += n;
    }
    if (mode == pooling::mean)
        for (float& value : out) value /= static_cast<float>(tokens.size());
    if (normalize) {
        double sum_squares = 0.0;
        for (float value : out) sum_squares += static_cast<double>(value) * value;
        const float inverse = sum_squares > 0 ? static_cast<float>(1.0 / std::sqrt(sum_squares)) : 0.0f;
        for (float& value : out) value *= inverse;
    }
    return out;
}

}  // namespace ember
