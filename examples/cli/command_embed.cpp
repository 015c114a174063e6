// `ember embed -m M -p TEXT [-p TEXT …] [-f TEXTS.txt] -o OUT.f32 [--pooling cls|mean|last|none|rank] [--normalize]`:
// pooled embeddings (pooling from the model's metadata by default). Texts are
// tokenized like `--special` (BOS/[CLS] framing per the model, special
// tokens parsed). Several texts (repeated -p, or -f with one text per line,
// escapes \n \t \\ decoded) are embedded in one call; OUT holds their
// vectors one after another, in order, as raw little-endian f32.
// stdout: {"tokens":[…],"dimensions":D} for one text,
//         {"texts":N,"dimensions":D,"tokens":[[…],…]} for several.
#include "prompt.hpp"

#include <ember/runtime/embedding.hpp>

#include <algorithm>
#include <cstdio>

namespace ember_cli {
namespace {

// Decode \n, \t and \\; any other backslash stays as written.
std::string unescape_line(const std::string& line) {
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

// One text per line ("-" reads stdin); false after a message on failure.
bool read_texts(const std::string& path, std::vector<std::string>& texts) {
    std::FILE* in = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!in) {
        fail(path + ": cannot open");
        return false;
    }
    std::string line;
    int c;
    bool pending = false;
    while ((c = std::getc(in)) != EOF) {
        if (c == '\n') {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            texts.push_back(unescape_line(line));
            line.clear();
            pending = false;
        } else {
            line.push_back(static_cast<char>(c));
            pending = true;
        }
    }
    if (pending) texts.push_back(unescape_line(line));
    const bool read_error = std::ferror(in) != 0;
    if (in != stdin) std::fclose(in);
    if (read_error) {
        fail(path + ": read failed");
        return false;
    }
    return true;
}

int run_embed(const std::vector<std::string>& args) {
    arguments options(args, {"--normalize"});
    if (!options.error().empty()) return fail(options.error());
    std::vector<std::string> texts = options.get_all("-p");
    for (const std::string& text : options.get_all("--prompt")) texts.push_back(text);
    const std::string text_file = options.get_any({"-f", "--file"});
    if (!text_file.empty() && !read_texts(text_file, texts)) return 1;
    if (texts.empty()) return fail("embed: missing -p TEXT (or -f FILE with one text per line)");
    const std::string output = options.get_any({"-o", "--output"});
    if (output.empty()) return fail("embed: missing -o OUT.f32");
    const int threads = std::atoi(options.get_any({"-t", "--threads"}, "2").c_str());
    if (threads < 1 || threads > 512) return fail("embed: -t must be 1..512");
    auto model = load_model_with_tokenizer(options.get_any({"-m", "--model"}));
    if (!model) return 1;

    ember::embedding_options embedding;
    embedding.normalize = options.has("--normalize");
    if (options.has("--pooling")) {
        auto mode = ember::parse_pooling(options.get("--pooling"));
        if (!mode) return fail("embed: --pooling: " + mode.error().message);
        embedding.pooling_mode = *mode;
    }

    std::vector<std::vector<int32_t>> token_lists;
    size_t longest = 1;
    for (size_t i = 0; i < texts.size(); ++i) {
        if (texts[i].empty()) return fail("embed: text " + std::to_string(i) + " is empty");
        token_lists.push_back(tokenize_prompt(*model, texts[i]));
        longest = std::max(longest, token_lists.back().size());
    }
    if (longest > UINT32_MAX) return fail("embed: a text is too long");
    auto context = ember::context::create(model, {static_cast<uint32_t>(longest), threads, 0});
    if (!context) return fail(context.error().message);
    auto vectors = ember::embed_batch(**context, token_lists, embedding);
    if (!vectors) return fail(vectors.error().message);

    std::vector<float> all;
    for (const auto& vector : *vectors) all.insert(all.end(), vector.begin(), vector.end());
    if (!write_f32(output, all.data(), all.size())) return 1;
    const size_t dimensions = model->config().n_embd;
    if (texts.size() == 1) {
        std::printf("{\"tokens\":%s,\"dimensions\":%zu}\n", json_int_list(token_lists[0]).c_str(), (*vectors)[0].size());
    } else {
        std::string lists;
        for (size_t i = 0; i < token_lists.size(); ++i) lists += (i ? "," : "") + json_int_list(token_lists[i]);
        std::printf("{\"texts\":%zu,\"dimensions\":%zu,\"tokens\":[%s]}\n", texts.size(), dimensions, lists.c_str());
    }
    return 0;
}

const register_command registration(
    {"embed",
     "embed -m MODEL -p TEXT [-p TEXT …] [-f TEXTS.txt] -o OUT.f32 [--pooling cls|mean|last|none|rank] [--normalize]   text embeddings",
     run_embed});

}  // namespace
}  // namespace ember_cli
