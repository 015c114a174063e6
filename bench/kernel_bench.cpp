// kernel_bench: ember::matmul (the forward pass's weight products) and
// attention at a model's shapes, per weight type — decoding also on rows
// interleaved as --no-mmap stores them, where the type has such a GEMV
// (quant/detail/interleaved_rows.hpp) — for tuning kernels on a
// shared machine. Next to wall-clock rates it prints rates per CPU second
// of the whole process: other people's jobs preempting ours inflate wall
// time but not CPU time, so the CPU rate is the steadier measure of a
// kernel's efficiency (memory-bound decoding is still disturbed by their
// memory traffic).
//
//   build-x/bench/kernel_bench [--types q8_0,q4_k,...] [--rows 4864] [--cols 896] [--tokens 1,128]
//                              [--threads 1] [--seconds 1]
//   build-x/bench/kernel_bench --attention [--head-dim 64] [--context 4096] [--threads 1]
#include <ember/kernels/attention.hpp>
#include <ember/kernels/matmul.hpp>
#include <ember/quant/detail/interleaved_rows.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using ember::dtype;

double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

double wall_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> parts;
    std::stringstream stream(text);
    for (std::string part; std::getline(stream, part, ',');) parts.push_back(part);
    return parts;
}

dtype type_named(const std::string& name) {
    for (dtype type : {dtype::f32, dtype::f16, dtype::bf16, dtype::q8_0, dtype::q4_0, dtype::q4_1, dtype::q5_0,
                       dtype::q5_1, dtype::q2_k, dtype::q3_k, dtype::q4_k, dtype::q5_k, dtype::q6_k})
        if (ember::name_of(type) == name) return type;
    return dtype::f32;
}

std::vector<uint8_t> weights_of(dtype type, size_t rows, size_t cols, std::mt19937& rng) {
    std::normal_distribution<float> normal(0.0f, 0.02f);
    std::vector<float> row(cols);
    const size_t row_bytes = ember::row_bytes(type, cols);
    std::vector<uint8_t> bytes(row_bytes * rows);
    for (size_t r = 0; r < rows; ++r) {
        for (float& v : row) v = normal(rng);
        uint8_t* out = bytes.data() + r * row_bytes;
        if (type == dtype::f32) {
            std::memcpy(out, row.data(), 4 * cols);
        } else if (type == dtype::f16 || type == dtype::bf16) {
            for (size_t i = 0; i < cols; ++i) {
                const uint16_t h = type == dtype::f16 ? ember::f32_to_fp16(row[i]) : ember::f32_to_bf16(row[i]);
                std::memcpy(out + 2 * i, &h, 2);
            }
        } else if (!ember::quantize_row(type, row.data(), out, static_cast<int64_t>(cols))) {
            for (size_t i = 0; i < row_bytes; ++i) out[i] = static_cast<uint8_t>(rng());  // no quantizer: noise
        }
    }
    return bytes;
}

// Runs fn repeatedly for about `seconds`; returns (wall, cpu) seconds per call.
template <class Fn>
std::pair<double, double> time_calls(double seconds, const Fn& fn) {
    fn();  // warm up
    int calls = 0;
    const double wall_start = wall_seconds(), cpu_start = process_cpu_seconds();
    do {
        fn();
        ++calls;
    } while (wall_seconds() - wall_start < seconds);
    return {(wall_seconds() - wall_start) / calls, (process_cpu_seconds() - cpu_start) / calls};
}

}  // namespace

