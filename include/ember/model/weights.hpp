#pragma once
// The weights of a model: views into the mapped GGUF file, found by their
// GGUF names and checked against the config's shapes. Absent optional
// tensors are empty views; the forward pass branches on them (QKV bias,
// Q/K norm, ...), which is how one decoder serves several architectures.

#include "ember/core/tensor_view.hpp"
#include "ember/error.hpp"
#include "ember/io/gguf.hpp"
#include "ember/model/model_config.hpp"
#include "ember/quant/dequantize.hpp"

#include <string>
#include <vector>

namespace ember {

// Shapes below are in ggml order: (row length, rows).
struct layer_weights {
    tensor_view attn_norm, attn_norm_bias;            // (n_embd): pre-attention norm
    tensor_view attn_q, attn_k, attn_v;               // (n_embd, q_width) / (n_embd, kv_width)
    tensor_view attn_q_bias, attn_k_bias, attn_v_bias;
    tensor_view attn_qkv, attn_qkv_bias;              // gpt2: fused (n_embd, q_width + 2 kv_width)
    tensor_view attn_q_norm, attn_k_norm;             // (head_dim): qwen3 per-head RMSNorm
    tensor_view attn_output, attn_output_bias;        // (q_width, n_embd)
    tensor_view attn_output_norm, attn_output_norm_bias;  // bert: post-attention norm
    tensor_view ffn_norm, ffn_norm_bias;              // (n_embd): pre-FFN norm
    tensor_view ffn_gate;                             // (n_embd, n_ff): SwiGLU gate
    tensor_view ffn_up, ffn_up_bias;                  // (n_embd, n_ff)
    tensor_view ffn_down, ffn_down_bias;              // (n_ff, n_embd)
    tensor_view layer_output_norm, layer_output_norm_bias;  // bert: post-FFN norm
};

struct model_weights {
    tensor_view token_embedding;                      // (n_embd, n_vocab)
    tensor_view position_embedding;                   // (n_embd, n_positions): gpt2, bert
    tensor_view token_types;                          // (n_embd, n_types): bert
    tensor_view embedding_norm, embedding_norm_bias;  // (n_embd): bert
    std::vector<layer_weights> layers;
    tensor_view output_norm, output_norm_bias;        // (n_embd)
    tensor_view output;                               // (n_embd, n_vocab); = token_embedding when tied
    tensor_view rope_freqs;                           // (rope_dim / 2): Llama 3.1+ frequency factors
    tensor_view classifier, classifier_bias;          // (n_embd, n_embd): bert `cls` dense + tanh
    tensor_view classifier_output, classifier_output_bias;  // (n_embd, n_labels)

    bool tied_output = false;
};

namespace detail {

// Looks tensors up by name and checks their shapes; the first problem is
// kept and reported with the tensor's name, expected and actual shape.
class weight_binder {
public:
    weight_binder(const gguf_file& file) : file_(file) {}

    tensor_view required(const std::string& name, std::initializer_list<uint64_t> shape) {
        tensor_view view = optional(name, shape);
        if (!view && !failed_) fail(errc::invalid_file, "missing tensor '" + name + "'");
        return view;
    }

    tensor_view optional(const std::string& name, std::initializer_list<uint64_t> shape) {
        const gguf_tensor* tensor = file_.find_tensor(name);
        if (!tensor || failed_) return {};
        std::vector<uint64_t> expected(shape);
        bool matches = tensor->n_dims <= expected.size();
        for (size_t d = 0; d < expected.size() && matches; ++d) matches = tensor->shape[d] == expected[d];
        for (size_t d = expected.size(); d < 4 && matches; ++d) matches = tensor->shape[d] == 1;
        if (!matches) {
            fail(errc::invalid_file, "tensor '" + name + "' has shape " + describe(tensor->shape, tensor->n_dims) +
                                         ", expected " + describe_list(expected));
            return {};
        }
        if (!can_dequantize(tensor->type)) {
            fail(errc::unsupported, "tensor '" + name + "' has unsupported type " + std::string(name_of(tensor->type)));
            return {};
        }
        return tensor_view{tensor->data, tensor->type, tensor->shape};
    }

    // Norm weights and biases are read directly as floats: they must be f32.
    tensor_view required_f32(const std::string& name, uint64_t length) { return check_f32(name, required(name, {length})); }
    tensor_view optional_f32(const std::string& name, uint64_t length) { return check_f32(name, optional(name, {length})); }

    bool failed() const { return failed_; }
    const error& failure() const { return failure_; }

private:
    tensor_view check_f32(const std::string& name, tensor_view view) {
        if (view && view.type != dtype::f32) {
            fail(errc::unsupported, "tensor '" + name + "' must be f32, found " + std::string(name_of(view.type)));
            return {};
        }
        return view;
    }
    static std::string describe(const std::array<uint64_t, 4>& shape, uint32_t n_dims) {
        return describe_list(std::vector<uint64_t>(shape.begin(), shape.begin() + n_dims));
    }
    static std::string describe_list(const std::vector<uint64_t>& dims) {
        std::string out;
        for (size_t d = 0; d < dims.size(); ++d) out += (d ? " x " : "") + std::to_string(dims[d]);
        return out;
    }
    void fail(errc code, const std::string& message) {
        if (failed_) return;
        failed_ = true;
        failure_ = make_error(code, file_.source_name() + ": " + message);
    }

