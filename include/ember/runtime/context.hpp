#pragma once
// A context runs a model: it owns the KV cache, the scratch buffers and the
// thread pool, all allocated once at creation, so evaluating tokens
// allocates nothing. One context is used by one thread at a time; any
// number of contexts may share one model.
//
//   auto context = ember::context::create(model, {.n_ctx = 2048, .n_threads = 2});
//   EMBER_TRY(context->evaluate(tokens));            // prefill
//   const float* logits = context->logits();          // last position
//   EMBER_TRY(context->evaluate({next_token}));       // decode one token

#include "ember/core/thread_pool.hpp"
#include "ember/error.hpp"
#include "ember/kernels/activation.hpp"
#include "ember/kernels/attention.hpp"
#include "ember/kernels/attention_tiled.hpp"
#include "ember/kernels/matmul.hpp"
#include "ember/kernels/norm.hpp"
#include "ember/kernels/rope.hpp"
#include "ember/model/model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

namespace ember {

struct context_params {
    uint32_t n_ctx = 0;     // KV cache length; 0: the model's training context, at most 4096
    int n_threads = 1;      // 1 starts no threads
    uint32_t n_batch = 0;   // tokens per forward step; 0: min(n_ctx, 512). Encoders: n_ctx.
};

// Which positions of an evaluate() call produce logits.
enum class logits_for { last, all, none };

class context {
public:
    static result<std::unique_ptr<context>> create(std::shared_ptr<const model> model, context_params params = {});

    // Appends tokens to the sequence: runs them through the model in chunks
    // of n_batch, storing keys and values in the cache. Errors (leaving the
    // context unchanged): an id outside the vocabulary, or no room left.
    result<void> evaluate(const std::vector<int32_t>& tokens, logits_for which = logits_for::last) {
        return evaluate(tokens.data(), tokens.size(), which);
    }
    result<void> evaluate(const int32_t* tokens, size_t n_tokens, logits_for which = logits_for::last);

    // Logits of the last evaluated position, or of position i of the last
    // evaluate() call when it asked for all positions.
    const float* logits() const { return logits_.data() + (n_logit_rows_ ? (n_logit_rows_ - 1) * n_vocab() : 0); }
    const float* logits(size_t i) const { return logits_.data() + i * n_vocab(); }
    size_t n_logit_rows() const { return n_logit_rows_; }

    // Final hidden states (after the output norm; for encoders, the last
    // layer's output) of the positions in the last evaluate() call.
    const float* hidden(size_t i) const { return hidden_.data() + i * model_->config().n_embd; }
    size_t n_hidden_rows() const { return n_hidden_rows_; }

    size_t n_past() const { return n_past_; }
    // Tokens run through the model since the context was created (every
    // evaluate(), including positions later truncated and re-evaluated):
    // what a cache reuse saves shows here.
    size_t n_evaluated() const { return n_evaluated_; }
    size_t n_ctx() const { return n_ctx_; }
    size_t n_vocab() const { return model_->config().n_vocab; }
    const ember::model& model() const { return *model_; }
    const std::shared_ptr<const ember::model>& shared_model() const { return model_; }

    void reset() { n_past_ = 0; }
    // Keep the first n positions (e.g. a shared chat prefix); drop the rest.
    result<void> truncate(size_t n) {
        if (n > n_past_)
            return make_error(errc::out_of_range, "truncate to " + std::to_string(n) + " positions, but only " +
                                                      std::to_string(n_past_) + " are evaluated");
        n_past_ = n;
        return {};
    }

private:
    context(std::shared_ptr<const ember::model> model, size_t n_ctx, size_t n_batch, int n_threads);
    result<void> forward(const int32_t* tokens, size_t n, logits_for which);
    void embed(const int32_t* tokens, size_t n);
    void attention_block(const layer_weights& layer, size_t layer_index, size_t n);
    void feed_forward_block(const layer_weights& layer, size_t n);
    void normalize(const float* in, float* out, size_t n, const tensor_view& weight, const tensor_view& bias);
    void project(const tensor_view& weight, const tensor_view& bias, const float* in, size_t n, float* out, size_t stride);
    uint16_t* key_cache(size_t layer, size_t kv_head) {
        return k_cache_.data() + ((layer * model_->config().n_head_kv + kv_head) * n_ctx_) * model_->config().head_dim;
    }
    uint16_t* value_cache(size_t layer, size_t kv_head) {
        return v_cache_.data() + ((layer * model_->config().n_head_kv + kv_head) * n_ctx_) * model_->config().head_dim;
    }

