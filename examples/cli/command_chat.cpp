// `ember chat -m M [--system S] [-n N] [sampling options] [-c N_CTX -t THREADS]`:
// interactive chat with the model's own template (ChatML when the file has
// none). Each stdin line is one user turn; the reply streams to stdout and
// ends with a newline; end of input ends the chat. Per turn, stderr gets
// "[prompt tokens evaluated: N]": the conversation is re-rendered each turn,
// but only the tokens not already in the KV cache are run.
// Sampling options are `ember run`'s (llama.cpp's names); -n bounds each reply.
// --no-thinking sets the template variable enable_thinking=false (Qwen 3).
#include "generation_options.hpp"
#include "prompt.hpp"

#include <ember/runtime/chat.hpp>

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <iostream>

namespace ember_cli {
namespace {

const std::set<std::string> value_options = {
    "-m", "--model", "--system", "-n", "--n-predict", "-t", "--threads", "-c", "--ctx-size", "--temp", "--top-k",
    "--top-p", "--min-p", "--typical", "--repeat-penalty", "--repeat-last-n", "--presence-penalty",
    "--frequency-penalty", "--seed", "-s", "-l", "--logit-bias"};
const std::set<std::string> flag_options = {"--no-thinking", "--quiet", "--no-mmap"};

int run_chat(const std::vector<std::string>& args) {
    for (size_t i = 0; i < args.size(); ++i) {
        if (value_options.count(args[i])) ++i;
        else if (!flag_options.count(args[i])) return fail("chat: unknown argument '" + args[i] + "'");
    }
    arguments options(args, flag_options);
    if (!options.error().empty()) return fail("chat: " + options.error());
    const std::string path = model_path_or_default(options);
    if (path.empty()) return fail("chat: missing -m MODEL");

    number_parser parse{options, "chat", {}};
    const generation_settings settings = parse_generation_settings(parse);
    ember::sampler_settings sampling = settings.sampling;
    sampling.repeat_last_n = static_cast<int32_t>(parse.integer({"--repeat-last-n"}, sampling.repeat_last_n, 0, 1 << 20));
    if (!parse.error.empty()) return fail(parse.error);

    const std::shared_ptr<const ember::model> model = load_model_with_tokenizer(path, {!options.has("--no-mmap")});
    if (!model) return 1;
    ember::chat_options chat;
    chat.generation.sampling = sampling.chain();
    chat.generation.max_tokens = settings.max_tokens;
    if (options.has("--no-thinking")) {
        chat.variables = ember::json::object();
        chat.variables.set("enable_thinking", false);
    }
    ember::context_params params;
    params.n_ctx = settings.n_ctx;
    params.n_threads = settings.threads;
    auto session = ember::chat_session::create(model, params, chat);
    if (!session) return fail("chat: " + session.error().message);
    if (options.has("--system")) session->add({"system", options.get("--system")});
    const bool quiet = options.has("--quiet");
    if (!quiet && session->formatter().uses_default_template())
        std::fprintf(stderr, "[the model file has no chat template: using ChatML]\n");

#ifdef SIGPIPE
    std::signal(SIGPIPE, SIG_IGN);  // a closed pipe is a write error, not a signal
#endif
    bool write_failed = false;
    const auto write = [&](std::string_view text) {
        if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) write_failed = true;
        return !write_failed;
    };
    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty()) continue;
        auto turn = session->send(line, write);
        if (!turn) return fail("chat: " + turn.error().message);
        write("\n");
        if (write_failed) return fail("chat: cannot write to stdout");
        std::fprintf(stderr, "[prompt tokens evaluated: %zu]\n", turn->n_prompt_evaluated);
        if (!quiet)
            std::fprintf(stderr, "[prompt %zu tokens, %zu reused from the cache; reply %zu tokens, stopped: %s]\n",
                         turn->n_prompt_tokens, turn->n_prompt_reused, turn->n_generated, ember::to_string(turn->reason));
    }
    return 0;
}

const register_command registration({"chat",
                                     "chat [-m MODEL] [--system S] [-n N] [--temp T --top-k K --top-p P --min-p P -l TOKEN(+|-)BIAS --seed S "
                                     "--no-thinking -c N_CTX -t THREADS --no-mmap]  interactive chat: a line per user turn",
                                     run_chat});

}  // namespace
}  // namespace ember_cli
