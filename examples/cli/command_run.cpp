// `ember run -m M -p TEXT [-n N] [sampling options] [--stop STR …]`: generate
// text after a prompt, streaming only the generated text to stdout (flushed
// per piece, whole UTF-8 characters). The prompt is tokenized like
// `ember tokenize --special`: BOS when the model wants one, special tokens
// parsed; so `-p ""` is BOS alone. Option names follow llama.cpp's.
#include "generation_options.hpp"
#include "prompt.hpp"

#include <ember/runtime/context.hpp>
#include <ember/runtime/generate.hpp>

#include <algorithm>
#include <cstdint>
#include <csignal>

namespace ember_cli {
namespace {

const std::set<std::string> value_options = {
    "-m", "--model", "-p", "--prompt", "-n", "--n-predict", "-t", "--threads", "-c", "--ctx-size",
    "--temp", "--top-k", "--top-p", "--min-p", "--typical", "--repeat-penalty", "--repeat-last-n",
    "--presence-penalty", "--frequency-penalty", "--seed", "-s", "-l", "--logit-bias", "--stop"};
const std::set<std::string> flag_options = {"--ignore-eos", "--no-mmap"};

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
    const std::string path = model_path_or_default(options);
    if (path.empty()) return fail("run: missing -m MODEL");
    const std::string prompt_text = options.get_any({"-p", "--prompt"});

    number_parser parse{options, "run", {}};
    const generation_settings settings = parse_generation_settings(parse);
    ember::sampler_settings sampling = settings.sampling;
    const int64_t repeat_last_n = parse.integer({"--repeat-last-n"}, sampling.repeat_last_n, -1, 1 << 20);
    if (!parse.error.empty()) return fail(parse.error);

    const std::shared_ptr<const ember::model> model = load_model_with_tokenizer(path, {!options.has("--no-mmap")});
    if (!model) return 1;
    const std::vector<int32_t> prompt = tokenize_prompt(*model, prompt_text);
    ember::context_params params;
    params.n_ctx = settings.n_ctx;
    params.n_threads = settings.threads;
    auto context = ember::context::create(model, params);
    if (!context) return fail(context.error().message);
    sampling.repeat_last_n = repeat_last_n < 0 ? static_cast<int32_t>((*context)->n_ctx()) : static_cast<int32_t>(repeat_last_n);

    ember::generation_options generation;
    generation.sampling = sampling.chain();
    generation.max_tokens = settings.max_tokens;
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
                                     "run [-m MODEL] -p TEXT [-n N] [--temp T --top-k K --top-p P --min-p P --typical P "
                                     "--repeat-penalty R --repeat-last-n N --presence-penalty P --frequency-penalty P "
                                     "-l TOKEN(+|-)BIAS --seed S --stop STR --ignore-eos -t THREADS -c N_CTX --no-mmap]  generate text",
                                     run_run});

}  // namespace
}  // namespace ember_cli
