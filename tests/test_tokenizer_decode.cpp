// Tokenizer: the golden prompts' tokens (BOS per model, special tokens
// parsed), decode(encode(x)) == x, and the streaming decoder against the
// one-shot decode at every split point.

#include <doctest/doctest.h>
#include <ember/core/json.hpp>
#include <ember/tokenizer/tokenizer.hpp>

#include "test_data.hpp"

#include <sstream>
#include <string>
#include <vector>

namespace {

ember::result<ember::tokenizer> load_tokenizer(const std::string& path) {
    auto file = ember::gguf_file::open(path);
    if (!file) return file.error();
    return ember::tokenizer::from_gguf(*file);
}

std::string to_string(const std::vector<int32_t>& ids) {
    std::string out;
    for (int32_t id : ids) out += (out.empty() ? "" : " ") + std::to_string(id);
    return out;
}

std::string from_hex(const std::string& hex) {
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

bool is_valid_utf8(const std::string& text) { return ember::to_valid_utf8(text) == text; }

// Every text the conformance tests use: the reference .inp files and the
// extra vectors.
std::vector<std::string> all_test_texts() {
    std::vector<std::string> texts;
    const std::string input = ember_test::shared_path("tokenizer/ggml-vocab-llama-bpe.gguf.inp");
    if (!input.empty()) {
        const std::string content = ember_test::read_text(input);
        const std::string separator = "\n__ggml_vocab_test__\n";
        for (size_t start = 0; start < content.size();) {
            size_t end = content.find(separator, start);
            if (end == std::string::npos) end = content.size();
            texts.push_back(content.substr(start, end - start));
            start = end + separator.size();
        }
    }
    std::istringstream lines(ember_test::read_text(std::string(EMBER_SOURCE_DIR) + "/tests/data/tokenizer_extra_vectors.txt"));
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string vocab_name, mode, hex;
        std::getline(fields, vocab_name, '\t');
        std::getline(fields, mode, '\t');
        std::getline(fields, hex, '\t');
        if (vocab_name == "llama3") texts.push_back(from_hex(hex));
    }
    return texts;
}

// Feed ids one by one; after each, what was emitted plus what a copy of
// the decoder still holds must equal the one-shot decode of that prefix,
// the held part must be a short incomplete character, and every emitted
// chunk must be whole characters when the full text is valid UTF-8.
void check_streaming(const ember::tokenizer& tok, const std::vector<int32_t>& ids, ember::decode_options options,
                     const std::string& label) {
    const std::string full = tok.decode(ids, options);
    const bool valid = is_valid_utf8(full);
    ember::streaming_decoder decoder(tok, options);
    std::string emitted;
    std::vector<int32_t> prefix;
    for (int32_t id : ids) {
        prefix.push_back(id);
        const std::string chunk = decoder.push(id);
        if (valid) CHECK_MESSAGE(is_valid_utf8(chunk), label);
        emitted += chunk;
        ember::streaming_decoder copy = decoder;
        const std::string held = copy.finish();
        CHECK(held.size() < 4);
        CHECK_MESSAGE(emitted + held == tok.decode(prefix, options), label, " after ", prefix.size(), " tokens");
    }
    emitted += decoder.finish();
    CHECK_MESSAGE(emitted == full, label);
}

}  // namespace

