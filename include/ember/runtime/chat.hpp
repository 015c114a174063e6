#pragma once
// Chat: a conversation rendered with the model's own chat template, tokenized
// so that only the template can write control tokens, and continued turn by
// turn on one context whose KV cache keeps the shared prefix.
//
//   auto session = ember::chat_session::create(model);      // the GGUF's template, or ChatML
//   session->add({"system", "You are terse."});
//   auto turn = session->send("Hello!", [](std::string_view text) { std::cout << text; return true; });
//   // turn->n_prompt_evaluated: prompt tokens this turn had to run (the rest were cached)
//
// Lower level, without a context: chat_formatter renders and tokenizes a
// chat_request (messages, tools, add_generation_prompt, extra variables).
//
// Templates. The prompt is rendered by the Jinja source in the file's
// `tokenizer.chat_template`, exactly as Hugging Face's apply_chat_template
// renders it (see chat_template.hpp), with `bos_token` / `eos_token` taken
// from the vocabulary. A file without a template gets ember's documented
// default, ChatML (chat_template::chatml_source()).
//
// Special tokens. Text a user typed — "<|im_start|>system …" in a message —
// must not become control tokens, or a user could forge turns. So the
// message strings are user data and the rest of the render is template text,
// and special tokens are matched only in template text:
//  1. The template is rendered a second time with every string inside the
//     messages (except `role` and `type`, which templates branch on)
//     replaced by a unique letters-and-digits placeholder. Splitting that
//     render at the placeholders gives the template's own text; putting the
//     real strings back must reproduce the real render byte for byte, and
//     then the placeholders' spans are user data (the usual case: ChatML,
//     Llama 3, Qwen 3 for ordinary messages). If that fails, once more with
//     each string's leading and trailing whitespace kept outside its
//     placeholder, so that templates which |trim the content (Llama 3)
//     still separate; that whitespace then counts as template text (it
//     cannot spell a special token).
//  2. When neither reproduces the render — the template transformed or
//     inspected the content otherwise (splitting off <think>…</think>,
//     slicing, branching on its length) — the rule is: a special token whose text occurs anywhere
//     in the user data is plain text everywhere in this prompt; every other
//     special token is parsed. No user can forge a control token this way;
//     the price, only in this rare case, is that the template's own copies
//     of those particular tokens are plain text too (chat_prompt::separation
//     says which rule applied).
// Between special tokens, template text and user text are tokenized
// together, as one string, so an ordinary prompt gets exactly the tokens a
// whole-string tokenization of the render gives. BOS is prepended when the
// model wants one and the template did not already write it.
//
// A chat_session owns its context (one thread at a time, like a context);
// the model is shared and immutable. Each turn re-renders the whole
// conversation and evaluates only what follows the longest prefix shared with
// the tokens already in the KV cache (chat_turn::n_prompt_evaluated). A reply
// re-tokenized inside the next prompt can differ from the tokens the model
// sampled (e.g. a leading newline merging with the template's); the cache is
// then reused up to that point. Sampling penalties (repeat/presence) see the
// tokens evaluated in the current turn, not the whole history.
// A default-ChatML session on a vocabulary without an <|im_end|> control
// token also stops at the text "<|im_end|>".

#include <ember/core/json.hpp>
#include <ember/error.hpp>
#include <ember/model/model.hpp>
#include <ember/runtime/chat_template.hpp>
#include <ember/runtime/context.hpp>
#include <ember/runtime/generate.hpp>
#include <ember/tokenizer/tokenizer.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember {

struct chat_message {
    std::string role;     // "system", "user", "assistant", "tool", …
    std::string content;
    // Optional: the assistant's tool calls, as the template expects them
    // (usually [{"type":"function","function":{"name":…,"arguments":{…}}}]); null when none.
    json tool_calls;
    // Optional: any other members the template reads (e.g. "reasoning_content",
    // "tool_call_id", "name"); an object, or null.
    json extra;

    chat_message() = default;
    chat_message(std::string role_, std::string content_) : role(std::move(role_)), content(std::move(content_)) {}

    // The message as a template sees it.
    json to_json() const {
        json message = json::object();
        message.set("role", role);
        message.set("content", content);
        if (!tool_calls.is_null()) message.set("tool_calls", tool_calls);
        for (const auto& member : extra.as_object())
            if (member.first != "role" && member.first != "content" && member.first != "tool_calls")
                message.set(member.first, member.second);
        return message;
    }
};

