// `ember tokenize -m M [--special]`: each line of stdin (with the escapes
// \n, \t and \\ decoded) becomes one line of space-separated token ids.
// Default: no BOS, and special-token text (<|im_start|>) is plain text.
// --special: the model's BOS (and EOS/[SEP] framing) as it asks, and
// special tokens written in the text are parsed.
#include "command.hpp"

#include <ember/io/gguf.hpp>
#include <ember/tokenizer/tokenizer.hpp>

#include <cstdio>
#include <string>

namespace ember_cli {
namespace {

// Decode \n, \t and \\; any other backslash stays as written.
std::string unescape(const std::string& line) {
    std::string out;
    out.reserve(line.size());
    for (size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '\\' && i + 1 < line.size()) {
            const char next = line[i + 1];
            if (next == 'n') { out += '\n'; ++i; continue; }
            if (next == 't') { out += '\t'; ++i; continue; }
            if (next == '\\') { out += '\\'; ++i; continue; }
        }
        out += line[i];
    }
    return out;
}

bool read_line(std::FILE* in, std::string& line) {
    line.clear();
    int c;
    bool any = false;
    while ((c = std::getc(in)) != EOF) {
        any = true;
        if (c == '\n') return true;
        line.push_back(static_cast<char>(c));
    }
    return any;
}

int run_tokenize(const std::vector<std::string>& args) {
    arguments options(args, {"--special"});
    if (!options.error().empty()) return fail(options.error());
    const std::string path = options.get_any({"-m", "--model"});
    if (path.empty()) return fail("tokenize: missing -m MODEL");
    if (!options.positional().empty()) return fail("tokenize: unexpected argument '" + options.positional()[0] + "'");
    auto file = ember::gguf_file::open(path);
    if (!file) return fail(file.error().message);
    auto tok = ember::tokenizer::from_gguf(*file);
    if (!tok) return fail(tok.error().message);

    ember::encode_options encode;
    if (options.has("--special")) {
        encode.add_bos = tok->add_bos_by_default();
        encode.parse_special = true;
    }
    std::string line, out;
    std::vector<int32_t> ids;
    while (read_line(stdin, line)) {
        ids.clear();
        tok->encode(unescape(line), ids, encode);
        out.clear();
        for (size_t i = 0; i < ids.size(); ++i) {
            if (i) out += ' ';
            out += std::to_string(ids[i]);
        }
        out += '\n';
        std::fwrite(out.data(), 1, out.size(), stdout);
    }
    if (std::fflush(stdout) != 0) return fail("tokenize: could not write the output");
    return 0;
}

const register_command registration({"tokenize",
                                     "tokenize -m MODEL [--special]   stdin lines (\\n \\t \\\\ decoded) -> token ids",
                                     run_tokenize});

}  // namespace
}  // namespace ember_cli