    std::shared_ptr<const ember::model> model_;
    size_t n_ctx_, n_batch_;
    size_t n_past_ = 0;
    size_t n_evaluated_ = 0;
    thread_pool pool_;
    matmul_scratch matmul_scratch_;

    // KV cache in f16, laid out [layer][kv_head][position][head_dim] so
    // attention streams each head's keys and values contiguously. f16 halves
    // its memory and reads, and is what the reference (llama.cpp's default
    // cache type) stores: keeping it makes ember's logits agree with it.
    std::vector<uint16_t> k_cache_, v_cache_;
    // Scratch for one batch of n_batch tokens (row per token).
    std::vector<float> x_, normed_, q_, k_, v_, attended_, ffn_gate_, ffn_up_;
    size_t attention_scratch_floats() const {
        const model_config& config = model_->config();
        const size_t heads_per_kv_head = std::max<size_t>(1, config.n_head / std::max<size_t>(1, config.n_head_kv));
        return std::max(std::max<size_t>(2, heads_per_kv_head) * n_ctx_, attend_tiled_scratch_floats(config.head_dim));
    }
    // per thread: attend's (2 · n_ctx floats), attend_shared_kv's (a float per
    // head and position) or attend_tiled's scratch
    std::vector<float> scores_;
    std::vector<float> rope_table_;  // per batch position: rope_dim cos/sin values
    std::vector<float> hidden_, logits_;
    size_t n_hidden_rows_ = 0, n_logit_rows_ = 0;
};

// ---------------------------------------------------------------------------

// The attention kernel the reference (ggml's CPU flash attention, on the
// AVX-512 machine the goldens come from) uses for a batch of n queries, as
// its roundings are visible in the logits (tests/README.md):
//  - its tiled kernel (attend_tiled) for batches of 64 or more when head_dim
//    is a multiple of 16 (the f32 vector width);
//  - its split-KV decode kernel, all f32, for a single query over 512 or more
//    keys (it counts the cache's padded length; ember counts visible keys);
//  - its per-row kernel, with the f16 accumulator, for everything else.
inline bool reference_uses_tiled_attention(size_t n_queries, size_t head_dim) {
    return n_queries >= attention_tile && head_dim % 16 == 0;
}
inline attention_rounding reference_attention_rounding(size_t n_queries, size_t visible) {
    return n_queries == 1 && visible >= 512 ? attention_rounding::f32 : attention_rounding::f16_accumulator;
}

inline result<std::unique_ptr<context>> context::create(std::shared_ptr<const ember::model> model, context_params params) {
    if (!model) return make_error(errc::invalid_argument, "context: no model");
    const model_config& config = model->config();
    size_t n_ctx = params.n_ctx ? params.n_ctx : std::min<uint32_t>(config.n_ctx_train, 4096);
    if (n_ctx == 0) return make_error(errc::invalid_argument, "context: n_ctx is zero");
    const tensor_view& positions = model->weights().position_embedding;
    if (positions && n_ctx > positions.rows())
        return make_error(errc::invalid_argument, "context: n_ctx " + std::to_string(n_ctx) +
                                                      " exceeds the model's learned positions (" +
                                                      std::to_string(positions.rows()) + ")");
    size_t n_batch = params.n_batch ? params.n_batch : std::min<size_t>(n_ctx, 512);
    if (!config.causal) n_batch = n_ctx;  // an encoder sees its whole input at once
    n_batch = std::min(n_batch, n_ctx);
    if (params.n_threads < 1 || params.n_threads > 512)
        return make_error(errc::invalid_argument, "context: n_threads must be 1..512");
    return std::unique_ptr<context>(new context(std::move(model), n_ctx, n_batch, params.n_threads));
}

inline context::context(std::shared_ptr<const ember::model> model, size_t n_ctx, size_t n_batch, int n_threads)
    : model_(std::move(model)), n_ctx_(n_ctx), n_batch_(n_batch), pool_(n_threads) {
    const model_config& c = model_->config();
    const size_t widest_input = std::max<size_t>({c.n_embd, c.n_ff, c.q_width()});
    matmul_scratch_ = matmul_scratch(n_threads, widest_input, n_batch);
    const size_t cache = static_cast<size_t>(c.n_layer) * c.n_head_kv * n_ctx * c.head_dim;
    k_cache_.assign(cache, 0);
    v_cache_.assign(cache, 0);
    x_.assign(n_batch * c.n_embd, 0.0f);
    normed_.assign(n_batch * std::max(c.n_embd, c.q_width()), 0.0f);
    q_.assign(n_batch * c.q_width(), 0.0f);
    k_.assign(n_batch * c.kv_width(), 0.0f);
    v_.assign(n_batch * c.kv_width(), 0.0f);
    attended_.assign(n_batch * c.q_width(), 0.0f);
    ffn_gate_.assign(n_batch * c.n_ff, 0.0f);
    // ffn_up_ also holds gpt2's fused q|k|v projection
    ffn_up_.assign(n_batch * std::max<size_t>(c.n_ff, c.q_width() + 2 * c.kv_width()), 0.0f);
    scores_.assign(static_cast<size_t>(n_threads) * attention_scratch_floats(), 0.0f);
    rope_table_.assign(n_batch * c.rope_dim, 0.0f);
    hidden_.assign(n_batch * c.n_embd, 0.0f);
    logits_.assign(c.n_vocab, 0.0f);  // one row; grown only when all positions are asked for
}

inline result<void> context::evaluate(const int32_t* tokens, size_t n_tokens, logits_for which) {
    const model_config& config = model_->config();
    if (n_tokens == 0) return make_error(errc::invalid_argument, "evaluate: no tokens");
    for (size_t i = 0; i < n_tokens; ++i)
        if (tokens[i] < 0 || static_cast<uint32_t>(tokens[i]) >= config.n_vocab)
            return make_error(errc::out_of_range, "evaluate: token id " + std::to_string(tokens[i]) +
                                                      " is outside the vocabulary (" + std::to_string(config.n_vocab) + ")");
    if (n_tokens > n_ctx_ - n_past_)
        return make_error(errc::context_full, "context full: " + std::to_string(n_past_) + " + " +
                                                  std::to_string(n_tokens) + " tokens exceed n_ctx " + std::to_string(n_ctx_));
    if (!config.causal && (n_past_ != 0 || n_tokens > n_batch_))
        return make_error(errc::invalid_argument, "evaluate: an encoder takes its whole input in one call");

    if (which == logits_for::all && logits_.size() < n_tokens * config.n_vocab)
        logits_.resize(n_tokens * config.n_vocab);  // output storage the caller asked for, not scratch
    n_logit_rows_ = 0;
    for (size_t done = 0; done < n_tokens; done += n_batch_) {
        const size_t n = std::min(n_batch_, n_tokens - done);
        const bool final_chunk = done + n == n_tokens;
        const logits_for chunk_logits = which == logits_for::all ? logits_for::all
                                        : (final_chunk ? which : logits_for::none);
        EMBER_TRY(forward(tokens + done, n, chunk_logits));
    }
    return {};
}

// One batch of n tokens at positions n_past_ .. n_past_ + n - 1, top to bottom.
inline result<void> context::forward(const int32_t* tokens, size_t n, logits_for which) {
    const model_config& config = model_->config();
    const model_weights& weights = model_->weights();
    const size_t embd = config.n_embd;

    embed(tokens, n);
    if (config.rope != rope_style::none)
        for (size_t t = 0; t < n; ++t)
            rope_angles(static_cast<int64_t>(n_past_ + t), config, weights.rope_freqs ? weights.rope_freqs.floats() : nullptr,
                        rope_table_.data() + t * config.rope_dim);

    for (size_t l = 0; l < weights.layers.size(); ++l) {
        attention_block(weights.layers[l], l, n);
        feed_forward_block(weights.layers[l], n);
    }
    n_past_ += n;
    n_evaluated_ += n;

    // Final norm (decoders) → hidden states; the output projection → logits.
    if (weights.output_norm) normalize(x_.data(), hidden_.data(), n, weights.output_norm, weights.output_norm_bias);
    else std::copy(x_.begin(), x_.begin() + static_cast<std::ptrdiff_t>(n * embd), hidden_.begin());
    n_hidden_rows_ = n;

    if (which == logits_for::none || !weights.output) return {};
    const size_t first = which == logits_for::all ? 0 : n - 1;
    float* destination = logits_.data() + (which == logits_for::all ? n_logit_rows_ * n_vocab() : 0);
    matmul(weights.output, hidden_.data() + first * embd, n - first, destination, n_vocab(), pool_, matmul_scratch_);
    n_logit_rows_ = which == logits_for::all ? n_logit_rows_ + n : 1;
    return {};
}

// x = token embedding (+ learned position, + token type; bert: then LayerNorm).
inline void context::embed(const int32_t* tokens, size_t n) {
    const model_config& config = model_->config();
    const model_weights& weights = model_->weights();
    const size_t embd = config.n_embd;
    const dequantize_function dequantize = dequantize_function_of(weights.token_embedding.type);
    for (size_t t = 0; t < n; ++t) {
        float* row = x_.data() + t * embd;
        const tensor_view& table = weights.token_embedding;
        if (table.interleaved)
            detail::dequantize_interleaved_row(table.type, table.data, table.row_bytes(), tokens[t], static_cast<int64_t>(embd), row);
        else
            dequantize(table.row(static_cast<uint64_t>(tokens[t])), row, static_cast<int64_t>(embd));
        if (weights.position_embedding) {
            const float* position = weights.position_embedding.floats() + (n_past_ + t) * embd;
            for (size_t i = 0; i < embd; ++i) row[i] += position[i];
        }
        if (weights.token_types) {  // every token is segment 0
            const float* type = weights.token_types.floats();
            for (size_t i = 0; i < embd; ++i) row[i] += type[i];
        }
        if (weights.embedding_norm)
            layer_norm(row, weights.embedding_norm.floats(), weights.embedding_norm_bias.floats(), config.norm_eps, embd, row);
    }
}

inline void context::normalize(const float* in, float* out, size_t n, const tensor_view& weight, const tensor_view& bias) {
    const model_config& config = model_->config();
    const size_t embd = config.n_embd;
    for (size_t t = 0; t < n; ++t) {
        if (config.norm == norm_kind::rms) rms_norm(in + t * embd, weight.floats(), config.norm_eps, embd, out + t * embd);
        else layer_norm(in + t * embd, weight.floats(), bias ? bias.floats() : nullptr, config.norm_eps, embd, out + t * embd);
    }
}

inline void context::project(const tensor_view& weight, const tensor_view& bias, const float* in, size_t n, float* out,
                             size_t stride) {
    matmul(weight, in, n, out, stride, pool_, matmul_scratch_);
    if (bias) add_bias(out, n, weight.rows(), stride, bias.floats());
}

inline void context::attention_block(const layer_weights& layer, size_t layer_index, size_t n) {
    const model_config& config = model_->config();
    const size_t embd = config.n_embd, head_dim = config.head_dim;
    const size_t q_width = config.q_width(), kv_width = config.kv_width();

    const float* input = x_.data();
    if (layer.attn_norm) {
        normalize(x_.data(), normed_.data(), n, layer.attn_norm, layer.attn_norm_bias);
        input = normed_.data();
    }
    if (layer.attn_qkv) {  // gpt2: one fused projection, then split into q, k, v
        std::vector<float>& fused = ffn_up_;  // free until the feed-forward block
        const size_t width = q_width + 2 * kv_width;
        project(layer.attn_qkv, layer.attn_qkv_bias, input, n, fused.data(), width);
        for (size_t t = 0; t < n; ++t) {
            const float* row = fused.data() + t * width;
            std::copy(row, row + q_width, q_.data() + t * q_width);
            std::copy(row + q_width, row + q_width + kv_width, k_.data() + t * kv_width);
            std::copy(row + q_width + kv_width, row + width, v_.data() + t * kv_width);
        }
    } else {
        // q, k and v read the same input: one quantization, one dispatch.
        const matmul_target targets[] = {{&layer.attn_q, q_.data(), q_width},
                                         {&layer.attn_k, k_.data(), kv_width},
                                         {&layer.attn_v, v_.data(), kv_width}};
        matmul_shared_input(targets, 3, input, n, pool_, matmul_scratch_);
        if (layer.attn_q_bias) add_bias(q_.data(), n, q_width, q_width, layer.attn_q_bias.floats());
        if (layer.attn_k_bias) add_bias(k_.data(), n, kv_width, kv_width, layer.attn_k_bias.floats());
        if (layer.attn_v_bias) add_bias(v_.data(), n, kv_width, kv_width, layer.attn_v_bias.floats());
    }

    // Per-head Q/K RMSNorm (qwen3), then rotary positions; then append k, v to the cache.
    for (size_t t = 0; t < n; ++t) {
        for (size_t h = 0; h < config.n_head; ++h) {
            float* head = q_.data() + t * q_width + h * head_dim;
            if (layer.attn_q_norm) rms_norm(head, layer.attn_q_norm.floats(), config.norm_eps, head_dim, head);
            if (config.rope != rope_style::none) rope_apply(head, config.rope, config.rope_dim, rope_table_.data() + t * config.rope_dim);
        }
        for (size_t h = 0; h < config.n_head_kv; ++h) {
            float* head = k_.data() + t * kv_width + h * head_dim;
            if (layer.attn_k_norm) rms_norm(head, layer.attn_k_norm.floats(), config.norm_eps, head_dim, head);
            if (config.rope != rope_style::none) rope_apply(head, config.rope, config.rope_dim, rope_table_.data() + t * config.rope_dim);
            uint16_t* key_slot = key_cache(layer_index, h) + (n_past_ + t) * head_dim;
            uint16_t* value_slot = value_cache(layer_index, h) + (n_past_ + t) * head_dim;
            const float* value = v_.data() + t * kv_width + h * head_dim;
            for (size_t d = 0; d < head_dim; ++d) {
                key_slot[d] = f32_to_fp16(head[d]);
                value_slot[d] = f32_to_fp16(value[d]);
            }
        }
    }

    // Scaled dot-product attention; grouped-query heads share kv head
    // h / (n_head / n_head_kv).
    const size_t group = config.n_head / config.n_head_kv;
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    const bool tiled = reference_uses_tiled_attention(n, head_dim);
    if (n == 1 && reference_attention_rounding(1, n_past_ + 1) == attention_rounding::f32) {
        // one token over a long cache: the heads sharing a kv head read it
        // together, split into as many tasks as keep every thread busy
        const size_t splits = std::min(group, (static_cast<size_t>(pool_.size()) + config.n_head_kv - 1) / config.n_head_kv);
        const size_t per_task = (group + splits - 1) / splits;
        pool_.parallel_for(config.n_head_kv * splits, [&](size_t task, int thread) {
            const size_t kv_head = task / splits, first = kv_head * group + task % splits * per_task;
            const size_t last = std::min((kv_head + 1) * group, first + per_task);
            if (first >= last) return;
            attend_shared_kv(q_.data() + first * head_dim, head_dim, last - first, key_cache(layer_index, kv_head),
                             value_cache(layer_index, kv_head), n_past_ + 1, head_dim, scale,
                             scores_.data() + static_cast<size_t>(thread) * attention_scratch_floats(),
                             attended_.data() + first * head_dim, head_dim);
        });
    } else {  // one task per query head
        pool_.parallel_for(config.n_head, [&](size_t h, int thread) {
            const uint16_t* keys = key_cache(layer_index, h / group);
            const uint16_t* values = value_cache(layer_index, h / group);
            float* scratch = scores_.data() + static_cast<size_t>(thread) * attention_scratch_floats();
            const float* queries = q_.data() + h * head_dim;
            float* out = attended_.data() + h * head_dim;
            const size_t first_visible = config.causal ? n_past_ + 1 : n_past_ + n;
            const size_t visible_step = config.causal ? 1 : 0;
            if (tiled) {
                attend_tiled(queries, q_width, n, first_visible, visible_step, keys, values, head_dim, scale, scratch, out, q_width);
                return;
            }
            for (size_t t = 0; t < n; ++t) {
                const size_t visible = first_visible + t * visible_step;
                attend(queries + t * q_width, keys, values, visible, head_dim, scale, reference_attention_rounding(n, visible),
                       scratch, out + t * q_width);
            }
        });
    }

    // Output projection into normed_ (free now), then the residual.
    project(layer.attn_output, layer.attn_output_bias, attended_.data(), n, normed_.data(), embd);
    for (size_t i = 0; i < n * embd; ++i) x_[i] += normed_[i];
    if (layer.attn_output_norm) normalize(x_.data(), x_.data(), n, layer.attn_output_norm, layer.attn_output_norm_bias);
}

inline void context::feed_forward_block(const layer_weights& layer, size_t n) {
    const model_config& config = model_->config();
    const size_t embd = config.n_embd, ff = config.n_ff;
    const float* input = x_.data();
    if (layer.ffn_norm) {
        normalize(x_.data(), normed_.data(), n, layer.ffn_norm, layer.ffn_norm_bias);
        input = normed_.data();
    }
    float* hidden = ffn_up_.data();
    if (layer.ffn_gate) {  // SwiGLU; gate and up read the same input
        const matmul_target targets[] = {{&layer.ffn_gate, ffn_gate_.data(), ff}, {&layer.ffn_up, ffn_up_.data(), ff}};
        matmul_shared_input(targets, 2, input, n, pool_, matmul_scratch_);
        if (layer.ffn_up_bias) add_bias(ffn_up_.data(), n, ff, ff, layer.ffn_up_bias.floats());
        swiglu(ffn_gate_.data(), ffn_up_.data(), n * ff);
        hidden = ffn_gate_.data();
    } else {
        project(layer.ffn_up, layer.ffn_up_bias, input, n, ffn_up_.data(), ff);
        gelu(ffn_up_.data(), n * ff);
    }
    project(layer.ffn_down, layer.ffn_down_bias, hidden, n, normed_.data(), embd);
    for (size_t i = 0; i < n * embd; ++i) x_[i] += normed_[i];
    if (layer.layer_output_norm) normalize(x_.data(), x_.data(), n, layer.layer_output_norm, layer.layer_output_norm_bias);
}

}  // namespace ember
