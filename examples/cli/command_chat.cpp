// `ember chat -m M [--system S] [-n N] [sampling options] [-c N_CTX -t THREADS]`:
// interactive chat with the model's own template (ChatML when the file has
// none). Each stdin line is one user turn; the reply streams to stdout and
// ends with a newline; end of input ends the chat. Per turn, stderr gets
// "[prompt tokens evaluated: N]": the conversation is re-rendered each turn,
// but only the tokens not already in the KV cache are run.
// Sampling options are `ember run`'s (llama.cpp's names); -n bounds each reply.
// --no-thinking sets the template variable enable_thinking=false (Qwen 3).
#include "prompt.hpp"

#include <ember/runtime/chat.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

namespace ember_cli {
namespace {

const std::set<std::string> value_options = {
    "-m", "--model", "--system", "-n", "--n-predict", "-t", "--threads", "-c", "--ctx-size", "--temp", "--top-k",
    "--top-p", "--min-p", "--typical", "--repeat-penalty", "--repeat-last-n", "--presence-penalty",
    "--frequency-penalty", "--seed", "-s"};
const std::set<std::string> flag_options = {"--no-thinking", "--quiet"};

struct number_parser {
    const arguments& options;
    std::string error;

    double real(const char* name, double fallback) {
        if (!options.has(name)) return fallback;
        const std::string text = options.get(name);
        char* end = nullptr;
        errno = 0;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
            if (error.empty()) error = std::string("chat: ") + name + " expects a number, got '" + text + "'";
            return fallback;
        }
        return value;
    }
    int64_t integer(std::initializer_list<const char*> names, int64_t fallback, int64_t low, int64_t high) {
        for (const char* name : names) {
            if (!options.has(name)) continue;
            const std::string text = options.get(name);
            char* end = nullptr;
            errno = 0;
            const long long value = std::strtoll(text.c_str(), &end, 10);
            if (text.empty() || *end != '\0' || errno == ERANGE || value < low || value > high) {
                if (error.empty())
                    error = std::string("chat: ") + name + " expects an integer in [" + std::to_string(low) + ", " +
                            std::to_string(high) + "], got '" + text + "'";
                return fallback;
            }
            return value;
        }
        return fallback;
    }
};

int run_chat(const std::vector<std::string>& args) {
    for (size_t i = 0; i < args.size(); ++i) {
        if (value_options.count(args[i])) ++i;
        else if (!flag_options.count(args[i])) return fail("chat: unknown argument '" + args[i] + "'");
    }
    arguments options(args, flag_options);
    if (!options.error().empty()) return fail("chat: " + options.error());
    const std::string path = options.get_any({"-m", "--model"});
    if (path.empty()) return fail("chat: missing -m MODEL");

    number_parser parse{options, {}};
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int64_t threads = parse.integer({"-t", "--threads"}, std::min(4u, cores), 1, 512);
    const int64_t n_ctx = parse.integer({"-c", "--ctx-size"}, 0, 0, 1 << 20);
    const int64_t max_tokens = parse.integer({"-n", "--n-predict"}, -1, -1, INT64_MAX);
    ember::sampler_settings sampling;
    sampling.temperature = static_cast<float>(parse.real("--temp", sampling.temperature));
    sampling.top_k = static_cast<int32_t>(parse.integer({"--top-k"}, sampling.top_k, 0, INT32_MAX));
    sampling.top_p = static_cast<float>(parse.real("--top-p", sampling.top_p));
    sampling.min_p = static_cast<float>(parse.real("--min-p", sampling.min_p));
    sampling.typical_p = static_cast<float>(parse.real("--typical", sampling.typical_p));
    sampling.repeat_penalty = static_cast<float>(parse.real("--repeat-penalty", sampling.repeat_penalty));
    sampling.repeat_last_n = static_cast<int32_t>(parse.integer({"--repeat-last-n"}, sampling.repeat_last_n, 0, 1 << 20));
    sampling.presence_penalty = static_cast<float>(parse.real("--presence-penalty", sampling.presence_penalty));
    sampling.frequency_penalty = static_cast<float>(parse.real("--frequency-penalty", sampling.frequency_penalty));
    const int64_t seed = parse.integer({"--seed", "-s"}, -1, -1, INT64_MAX);
    if (!parse.error.empty()) return fail(parse.error);
    if (seed >= 0) {
        sampling.seed = static_cast<uint64_t>(seed);
    } else {  // no seed (or -1, as in llama.cpp): a fresh one each run
        std::random_device device;
        sampling.seed = (static_cast<uint64_t>(device()) << 32) ^ device() ^
                        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }

    const std::shared_ptr<const ember::model> model = load_model_with_tokenizer(path);
    if (!model) return 1;
    ember::chat_options chat;
    chat.generation.sampling = sampling.chain();
    chat.generation.max_tokens = max_tokens;
    if (options.has("--no-thinking")) {
        chat.variables = ember::json::object();
        chat.variables.set("enable_thinking", false);
    }
    ember::context_params params;
    params.n_ctx = static_cast<uint32_t>(n_ctx);
    params.n_threads = static_cast<int>(threads);
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
                                     "chat -m MODEL [--system S] [-n N] [--temp T --top-k K --top-p P --min-p P --seed S "
                                     "--no-thinking -c N_CTX -t THREADS]  interactive chat: a line per user turn",
                                     run_chat});

}  // namespace
}  // namespace ember_cli
