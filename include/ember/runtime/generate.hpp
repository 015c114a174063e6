#pragma once
// Generating text: a prompt in, streamed text out, with stop conditions.
//
// One call, streaming to a callback (the model's own tokenizer is used
// unless one is passed):
//
//   auto result = ember::generate(*context, "Once upon a time", options,
//                                 [](std::string_view text) { std::cout << text << std::flush; return true; });
//
// Or step by step from a game or UI loop — no threads are started beyond the
// context's own pool, and each advance() does at most n tokens of work:
//
//   auto generation = ember::generation::create(*context, options);
//   EMBER_TRY(generation->begin("The innkeeper says:"));
//   while (!generation->done()) {                       // once per frame
//       EMBER_TRY_ASSIGN(auto step, generation->advance(2));
//       show(step.text);                                // whole UTF-8 characters
//   }
//
// Stops: the model's end-of-generation tokens (EOS, EOT, EOM and the named
// end markers: <|eot_id|>, <|end_of_text|>, <|im_end|>, <|endoftext|>, …),
// stop strings (matched on the decoded text across token boundaries and
// never emitted: text that could be the start of a stop string is held back
// until it is known not to be), a token budget, cancellation (cancel(), or a
// callback returning false) and a full context. Each is a stop_reason, not
// an error.
//
// Emitted text is valid UTF-8 in whole characters; bytes the model produced
// that can never form a character come out as U+FFFD. The concatenation of
// all pieces equals text(), which equals the tokenizer's decode of tokens()
// (up to where a stop string began).

#include "ember/error.hpp"
#include "ember/runtime/context.hpp"
#include "ember/runtime/sampler.hpp"
#include "ember/tokenizer/tokenizer.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

enum class stop_reason {
    none,               // still generating (or not begun)
    end_of_generation,  // the model produced an end-of-generation token
    stop_string,        // the text reached one of the stop strings
    max_tokens,         // the token budget is spent
    cancelled,          // cancel() or a callback asked to stop
    context_full,       // no room left in the context for the next token
};

inline const char* to_string(stop_reason reason) {
    switch (reason) {
        case stop_reason::none: return "none";
        case stop_reason::end_of_generation: return "end of generation";
        case stop_reason::stop_string: return "stop string";
        case stop_reason::max_tokens: return "max tokens";
        case stop_reason::cancelled: return "cancelled";
        case stop_reason::context_full: return "context full";
    }
    return "unknown";
}

struct generation_options {
    // How tokens are chosen (llama.cpp's defaults unless set; for greedy
    // decoding, sampler_settings with temperature 0).
    sampler_chain sampling = sampler_settings{}.chain();
    // Token budget; negative: none (until an end token or a full context).
    int64_t max_tokens = -1;
    // Stop strings (non-empty, valid UTF-8). The text stops before the first
    // occurrence of any of them; the stop string itself is never emitted.
    std::vector<std::string> stop;
    // false: keep going through end-of-generation tokens (llama.cpp's
    // --ignore-eos), which then decode like any other control token.
    bool stop_at_end_of_generation = true;
    // Show control tokens (e.g. <|im_start|>) in the text.
    bool render_special = false;
    // false: begin() clears the context first. true: the prompt is appended
    // to what the context already holds (a shared prefix, an earlier turn);
    // note the last token of an earlier generation was sampled but never
    // evaluated, so it is not in the context.
    bool keep_context = false;
    // Optional: sees (and may change) each row of logits before the sampler
    // does — constrained output, forcing or forbidding tokens by game state.
    std::function<void(float* logits, size_t n_vocab)> logits_processor;
};

// What one advance() produced.
struct generation_step {
    std::string_view text;  // new text, whole UTF-8 characters; valid until the next advance() or begin()
    size_t n_tokens = 0;    // tokens sampled by this call (an end-of-generation token included)
    bool done = false;
    stop_reason reason = stop_reason::none;
};

class generation {
public:
    // The context and the tokenizer must outlive the generation. Fails when
    // the sampler settings or stop strings are unusable, or the context's
    // model is not a text generator.
    static result<generation> create(context& context, const tokenizer& tokenizer, generation_options options = {});
    // With the model's own tokenizer (an error when its file has none).
    static result<generation> create(context& context, generation_options options = {}) {
        if (!context.model().has_tokenizer())
            return make_error(errc::invalid_argument, "generation: the model file has no tokenizer (tokenizer.ggml.* metadata)");
        return create(context, context.model().tokenizer(), std::move(options));
    }

