// Generate text with ember in ~30 lines: load a model, make a context, stream
// a story to stdout.   usage: example_generate [MODEL.gguf ["prompt"]]
// Without arguments it uses ember's default model, models/kjv-tiny.gguf.
#include <ember/model/model.hpp>
#include <ember/runtime/context.hpp>
#include <ember/runtime/generate.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    auto model = ember::model::load(argc > 1 ? argv[1] : EMBER_DEFAULT_MODEL);
    if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
    auto context = ember::context::create(*model, {/*n_ctx=*/256, /*n_threads=*/2});
    if (!context) return std::fprintf(stderr, "%s\n", context.error().message.c_str()), 1;

    ember::sampler_settings sampling;  // llama.cpp's defaults: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05
    sampling.seed = 42;                // same seed, same story
    ember::generation_options options;
    options.sampling = sampling.chain();
    options.max_tokens = 200;
    options.stop = {"The end."};

    const char* prompt = argc > 2 ? argv[2] : argc > 1 ? "Once upon a time" : "And it came to pass";
    std::printf("%s", prompt);
    auto result = ember::generate(**context, prompt, options, [](std::string_view text) {
        std::fwrite(text.data(), 1, text.size(), stdout);  // whole UTF-8 characters, as they come
        std::fflush(stdout);
        return true;  // false would stop early
    });
    if (!result) return std::fprintf(stderr, "\n%s\n", result.error().message.c_str()), 1;
    std::printf("\n[%zu tokens, stopped: %s]\n", result->tokens.size(), ember::to_string(result->reason));
}
