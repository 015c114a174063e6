// model_bench: `ember bench` for development — the same prompt-processing and
// generation measurement, repeated, reporting the best and the median of
// each (shared hardware is noisy: a single run says little), optionally with
// generation starting deep into the context.
//
//   build-x/bench/model_bench -m MODEL [-t 2] [-p 128] [-n 32] [-r 3] [--depth 0]
//
// --depth D: prefill D tokens first (not timed), then time the prompt and
// the generation after them, e.g. --depth 4000 for generation at 4k context.
#include <ember/runtime/context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    std::string path;
    int threads = 2, n_prompt = 128, n_generate = 32, repeats = 3, depth = 0;
    ember::load_options load;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--no-mmap") {
            load.use_mmap = false;
            continue;
        }
        if (i + 1 == argc) return std::fprintf(stderr, "model_bench: %s needs a value\n", flag.c_str()), 1;
        const char* value = argv[++i];
        if (flag == "-m") path = value;
        else if (flag == "-t") threads = std::atoi(value);
        else if (flag == "-p") n_prompt = std::atoi(value);
        else if (flag == "-n") n_generate = std::atoi(value);
        else if (flag == "-r") repeats = std::atoi(value);
        else if (flag == "--depth") depth = std::atoi(value);
        else return std::fprintf(stderr, "model_bench: unknown flag %s\n", flag.c_str()), 1;
    }
    if (path.empty() || threads < 1 || n_prompt < 1 || n_generate < 1 || repeats < 1 || depth < 0)
        return std::fprintf(stderr, "usage: model_bench -m MODEL [-t 2] [-p 128] [-n 32] [-r 3] [--depth 0] [--no-mmap]\n"), 1;

    const auto load_start = std::chrono::steady_clock::now();
    auto model = ember::model::load(path, load);
    if (!model) return std::fprintf(stderr, "model_bench: %s\n", model.error().message.c_str()), 1;
    const double load_ms = seconds_since(load_start) * 1e3;
    const uint32_t n_ctx = static_cast<uint32_t>(depth + n_prompt + n_generate + 1);
    auto context = ember::context::create(*model, {n_ctx, threads, 0});
    if (!context) return std::fprintf(stderr, "model_bench: %s\n", context.error().message.c_str()), 1;
    const uint32_t n_vocab = (*model)->config().n_vocab;
    auto token = [&](size_t i) { return static_cast<int32_t>((i * 7919 + 13) % n_vocab); };

    std::vector<int32_t> prefix(static_cast<size_t>(depth)), prompt(static_cast<size_t>(n_prompt));
    for (size_t i = 0; i < prefix.size(); ++i) prefix[i] = token(i);
    for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = token(depth + i);
    if (!(*context)->evaluate({prompt[0]})) return 1;  // page the weights in

    std::vector<double> pp, tg;
    for (int round = 0; round < repeats; ++round) {
        (*context)->reset();
        if (depth > 0 && !(*context)->evaluate(prefix, ember::logits_for::none)) return 1;
        auto start = std::chrono::steady_clock::now();
        if (!(*context)->evaluate(prompt)) return 1;
        pp.push_back(n_prompt / seconds_since(start));
        start = std::chrono::steady_clock::now();
        for (int i = 0; i < n_generate; ++i) {
            const float* logits = (*context)->logits();
            const int32_t next = static_cast<int32_t>(std::max_element(logits, logits + n_vocab) - logits);
            if (!(*context)->evaluate({next})) return 1;
        }
        tg.push_back(n_generate / seconds_since(start));
    }
    std::printf("%s t=%d depth=%d%s: load %.1f ms | pp%d best %.1f median %.1f tok/s | tg%d best %.2f median %.2f tok/s\n",
                path.c_str(), threads, depth, load.use_mmap ? "" : " no-mmap", load_ms, n_prompt, *std::max_element(pp.begin(), pp.end()), median(pp), n_generate,
                *std::max_element(tg.begin(), tg.end()), median(tg));
    return 0;
}