TEST_CASE("golden prompts tokenize like the reference (BOS per model, special tokens parsed)") {
    const char* models[] = {"llama3-tiny-f16", "qwen2-tiny-f16", "qwen3-tiny-f16", "gpt2-tiny-f32", "bert-tiny-f32",
                            "stories260K", "llama-qbase-f32", "bert-cls-tiny-f32", "qwen3-cls-tiny-f16"};
    for (const std::string model : models) {
        const std::string golden = ember_test::shared_path("golden/logits/" + model + ".json");
        const std::string path = ember_test::shared_path("models/" + model + ".gguf");
        if (golden.empty() || path.empty()) continue;
        auto tok = load_tokenizer(path);
        REQUIRE_MESSAGE(tok, model);
        auto document = ember::json::parse(ember_test::read_text(golden));
        REQUIRE(document);
        const auto& cases = (*document)["cases"].as_array();
        CHECK(cases.size() == 4);
        for (const auto& c : cases) {
            std::vector<int32_t> expected;
            for (const auto& id : c["tokens"].as_array()) expected.push_back(static_cast<int32_t>(id.as_int64()));
            const std::string& prompt = c["prompt"].as_string();
            const auto ids = tok->encode(prompt, {tok->add_bos_by_default(), true});
            CHECK_MESSAGE(ids == expected, model, ": \"", prompt, "\"\n  expected ", to_string(expected), "\n  got      ",
                          to_string(ids));
        }
    }
}

TEST_CASE("decode(encode(x)) == x for the byte-level vocabularies (NFC for Qwen) and SentencePiece") {
    const auto texts = all_test_texts();
    struct model_case {
        const char* path;
        bool nfc;
    };
    const model_case models[] = {{"models/llama3-tiny-f16.gguf", false},
                                 {"models/qwen2-tiny-f16.gguf", true},
                                 {"tokenizer/ggml-vocab-gpt-2.gguf", false},
                                 {"tokenizer/ggml-vocab-llama-spm.gguf", false}};
    for (const auto& model : models) {
        const std::string path = ember_test::shared_path(model.path);
        if (path.empty()) continue;
        auto tok = load_tokenizer(path);
        REQUIRE(tok);
        size_t checked = 0;
        for (const std::string& text : texts) {
            const std::string expected = model.nfc ? ember::detail::unicode::nfc(text) : text;
            const std::string decoded = tok->decode(tok->encode(text));
            CHECK_MESSAGE(decoded == expected, std::string(model.path), ": \"", text, "\" decoded as \"", decoded, "\"");
            ++checked;
        }
        CHECK(checked > 400);
        // Special tokens parsed and rendered come back as their text too.
        const std::string chat = model.nfc ? "<|im_start|>user\nHi<|im_end|>" : "<|begin_of_text|>Hi<|eot_id|>";
        ember::decode_options render;
        render.render_special = true;
        if (std::string(model.path).find("tiny") != std::string::npos)
            CHECK(tok->decode(tok->encode(chat, {false, true}), render) == chat);
    }
}

TEST_CASE("streaming decoder equals the one-shot decode at every split point") {
    const auto texts = all_test_texts();
    const char* paths[] = {"models/llama3-tiny-f16.gguf", "models/qwen2-tiny-f16.gguf", "tokenizer/ggml-vocab-gpt-2.gguf",
                           "tokenizer/ggml-vocab-llama-spm.gguf", "tokenizer/ggml-vocab-bert-bge.gguf",
                           "models/stories260K.gguf"};
    for (const std::string relative : paths) {
        const std::string path = ember_test::shared_path(relative);
        if (path.empty()) continue;
        auto tok = load_tokenizer(path);
        REQUIRE(tok);
        for (const std::string& text : texts) {
            const auto ids = tok->encode(text, {true, false});
            check_streaming(*tok, ids, {}, relative);
            ember::decode_options options;
            options.render_special = true;
            options.strip_leading_space = false;
            check_streaming(*tok, ids, options, relative);
        }
    }
}