    const gguf_file& file_;
    bool failed_ = false;
    error failure_{errc::invalid_file, {}};
};

}  // namespace detail

// Binds every tensor the architecture uses (gemma.cpp style: one function,
// the architecture's differences spelled out as which tensors exist).
inline result<model_weights> bind_weights(const gguf_file& file, const model_config& config) {
    detail::weight_binder bind(file);
    model_weights weights;
    const uint64_t embd = config.n_embd, ff = config.n_ff, vocab = config.n_vocab;
    const uint64_t q_width = config.q_width(), kv_width = config.kv_width();
    const bool decoder_family = config.arch == architecture::llama || config.arch == architecture::qwen2 ||
                                config.arch == architecture::qwen3;

    weights.token_embedding = bind.required("token_embd.weight", {embd, vocab});
    if (config.arch == architecture::gpt2 || config.arch == architecture::bert) {
        const gguf_tensor* positions = file.find_tensor("position_embd.weight");
        weights.position_embedding = bind.required("position_embd.weight", {embd, positions ? positions->shape[1] : 0});
    }
    if (config.arch == architecture::bert) {
        const gguf_tensor* types = file.find_tensor("token_types.weight");
        weights.token_types = bind.optional("token_types.weight", {embd, types ? types->shape[1] : 0});
        weights.embedding_norm = bind.required_f32("token_embd_norm.weight", embd);
        weights.embedding_norm_bias = bind.required_f32("token_embd_norm.bias", embd);
    }
    if (config.rope != rope_style::none) weights.rope_freqs = bind.optional_f32("rope_freqs.weight", config.rope_dim / 2);

    for (uint32_t i = 0; i < config.n_layer && !bind.failed(); ++i) {
        const std::string p = "blk." + std::to_string(i) + ".";
        layer_weights layer;
        if (config.arch == architecture::gpt2) {
            layer.attn_qkv = bind.required(p + "attn_qkv.weight", {embd, q_width + 2 * kv_width});
            layer.attn_qkv_bias = bind.required_f32(p + "attn_qkv.bias", q_width + 2 * kv_width);
        } else {
            layer.attn_q = bind.required(p + "attn_q.weight", {embd, q_width});
            layer.attn_k = bind.required(p + "attn_k.weight", {embd, kv_width});
            layer.attn_v = bind.required(p + "attn_v.weight", {embd, kv_width});
            layer.attn_q_bias = bind.optional_f32(p + "attn_q.bias", q_width);
            layer.attn_k_bias = bind.optional_f32(p + "attn_k.bias", kv_width);
            layer.attn_v_bias = bind.optional_f32(p + "attn_v.bias", kv_width);
        }
        layer.attn_output = bind.required(p + "attn_output.weight", {q_width, embd});
        layer.attn_output_bias = bind.optional_f32(p + "attn_output.bias", embd);
        layer.ffn_up = bind.required(p + "ffn_up.weight", {embd, ff});
        layer.ffn_up_bias = bind.optional_f32(p + "ffn_up.bias", ff);
        layer.ffn_down = bind.required(p + "ffn_down.weight", {ff, embd});
        layer.ffn_down_bias = bind.optional_f32(p + "ffn_down.bias", embd);
        if (decoder_family) {
            layer.attn_norm = bind.required_f32(p + "attn_norm.weight", embd);
            layer.ffn_norm = bind.required_f32(p + "ffn_norm.weight", embd);
            layer.ffn_gate = bind.required(p + "ffn_gate.weight", {embd, ff});
            if (config.arch == architecture::qwen3) {
                layer.attn_q_norm = bind.required_f32(p + "attn_q_norm.weight", config.head_dim);
                layer.attn_k_norm = bind.required_f32(p + "attn_k_norm.weight", config.head_dim);
            }
        } else if (config.arch == architecture::gpt2) {
            layer.attn_norm = bind.required_f32(p + "attn_norm.weight", embd);
            layer.attn_norm_bias = bind.required_f32(p + "attn_norm.bias", embd);
            layer.ffn_norm = bind.required_f32(p + "ffn_norm.weight", embd);
            layer.ffn_norm_bias = bind.required_f32(p + "ffn_norm.bias", embd);
        } else {  // bert: post-norm
            layer.attn_output_norm = bind.required_f32(p + "attn_output_norm.weight", embd);
            layer.attn_output_norm_bias = bind.required_f32(p + "attn_output_norm.bias", embd);
            layer.layer_output_norm = bind.required_f32(p + "layer_output_norm.weight", embd);
            layer.layer_output_norm_bias = bind.required_f32(p + "layer_output_norm.bias", embd);
        }
        weights.layers.push_back(layer);
    }

    if (config.arch != architecture::bert) {
        weights.output_norm = bind.required_f32("output_norm.weight", embd);
        weights.output_norm_bias = bind.optional_f32("output_norm.bias", embd);
        weights.output = bind.optional("output.weight", {embd, vocab});
        if (!file.find_tensor("output.weight")) {
            weights.output = weights.token_embedding;
            weights.tied_output = true;
        }
    }
    // Sequence-classification heads (BERT `cls` dense + tanh; any `cls.output`).
    const size_t n_labels = config.class_labels.size();
    if (file.find_tensor("cls.output.weight")) {
        weights.classifier = bind.optional("cls.weight", {embd, embd});
        weights.classifier_bias = bind.optional_f32("cls.bias", embd);
        const gguf_tensor* head = file.find_tensor("cls.output.weight");
        const uint64_t outputs = n_labels ? n_labels : head->shape[1];
        weights.classifier_output = bind.required("cls.output.weight", {embd, outputs});
        weights.classifier_output_bias = bind.optional_f32("cls.output.bias", outputs);
    }
    if (bind.failed()) return bind.failure();

    // A block_count larger than the tensors present is caught above as a
    // missing tensor; a smaller one leaves unused layers, which is a broken file.
    if (file.find_tensor("blk." + std::to_string(config.n_layer) + ".ffn_down.weight"))
        return make_error(errc::invalid_file, file.source_name() + ": block_count " + std::to_string(config.n_layer) +
                                                  " is smaller than the layers present");
    return weights;
}

}  // namespace ember
