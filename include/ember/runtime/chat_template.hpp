#pragma once
// Chat templates: the Jinja source a chat model ships in its GGUF
// (`tokenizer.chat_template`), rendered exactly as Hugging Face transformers
// renders it with Python's jinja2 — a prompt that differs by one newline
// degrades the model silently.
//
//   auto tmpl = ember::chat_template::parse(source);            // once per model
//   if (!tmpl) return tmpl.error();
//   ember::json context = ember::json::object();
//   context.set("messages", messages);                           // [{"role":..., "content":...}, ...]
//   context.set("add_generation_prompt", true);
//   context.set("bos_token", "<s>");
//   auto prompt = tmpl->render(context);                         // result<std::string>
//
// The context is what transformers' apply_chat_template passes as template
// variables: `messages`, `tools` (None when there are none), `documents`,
// `add_generation_prompt`, the special tokens (`bos_token`, `eos_token`, ...)
// and any extra variables (e.g. `enable_thinking`); `chat_template_context`
// below builds it that way.
//
// Behaviour matches transformers' environment: jinja2's
// ImmutableSandboxedEnvironment with trim_blocks and lstrip_blocks on, the
// loopcontrols extension (break/continue), `{% generation %}`, and the
// globals raise_exception(message) and strftime_now(format); `tojson` is
// json.dumps with ensure_ascii=False. Python semantics throughout
// (truthiness, None/True/False printing, repr of lists and dicts, undefined
// variables that print empty and are falsy but fail on attribute access).
//
// Sandbox: templates are untrusted. There is no file, environment or
// attribute-of-internals access; mutating methods (list.append, dict.update)
// are refused as the sandbox refuses them; output size, loop iterations and
// evaluation depth (macro recursion included) are bounded. Every failure is
// an errc::template_error result; when the template itself refuses through
// raise_exception(message), the error message is exactly that message.
//
// A parsed chat_template is immutable: render() is const and may run on any
// number of threads at once.

#include <ember/core/json.hpp>
#include <ember/error.hpp>
#include <ember/runtime/detail/jinja/interpreter.hpp>
#include <ember/runtime/detail/jinja/parser.hpp>

#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace ember {

struct chat_template_options {
    // The clock behind strftime_now(): local time when empty. Tests and
    // reproducible runs fix it.
    std::function<std::tm()> now;
    size_t max_output_bytes = size_t{16} << 20;  // also bounds any single string the template builds
    size_t max_loop_iterations = 1000000;         // also bounds any sequence the template builds
    int max_depth = 200;                          // nesting of evaluation, macro recursion included
    uint64_t max_steps = 10000000;                // evaluation budget: expressions plus the size of what builtins walk and build
};

class chat_template {
public:
    // Parse Jinja source. Syntax errors name the line.
    static result<chat_template> parse(std::string_view source) {
        detail::jinja::lexer lexer(source);
        EMBER_TRY_ASSIGN(auto tokens, lexer.tokenize());
        detail::jinja::parser parser(std::move(tokens));
        EMBER_TRY_ASSIGN(auto program, parser.parse_template());
        chat_template parsed;
        parsed.program_ = std::make_shared<const detail::jinja::statement_list>(std::move(program));
        parsed.source_ = std::make_shared<const std::string>(source);
        return parsed;
    }

    // Render with `context` (a JSON object) as the template's variables.
    result<std::string> render(const json& context) const { return render(context, chat_template_options{}); }

    result<std::string> render(const json& context, const chat_template_options& options) const {
        if (!program_) return make_error(errc::invalid_argument, "chat_template: render() on an empty template");
        if (!context.is_object()) return make_error(errc::invalid_argument, "chat_template: the context must be a JSON object");
        detail::jinja::value globals = detail::jinja::from_json(context);
        detail::jinja::render_limits limits;
        limits.max_output_bytes = options.max_output_bytes;
        limits.max_loop_iterations = options.max_loop_iterations;
        limits.max_depth = options.max_depth;
        limits.max_steps = options.max_steps;
        detail::jinja::interpreter interpreter(limits, &options.now);
        return interpreter.run(*program_, globals.dict_items());
    }

    const std::string& source() const {
        static const std::string empty;
        return source_ ? *source_ : empty;
    }

    // The documented default for models whose file carries no template:
    // ChatML, as Qwen and many fine-tunes use it.
    static std::string_view chatml_source() {
        return "{%- for message in messages -%}\n"
               "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}\n"
               "{%- endfor -%}\n"
               "{%- if add_generation_prompt -%}\n"
               "{{- '<|im_start|>assistant\\n' -}}\n"
               "{%- endif -%}\n";
    }

private:
    std::shared_ptr<const detail::jinja::statement_list> program_;
    std::shared_ptr<const std::string> source_;
};

// The variables transformers' apply_chat_template gives a template, from a
// conversation object: its `messages`, `tools` (None when absent),
// `documents` (None when absent), `add_generation_prompt` (the argument,
// unless the conversation sets it), the special tokens (unless the
// conversation sets them), and every other member of the conversation as an
// extra variable (e.g. `enable_thinking`). A bare array is the messages.
inline json chat_template_context(const json& conversation, bool add_generation_prompt, std::string_view bos_token,
                                  std::string_view eos_token) {
    json context = json::object();
    if (conversation.is_array()) {
        context.set("messages", conversation);
    } else {
        const json* messages = conversation.find("messages");
        context.set("messages", messages ? *messages : json::array());
    }
    const json* tools = conversation.find("tools");
    context.set("tools", tools ? *tools : json());
    const json* documents = conversation.find("documents");
    context.set("documents", documents ? *documents : json());
    context.set("add_generation_prompt", add_generation_prompt);
    context.set("bos_token", std::string(bos_token));
    context.set("eos_token", std::string(eos_token));
    if (conversation.is_object()) {
        for (const auto& member : conversation.as_object()) {
            if (member.first == "messages" || member.first == "tools" || member.first == "documents") continue;
            context.set(member.first, member.second);
        }
    }
    return context;
}

}  // namespace ember