struct chat_request {
    std::vector<chat_message> messages;
    json tools;                        // null: no tools (the template sees None)
    bool add_generation_prompt = true; // end with the header of the assistant's turn
    // Extra template variables (e.g. {"enable_thinking": false}); an object or
    // null. They may also override bos_token / eos_token.
    json variables;
};

// Which rule separated template text from user data (see the header comment).
enum class chat_separation {
    placeholders,  // rule 1: exact spans of user data
    fallback,      // rule 2: special tokens found in user data are plain everywhere
};

struct chat_prompt {
    std::string text;             // the render, byte for byte what the template produces
    std::vector<int32_t> tokens;  // what the model is given
    chat_separation separation = chat_separation::placeholders;
};

namespace detail {

// Finds special-token text the way tokenizer::encode(parse_special) does:
// at a position, the longest matching control, unknown or user-defined token.
class special_token_matcher {
public:
    explicit special_token_matcher(const tokenizer& tokenizer) {
        const std::vector<std::string>& tokens = tokenizer.vocab().tokens;
        for (int32_t id = 0; id < tokenizer.n_vocab(); ++id) {
            const token_type type = tokenizer.type_of(id);
            if (tokens[static_cast<size_t>(id)].empty()) continue;
            if (type == token_type::control || type == token_type::unknown || type == token_type::user_defined)
                ids_.push_back(id);
        }
        sort_for_matching(ids_, tokens);
        std::array<uint32_t, 256> counts{};
        for (int32_t id : ids_) ++counts[static_cast<unsigned char>(tokens[static_cast<size_t>(id)][0])];
        for (size_t byte = 0; byte < 256; ++byte) first_byte_start_[byte + 1] = first_byte_start_[byte] + counts[byte];
    }

    // Longest special token at text[i] lying inside text[i, end) and not
    // excluded (indexed by token id, may be empty); no_token when none.
    int32_t match(const tokenizer& tokenizer, std::string_view text, size_t i, size_t end,
                  const std::vector<bool>& excluded) const {
        const auto byte = static_cast<unsigned char>(text[i]);
        for (uint32_t k = first_byte_start_[byte]; k < first_byte_start_[byte + 1]; ++k) {
            const int32_t id = ids_[k];
            const std::string_view token = tokenizer.token_text(id);
            if (end - i < token.size() || text.compare(i, token.size(), token) != 0) continue;
            if (!excluded.empty() && excluded[static_cast<size_t>(id)]) continue;
            return id;
        }
        return no_token;
    }

    // Marks every special token whose text occurs in `text` (at any position, any length).
    void mark_occurring(const tokenizer& tokenizer, std::string_view text, std::vector<bool>& marks) const {
        for (size_t i = 0; i < text.size(); ++i) {
            const auto byte = static_cast<unsigned char>(text[i]);
            for (uint32_t k = first_byte_start_[byte]; k < first_byte_start_[byte + 1]; ++k) {
                const std::string_view token = tokenizer.token_text(ids_[k]);
                if (text.size() - i >= token.size() && text.compare(i, token.size(), token) == 0)
                    marks[static_cast<size_t>(ids_[k])] = true;
            }
        }
    }

private:
    std::vector<int32_t> ids_;
    std::array<uint32_t, 257> first_byte_start_{};
};

// Replaces user strings in a message by placeholders, collecting the originals.
struct chat_placeholders {
    std::string prefix;                // letters only; occurs nowhere in the inputs
    bool keep_whitespace = false;      // a string's leading/trailing whitespace stays outside its placeholder
    std::vector<std::string> strings;  // what each placeholder stands for, by number

    std::string name(size_t index) const { return prefix + std::to_string(index) + "Z"; }

