#pragma once
// load_options::use_mmap = false: the weights the matrix products read are
// copied out of the mapped file into memory the model owns, and their views
// point there.
//
// Why, when the mapping already is memory: decoding streams every weight
// once per token, and streaming hundreds of MB through 4 KB pages costs a
// page walk per page (expensive in a virtual machine, where each walk is
// two-dimensional); the copy sits in 2 MB pages (anonymous_memory). And on
// the copy, Q4_0, Q5_0, Q4_K and Q6_K rows can be interleaved for the 8-rows-at-once
// GEMVs (quant/detail/interleaved_rows.hpp). Measured in bench/README.md.
//
// The copy's pages replace the file's: once a tensor is copied, its mapped
// pages leave the resident set (gguf_file::release_pages), so peak memory
// stays about the file size. The price is load time — one pass over the
// weights and the zeroing of fresh pages — which is why mapping stays the
// default. Norm weights, biases and (untied) token embeddings, of which a
// token reads little, stay in the mapping.

#include "ember/core/anonymous_memory.hpp"
#include "ember/io/gguf.hpp"
#include "ember/model/weights.hpp"
#include "ember/quant/detail/tiers.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace ember::detail {

// The weights only matrix products read: every layer's projections, the
// output — and the token embeddings when they double as the output (their
// lookups then read the copy too).
inline std::vector<tensor_view*> multiplied_weights(model_weights& weights) {
    std::vector<tensor_view*> all;
    for (layer_weights& layer : weights.layers)
        for (tensor_view* view : {&layer.attn_q, &layer.attn_k, &layer.attn_v, &layer.attn_qkv, &layer.attn_output,
                                  &layer.ffn_gate, &layer.ffn_up, &layer.ffn_down})
            if (*view) all.push_back(view);
    tensor_view& output = weights.tied_output ? weights.token_embedding : weights.output;
    if (output) all.push_back(&output);
    return all;
}

inline bool interleaves(const tensor_view& view) {
    return can_interleave(view.type) && view.rows() % interleaved_rows == 0;
}

// Copies the multiplied weights into new memory (returned: the model keeps
// it alive) and points their views at it. Should the OS refuse the memory,
// the weights stay where they are, in the mapping.
inline anonymous_memory copy_weights_to_memory(const gguf_file& file, model_weights& weights) {
    const std::vector<tensor_view*> chosen = multiplied_weights(weights);
    constexpr size_t alignment = 64;
    auto padded = [](size_t bytes) { return (bytes + alignment - 1) / alignment * alignment; };
    size_t total = 0;
    for (const tensor_view* view : chosen) total += padded(view->rows() * view->row_bytes());
    anonymous_memory memory = anonymous_memory::allocate(total);
    if (!memory.data()) return memory;
    uint8_t* out = memory.data();
    for (tensor_view* view : chosen) {
        // In slices of ~4 MB, each slice's file pages released once copied:
        // releasing whole tensors would let the largest (the embeddings, a
        // quarter of a small model) be resident twice at the peak.
        const size_t row_bytes = view->row_bytes(), rows = view->rows();
        const size_t slice_rows = std::max<size_t>(1, (size_t(4) << 20) / row_bytes / interleaved_rows) * interleaved_rows;
        const bool interleave = interleaves(*view);
        for (size_t first = 0; first < rows; first += slice_rows) {
            const size_t count = std::min(slice_rows, rows - first);
            const uint8_t* from = view->data + first * row_bytes;
            if (interleave)
                interleave_rows(view->type, from, row_bytes, static_cast<int64_t>(count), static_cast<int64_t>(view->columns()),
                                out + first * row_bytes);
            else
                std::memcpy(out + first * row_bytes, from, count * row_bytes);
            // back by one page: the page the previous slice ended in is done now
            const size_t back = std::min<size_t>(first * row_bytes, 4096);
            file.release_pages(from - back, count * row_bytes + back);
        }
        view->data = out;
        view->interleaved = interleave;
        out += padded(rows * row_bytes);
    }
    if (weights.tied_output) weights.output = weights.token_embedding;
    return memory;
}

}  // namespace ember::detail
