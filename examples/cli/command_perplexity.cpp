// `ember perplexity -m M -f FILE [--ctx N]`: perplexity of a text file, in
// llama.cpp's method (non-overlapping windows, second half of each scored).
#include "prompt.hpp"

#include <ember/runtime/perplexity.hpp>

#include <fstream>
#include <sstream>

namespace ember_cli {
namespace {

int run_perplexity(const std::vector<std::string>& args) {
    arguments options(args, {});
    if (!options.error().empty()) return fail(options.error());
    const std::string path = options.get_any({"-f", "--file"});
    if (path.empty()) return fail("perplexity: missing -f FILE");
    const int threads = std::atoi(options.get_any({"-t", "--threads"}, "2").c_str());
    if (threads < 1) return fail("perplexity: -t must be >= 1");
    auto model = load_model_with_tokenizer(options.get_any({"-m", "--model"}));
    if (!model) return 1;
    const long window = std::atol(options.get_any({"--ctx", "-c"}, std::to_string(std::min<uint32_t>(512, model->config().n_ctx_train))).c_str());
    if (window < 2 || window > static_cast<long>(model->config().n_ctx_train))
        return fail("perplexity: --ctx must be between 2 and the model's context length " +
                    std::to_string(model->config().n_ctx_train));

    std::ifstream in(path, std::ios::binary);
    if (!in) return fail(path + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    const ember::tokenizer& tokenizer = model->tokenizer();
    const std::vector<int32_t> tokens = tokenizer.encode(text.str(), {tokenizer.add_bos_by_default(), false});

    auto context = ember::context::create(model, {static_cast<uint32_t>(window), threads, 0});
    if (!context) return fail(context.error().message);
    auto measured = ember::perplexity(**context, tokens, tokenizer.add_bos_by_default() ? tokenizer.bos() : -1);
    if (!measured) return fail(measured.error().message);
    std::printf("%zu tokens, %zu windows of %ld, %zu scored\n", tokens.size(), measured->windows, window,
                measured->scored_tokens);
    std::printf("perplexity: %.4f (mean NLL %.5f nats/token)\n", measured->perplexity, measured->mean_nll);
    return 0;
}

const register_command registration(
    {"perplexity", "perplexity -m MODEL -f FILE [--ctx N]   perplexity of a text (llama.cpp's method)", run_perplexity});

}  // namespace
}  // namespace ember_cli
