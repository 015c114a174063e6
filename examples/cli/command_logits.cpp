// `ember logits -m M -p TEXT -o OUT.f32 [--all] [--greedy N]`: the prompt's
// last-position (or every position's) logits as raw f32, and on stdout
// {"tokens":[…],"greedy":[…]} — the form conformance is checked with.
#include "prompt.hpp"

#include <ember/runtime/context.hpp>

#include <algorithm>

namespace ember_cli {
namespace {

int run_logits(const std::vector<std::string>& args) {
    arguments options(args, {"--all"});
    if (!options.error().empty()) return fail(options.error());
    if (!options.has("-p") && !options.has("--prompt")) return fail("logits: missing -p TEXT");
    const std::string output = options.get_any({"-o", "--output"});
    if (output.empty()) return fail("logits: missing -o OUT.f32");
    const int greedy = std::atoi(options.get("--greedy", "0").c_str());
    const int threads = std::atoi(options.get_any({"-t", "--threads"}, "2").c_str());
    if (greedy < 0 || threads < 1) return fail("logits: --greedy must be >= 0 and -t >= 1");
    auto model = load_model_with_tokenizer(options.get_any({"-m", "--model"}));
    if (!model) return 1;

    const std::vector<int32_t> tokens = tokenize_prompt(*model, options.get_any({"-p", "--prompt"}));
    if (tokens.empty()) return fail("logits: the prompt has no tokens");
    const uint32_t n_ctx = static_cast<uint32_t>(std::min<size_t>(tokens.size() + greedy, model->config().n_ctx_train));
    auto context = ember::context::create(model, {n_ctx, threads, 0});
    if (!context) return fail(context.error().message);
    const bool all = options.has("--all");
    auto evaluated = (*context)->evaluate(tokens, all ? ember::logits_for::all : ember::logits_for::last);
    if (!evaluated) return fail(evaluated.error().message);
    const size_t n_vocab = (*context)->n_vocab();
    if (!write_f32(output, all ? (*context)->logits(0) : (*context)->logits(), (all ? tokens.size() : 1) * n_vocab))
        return 1;

    std::vector<int32_t> continuation;
    for (int i = 0; i < greedy; ++i) {
        const float* logits = (*context)->logits();
        const int32_t next = static_cast<int32_t>(std::max_element(logits, logits + n_vocab) - logits);
        continuation.push_back(next);
        if (i + 1 == greedy) break;
        auto step = (*context)->evaluate({next});
        if (!step) return fail(step.error().message);
    }
    std::printf("{\"tokens\":%s,\"greedy\":%s}\n", json_int_list(tokens).c_str(), json_int_list(continuation).c_str());
    return 0;
}

const register_command registration(
    {"logits", "logits -m MODEL -p TEXT -o OUT.f32 [--all] [--greedy N]   raw logits of a prompt", run_logits});

}  // namespace
}  // namespace ember_cli
