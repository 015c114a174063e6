// quant_bench: speed of the quantized kernels against the machine's read
// bandwidth, measured in the same run (shared hardware is noisy: compare the
// ratios, not absolute times).
//
//   build-x/bench/quant_bench [--mb 96] [--threads 2] [--cols 4096]
//
// For each weight type: a GEMV (matrix of `mb` megabytes, larger than the
// last-level cache, times one activation vector quantized to the type's
// 8-bit format) with the SIMD and the scalar dot products, as GB/s of weight
// bytes streamed and as a fraction of the read bandwidth; dequantization
// speed; and quantization speed of the activation formats.

#include <ember/quant/dequantize.hpp>
#include <ember/quant/dot.hpp>
#include <ember/quant/quantize.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using ember::dtype;
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

// Runs body(first_row, last_row) on `threads` threads over `rows` rows.
template <class Body>
void parallel_rows(int threads, int64_t rows, const Body& body) {
    if (threads <= 1) {
        body(int64_t{0}, rows);
        return;
    }
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] { body(rows * t / threads, rows * (t + 1) / threads); });
    for (auto& thread : pool) thread.join();
}

// Best-of-`repeats` wall time of fn().
template <class Fn>
double best_time(int repeats, const Fn& fn) {
    double best = 1e30;
    for (int r = 0; r < repeats; ++r) {
        const auto start = clock_type::now();
        fn();
        best = std::min(best, seconds_since(start));
    }
    return best;
}

// Read bandwidth: summing a buffer much larger than the caches.
double read_bandwidth_gbs(int threads, size_t bytes) {
    std::vector<uint64_t> buffer(bytes / 8);
    for (size_t i = 0; i < buffer.size(); ++i) buffer[i] = i;
    std::atomic<uint64_t> total{0};
    const double time = best_time(5, [&] {
        parallel_rows(threads, static_cast<int64_t>(buffer.size()), [&](int64_t first, int64_t last) {
            uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            int64_t i = first;
            for (; i + 3 < last; i += 4)
                s0 += buffer[static_cast<size_t>(i)], s1 += buffer[static_cast<size_t>(i + 1)],
                    s2 += buffer[static_cast<size_t>(i + 2)], s3 += buffer[static_cast<size_t>(i + 3)];
            for (; i < last; ++i) s0 += buffer[static_cast<size_t>(i)];
            total += s0 + s1 + s2 + s3;  // keeps the sums alive
        });
    });
    if (total == 42) std::printf(" ");
    return static_cast<double>(bytes) / time / 1e9;
}

// Random weight blocks with finite, modest fp16 scales.
std::vector<uint8_t> random_weights(dtype type, int64_t n, std::mt19937& rng) {
    const auto& traits = ember::traits_of(type);
    std::vector<uint8_t> bytes(ember::row_bytes(type, static_cast<uint64_t>(n)));
    for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
        const uint32_t r = rng();
        std::memcpy(&bytes[i], &r, 4);
    }
    const uint16_t half = ember::f32_to_fp16(0.01f);
    auto put_half = [&](size_t offset) { bytes[offset] = static_cast<uint8_t>(half), bytes[offset + 1] = static_cast<uint8_t>(half >> 8); };
    for (size_t o = 0; o < bytes.size(); o += traits.block_bytes) {
        switch (type) {
            case dtype::q4_0: case dtype::q5_0: case dtype::q8_0: put_half(o); break;
            case dtype::q4_1: case dtype::q5_1: case dtype::q4_k: case dtype::q5_k: put_half(o), put_half(o + 2); break;
            case dtype::q2_k: put_half(o + 80), put_half(o + 82); break;
            case dtype::q3_k: put_half(o + 108); break;
            case dtype::q6_k: put_half(o + 208); break;
            default: break;
        }
    }
    return bytes;
}

}  // namespace