    // Every string leaf, except the values of `role` and `type` (templates
    // branch on them) and empty strings (they carry no text, and a
    // placeholder would turn a falsy value truthy).
    void replace(json& value, std::string_view key) {
        if (value.is_string()) {
            const std::string& text = value.as_string();
            if (key == "role" || key == "type" || text.empty()) return;
            // the template's own notion of whitespace (Python's str.strip)
            std::string core = keep_whitespace ? jinja::strip_text(text, nullptr, true, true) : text;
            size_t lead = core.empty() ? text.size() : text.find(core);
            if (lead == std::string::npos) core = text, lead = 0;  // not valid UTF-8: kept whole
            strings.push_back(core);
            value = json(text.substr(0, lead) + name(strings.size() - 1) + text.substr(lead + core.size()));
        } else if (value.is_array()) {
            for (json& item : value.as_array()) replace(item, key);
        } else if (value.is_object()) {
            for (auto& member : value.as_object()) replace(member.second, member.first);
        }
    }
};

inline void collect_strings(const json& value, std::string_view key, std::vector<std::string_view>& out) {
    if (value.is_string()) {
        if (key != "role" && key != "type") out.push_back(value.as_string());
    } else if (value.is_array()) {
        for (const json& item : value.as_array()) collect_strings(item, key, out);
    } else if (value.is_object()) {
        for (const auto& member : value.as_object()) collect_strings(member.second, member.first, out);
    }
}

}  // namespace detail

// Renders and tokenizes conversations for one model (or one tokenizer and
// template). Immutable after creation: may be used from any number of threads.
class chat_formatter {
public:
    // The model's own template, or ChatML when its file has none.
    static result<chat_formatter> create(const model& model, chat_template_options options = {}) {
        if (!model.has_tokenizer())
            return make_error(errc::invalid_argument, "chat: the model file has no tokenizer (tokenizer.ggml.* metadata)");
        auto source = model.file().get_or<std::string_view>("tokenizer.chat_template", std::string_view());
        if (!source) return source.error();
        return create(model.tokenizer(), *source, std::move(options));
    }

    // An explicit template source; empty: ChatML.
    static result<chat_formatter> create(const tokenizer& tokenizer, std::string_view template_source,
                                         chat_template_options options = {}) {
        const bool use_default = template_source.empty();
        auto parsed = chat_template::parse(use_default ? chat_template::chatml_source() : template_source);
        if (!parsed) return make_error(parsed.error().code, "chat template: " + parsed.error().message);
        chat_formatter formatter(tokenizer, std::move(*parsed), use_default, std::move(options));
        return formatter;
    }

    const chat_template& template_source() const { return template_; }
    // True when the file carried no template and ChatML is used.
    bool uses_default_template() const { return uses_default_; }
    const ember::tokenizer& tokenizer() const { return tokenizer_; }
    // The texts of the vocabulary's BOS / EOS, as the template sees them ("" when none).
    std::string bos_token() const { return token_string(tokenizer_.bos()); }
    std::string eos_token() const { return token_string(tokenizer_.eos()); }

    // The template's variables for a request (chat_template_context's rules).
    json context_for(const chat_request& request) const {
        json messages = json::array();
        for (const chat_message& message : request.messages) messages.push_back(message.to_json());
        return context_for(request, std::move(messages));
    }

    // The rendered prompt: exactly what the template produces.
    result<std::string> render(const chat_request& request) const {
        auto text = template_.render(context_for(request), options_);
        if (!text) return make_error(text.error().code, text.error().message);
        return text;
    }

    // Rendered and tokenized (see the header comment for the rules).
    result<chat_prompt> format(const chat_request& request) const {
        json messages = json::array();
        for (const chat_message& message : request.messages) messages.push_back(message.to_json());
        chat_prompt prompt;
        {
            auto text = template_.render(context_for(request, messages), options_);
            if (!text) return make_error(text.error().code, text.error().message);
            prompt.text = std::move(*text);
        }

        // Rule 1: placeholders. `template_bytes` marks the render's bytes the template wrote.
        std::vector<bool> template_bytes;
        const std::string prefix = placeholder_prefix(request, messages, prompt.text);
        bool separated = false;
        for (bool keep_whitespace : {false, true}) {
            detail::chat_placeholders placeholders{prefix, keep_whitespace, {}};
            json replaced = messages;
            placeholders.replace(replaced, "");
            if (placeholders.strings.empty()) {
                template_bytes.assign(prompt.text.size(), true);
                separated = true;
            } else if (auto with_placeholders = template_.render(context_for(request, std::move(replaced)), options_)) {
                separated = substitute(*with_placeholders, placeholders, prompt.text, template_bytes);
            }
            if (separated) break;
        }

        std::vector<bool> excluded;  // rule 2: special tokens that are plain text in this prompt
        if (!separated) {
            prompt.separation = chat_separation::fallback;
            template_bytes.assign(prompt.text.size(), true);
            std::vector<std::string_view> user_strings;
            detail::collect_strings(messages, "", user_strings);
            excluded.assign(static_cast<size_t>(tokenizer_.n_vocab()), false);
            for (std::string_view text : user_strings) matcher_->mark_occurring(tokenizer_, text, excluded);
        }
        prompt.tokens = tokenize(prompt.text, template_bytes, excluded);
        return prompt;
    }

private:
    chat_formatter(const ember::tokenizer& tokenizer, chat_template parsed, bool use_default, chat_template_options options)
        : tokenizer_(tokenizer),
          template_(std::move(parsed)),
          options_(std::move(options)),
          matcher_(std::make_shared<const detail::special_token_matcher>(tokenizer)),
          uses_default_(use_default) {}