TEST_CASE("streaming decoder holds a character split over byte tokens until it is whole") {
    const std::string path = ember_test::shared_path("tokenizer/ggml-vocab-llama-spm.gguf");
    if (path.empty()) return;
    auto tok = load_tokenizer(path);
    REQUIRE(tok);
    // The reference encodes " this is 🦙.cpp" with 🦙 as four byte tokens.
    const auto ids = tok->encode(" this is \xF0\x9F\xA6\x99.cpp");
    CHECK(to_string(ids) == "29871 445 338 29871 243 162 169 156 29889 8223");
    ember::streaming_decoder decoder(*tok);
    std::vector<std::string> chunks;
    for (int32_t id : ids) chunks.push_back(decoder.push(id));
    CHECK(chunks[0] == "");           // the added prefix space, stripped
    CHECK(chunks[1] == " this");      // the input's own leading space stays
    CHECK(chunks[4] == "");           // F0
    CHECK(chunks[5] == "");           // 9F
    CHECK(chunks[6] == "");           // A6
    CHECK(chunks[7] == "\xF0\x9F\xA6\x99");
    CHECK(decoder.finish().empty());

    // A byte that can never start a character is passed through at once;
    // a lead byte at the very end comes out of finish().
    const int32_t byte_ff = tok->find_token("<0xFF>");
    const int32_t byte_e4 = tok->find_token("<0xE4>");
    REQUIRE(byte_ff >= 0);
    REQUIRE(byte_e4 >= 0);
    ember::streaming_decoder raw(*tok);
    CHECK(raw.push(byte_ff) == "\xFF");
    CHECK(raw.push(byte_e4) == "");
    CHECK(raw.finish() == "\xE4");
}

TEST_CASE("decode: pieces, leading spaces, control tokens, out-of-range ids") {
    const std::string spm_path = ember_test::shared_path("tokenizer/ggml-vocab-llama-spm.gguf");
    const std::string bert_path = ember_test::shared_path("tokenizer/ggml-vocab-bert-bge.gguf");
    const std::string llama3_path = ember_test::shared_path("models/llama3-tiny-f16.gguf");
    if (spm_path.empty() || bert_path.empty() || llama3_path.empty()) return;
    auto spm = load_tokenizer(spm_path);
    auto bert = load_tokenizer(bert_path);
    auto llama3 = load_tokenizer(llama3_path);
    REQUIRE(spm);
    REQUIRE(bert);
    REQUIRE(llama3);

    CHECK(spm->token_to_piece(15043) == " Hello");
    CHECK(spm->decode({1, 15043, 3186, 2}) == "Hello world");  // <s> and </s> hidden
    ember::decode_options continuation;
    continuation.strip_leading_space = false;
    CHECK(spm->decode({15043}, continuation) == " Hello");
    CHECK(spm->decode({1, 15043}, {true, true}) == "<s> Hello");
    CHECK(spm->decode({0}) == "\xEF\xBF\xBD");  // <unk>
    CHECK(spm->decode({-1, 32000, 15043, 1 << 30}) == "Hello");

    // WordPiece: words separated by spaces, continuations glued.
    CHECK(bert->decode(bert->encode("Hello, world! discards")) == "hello , world ! discards");
    CHECK(bert->decode(bert->encode("Hello", {true, false})) == "hello");
    CHECK(bert->decode({101, 7592, 102}, {true, true}) == "[CLS] hello [SEP]");

    CHECK(llama3->decode({128000, 9906, 128009}) == "Hello");
    CHECK(llama3->token_to_piece(128009) == "");
    CHECK(llama3->token_to_piece(128009, true) == "<|eot_id|>");
    CHECK(llama3->token_to_piece(220) == " ");
}

TEST_CASE("streaming decoder: the appending overload and reset") {
    const std::string path = ember_test::shared_path("models/llama3-tiny-f16.gguf");
    if (path.empty()) return;
    auto tok = load_tokenizer(path);
    REQUIRE(tok);
    const std::string text = "Grüße, 世界! 🦙🦙";
    const auto ids = tok->encode(text);
    ember::streaming_decoder decoder(*tok);
    std::string out;
    out.reserve(64);
    size_t appended = 0;
    for (int32_t id : ids) appended += decoder.push(id, out);
    CHECK(appended == out.size());
    CHECK(out + decoder.finish() == text);
    decoder.reset();
    std::string again;
    for (int32_t id : ids) again += decoder.push(id);
    CHECK(again == text);
}