    // Starts generating after a prompt, evaluating it (the slow part for a
    // long prompt). Text is tokenized like a program-built prompt: BOS when
    // the model wants one, special tokens such as <|im_start|> parsed.
    // Errors: an empty prompt (nothing to condition on), ids outside the
    // vocabulary, a prompt that does not fit in the context.
    result<void> begin(std::string_view prompt);
    result<void> begin(const std::vector<int32_t>& prompt_tokens);

    // Generates up to n tokens (fewer when a stop condition hits) and
    // returns the text they completed. After done(), returns an empty done step.
    result<generation_step> advance(size_t n_tokens = 1);

    // Stops the generation before its next token. Safe to call from any
    // thread, at any time (also from inside a streaming callback).
    void cancel() { cancel_requested_.value.store(true, std::memory_order_relaxed); }

    bool done() const { return done_; }
    stop_reason reason() const { return reason_; }
    // Everything emitted since begin().
    const std::string& text() const { return text_; }
    // The generated tokens (an end-of-generation token is not included).
    const std::vector<int32_t>& tokens() const { return tokens_; }
    const std::vector<int32_t>& prompt_tokens() const { return prompt_; }

    // A new random sequence, e.g. for a different answer to the same prompt.
    // (The sequence otherwise continues across begin() calls.)
    void reseed(uint64_t seed) { sampler_.reset(seed); }

private:
    // std::atomic is neither copyable nor movable; result<generation> needs a move.
    struct cancel_flag {
        std::atomic<bool> value{false};
        cancel_flag() = default;
        cancel_flag(cancel_flag&& other) noexcept : value(other.value.load()) {}
        cancel_flag& operator=(cancel_flag&& other) noexcept {
            value.store(other.value.load());
            return *this;
        }
    };

    generation(context& context, const tokenizer& tokenizer, generation_options options, ember::sampler sampler)
        : context_(&context), tokenizer_(tokenizer), options_(std::move(options)), sampler_(std::move(sampler)) {}

    void finish(stop_reason reason);
    // Appends decoded text: made valid UTF-8, checked against the stop
    // strings, and moved to the output except what could begin a stop string.
    void take_text(std::string_view decoded, bool final);
    void emit(std::string_view text) {
        step_text_.append(text.data(), text.size());
        text_.append(text.data(), text.size());
    }

    context* context_;
    tokenizer tokenizer_;
    generation_options options_;
    ember::sampler sampler_;
    std::optional<streaming_decoder> decoder_;
    std::vector<float> processed_logits_;  // n_vocab, only with a logits_processor

    std::vector<int32_t> prompt_, tokens_;
    std::string text_;        // emitted so far
    std::string step_text_;   // emitted by the current advance()
    std::string held_;        // decoded but held back: might be the start of a stop string
    int32_t pending_ = no_token;  // sampled, not yet evaluated (its logits are needed only to go on)
    bool begun_ = false, done_ = false;
    stop_reason reason_ = stop_reason::none;
    cancel_flag cancel_requested_;
};

// The result of a whole generate() call.
struct generation_result {
    std::string text;
    std::vector<int32_t> tokens;  // generated (without an end-of-generation token)
    size_t n_prompt_tokens = 0;
    stop_reason reason = stop_reason::none;
};

// Text piece callback: receives whole UTF-8 characters as they are
// generated; returning false cancels.
using text_callback = std::function<bool(std::string_view)>;

// Generates after `prompt` until a stop condition, streaming to on_text.
// The prompt is text (tokenized as in generation::begin) or token ids.
inline result<generation_result> generate(context& context, const tokenizer& tokenizer, std::string_view prompt,
                                          const generation_options& options = {}, const text_callback& on_text = {});
inline result<generation_result> generate(context& context, const tokenizer& tokenizer, const std::vector<int32_t>& prompt,
                                          const generation_options& options = {}, const text_callback& on_text = {});
