// `ember tokenize` from outside, as conformance scripts use it: the reference
// vectors through stdin (escapes \n \t \\), plain by default, BOS and special
// tokens with --special. Needs the built `ember` next to the tests directory
// (build/ember); skipped, loudly, when it has not been built.

#include <doctest/doctest.h>

#include "command_runner.hpp"
#include "test_data.hpp"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::string escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (c == '\t') out += "\\t";
        else out += c;
    }
    return out;
}

// Run `ember tokenize` on lines; returns its stdout (and the exit code).
std::string run_tokenize(const std::string& binary, const std::string& model, const std::string& flags,
                         const std::string& input, int& status) {
    const std::string input_path = ember_test::temp_path("tokenize_input.txt");
    std::ofstream(input_path, std::ios::binary) << input;
    const ember_test::command_output result =
        ember_test::run_command(binary + " tokenize -m '" + model + "' " + flags + " < '" + input_path + "'");
    std::remove(input_path.c_str());
    status = result.exit_code;
    return result.out;
}

}  // namespace

TEST_CASE("ember tokenize reproduces the reference vectors from stdin") {
    const std::string binary = ember_test::ember_binary();
    if (binary.empty()) return;
    const std::pair<const char*, const char*> vocabularies[] = {
        {"llama-bpe", "models/llama3-tiny-f16.gguf"},
        {"qwen2", "models/qwen2-tiny-f16.gguf"},
        {"gpt-2", "tokenizer/ggml-vocab-gpt-2.gguf"},
        {"llama-spm", "tokenizer/ggml-vocab-llama-spm.gguf"},
        {"bert-bge", "tokenizer/ggml-vocab-bert-bge.gguf"},
    };
    for (const auto& [name, model_relative] : vocabularies) {
        const std::string prefix = std::string("tokenizer/ggml-vocab-") + name + ".gguf";
        const std::string input_path = ember_test::shared_path(prefix + ".inp");
        const std::string output_path = ember_test::shared_path(prefix + ".out");
        const std::string model = ember_test::shared_path(model_relative);
        if (input_path.empty() || output_path.empty() || model.empty()) continue;
        const std::string content = ember_test::read_text(input_path);
        const std::string separator = "\n__ggml_vocab_test__\n";
        std::string lines;
        for (size_t start = 0; start < content.size();) {
            size_t end = content.find(separator, start);
            if (end == std::string::npos) end = content.size();
            lines += escape(content.substr(start, end - start)) + "\n";
            start = end + separator.size();
        }
        // The reference file writes each id with a leading space.
        std::string expected;
        std::string reference = ember_test::read_text(output_path);
        for (size_t start = 0; start < reference.size();) {
            size_t end = reference.find('\n', start);
            if (end == std::string::npos) end = reference.size();
            std::string line = reference.substr(start, end - start);
            if (!line.empty() && line[0] == ' ') line.erase(0, 1);
            expected += line + "\n";
            start = end + 1;
        }
        int status = 0;
        const std::string output = run_tokenize(binary, model, "", lines, status);
        CHECK(status == 0);
        CHECK_MESSAGE(output == expected, name);
    }
}

TEST_CASE("ember tokenize: plain by default, --special adds BOS and parses special tokens, errors exit 1") {
    const std::string binary = ember_test::ember_binary();
    const std::string llama3 = ember_test::shared_path("models/llama3-tiny-f16.gguf");
    const std::string qwen = ember_test::shared_path("models/qwen2-tiny-f16.gguf");
    if (binary.empty() || llama3.empty() || qwen.empty()) return;
    int status = 0;
    CHECK(run_tokenize(binary, llama3, "", "Hello, world!\n", status) == "9906 11 1917 0\n");
    CHECK(run_tokenize(binary, llama3, "--special", "Hello, world!\n", status) == "128000 9906 11 1917 0\n");
    CHECK(run_tokenize(binary, qwen, "--special", "<|im_start|>user\\nhi<|im_end|>\n", status) ==
          "151644 872 198 6023 151645\n");
    const std::string plain = run_tokenize(binary, qwen, "", "<|im_start|>user\\nhi<|im_end|>\n", status);
    CHECK(plain.find("151644") == std::string::npos);
    CHECK(run_tokenize(binary, qwen, "", "a\\tb\\\\n\nlast line without newline", status) == "64 2233 1699\n4259 1555 2041 39027\n");
    CHECK(status == 0);
    run_tokenize(binary, "/nonexistent.gguf", "", "x\n", status);
    CHECK(status != 0);
}
