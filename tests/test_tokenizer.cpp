// Tokenizer conformance: the reference test vectors in ../shared/tokenizer
// (Hugging Face tokenizers' output, no BOS, special tokens as plain text),
// the golden prompts' tokens (BOS per model, special tokens parsed), and
// round trips through decode and the streaming decoder.

#include <doctest/doctest.h>
#include <ember/tokenizer/tokenizer.hpp>

#include "test_data.hpp"

#include <chrono>
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

struct vector_case {
    std::string text;
    std::vector<int32_t> ids;
};

std::vector<vector_case> read_vectors(const std::string& input_path, const std::string& output_path) {
    const std::string input = ember_test::read_text(input_path);
    const std::string output = ember_test::read_text(output_path);
    const std::string separator = "\n__ggml_vocab_test__\n";
    std::vector<vector_case> cases;
    for (size_t start = 0; start < input.size();) {
        size_t end = input.find(separator, start);
        if (end == std::string::npos) end = input.size();
        cases.push_back({input.substr(start, end - start), {}});
        start = end + separator.size();
    }
    std::istringstream lines(output);
    std::string line;
    for (size_t i = 0; i < cases.size() && std::getline(lines, line); ++i) {
        std::istringstream numbers(line);
        int32_t id;
        while (numbers >> id) cases[i].ids.push_back(id);
    }
    return cases;
}

void check_vectors(const std::string& vocab_name, const std::string& model_path) {
    const std::string input = ember_test::shared_path("tokenizer/ggml-vocab-" + vocab_name + ".gguf.inp");
    const std::string output = ember_test::shared_path("tokenizer/ggml-vocab-" + vocab_name + ".gguf.out");
    if (input.empty() || output.empty() || model_path.empty()) return;
    auto tok = load_tokenizer(model_path);
    REQUIRE(tok);
    const auto cases = read_vectors(input, output);
    CHECK(cases.size() == 46);
    size_t passed = 0;
    for (const auto& c : cases) {
        const auto ids = tok->encode(c.text);
        CHECK_MESSAGE(ids == c.ids, vocab_name, ": text \"", c.text, "\"\n  expected ", to_string(c.ids), "\n  got      ",
                      to_string(ids));
        passed += ids == c.ids;
    }
    MESSAGE(vocab_name, ": ", passed, "/", cases.size(), " vectors match");
}

}  // namespace

TEST_CASE("reference vectors: llama-bpe (Llama 3 vocabulary)") {
    check_vectors("llama-bpe", ember_test::shared_path("models/llama3-tiny-f16.gguf"));
}
TEST_CASE("reference vectors: qwen2") {
    check_vectors("qwen2", ember_test::shared_path("models/qwen2-tiny-f16.gguf"));
}
TEST_CASE("reference vectors: gpt-2") {
    check_vectors("gpt-2", ember_test::shared_path("tokenizer/ggml-vocab-gpt-2.gguf"));
}
TEST_CASE("reference vectors: llama-spm") {
    check_vectors("llama-spm", ember_test::shared_path("tokenizer/ggml-vocab-llama-spm.gguf"));
}
TEST_CASE("reference vectors: bert-bge") {
    check_vectors("bert-bge", ember_test::shared_path("tokenizer/ggml-vocab-bert-bge.gguf"));
}

// ---- more vectors: hostile inputs through transformers.js (tests/data) ----

namespace {

std::string from_hex(const std::string& hex) {
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

}  // namespace

TEST_CASE("extra vectors: emoji, CJK, scripts, whitespace runs, contractions, digits, combining marks, code") {
    const std::string llama3_path = ember_test::shared_path("models/llama3-tiny-f16.gguf");
    const std::string qwen_path = ember_test::shared_path("models/qwen3-tiny-f16.gguf");
    if (llama3_path.empty() || qwen_path.empty()) return;
    auto llama3 = load_tokenizer(llama3_path);
    auto qwen = load_tokenizer(qwen_path);
    REQUIRE(llama3);
    REQUIRE(qwen);
    std::istringstream lines(ember_test::read_text(std::string(EMBER_SOURCE_DIR) + "/tests/data/tokenizer_extra_vectors.txt"));
    std::string line;
    size_t total = 0, passed = 0;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string vocab_name, mode, hex, ids_text;
        std::getline(fields, vocab_name, '\t');
        std::getline(fields, mode, '\t');
        std::getline(fields, hex, '\t');
        std::getline(fields, ids_text);
        std::vector<int32_t> expected;
        std::istringstream numbers(ids_text);
        int32_t id;
        while (numbers >> id) expected.push_back(id);
        const std::string text = from_hex(hex);
        const ember::tokenizer& tok = vocab_name == "llama3" ? *llama3 : *qwen;
        ember::encode_options options;
        options.parse_special = mode == "special";
        const auto ids = tok.encode(text, options);
        CHECK_MESSAGE(ids == expected, vocab_name, " ", mode, ": text \"", text, "\" (hex ", hex, ")\n  expected ",
                      to_string(expected), "\n  got      ", to_string(ids));
        ++total;
        passed += ids == expected;
    }
    CHECK(total > 900);
    MESSAGE("extra vectors: ", passed, "/", total, " match");
}