// With the model's own tokenizer.
inline result<generation_result> generate(context& context, std::string_view prompt, const generation_options& options = {},
                                          const text_callback& on_text = {}) {
    if (!context.model().has_tokenizer())
        return make_error(errc::invalid_argument, "generate: the model file has no tokenizer (tokenizer.ggml.* metadata)");
    return generate(context, context.model().tokenizer(), prompt, options, on_text);
}

// ---------------------------------------------------------------------------

namespace detail {

inline bool is_valid_utf8(std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        const unicode::utf8_char c = unicode::decode_utf8(text, i);
        if (!c.valid) return false;
        i += c.length;
    }
    return true;
}

// Appends `text` with every byte that is not part of a well-formed sequence
// replaced by U+FFFD (as to_valid_utf8, without a temporary string).
inline void append_valid_utf8(std::string& out, std::string_view text) {
    for (size_t i = 0; i < text.size();) {
        const unicode::utf8_char c = unicode::decode_utf8(text, i);
        if (c.valid) out.append(text.data() + i, c.length);
        else unicode::append_utf8(out, unicode::replacement_character);
        i += c.length;
    }
}

}  // namespace detail

inline result<generation> generation::create(context& context, const tokenizer& tokenizer, generation_options options) {
    if (!context.model().config().causal || !context.model().weights().output)
        return make_error(errc::unsupported, "generation: the model has no language-model head (an encoder or a classifier)");
    for (const std::string& stop : options.stop) {
        if (stop.empty()) return make_error(errc::invalid_argument, "generation: empty stop string");
        if (!detail::is_valid_utf8(stop))
            return make_error(errc::invalid_argument, "generation: stop string is not valid UTF-8");
    }
    EMBER_TRY_ASSIGN(ember::sampler sampler, ember::sampler::create(options.sampling, context.n_vocab()));
    generation created(context, tokenizer, std::move(options), std::move(sampler));
    if (created.options_.logits_processor) created.processed_logits_.assign(context.n_vocab(), 0.0f);
    return created;
}

inline result<void> generation::begin(std::string_view prompt) {
    encode_options encoding;
    encoding.add_bos = tokenizer_.add_bos_by_default();
    encoding.parse_special = true;
    return begin(tokenizer_.encode(prompt, encoding));
}

inline result<void> generation::begin(const std::vector<int32_t>& prompt_tokens) {
    begun_ = false;
    done_ = true;  // until the prompt is in
    reason_ = stop_reason::none;
    if (prompt_tokens.empty())
        return make_error(errc::invalid_argument, "generation: empty prompt (and the model adds no BOS): nothing to condition on");
    if (!options_.keep_context) context_->reset();
    const bool continues_text = context_->n_past() > 0;
    EMBER_TRY(context_->evaluate(prompt_tokens, logits_for::last));

    prompt_ = prompt_tokens;
    tokens_.clear();
    text_.clear();
    step_text_.clear();
    held_.clear();
    pending_ = no_token;
    sampler_.clear_history();
    for (int32_t token : prompt_) sampler_.accept(token);
    // Reserve what a typical generation needs, so the token loop rarely grows them.
    const size_t room = context_->n_ctx() - context_->n_past() + 1;
    const size_t expected = options_.max_tokens >= 0 ? std::min<size_t>(room, static_cast<size_t>(options_.max_tokens)) : room;
    tokens_.reserve(std::min<size_t>(expected, 1 << 16));
    text_.reserve(std::min<size_t>(expected * 4, 1 << 18));

    // The first word of a text loses the space SentencePiece put before it,
    // unless the prompt (or what the context held) already started the text.
    decode_options decoding;
    decoding.strip_leading_space = !continues_text && tokenizer_.decode(prompt_, decoding).empty();
    decoding.render_special = options_.render_special;
    decoder_.emplace(tokenizer_, decoding);

    cancel_requested_.value.store(false, std::memory_order_relaxed);
    begun_ = true;
    done_ = false;
    if (options_.max_tokens == 0) finish(stop_reason::max_tokens);
    return {};
}

