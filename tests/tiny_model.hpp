#pragma once
// Writes small random llama-architecture models with ember's GGUF writer,
// so context tests run without ../shared. Weights are seeded and
// deterministic; the model is untrained (its text would be gibberish).

#include <ember/io/gguf_writer.hpp>

#include <random>
#include <string>

namespace ember_test {

struct tiny_model_shape {
    uint32_t n_vocab = 96, n_embd = 32, n_layer = 2, n_head = 4, n_head_kv = 2, n_ff = 64, n_ctx = 128;
    std::string arch = "llama";  // llama | qwen2 | qwen3
};

inline ember::gguf_writer tiny_model_writer(const tiny_model_shape& shape, uint32_t seed = 7) {
    std::mt19937 random(seed);
    std::normal_distribution<float> normal(0.0f, 0.3f);  // used only to craft test data
    auto values = [&](size_t n, float scale = 1.0f) {
        std::vector<float> out(n);
        for (float& v : out) v = normal(random) * scale;
        return out;
    };
    auto ones = [](size_t n) { return std::vector<float>(n, 1.0f); };
    const uint32_t head_dim = shape.n_embd / shape.n_head, kv = head_dim * shape.n_head_kv;
    const std::string& a = shape.arch;
    ember::gguf_writer writer;
    writer.set("general.architecture", a);
    writer.set(a + ".context_length", shape.n_ctx);
    writer.set(a + ".embedding_length", shape.n_embd);
    writer.set(a + ".block_count", shape.n_layer);
    writer.set(a + ".feed_forward_length", shape.n_ff);
    writer.set(a + ".attention.head_count", shape.n_head);
    writer.set(a + ".attention.head_count_kv", shape.n_head_kv);
    writer.set(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
    writer.set(a + ".rope.freq_base", 10000.0f);
    writer.add_f32_tensor("token_embd.weight", {shape.n_embd, shape.n_vocab}, values(size_t(shape.n_embd) * shape.n_vocab));
    for (uint32_t l = 0; l < shape.n_layer; ++l) {
        const std::string p = "blk." + std::to_string(l) + ".";
        writer.add_f32_tensor(p + "attn_norm.weight", {shape.n_embd}, ones(shape.n_embd));
        writer.add_f32_tensor(p + "attn_q.weight", {shape.n_embd, shape.n_embd}, values(size_t(shape.n_embd) * shape.n_embd, 0.5f));
        writer.add_f32_tensor(p + "attn_k.weight", {shape.n_embd, kv}, values(size_t(shape.n_embd) * kv, 0.5f));
        writer.add_f32_tensor(p + "attn_v.weight", {shape.n_embd, kv}, values(size_t(shape.n_embd) * kv, 0.5f));
        writer.add_f32_tensor(p + "attn_output.weight", {shape.n_embd, shape.n_embd}, values(size_t(shape.n_embd) * shape.n_embd, 0.5f));
        writer.add_f32_tensor(p + "ffn_norm.weight", {shape.n_embd}, ones(shape.n_embd));
        writer.add_f32_tensor(p + "ffn_gate.weight", {shape.n_embd, shape.n_ff}, values(size_t(shape.n_embd) * shape.n_ff, 0.5f));
        writer.add_f32_tensor(p + "ffn_up.weight", {shape.n_embd, shape.n_ff}, values(size_t(shape.n_embd) * shape.n_ff, 0.5f));
        writer.add_f32_tensor(p + "ffn_down.weight", {shape.n_ff, shape.n_embd}, values(size_t(shape.n_ff) * shape.n_embd, 0.5f));
    }
    writer.add_f32_tensor("output_norm.weight", {shape.n_embd}, ones(shape.n_embd));
    return writer;
}

}  // namespace ember_test