    std::string token_string(int32_t id) const { return id == no_token ? std::string() : std::string(tokenizer_.token_text(id)); }

    json context_for(const chat_request& request, json messages) const {
        json conversation = json::object();
        conversation.set("messages", std::move(messages));
        if (!request.tools.is_null()) conversation.set("tools", request.tools);
        for (const auto& member : request.variables.as_object())
            if (member.first != "messages" && member.first != "tools") conversation.set(member.first, member.second);
        return chat_template_context(conversation, request.add_generation_prompt, bos_token(), eos_token());
    }

    // Letters that occur in none of the inputs (so a placeholder can only
    // come from a placeholder); grown until unique.
    std::string placeholder_prefix(const chat_request& request, const json& messages, const std::string& render) const {
        const std::string everything = template_.source() + '\x00' + messages.dump() + '\x00' + request.tools.dump() + '\x00' +
                                       request.variables.dump() + '\x00' + render + '\x00' + bos_token() + eos_token();
        std::string prefix = "QxEmberChatText";
        for (char next = 'A'; everything.find(prefix) != std::string::npos; next = next == 'Z' ? 'A' : static_cast<char>(next + 1))
            prefix += next;
        return prefix;
    }

    // Puts the originals back into the placeholder render; true (with the
    // template's bytes marked) when that reproduces `expected` exactly.
    static bool substitute(const std::string& rendered, const detail::chat_placeholders& placeholders,
                           const std::string& expected, std::vector<bool>& template_bytes) {
        std::string rebuilt;
        template_bytes.clear();
        size_t position = 0;
        while (position < rendered.size()) {
            const size_t found = rendered.find(placeholders.prefix, position);
            const size_t piece_end = found == std::string::npos ? rendered.size() : found;
            rebuilt.append(rendered, position, piece_end - position);
            template_bytes.resize(rebuilt.size(), true);
            if (found == std::string::npos) break;
            size_t cursor = found + placeholders.prefix.size();
            size_t index = 0, digits = 0;
            while (cursor < rendered.size() && rendered[cursor] >= '0' && rendered[cursor] <= '9' && digits < 9) {
                index = index * 10 + static_cast<size_t>(rendered[cursor] - '0');
                ++cursor;
                ++digits;
            }
            // A placeholder the template cut or altered: not separable.
            if (digits == 0 || cursor >= rendered.size() || rendered[cursor] != 'Z' || index >= placeholders.strings.size())
                return false;
            rebuilt += placeholders.strings[index];
            template_bytes.resize(rebuilt.size(), false);
            if (rebuilt.size() > expected.size()) return false;
            position = cursor + 1;
        }
        return rebuilt == expected;
    }