inline result<generation_step> generation::advance(size_t n_tokens) {
    step_text_.clear();
    generation_step step;
    if (!begun_) return make_error(errc::invalid_argument, "generation: advance() before a successful begin()");
    while (step.n_tokens < n_tokens && !done_) {
        if (cancel_requested_.value.load(std::memory_order_relaxed)) {
            finish(stop_reason::cancelled);
            break;
        }
        if (pending_ != no_token) {
            // The budget and end checks below guarantee there is room.
            const int32_t token = pending_;
            pending_ = no_token;
            auto evaluated = context_->evaluate(&token, 1, logits_for::last);
            if (!evaluated) {
                done_ = true;
                return evaluated.error();
            }
        }
        const float* logits = context_->logits();
        if (options_.logits_processor) {
            std::copy(logits, logits + processed_logits_.size(), processed_logits_.begin());
            options_.logits_processor(processed_logits_.data(), processed_logits_.size());
            logits = processed_logits_.data();
        }
        const int32_t token = sampler_.sample(logits);
        ++step.n_tokens;
        if (options_.stop_at_end_of_generation && tokenizer_.is_end_of_generation(token)) {
            finish(stop_reason::end_of_generation);
            break;
        }
        tokens_.push_back(token);
        pending_ = token;
        take_text(decoder_->push(token), false);
        if (done_) break;  // a stop string
        if (options_.max_tokens >= 0 && tokens_.size() >= static_cast<uint64_t>(options_.max_tokens))
            finish(stop_reason::max_tokens);
        else if (context_->n_past() >= context_->n_ctx())
            finish(stop_reason::context_full);  // the token just sampled cannot be evaluated
    }
    step.text = step_text_;
    step.done = done_;
    step.reason = reason_;
    return step;
}

inline void generation::finish(stop_reason reason) {
    done_ = true;
    reason_ = reason;
    // Whatever was held back is text after all (unless the last bytes
    // complete a stop string).
    if (decoder_) take_text(decoder_->finish(), true);
}

inline void generation::take_text(std::string_view decoded, bool final) {
    if (decoded.empty() && !final) return;
    detail::append_valid_utf8(held_, decoded);
    if (options_.stop.empty()) {
        emit(held_);
        held_.clear();
        return;
    }
    size_t first_match = std::string::npos;
    for (const std::string& stop : options_.stop) first_match = std::min(first_match, held_.find(stop));
    if (first_match != std::string::npos) {
        emit(std::string_view(held_).substr(0, first_match));
        held_.clear();
        done_ = true;
        reason_ = stop_reason::stop_string;
        return;
    }
    // Hold back the longest tail that is a proper prefix of a stop string.
    // Stop strings are valid UTF-8, so such a tail starts on a character
    // boundary and what is emitted is whole characters.
    size_t hold = 0;
    if (!final) {
        for (const std::string& stop : options_.stop) {
            for (size_t length = std::min(stop.size() - 1, held_.size()); length > hold; --length) {
                if (held_.compare(held_.size() - length, length, stop, 0, length) == 0) {
                    hold = length;
                    break;
                }
            }
        }
    }
    emit(std::string_view(held_).substr(0, held_.size() - hold));
    held_.erase(0, held_.size() - hold);
}

namespace detail {

template <class Prompt>
result<generation_result> generate_after(context& context, const tokenizer& tokenizer, const Prompt& prompt,
                                   const generation_options& options, const text_callback& on_text) {
    EMBER_TRY_ASSIGN(generation run, generation::create(context, tokenizer, options));
    EMBER_TRY(run.begin(prompt));
    while (!run.done()) {
        EMBER_TRY_ASSIGN(generation_step step, run.advance(1));
        if (on_text && !step.text.empty() && !on_text(step.text)) run.cancel();
    }
    generation_result out;
    out.text = run.text();
    out.tokens = run.tokens();
    out.n_prompt_tokens = run.prompt_tokens().size();
    out.reason = run.reason();
    return out;
}

}  // namespace detail

inline result<generation_result> generate(context& context, const tokenizer& tokenizer, std::string_view prompt,
                                          const generation_options& options, const text_callback& on_text) {
    return detail::generate_after(context, tokenizer, prompt, options, on_text);
}

inline result<generation_result> generate(context& context, const tokenizer& tokenizer, const std::vector<int32_t>& prompt,
                                          const generation_options& options, const text_callback& on_text) {
    return detail::generate_after(context, tokenizer, prompt, options, on_text);
}

}  // namespace ember
