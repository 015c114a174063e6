#pragma once
// Perplexity of a token stream, measured the way llama.cpp's `perplexity`
// tool does, so numbers are comparable: the stream is cut into
// non-overlapping windows of n_ctx tokens, each window's first token is
// replaced by BOS (when the model uses one), and only the second half of
// each window is scored — every scored token sees at least n_ctx/2 tokens of
// context.

#include "ember/error.hpp"
#include "ember/runtime/context.hpp"

#include <cmath>
#include <vector>

namespace ember {

struct perplexity_result {
    double perplexity = 0.0;           // exp(mean negative log-likelihood)
    double mean_nll = 0.0;             // nats per scored token
    size_t scored_tokens = 0;
    size_t windows = 0;
};

// `bos`: the id placed first in each window, or -1 for none.
inline result<perplexity_result> perplexity(context& context, const std::vector<int32_t>& tokens, int32_t bos) {
    const size_t window = context.n_ctx();
    if (window < 2) return make_error(errc::invalid_argument, "perplexity: the context must hold at least 2 tokens");
    const size_t windows = tokens.size() / window;
    if (windows == 0)
        return make_error(errc::invalid_argument, "perplexity: " + std::to_string(tokens.size()) +
                                                      " tokens are fewer than one window of " + std::to_string(window));
    const size_t n_vocab = context.n_vocab();
    perplexity_result out;
    double total_nll = 0.0;
    std::vector<int32_t> chunk(window);
    for (size_t w = 0; w < windows; ++w) {
        std::copy(tokens.begin() + static_cast<std::ptrdiff_t>(w * window),
                  tokens.begin() + static_cast<std::ptrdiff_t>((w + 1) * window), chunk.begin());
        if (bos >= 0) chunk[0] = bos;
        context.reset();
        EMBER_TRY(context.evaluate(chunk, logits_for::all));
        for (size_t i = window / 2; i + 1 < window; ++i) {
            // -log softmax(logits_i)[next], with the max subtracted for stability
            const float* logits = context.logits(i);
            float max_logit = logits[0];
            for (size_t v = 1; v < n_vocab; ++v) max_logit = std::max(max_logit, logits[v]);
            double sum = 0.0;
            for (size_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(logits[v]) - max_logit);
            const int32_t next = tokens[w * window + i + 1];
            total_nll += std::log(sum) - (static_cast<double>(logits[next]) - max_logit);
            ++out.scored_tokens;
        }
    }
    out.windows = windows;
    out.mean_nll = total_nll / static_cast<double>(out.scored_tokens);
    out.perplexity = std::exp(out.mean_nll);
    return out;
}

}  // namespace ember
