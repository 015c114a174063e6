#pragma once
// load_options::interleave_weights: the matmul weights whose type this
// target decodes faster with 8 rows interleaved (quant/detail/
// interleaved_rows.hpp: Q4_0 on AVX-512 VNNI) are copied, interleaved, into
// one buffer the model owns, and their views point there.
//
// The copy's pages replace the file's: once a tensor is copied, its mapped
// pages leave the resident set (gguf_file::release_pages), so peak memory
// stays about the file size. The cost is load time — one pass over those
// tensors (measured in bench/README.md) — which is why it is opt-in.

#include "ember/io/gguf.hpp"
#include "ember/model/weights.hpp"
#include "ember/quant/detail/interleaved_rows.hpp"

#include <cstdint>
#include <memory>
#include <vector>

namespace ember::detail {

// The weights only matrix products read: every layer's projections, the
// output — and the token embeddings when they double as the output (their
// lookups read the interleaved rows too).
inline std::vector<tensor_view*> interleavable_weights(model_weights& weights) {
    std::vector<tensor_view*> all;
    for (layer_weights& layer : weights.layers)
        for (tensor_view* view : {&layer.attn_q, &layer.attn_k, &layer.attn_v, &layer.attn_qkv, &layer.attn_output,
                                  &layer.ffn_gate, &layer.ffn_up, &layer.ffn_down})
            all.push_back(view);
    all.push_back(weights.tied_output ? &weights.token_embedding : &weights.output);
    std::vector<tensor_view*> chosen;
    for (tensor_view* view : all)
        if (*view && can_interleave(view->type) && view->rows() % interleaved_rows == 0) chosen.push_back(view);
    return chosen;
}

// Interleaves the chosen weights into a new buffer (returned: the model
// keeps it alive) and points their views at it.
inline std::unique_ptr<uint8_t[]> interleave_weights(const gguf_file& file, model_weights& weights) {
    const std::vector<tensor_view*> chosen = interleavable_weights(weights);
    constexpr size_t alignment = 64;
    auto padded = [&](const tensor_view& view) { return (view.rows() * view.row_bytes() + alignment - 1) / alignment * alignment; };
    size_t total = alignment;
    for (const tensor_view* view : chosen) total += padded(*view);
    if (chosen.empty()) return nullptr;
    // new[] leaves the bytes untouched: each page is first written by the copy
    std::unique_ptr<uint8_t[]> buffer(new uint8_t[total]);
    uint8_t* out = buffer.get() + (alignment - reinterpret_cast<uintptr_t>(buffer.get()) % alignment) % alignment;
    for (tensor_view* view : chosen) {
        const size_t bytes = view->rows() * view->row_bytes();
        interleave_q4_0(view->data, view->row_bytes(), static_cast<int64_t>(view->rows()), static_cast<int64_t>(view->columns()), out);
        file.release_pages(view->data, bytes);
        view->data = out;
        view->interleaved = true;
        out += padded(*view);
    }
    if (weights.tied_output) weights.output = weights.token_embedding;
    return buffer;
}

}  // namespace ember::detail
