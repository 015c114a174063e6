// Chat templates rendered byte for byte as Hugging Face transformers renders
// them (Python jinja2, trim_blocks + lstrip_blocks, raise_exception,
// strftime_now fixed to 2026-01-15 09:30). The references are
// ../shared/chat/expected.json and, for the unit tests below, outputs of
// Python's jinja2 3.1 recorded next to each case.
#include <doctest/doctest.h>
#include <ember/runtime/chat_template.hpp>

#include "test_data.hpp"

#include <cstdio>
#include <string>

using ember::chat_template;
using ember::json;

namespace {

// The clock of the reference renders: 2026-01-15 09:30 (a Thursday).
std::tm fixed_now() {
    std::tm time{};
    time.tm_year = 2026 - 1900;
    time.tm_mon = 0;
    time.tm_mday = 15;
    time.tm_hour = 9;
    time.tm_min = 30;
    time.tm_wday = 4;
    time.tm_yday = 14;
    return time;
}

ember::chat_template_options fixed_options() {
    ember::chat_template_options options;
    options.now = fixed_now;
    return options;
}

// Render `source` with `context_json`; "ERROR: message" on failure.
std::string render(const std::string& source, const std::string& context_json = "{}") {
    auto parsed = chat_template::parse(source);
    if (!parsed) return "ERROR: " + parsed.error().message;
    auto context = json::parse(context_json);
    if (!context) return "BAD CONTEXT: " + context.error().message;
    auto rendered = parsed->render(*context, fixed_options());
    if (!rendered) {
        CHECK(rendered.error().code == ember::errc::template_error);
        return "ERROR: " + rendered.error().message;
    }
    return *rendered;
}

bool is_error(const std::string& rendered) { return rendered.compare(0, 7, "ERROR: ") == 0; }

}  // namespace

TEST_CASE("every reference render in shared/chat/expected.json, byte for byte") {
    const std::string expected_path = ember_test::shared_path("chat/expected.json");
    const std::string conversations_path = ember_test::shared_path("chat/conversations.json");
    if (expected_path.empty() || conversations_path.empty()) return;
    auto expected = json::parse(ember_test::read_text(expected_path));
    auto conversations = json::parse(ember_test::read_text(conversations_path));
    REQUIRE(expected);
    REQUIRE(conversations);
    size_t matched = 0, refused = 0, total = 0;
    for (const json& entry : expected->as_array()) {
        ++total;
        const std::string template_name = entry["template"].as_string();
        const std::string conversation_name = entry["conversation"].as_string();
        CAPTURE(template_name);
        CAPTURE(conversation_name);
        const json* conversation = nullptr;
        for (const json& candidate : conversations->as_array())
            if (candidate["name"].as_string() == conversation_name) conversation = &candidate;
        REQUIRE(conversation != nullptr);
        // What transformers passes: messages, tools=None, documents=None,
        // add_generation_prompt (True unless the case says otherwise), the
        // special tokens and extra variables.
        json variables = *conversation;
        variables.erase("name");
        const json* generation_prompt = conversation->find("add_generation_prompt");
        json context = ember::chat_template_context(variables, generation_prompt ? generation_prompt->as_bool() : true,
                                                    "", "");

        const std::string source = ember_test::read_text(ember_test::shared_path("chat/templates/" + template_name));
        auto parsed = chat_template::parse(source);
        REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
        auto rendered = parsed->render(context, fixed_options());
        const json& error = entry["error"];
        if (error.is_string()) {
            // Python prints the exception class; the template's message follows it.
            REQUIRE_FALSE(rendered.has_value());
            CHECK(rendered.error().code == ember::errc::template_error);
            CHECK("TemplateError: " + rendered.error().message == error.as_string());
            if (!rendered && "TemplateError: " + rendered.error().message == error.as_string()) ++refused;
        } else {
            REQUIRE_MESSAGE(rendered, (rendered ? "" : rendered.error().message));
            CHECK(*rendered == entry["output"].as_string());
            if (*rendered == entry["output"].as_string()) ++matched;
        }
    }
    std::printf("chat templates: %zu rendered byte for byte, %zu refused with the template's message, of %zu cases\n",
                matched, refused, total);
    CHECK(matched + refused == total);
}