    // Special tokens only where they lie wholly in template bytes (and are
    // not excluded); everything between two of them is one plain fragment.
    std::vector<int32_t> tokenize(const std::string& text, const std::vector<bool>& template_bytes,
                                  const std::vector<bool>& excluded) const {
        std::vector<int32_t> out;
        const encode_options plain{/*add_bos=*/false, /*parse_special=*/false};
        size_t fragment_start = 0;
        size_t run_end = 0;  // end of the run of template bytes containing i
        for (size_t i = 0; i < text.size(); ++i) {
            if (!template_bytes[i]) continue;
            if (run_end <= i) {
                run_end = i;
                while (run_end < text.size() && template_bytes[run_end]) ++run_end;
            }
            const int32_t matched = matcher_->match(tokenizer_, text, i, run_end, excluded);
            if (matched == no_token) continue;
            if (i > fragment_start) tokenizer_.encode(std::string_view(text).substr(fragment_start, i - fragment_start), out, plain);
            out.push_back(matched);
            i += tokenizer_.token_text(matched).size() - 1;
            fragment_start = i + 1;
        }
        if (fragment_start < text.size()) tokenizer_.encode(std::string_view(text).substr(fragment_start), out, plain);
        // The template usually writes BOS itself ({{ bos_token }}); never twice.
        const int32_t bos = tokenizer_.bos();
        if (tokenizer_.add_bos_by_default() && bos != no_token && (out.empty() || out.front() != bos)) out.insert(out.begin(), bos);
        return out;
    }

    ember::tokenizer tokenizer_;
    chat_template template_;
    chat_template_options options_;
    std::shared_ptr<const detail::special_token_matcher> matcher_;
    bool uses_default_ = false;
};

struct chat_options {
    // Sampling, token budget per reply (max_tokens), stop strings. keep_context is forced on.
    generation_options generation;
    // Extra template variables (e.g. {"enable_thinking": false}) and tools.
    json variables;
    json tools;
    chat_template_options template_options;
};

// What one turn did.
struct chat_turn {
    std::string text;                 // the reply (also appended to the history)
    size_t n_prompt_tokens = 0;       // the whole rendered conversation, in tokens
    size_t n_prompt_reused = 0;       // of those, already in the KV cache
    size_t n_prompt_evaluated = 0;    // of those, evaluated this turn (n_prompt_tokens - n_prompt_reused)
    size_t n_generated = 0;           // reply tokens
    stop_reason reason = stop_reason::none;
    chat_separation separation = chat_separation::placeholders;
};

class chat_session {
public:
    // A session on a new context. The template is the model's own (ChatML when none).
    static result<chat_session> create(std::shared_ptr<const model> model, context_params params = {},
                                       chat_options options = {}) {
        if (!model) return make_error(errc::invalid_argument, "chat: no model");
        EMBER_TRY_ASSIGN(chat_formatter formatter, chat_formatter::create(*model, options.template_options));
        EMBER_TRY_ASSIGN(std::unique_ptr<ember::context> context, ember::context::create(model, params));
        options.generation.keep_context = true;
        // ChatML on a vocabulary without an <|im_end|> control token: the
        // model can only write the end of its turn as text.
        const int32_t im_end = model->tokenizer().find_token("<|im_end|>");
        if (formatter.uses_default_template() && (im_end < 0 || !model->tokenizer().is_end_of_generation(im_end)))
            options.generation.stop.push_back("<|im_end|>");
        EMBER_TRY_ASSIGN(generation generator, generation::create(*context, model->tokenizer(), options.generation));
        return chat_session(std::move(model), std::move(formatter), std::move(context), std::move(generator), std::move(options));
    }

    // Appends a message without generating (a system prompt, a scripted turn,
    // a tool result).
    void add(chat_message message) { messages_.push_back(std::move(message)); }

    // Adds the user's message and generates the reply (streamed to on_text;
    // returning false there stops it). On failure the user's message is removed again.
    result<chat_turn> send(std::string user_text, const text_callback& on_text = {}) {
        messages_.emplace_back("user", std::move(user_text));
        auto turn = reply(on_text);
        if (!turn) messages_.pop_back();
        return turn;
    }

    // Generates the assistant's reply to the history and appends it.
    result<chat_turn> reply(const text_callback& on_text = {}) {
        chat_turn turn;
        EMBER_TRY(prepare(turn));
        auto ended = [&]() -> result<void> {
            while (!generator_.done()) {
                EMBER_TRY_ASSIGN(generation_step step, generator_.advance(1));
                if (on_text && !step.text.empty() && !on_text(step.text)) generator_.cancel();
            }
            return {};
        }();
        mirror(generator_.tokens());
        if (!ended) return ended.error();
        turn.text = generator_.text();
        turn.n_generated = generator_.tokens().size();
        turn.reason = generator_.reason();
        messages_.emplace_back("assistant", turn.text);
        return turn;
    }