// ---- WordPiece, feature by feature (the bert-bge vectors cover these only in passing) ----

TEST_CASE("WordPiece: lower-casing, accents, punctuation, CJK, ## continuations, [UNK], [CLS]/[SEP]") {
    const std::string path = ember_test::shared_path("tokenizer/ggml-vocab-bert-bge.gguf");
    if (path.empty()) return;
    auto tok = load_tokenizer(path);
    REQUIRE(tok);
    using ids = std::vector<int32_t>;
    auto pieces = [&](const ids& tokens) {
        std::string out;
        for (int32_t id : tokens) out += "[" + tok->token_to_piece(id) + "]";
        return out;
    };
    // Lower-casing and accent stripping (NFD, nonspacing marks dropped).
    CHECK(tok->encode("HeLLo WORLD") == tok->encode("hello world"));
    CHECK(tok->encode("\xC3\x84pfel") == tok->encode("apfel"));                      // Äpfel
    CHECK(tok->encode("C\xE1\xBB\xAD" "a Vi\xE1\xBB\x87t") == tok->encode("cua viet"));  // Cửa Việt
    CHECK(tok->encode("cafe\xCC\x81") == tok->encode("caf\xC3\xA9"));                // combining acute = precomposed
    // Punctuation: every mark its own word, ASCII symbols included.
    CHECK(tok->decode(tok->encode("a,b!c$d")) == "a , b ! c $ d");
    CHECK(tok->encode("a,b").size() == 3);
    // CJK ideographs are split one per word, with or without spaces around.
    const ids cjk = tok->encode("\xE6\x88\x91\xE6\x83\xB3");  // 我想
    REQUIRE(cjk.size() == 2);
    CHECK(cjk[0] == tok->encode("\xE6\x88\x91")[0]);
    CHECK(cjk[1] == tok->encode("\xE6\x83\xB3")[0]);
    CHECK(tok->encode("ab\xE6\x88\x91" "cd") == [&] {
        ids joined = tok->encode("ab");
        joined.push_back(cjk[0]);
        for (int32_t id : tok->encode("cd")) joined.push_back(id);
        return joined;
    }());
    // Greedy longest match: a long word is a word start and continuations,
    // which decode glued to it.
    const ids word = tok->encode("tokenization");
    CHECK_MESSAGE(word.size() > 1, pieces(word));
    CHECK(tok->decode(word) == "tokenization");
    for (size_t i = 1; i < word.size(); ++i) CHECK_MESSAGE(tok->token_to_piece(word[i])[0] != ' ', pieces(word));
    // [UNK]: a word with an unmatchable rest is one [UNK] as a whole; so is a
    // word of more than 100 characters.
    CHECK(tok->encode("\xF0\x9F\xA6\x99") == ids{tok->unknown()});           // 🦙
    CHECK(tok->encode("abc\xF0\x9F\xA6\x99") == ids{tok->unknown()});        // abc🦙: one word
    CHECK(tok->encode("abc \xF0\x9F\xA6\x99") == [&] {
        ids expected = tok->encode("abc");
        expected.push_back(tok->unknown());
        return expected;
    }());
    CHECK(tok->encode(std::string(101, 'a')) == ids{tok->unknown()});
    CHECK(tok->encode(std::string(100, 'a')) != ids{tok->unknown()});
    // bge types [UNK] as a control token (llama.cpp's converter does), so it is hidden unless rendered.
    CHECK(tok->type_of(tok->unknown()) == ember::token_type::control);
    CHECK(tok->decode({tok->unknown()}).empty());
    CHECK(tok->decode({tok->unknown()}, {true, true}) == "[UNK]");
    // [CLS] text [SEP] when framed; [CLS]/[SEP] text is plain unless parsed.
    const ids framed = tok->encode("Hello, world!", {true, false});
    REQUIRE(framed.size() >= 2);
    CHECK(framed.front() == tok->bos());
    CHECK(framed.back() == tok->separator());
    CHECK(ids(framed.begin() + 1, framed.end() - 1) == tok->encode("Hello, world!"));
    CHECK(tok->encode("[SEP]", {false, true}) == ids{tok->separator()});
    CHECK(tok->encode("[SEP]") != ids{tok->separator()});
}
