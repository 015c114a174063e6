// `ember run -m M -p TEXT [-n N] [sampling options] [--stop STR …]`: generate
// text after a prompt, streaming only the generated text to stdout (flushed
// per piece, whole UTF-8 characters). The prompt is tokenized like
// `ember tokenize --special`: BOS when the model wants one, special tokens
// parsed; so `-p ""` is BOS alone. Option names follow llama.cpp's.
#include "prompt.hpp"

#include <ember/runtime/context.hpp>
#include <ember/runtime/generate.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <csignal>
#include <cstdlib>
#include <random>
#include <thread>

namespace ember_cli {
namespace {

const std::set<std::string> value_options = {
    "-m", "--model", "-p", "--prompt", "-n", "--n-predict", "-t", "--threads", "-c", "--ctx-size",
    "--temp", "--top-k", "--top-p", "--min-p", "--typical", "--repeat-penalty", "--repeat-last-n",
    "--presence-penalty", "--frequency-penalty", "--seed", "-s", "--stop"};
const std::set<std::string> flag_options = {"--ignore-eos"};

// Parsed option values; `error` names the first bad one.
struct number_parser {
    const arguments& options;
    std::string error;

    double real(std::initializer_list<const char*> names, double fallback) {
        for (const char* name : names) {
            if (!options.has(name)) continue;
            const std::string text = options.get(name);
            char* end = nullptr;
            errno = 0;
            const double value = std::strtod(text.c_str(), &end);
            if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
                if (error.empty()) error = std::string("run: ") + name + " expects a number, got '" + text + "'";
                return fallback;
            }
            return value;
        }
        return fallback;
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
                    error = std::string("run: ") + name + " expects an integer in [" + std::to_string(low) + ", " +
                            std::to_string(high) + "], got '" + text + "'";
                return fallback;
            }
            return value;
        }
        return fallback;
    }
};

// Rejects unknown options and stray arguments (arguments() accepts anything).
std::string check_arguments(const std::vector<std::string>& args) {
    for (size_t i = 0; i < args.size(); ++i) {
        if (value_options.count(args[i])) ++i;
        else if (!flag_options.count(args[i])) return "run: unknown argument '" + args[i] + "'";
    }
    return {};
}

int run_run(const std::vector<std::string>& args) {
    arguments options(args, flag_options);
    if (!options.error().empty()) return fail("run: " + options.error());
    if (std::string problem = check_arguments(args); !problem.empty()) return fail(problem);
    const std::string path = options.get_any({"-m", "--model"});
    if (path.empty()) return fail("run: missing -m MODEL");
    const std::string prompt_text = options.get_any({"-p", "--prompt"});

    number_parser parse{options, {}};
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int64_t threads = parse.integer({"-t", "--threads"}, std::min(4u, cores), 1, 512);
    const int64_t n_ctx = parse.integer({"-c", "--ctx-size"}, 0, 0, 1 << 20);
    const int64_t max_tokens = parse.integer({"-n", "--n-predict"}, -1, -1, INT64_MAX);
    ember::sampler_settings sampling;
    sampling.temperature = static_cast<float>(parse.real({"--temp"}, sampling.temperature));
    sampling.top_k = static_cast<int32_t>(parse.integer({"--top-k"}, sampling.top_k, 0, INT32_MAX));
    sampling.top_p = static_cast<float>(parse.real({"--top-p"}, sampling.top_p));
    sampling.min_p = static_cast<float>(parse.real({"--min-p"}, sampling.min_p));
    sampling.typical_p = static_cast<float>(parse.real({"--typical"}, sampling.typical_p));
    sampling.repeat_penalty = static_cast<float>(parse.real({"--repeat-penalty"}, sampling.repeat_penalty));
    const int64_t repeat_last_n = parse.integer({"--repeat-last-n"}, sampling.repeat_last_n, -1, 1 << 20);
    sampling.presence_penalty = static_cast<float>(parse.real({"--presence-penalty"}, sampling.presence_penalty));
    sampling.frequency_penalty = static_cast<float>(parse.real({"--frequency-penalty"}, sampling.frequency_penalty));
    // No seed (or -1, as in llama.cpp): a fresh one each run.
    int64_t seed = -1;
    const char* seed_option = options.has("--seed") ? "--seed" : "-s";
    if (options.has(seed_option)) {
        const std::string text = options.get(seed_option);
        char* end = nullptr;
        errno = 0;
        const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
        if (text == "-1") seed = -1;
        else if (text.empty() || text[0] == '-' || *end != '\0' || errno == ERANGE)
            return fail("run: " + std::string(seed_option) + " expects a non-negative integer (or -1), got '" + text + "'");
        else {
            sampling.seed = value;
            seed = 0;
        }
    }
    if (!parse.error.empty()) return fail(parse.error);
    if (seed == -1) {
        std::random_device device;
        sampling.seed = (static_cast<uint64_t>(device()) << 32) ^ device() ^
                        static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }

    const std::shared_ptr<const ember::model> model = load_model_with_tokenizer(path);
    if (!model) return 1;
    const std::vector<int32_t> prompt = tokenize_prompt(*model, prompt_text);
    ember::context_params params;
    params.n_ctx = static_cast<uint32_t>(n_ctx);
    params.n_threads = static_cast<int>(threads);
    auto context = ember::context::create(model, params);
    if (!context) return fail(context.error().message);
    sampling.repeat_last_n = repeat_last_n < 0 ? static_cast<int32_t>((*context)->n_ctx()) : static_cast<int32_t>(repeat_last_n);

    ember::generation_options generation;
    generation.sampling = sampling.chain();
    generation.max_tokens = max_tokens;
    generation.stop = options.get_all("--stop");
    generation.stop_at_end_of_generation = !options.has("--ignore-eos");

#ifdef SIGPIPE
    std::signal(SIGPIPE, SIG_IGN);  // a closed pipe is a write error, not a signal
#endif
    bool write_failed = false;
    auto result = ember::generate(**context, model->tokenizer(), prompt, generation, [&](std::string_view text) {
        if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
            write_failed = true;
            return false;
        }
        return true;
    });
    if (!result) return fail("run: " + result.error().message);
    if (write_failed) return fail("run: cannot write to stdout");
    return 0;
}

const register_command registration({"run",
                                     "run -m MODEL -p TEXT [-n N] [--temp T --top-k K --top-p P --min-p P --typical P "
                                     "--repeat-penalty R --repeat-last-n N --presence-penalty P --frequency-penalty P "
                                     "--seed S --stop STR --ignore-eos -t THREADS -c N_CTX]  generate text",
                                     run_run});

}  // namespace
}  // namespace ember_cli
