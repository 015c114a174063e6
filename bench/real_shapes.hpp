#pragma once
// Models of real shapes with random weights, written in a chosen weight
// type — what llama.cpp's speed table was measured on — so anyone can
// reproduce ember's numbers without downloading a model.

#include <ember/io/gguf_writer.hpp>
#include <ember/quant/quantize.hpp>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace ember_bench {

struct real_shape {
    const char* name;
    const char* arch;  // llama | qwen2 | qwen3
    uint32_t n_vocab, n_embd, n_layer, n_head, n_head_kv, head_dim, n_ff;
    float rope_theta;
};

inline const real_shape real_shapes[] = {
    {"qwen2.5-0.5b", "qwen2", 151936, 896, 24, 14, 2, 64, 4864, 1000000.0f},
    {"qwen3-0.6b", "qwen3", 151936, 1024, 28, 16, 8, 128, 3072, 1000000.0f},
    {"llama3.2-1b", "llama", 128256, 2048, 16, 32, 8, 64, 8192, 500000.0f},
};

inline const real_shape* find_shape(const std::string& name) {
    for (const auto& shape : real_shapes)
        if (name == shape.name) return &shape;
    return nullptr;
}

// Deterministic uniform noise in [-scale, scale] (xorshift64*: fast, and the
// weights only need to be non-degenerate).
class noise {
public:
    explicit noise(uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
    float next(float scale) {
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        const uint64_t x = state_ * 0x2545F4914F6CDD1Dull;
        return (static_cast<float>(x >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * scale;
    }

private:
    uint64_t state_;
};

// The type of each tensor for a file type, following llama-quantize's
// rules (llama_tensor_get_type, no importance matrix): Q4_K_M keeps attn_v /
// ffn_down of some layers in Q6_K; the output (or the token embedding that
// doubles as it) is Q6_K unless the file is Q8_0; and a k-quant tensor whose
// rows are not a multiple of 256 falls back (Q4_K -> Q5_0, Q6_K -> Q8_0),
// as Qwen2.5-0.5B's 896-column tensors do.
inline ember::dtype tensor_type(const std::string& file_type, const std::string& role, uint32_t layer, uint32_t n_layer,
                                uint64_t columns) {
    using ember::dtype;
    if (file_type == "f16") return dtype::f16;
    if (file_type == "bf16") return dtype::bf16;
    if (file_type == "f32") return dtype::f32;
    const dtype base = file_type == "q8_0" ? dtype::q8_0 : file_type == "q4_0" ? dtype::q4_0 : dtype::q4_k;
    dtype type = base;
    if (role == "output") {
        if (columns % ember::traits_of(base).block_size != 0) type = dtype::q8_0;
        else if (base != dtype::q8_0) type = dtype::q6_k;
    } else if (file_type == "q4_k_m" && (role == "attn_v" || role == "ffn_down")) {
        const bool more_bits = layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
        if (more_bits) type = dtype::q6_k;
    }
    if (columns % ember::traits_of(type).block_size != 0) {
        if (type == dtype::q4_k) type = dtype::q5_0;
        else if (type == dtype::q6_k) type = dtype::q8_0;
    }
    return type;
}

inline bool known_file_type(const std::string& type) {
    return type == "f32" || type == "f16" || type == "bf16" || type == "q8_0" || type == "q4_0" || type == "q4_k_m";
}

inline void quantize_one_row(ember::dtype type, const float* row, uint64_t columns, uint8_t* destination) {
    if (type == ember::dtype::f32) {
        std::memcpy(destination, row, columns * 4);
    } else if (type == ember::dtype::f16 || type == ember::dtype::bf16) {
        for (uint64_t i = 0; i < columns; ++i) {
            const uint16_t half = type == ember::dtype::f16 ? ember::f32_to_fp16(row[i]) : ember::f32_to_bf16(row[i]);
            std::memcpy(destination + 2 * i, &half, 2);
        }
    } else {
        (void)ember::quantize_row(type, row, destination, static_cast<int64_t>(columns));
    }
}

// Rows are drawn from one noise stream in order (a file's bytes do not
// depend on the thread count), a batch at a time, and quantized on all
// cores: Q4_K's least-squares search makes a 1B model take minutes on one.
inline std::vector<uint8_t> random_tensor(ember::dtype type, uint64_t columns, uint64_t rows, noise& random, float scale) {
    const size_t row_bytes = ember::row_bytes(type, columns);
    std::vector<uint8_t> out(row_bytes * rows);
    const uint64_t batch = 4096;
    std::vector<float> values(columns * std::min(rows, batch));
    const unsigned threads = std::max(1u, std::min(8u, std::thread::hardware_concurrency()));
    for (uint64_t first = 0; first < rows; first += batch) {
        const uint64_t count = std::min(batch, rows - first);
        for (uint64_t i = 0; i < count * columns; ++i) values[i] = random.next(scale);
        std::atomic<uint64_t> next_row{0};
        auto work = [&] {
            for (uint64_t r = next_row++; r < count; r = next_row++)
                quantize_one_row(type, values.data() + r * columns, columns, out.data() + (first + r) * row_bytes);
        };
        std::vector<std::thread> pool;
        for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
        work();
        for (auto& thread : pool) thread.join();
    }
    return out;
}

// A GGUF writer holding the whole model (weights ~ N(0, 0.02²)-sized noise).
inline ember::gguf_writer make_model(const real_shape& shape, const std::string& file_type, uint64_t seed = 1) {
    noise random(seed);
    ember::gguf_writer writer;
    const std::string a = shape.arch;
    writer.set("general.architecture", a);
    writer.set("general.name", std::string(shape.name) + "-random-" + file_type);
    writer.set(a + ".context_length", uint32_t{32768});
    writer.set(a + ".embedding_length", shape.n_embd);
    writer.set(a + ".block_count", shape.n_layer);
    writer.set(a + ".feed_forward_length", shape.n_ff);
    writer.set(a + ".attention.head_count", shape.n_head);
    writer.set(a + ".attention.head_count_kv", shape.n_head_kv);
    writer.set(a + ".attention.key_length", shape.head_dim);
    writer.set(a + ".attention.value_length", shape.head_dim);
    writer.set(a + ".rope.dimension_count", shape.head_dim);
    writer.set(a + ".rope.freq_base", shape.rope_theta);
    writer.set(a + ".attention.layer_norm_rms_epsilon", 1e-6f);

    const float scale = 0.035f;  // uniform ±0.035 has std 0.02
    auto matrix = [&](const std::string& name, const std::string& role, uint32_t layer, uint64_t columns, uint64_t rows) {
        const ember::dtype type = tensor_type(file_type, role, layer, shape.n_layer, columns);
        writer.add_tensor(name, type, {columns, rows}, random_tensor(type, columns, rows, random, scale));
    };
    auto vector = [&](const std::string& name, uint64_t length, float value) {
        writer.add_f32_tensor(name, {length}, std::vector<float>(length, value));
    };
    const uint64_t q_width = uint64_t(shape.n_head) * shape.head_dim, kv_width = uint64_t(shape.n_head_kv) * shape.head_dim;
    // Tied output (all three real models tie): token_embd is read as the output projection.
    matrix("token_embd.weight", "output", 0, shape.n_embd, shape.n_vocab);
    if (a == "llama") vector("rope_freqs.weight", shape.head_dim / 2, 1.0f);
    for (uint32_t l = 0; l < shape.n_layer; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        vector(p + "attn_norm.weight", shape.n_embd, 1.0f);
        matrix(p + "attn_q.weight", "attn_q", l, shape.n_embd, q_width);
        matrix(p + "attn_k.weight", "attn_k", l, shape.n_embd, kv_width);
        matrix(p + "attn_v.weight", "attn_v", l, shape.n_embd, kv_width);
        if (a == "qwen2") {
            vector(p + "attn_q.bias", q_width, 0.01f);
            vector(p + "attn_k.bias", kv_width, 0.01f);
            vector(p + "attn_v.bias", kv_width, 0.01f);
        }
        if (a == "qwen3") {
            vector(p + "attn_q_norm.weight", shape.head_dim, 1.0f);
            vector(p + "attn_k_norm.weight", shape.head_dim, 1.0f);
        }
        matrix(p + "attn_output.weight", "attn_output", l, q_width, shape.n_embd);
        vector(p + "ffn_norm.weight", shape.n_embd, 1.0f);
        matrix(p + "ffn_gate.weight", "ffn_gate", l, shape.n_embd, shape.n_ff);
        matrix(p + "ffn_up.weight", "ffn_up", l, shape.n_embd, shape.n_ff);
        matrix(p + "ffn_down.weight", "ffn_down", l, shape.n_ff, shape.n_embd);
    }
    vector("output_norm.weight", shape.n_embd, 1.0f);
    return writer;
}

}  // namespace ember_bench
