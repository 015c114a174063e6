// `ember bench -m M [-t THREADS] [-p 128] [-n 32]`: prompt-processing and
// generation speed, plus the machine's read bandwidth measured in the same
// run, since generation is bound by reading every weight once per token.
#include "command.hpp"

#include <ember/runtime/context.hpp>

#include <algorithm>
#include <chrono>
#include <thread>

namespace ember_cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Best-of-3 rate (bytes/s) of summing a 1 GiB buffer with the pool's threads.
double measure_read_bandwidth(ember::thread_pool& pool) {
    const size_t n = (size_t(1) << 30) / sizeof(uint64_t);
    std::vector<uint64_t> buffer(n, 1);
    const size_t chunks = 256, chunk = n / chunks;
    std::vector<uint64_t> sums(chunks);
    double best = 0.0;
    for (int round = 0; round < 3; ++round) {
        const auto start = std::chrono::steady_clock::now();
        pool.parallel_for(chunks, [&](size_t c, int) {
            uint64_t a = 0, b = 0, d = 0, e = 0;
            const uint64_t* p = buffer.data() + c * chunk;
            for (size_t i = 0; i + 4 <= chunk; i += 4) { a += p[i]; b += p[i + 1]; d += p[i + 2]; e += p[i + 3]; }
            sums[c] = a + b + d + e;
        });
        best = std::max(best, double(n * sizeof(uint64_t)) / seconds_since(start));
    }
    uint64_t total = 0;
    for (uint64_t s : sums) total += s;
    if (total == 0) std::fprintf(stderr, "bench: impossible sum\n");  // keeps the reads alive
    return best;
}

// Weight bytes a decode step reads: every tensor except the embedding
// table, of which one row is read — unless it doubles as the output.
uint64_t bytes_read_per_token(const ember::model& model) {
    uint64_t total = 0;
    for (const auto& tensor : model.file().tensors()) total += tensor.n_bytes;
    const auto& embedding = model.weights().token_embedding;
    if (!model.weights().tied_output) total -= embedding.row_bytes() * (embedding.rows() - 1);
    return total;
}

int run_bench(const std::vector<std::string>& args) {
    arguments options(args, {"--no-mmap"});
    if (!options.error().empty()) return fail(options.error());
    const std::string path = options.get_any({"-m", "--model"});
    if (path.empty()) return fail("bench: missing -m MODEL");
    const int threads = std::atoi(options.get_any({"-t", "--threads"}, std::to_string(std::max(1u, std::thread::hardware_concurrency()))).c_str());
    const int n_prompt = std::atoi(options.get_any({"-p", "--n-prompt"}, "128").c_str());
    const int n_generate = std::atoi(options.get_any({"-n", "--n-gen"}, "32").c_str());
    if (threads < 1 || n_prompt < 1 || n_generate < 1) return fail("bench: -t, -p and -n must be positive");

    const auto load_start = std::chrono::steady_clock::now();
    const bool use_mmap = !options.has("--no-mmap");
    auto model = ember::model::load(path, {use_mmap});
    if (!model) return fail(model.error().message);
    const double load_seconds = seconds_since(load_start);
    const uint32_t n_ctx = static_cast<uint32_t>(n_prompt + n_generate + 1);
    auto context = ember::context::create(*model, {n_ctx, threads, 0});
    if (!context) return fail(context.error().message);

    std::vector<int32_t> prompt(static_cast<size_t>(n_prompt));
    for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>((i * 7919 + 13) % (*model)->config().n_vocab);
    auto warm = (*context)->evaluate({prompt[0]});  // page the weights in once
    if (!warm) return fail(warm.error().message);
    (*context)->reset();

    auto start = std::chrono::steady_clock::now();
    if (auto done = (*context)->evaluate(prompt); !done) return fail(done.error().message);
    const double prompt_seconds = seconds_since(start);

    start = std::chrono::steady_clock::now();
    for (int i = 0; i < n_generate; ++i) {
        const float* logits = (*context)->logits();
        const int32_t next = static_cast<int32_t>(std::max_element(logits, logits + (*context)->n_vocab()) - logits);
        if (auto done = (*context)->evaluate({next}); !done) return fail(done.error().message);
    }
    const double generate_seconds = seconds_since(start);

    ember::thread_pool pool(threads);
    const double bandwidth = measure_read_bandwidth(pool);
    const double pp = n_prompt / prompt_seconds, tg = n_generate / generate_seconds;
    const double bytes_per_token = double(bytes_read_per_token(**model));
    const double achieved = bytes_per_token * tg;
    std::printf("model: %s (%.1f MB read per token)\n", path.c_str(), bytes_per_token / 1e6);
    const std::string isa(ember::isa_name(ember::active_isa()));
    std::printf("threads: %d, load: %.1f ms (%s), isa: %s\n", threads, load_seconds * 1e3, use_mmap ? "mapped" : "copied, --no-mmap",
                isa.c_str());
    std::printf("prompt processing: %d tokens in %.3f s = %.1f tok/s\n", n_prompt, prompt_seconds, pp);
    std::printf("generation: %d tokens in %.3f s = %.2f tok/s\n", n_generate, generate_seconds, tg);
    std::printf("read bandwidth: %.1f GB/s measured, %.1f GB/s achieved by generation (%.0f%%)\n", bandwidth / 1e9,
                achieved / 1e9, 100.0 * achieved / bandwidth);
    std::printf("{\"pp_tok_s\":%.2f,\"tg_tok_s\":%.2f,\"threads\":%d,\"n_prompt\":%d,\"n_gen\":%d,\"load_ms\":%.1f,"
                "\"use_mmap\":%s,\"isa\":\"%s\",\"bytes_per_token\":%.0f,\"bandwidth_gb_s\":%.2f,\"achieved_gb_s\":%.2f,"
                "\"bandwidth_fraction\":%.3f}\n",
                pp, tg, threads, n_prompt, n_generate, load_seconds * 1e3, use_mmap ? "true" : "false", isa.c_str(), bytes_per_token,
                bandwidth / 1e9, achieved / 1e9, achieved / bandwidth);
    return 0;
}

const register_command registration({"bench", "bench -m MODEL [-t THREADS] [-p 128] [-n 32] [--no-mmap]   prompt and generation speed", run_bench});

}  // namespace
}  // namespace ember_cli