    // Evaluates the prompt for the next reply (rendered with the generation
    // prompt) without generating: only tokens not already in the cache run.
    // A later reply() then evaluates nothing more than its last token.
    result<chat_turn> prefill() {
        chat_turn turn;
        auto prompt = format();
        if (!prompt) return prompt.error();
        EMBER_TRY(evaluate_new(prompt->tokens, turn, /*keep_last=*/false));
        turn.n_prompt_tokens = prompt->tokens.size();
        turn.separation = prompt->separation;
        return turn;
    }

    // The prompt the next reply would see.
    result<chat_prompt> format() const {
        chat_request request;
        request.messages = messages_;
        request.tools = options_.tools;
        request.variables = options_.variables;
        request.add_generation_prompt = true;
        return formatter_.format(request);
    }

    const std::vector<chat_message>& messages() const { return messages_; }
    // Forget the history (the cache is reused as far as the next prompt allows).
    void clear() { messages_.clear(); }
    const chat_formatter& formatter() const { return formatter_; }
    ember::context& context() { return *context_; }
    // The tokens in the KV cache, in order.
    const std::vector<int32_t>& cached_tokens() const { return cached_; }
    // A different random sequence from here on.
    void reseed(uint64_t seed) { generator_.reseed(seed); }

private:
    chat_session(std::shared_ptr<const model> model, chat_formatter formatter, std::unique_ptr<ember::context> context,
                 generation generator, chat_options options)
        : model_(std::move(model)),
          formatter_(std::move(formatter)),
          context_(std::move(context)),
          generator_(std::move(generator)),
          options_(std::move(options)) {}

    // Renders, reuses the cached prefix, and begins generating after it.
    result<void> prepare(chat_turn& turn) {
        EMBER_TRY_ASSIGN(chat_prompt prompt, format());
        turn.n_prompt_tokens = prompt.tokens.size();
        turn.separation = prompt.separation;
        EMBER_TRY_ASSIGN(std::vector<int32_t> fresh, keep_prefix(prompt.tokens, /*keep_last=*/true, turn));
        auto begun = generator_.begin(fresh);
        mirror(fresh);
        return begun;
    }

    result<void> evaluate_new(const std::vector<int32_t>& tokens, chat_turn& turn, bool keep_last) {
        EMBER_TRY_ASSIGN(std::vector<int32_t> fresh, keep_prefix(tokens, keep_last, turn));
        if (fresh.empty()) return {};
        auto evaluated = context_->evaluate(fresh);
        mirror(fresh);
        return evaluated;
    }

    // Cuts the cache to its longest prefix shared with `tokens` and returns
    // the rest of them. keep_last: leave at least the last token to evaluate,
    // because sampling needs the logits of the prompt's last position.
    result<std::vector<int32_t>> keep_prefix(const std::vector<int32_t>& tokens, bool keep_last, chat_turn& turn) {
        size_t reused = common_prefix(tokens);
        if (keep_last && !tokens.empty()) reused = std::min(reused, tokens.size() - 1);
        EMBER_TRY(context_->truncate(reused));
        cached_.resize(reused);
        turn.n_prompt_reused = reused;
        turn.n_prompt_evaluated = tokens.size() - reused;
        return std::vector<int32_t>(tokens.begin() + static_cast<std::ptrdiff_t>(reused), tokens.end());
    }

    size_t common_prefix(const std::vector<int32_t>& tokens) const {
        const size_t limit = std::min({tokens.size(), cached_.size(), context_->n_past()});
        size_t n = 0;
        while (n < limit && tokens[n] == cached_[n]) ++n;
        return n;
    }

    // Mirrors the KV cache: what was just appended, cut to what the context
    // really holds (a failed evaluation adds nothing; the last token a
    // generation sampled is never evaluated).
    void mirror(const std::vector<int32_t>& appended) {
        cached_.insert(cached_.end(), appended.begin(), appended.end());
        if (cached_.size() > context_->n_past()) cached_.resize(context_->n_past());
    }

    std::shared_ptr<const model> model_;
    chat_formatter formatter_;
    std::unique_ptr<ember::context> context_;
    generation generator_;
    chat_options options_;
    std::vector<chat_message> messages_;
    std::vector<int32_t> cached_;  // the KV cache's tokens
};

}  // namespace ember