int main(int argc, char** argv) {
    std::string types = "f16,bf16,q8_0,q4_0,q5_0,q4_k,q6_k", tokens_list = "1,128";
    size_t rows = 4864, cols = 896, head_dim = 64, context = 4096;
    int threads = 1;
    double seconds = 1.0;
    bool attention = false;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : "";
        if (flag == "--attention") { attention = true; continue; }
        if (flag == "--types") types = value;
        else if (flag == "--rows") rows = std::strtoul(value, nullptr, 10);
        else if (flag == "--cols") cols = std::strtoul(value, nullptr, 10);
        else if (flag == "--tokens") tokens_list = value;
        else if (flag == "--threads") threads = std::atoi(value);
        else if (flag == "--seconds") seconds = std::atof(value);
        else if (flag == "--head-dim") head_dim = std::strtoul(value, nullptr, 10);
        else if (flag == "--context") context = std::strtoul(value, nullptr, 10);
        else return std::fprintf(stderr, "kernel_bench: unknown flag %s\n", flag.c_str()), 1;
        ++i;
    }
    std::mt19937 rng(1);
    ember::thread_pool pool(threads);

    if (attention) {
        // one decode step's attention for one query head over `context` positions
        std::normal_distribution<float> normal(0.0f, 1.0f);
        std::vector<float> query(head_dim), scores(2 * context), out(head_dim);
        std::vector<uint16_t> keys(context * head_dim), values(context * head_dim);
        for (float& q : query) q = normal(rng);
        for (auto& k : keys) k = ember::f32_to_fp16(normal(rng));
        for (auto& v : values) v = ember::f32_to_fp16(normal(rng));
        for (auto rounding : {ember::attention_rounding::f32, ember::attention_rounding::f16_accumulator}) {
            const auto t = time_calls(seconds, [&] {
                ember::attend(query.data(), keys.data(), values.data(), context, head_dim, 0.125f, rounding, scores.data(),
                              out.data());
            });
            const double bytes = 4.0 * double(context * head_dim);
            std::printf("attention (%s) head_dim %zu, %zu positions: %.1f us per head (%.1f GB/s of f16 K+V, cpu %.1f us)\n",
                        rounding == ember::attention_rounding::f32 ? "f32" : "f16 accumulator", head_dim, context,
                        t.first * 1e6, bytes / t.first / 1e9, t.second * 1e6);
        }
        return 0;
    }

    {
        // read bandwidth the way `ember bench` measures it: summing 1 GiB on the pool's threads
        const size_t n = (size_t(1) << 30) / 8, chunks = 256;
        std::vector<uint64_t> buffer(n, 1), sums(chunks);
        double best = 0;
        for (int round = 0; round < 3; ++round) {
            const double start = wall_seconds();
            pool.parallel_for(chunks, [&](size_t c, int) {
                uint64_t a = 0, b = 0, d = 0, e = 0;
                const uint64_t* p = buffer.data() + c * (n / chunks);
                for (size_t i = 0; i + 4 <= n / chunks; i += 4) a += p[i], b += p[i + 1], d += p[i + 2], e += p[i + 3];
                sums[c] = a + b + d + e;
            });
            best = std::max(best, double(n * 8) / (wall_seconds() - start));
        }
        std::printf("read bandwidth (%d threads): %.1f GB/s\n", threads, best / 1e9);
    }
    std::printf("matmul %zu rows x %zu columns, %d thread(s); rates per wall second (per CPU second)\n", rows, cols, threads);
    for (const std::string& name : split(types)) {
        const dtype type = type_named(name);
        if ((type == dtype::f32 && name != "f32") || cols % size_t(ember::traits_of(type).block_size) != 0) {
            std::printf("  %-5s: skipped\n", name.c_str());
            continue;
        }
        const auto bytes = weights_of(type, rows, cols, rng);
        ember::tensor_view weight;
        weight.data = bytes.data();
        weight.type = type;
        weight.shape = {cols, rows, 1, 1};
        for (const std::string& token_text : split(tokens_list)) {
            const size_t n_tokens = std::strtoul(token_text.c_str(), nullptr, 10);
            std::normal_distribution<float> normal(0.0f, 1.0f);
            std::vector<float> x(n_tokens * cols), out(n_tokens * rows);
            for (float& v : x) v = normal(rng);
            ember::matmul_scratch scratch(threads, cols, n_tokens);
            const auto t = time_calls(seconds, [&] {
                ember::matmul(weight, x.data(), n_tokens, out.data(), rows, pool, scratch);
            });
            const double macs = double(rows) * double(cols) * double(n_tokens);
            if (n_tokens == 1) {
                std::printf("  %-5s x 1 token:   %7.1f GB/s of weights (%7.1f per CPU second), %.1f us\n", name.c_str(),
                            double(bytes.size()) / t.first / 1e9, double(bytes.size()) / t.second / 1e9, t.first * 1e6);
                if (ember::detail::can_interleave(type) && rows % ember::detail::interleaved_rows == 0) {
                    std::vector<uint8_t> interleaved(bytes.size());
                    ember::detail::interleave_rows(type, bytes.data(), weight.row_bytes(), static_cast<int64_t>(rows),
                                                   static_cast<int64_t>(cols), interleaved.data());
                    ember::tensor_view copy = weight;
                    copy.data = interleaved.data();
                    copy.interleaved = true;
                    const auto i = time_calls(seconds, [&] {
                        ember::matmul(copy, x.data(), n_tokens, out.data(), rows, pool, scratch);
                    });
                    std::printf("  %-5s   interleaved rows: %7.1f GB/s (%7.1f per CPU second), %.1f us\n", name.c_str(),
                                double(bytes.size()) / i.first / 1e9, double(bytes.size()) / i.second / 1e9, i.first * 1e6);
                }
                if (const auto dot = ember::vec_dot_function_of(type)) {
                    // the public per-row vec_dot, for comparison (one thread)
                    const dtype activation_type = ember::vec_dot_type(type);
                    std::vector<uint8_t> activation(ember::row_bytes(activation_type, cols));
                    (void)ember::quantize_row(activation_type, x.data(), activation.data(), static_cast<int64_t>(cols));
                    const size_t row_bytes = ember::row_bytes(type, cols);
                    const auto r = time_calls(seconds, [&] {
                        for (size_t row = 0; row < rows; ++row)
                            out[row] = dot(bytes.data() + row * row_bytes, activation.data(), static_cast<int64_t>(cols));
                    });
                    std::printf("  %-5s   vec_dot by row: %7.1f GB/s (%7.1f per CPU second), 1 thread\n", name.c_str(),
                                double(bytes.size()) / r.first / 1e9, double(bytes.size()) / r.second / 1e9);
                }
            }
            else
                std::printf("  %-5s x %zu tokens: %7.1f GMAC/s (%7.1f per CPU second), %.2f ms\n", name.c_str(), n_tokens,
                            macs / t.first / 1e9, macs / t.second / 1e9, t.first * 1e3);
        }
    }
    return 0;
}
