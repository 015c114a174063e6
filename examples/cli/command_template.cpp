// `ember template -m M | --template F.jinja --messages C.json
//                [--no-generation-prompt] [--bos B --eos E] [--now "YYYY-MM-DD HH:MM"]`
// Prints the rendered prompt and nothing else (no trailing newline added), so
// it can be diffed against Hugging Face transformers' apply_chat_template.
// A template's refusal (raise_exception) exits 1 with its message on stderr.
//
// C.json: an object with `messages`, optional `tools`, and any other template
// variables (e.g. `enable_thinking`, `add_generation_prompt`, `bos_token`);
// a bare array of messages also works; "-" reads standard input.
// Precedence for the special tokens: --bos/--eos, then C.json, then the
// model's own tokens. add_generation_prompt: true unless C.json sets it;
// --no-generation-prompt forces false. A model without a template gets
// ember's default, ChatML. strftime_now() reads the local clock, or the time
// given by --now (or the SOURCE_DATE_EPOCH environment variable, as UTC), so
// date-stamping templates (Llama 3.2, Granite) can be compared reproducibly.
#include "command.hpp"

#include <ember/core/json.hpp>
#include <ember/io/gguf.hpp>
#include <ember/runtime/chat_template.hpp>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace ember_cli {
namespace {

bool read_file(const std::string& path, std::string& text) {
    if (path == "-") {
        text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
        return true;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
    return true;
}

// The text of token `id_key` (e.g. "tokenizer.ggml.bos_token_id") in the
// model's vocabulary, or "" when the model does not name one.
std::string special_token(const ember::gguf_file& file, const char* id_key) {
    auto id = file.get_or<uint32_t>(id_key, UINT32_MAX);
    if (!id || *id == UINT32_MAX) return {};
    auto tokens = file.get_array<std::string_view>("tokenizer.ggml.tokens");
    if (!tokens || *id >= tokens->size()) return {};
    return std::string((*tokens)[*id]);
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil), so no time zone or C library call is involved.
int64_t days_from_civil(int64_t year, int64_t month, int64_t day) {
    year -= month <= 2;
    const int64_t era = (year >= 0 ? year : year - 399) / 400;
    const int64_t year_of_era = year - era * 400;
    const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

std::tm civil_time(int64_t seconds) {
    int64_t days = seconds >= 0 ? seconds / 86400 : -((-seconds + 86399) / 86400);
    int64_t rest = seconds - days * 86400;
    std::tm time{};
    time.tm_hour = static_cast<int>(rest / 3600);
    time.tm_min = static_cast<int>(rest % 3600 / 60);
    time.tm_sec = static_cast<int>(rest % 60);
    time.tm_wday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
    // civil_from_days
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const int64_t day_of_era = days - era * 146097;
    const int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const int64_t month_index = (5 * day_of_year + 2) / 153;
    const int64_t day = day_of_year - (153 * month_index + 2) / 5 + 1;
    const int64_t month = month_index < 10 ? month_index + 3 : month_index - 9;
    const int64_t year = year_of_era + era * 400 + (month <= 2);
    time.tm_year = static_cast<int>(year - 1900);
    time.tm_mon = static_cast<int>(month - 1);
    time.tm_mday = static_cast<int>(day);
    time.tm_yday = static_cast<int>(days - 719468 - days_from_civil(year, 1, 1));
    return time;
}

// "YYYY-MM-DD", "YYYY-MM-DD HH:MM" or "YYYY-MM-DD HH:MM:SS" → seconds since the epoch.
bool parse_now(const std::string& text, int64_t& seconds) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    const int fields = std::sscanf(text.c_str(), "%d-%d-%d%*[ T]%d:%d:%d", &year, &month, &day, &hour, &minute, &second);
    if (fields != 3 && fields != 5 && fields != 6) return false;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
        second < 0 || second > 60)
        return false;
    seconds = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
    return true;
}

int run_template(const std::vector<std::string>& args) {
    const arguments options(args, {"--no-generation-prompt"});
    if (!options.error().empty()) return fail(options.error());
    const std::string model_path = options.get_any({"-m", "--model"});
    const std::string template_path = options.get("--template");
    const std::string messages_path = options.get("--messages");
    if (model_path.empty() == template_path.empty()) return fail("template: give exactly one of -m MODEL or --template FILE");
    if (messages_path.empty()) return fail("template: missing --messages FILE");

    std::string source, bos, eos;
    if (!template_path.empty()) {
        if (!read_file(template_path, source)) return fail("template: cannot read " + template_path);
    } else {
        auto file = ember::gguf_file::open(model_path);
        if (!file) return fail(file.error().message);
        auto embedded = file->get_or<std::string_view>("tokenizer.chat_template", std::string_view());
        if (!embedded) return fail(embedded.error().message);
        source = embedded->empty() ? std::string(ember::chat_template::chatml_source()) : std::string(*embedded);
        bos = special_token(*file, "tokenizer.ggml.bos_token_id");
        eos = special_token(*file, "tokenizer.ggml.eos_token_id");
    }

    std::string conversation_text;
    if (!read_file(messages_path, conversation_text)) return fail("template: cannot read " + messages_path);
    auto conversation = ember::json::parse(conversation_text);
    if (!conversation) return fail(messages_path + ": " + conversation.error().message);
    if (!conversation->is_object() && !conversation->is_array())
        return fail(messages_path + ": expected an object with \"messages\" or an array of messages");

    ember::json context = ember::chat_template_context(*conversation, true, bos, eos);
    if (options.has("--no-generation-prompt")) context.set("add_generation_prompt", false);
    if (options.has("--bos")) context.set("bos_token", options.get("--bos"));
    if (options.has("--eos")) context.set("eos_token", options.get("--eos"));

    ember::chat_template_options render_options;
    int64_t fixed_seconds = 0;
    if (options.has("--now")) {
        if (!parse_now(options.get("--now"), fixed_seconds))
            return fail("template: --now expects \"YYYY-MM-DD HH:MM\", got \"" + options.get("--now") + "\"");
        render_options.now = [fixed_seconds] { return civil_time(fixed_seconds); };
    } else if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH")) {
        char* end = nullptr;
        fixed_seconds = std::strtoll(epoch, &end, 10);
        if (end && *end == '\0' && end != epoch) render_options.now = [fixed_seconds] { return civil_time(fixed_seconds); };
    }

    auto parsed = ember::chat_template::parse(source);
    if (!parsed) return fail(parsed.error().message);
    auto rendered = parsed->render(context, render_options);
    if (!rendered) return fail(rendered.error().message);
    std::fwrite(rendered->data(), 1, rendered->size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : fail("template: cannot write the output");
}

const register_command registration(
    {"template", "template -m MODEL|--template F.jinja --messages C.json [--no-generation-prompt] [--bos B --eos E] [--now DATE]",
     run_template});

}  // namespace
}  // namespace ember_cli