int main(int argc, char** argv) {
    double megabytes = 96;
    int threads = 2;
    int64_t cols = 4096;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--mb") megabytes = std::atof(argv[i + 1]);
        else if (flag == "--threads") threads = std::atoi(argv[i + 1]);
        else if (flag == "--cols") cols = std::atoll(argv[i + 1]);
        else {
            std::fprintf(stderr, "usage: quant_bench [--mb MB] [--threads N] [--cols K]\n");
            return 1;
        }
    }
    const size_t buffer_bytes = static_cast<size_t>(megabytes * 1e6);
    std::printf("vec_dot ISA: %s; matrices of %.0f MB, %lld columns\n", ember::vec_dot_isa(), megabytes,
                static_cast<long long>(cols));
    const double bandwidth_1 = read_bandwidth_gbs(1, buffer_bytes * 2);
    const double bandwidth_n = read_bandwidth_gbs(threads, buffer_bytes * 2);
    std::printf("read bandwidth: %.1f GB/s (1 thread), %.1f GB/s (%d threads)\n\n", bandwidth_1, bandwidth_n, threads);

    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(static_cast<size_t>(cols));
    for (float& v : x) v = normal(rng);

    std::printf("%-6s %9s | %-22s | %-22s | %-14s | %s\n", "type", "MB", "GEMV 1 thread GB/s (%bw)",
                "GEMV N threads GB/s (%bw)", "scalar GB/s", "dequantize Gelem/s");
    for (dtype type : {dtype::q8_0, dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1, dtype::q2_k, dtype::q3_k,
                       dtype::q4_k, dtype::q5_k, dtype::q6_k}) {
        const size_t row_bytes = ember::row_bytes(type, static_cast<uint64_t>(cols));
        const int64_t rows = static_cast<int64_t>(buffer_bytes / row_bytes);
        const auto weights = random_weights(type, rows * cols, rng);
        const size_t bytes = weights.size();

        const dtype activation_type = ember::vec_dot_type(type);
        std::vector<uint8_t> activation(ember::row_bytes(activation_type, static_cast<uint64_t>(cols)) + 64);
        if (!ember::quantize_row(activation_type, x.data(), activation.data(), cols)) return 1;
        std::vector<float> y(static_cast<size_t>(rows));

        auto gemv = [&](ember::vec_dot_function dot, int n_threads) {
            parallel_rows(n_threads, rows, [&](int64_t first, int64_t last) {
                for (int64_t r = first; r < last; ++r)
                    y[static_cast<size_t>(r)] = dot(weights.data() + static_cast<size_t>(r) * row_bytes, activation.data(), cols);
            });
        };
        const auto fast = ember::vec_dot_function_of(type);
        const auto scalar = ember::vec_dot_function_scalar_of(type);
        const double time_1 = best_time(5, [&] { gemv(fast, 1); });
        const double time_n = best_time(5, [&] { gemv(fast, threads); });
        const double time_scalar = best_time(2, [&] { gemv(scalar, 1); });

        // dequantize rows into a small (cache-resident) buffer: measures decode speed
        std::vector<float> out(static_cast<size_t>(cols));
        const auto dequantize = ember::dequantize_function_of(type);
        const int64_t dequantize_rows = std::min<int64_t>(rows, 4096);
        const double time_dequantize = best_time(3, [&] {
            for (int64_t r = 0; r < dequantize_rows; ++r)
                dequantize(weights.data() + static_cast<size_t>(r) * row_bytes, out.data(), cols);
        });

        const double gbs_1 = static_cast<double>(bytes) / time_1 / 1e9, gbs_n = static_cast<double>(bytes) / time_n / 1e9;
        std::printf("%-6s %9.1f | %8.1f (%3.0f%%)          | %8.1f (%3.0f%%)          | %8.2f       | %.2f\n",
                    std::string(ember::name_of(type)).c_str(), static_cast<double>(bytes) / 1e6, gbs_1,
                    100 * gbs_1 / bandwidth_1, gbs_n, 100 * gbs_n / bandwidth_n,
                    static_cast<double>(bytes) / time_scalar / 1e9,
                    static_cast<double>(dequantize_rows * cols) / time_dequantize / 1e9);
    }

    // Prefill: 64 tokens against a cache-resident tile of weights, one thread.
    std::printf("\nprefill-style products (64 tokens x 256 rows x %lld columns, 1 thread), GMAC/s:\n",
                static_cast<long long>(cols));
    for (dtype type : {dtype::q8_0, dtype::q4_0, dtype::q4_1, dtype::q5_0, dtype::q5_1, dtype::q2_k, dtype::q3_k,
                       dtype::q4_k, dtype::q5_k, dtype::q6_k}) {
        const int64_t rows = 256, tokens = 64;
        const size_t weight_stride = ember::row_bytes(type, static_cast<uint64_t>(cols));
        const auto weights = random_weights(type, rows * cols, rng);
        const dtype activation_type = ember::vec_dot_type(type);
        const size_t activation_stride = ember::row_bytes(activation_type, static_cast<uint64_t>(cols));
        std::vector<uint8_t> activations(activation_stride * tokens);
        for (int64_t t = 0; t < tokens; ++t)
            if (!ember::quantize_row(activation_type, x.data(), activations.data() + t * activation_stride, cols)) return 1;
        std::vector<float> out(static_cast<size_t>(rows * tokens));
        const auto tile = ember::vec_dot_tile_function_of(type);
        const auto dot = ember::vec_dot_function_of(type);
        const double macs = static_cast<double>(rows * tokens * cols);
        const double time_tile = best_time(5, [&] {
            tile(weights.data(), weight_stride, rows, activations.data(), activation_stride, tokens, cols, out.data(),
                 static_cast<size_t>(rows));
        });
        const double time_rows = best_time(5, [&] {
            for (int64_t r = 0; r < rows; ++r)
                for (int64_t t = 0; t < tokens; ++t)
                    out[static_cast<size_t>(t * rows + r)] =
                        dot(weights.data() + r * weight_stride, activations.data() + t * activation_stride, cols);
        });
        std::printf("  %-5s tile %6.1f   vec_dot per row and token %6.1f\n", std::string(ember::name_of(type)).c_str(),
                    macs / time_tile / 1e9, macs / time_rows / 1e9);
    }

    std::printf("\nactivation quantization (%lld floats):\n", static_cast<long long>(cols));
    for (dtype type : {dtype::q8_0, dtype::q8_1, dtype::q8_k}) {
        std::vector<uint8_t> blocks(ember::row_bytes(type, static_cast<uint64_t>(cols)));
        const auto quantize = ember::quantize_function_of(type);
        const int repeats = 2000;
        const double time = best_time(3, [&] {
            for (int r = 0; r < repeats; ++r) quantize(x.data(), blocks.data(), cols);
        });
        std::printf("  %-5s %.2f Gelem/s (%.2f us per row)\n", std::string(ember::name_of(type)).c_str(),
                    static_cast<double>(cols) * repeats / time / 1e9, time / repeats * 1e6);
    }
    for (dtype type : {dtype::q8_0, dtype::q4_0, dtype::q4_k, dtype::q6_k}) {
        const int64_t n = 1 << 20;
        std::vector<float> values(static_cast<size_t>(n));
        for (float& v : values) v = normal(rng);
        std::vector<uint8_t> blocks(ember::row_bytes(type, static_cast<uint64_t>(n)));
        const double time = best_time(2, [&] { (void)ember::quantize_row(type, values.data(), blocks.data(), n); });
        std::printf("  weight quantization %-5s %.1f Melem/s\n", std::string(ember::name_of(type)).c_str(),
                    static_cast<double>(n) / time / 1e6);
    }
    return 0;
}
