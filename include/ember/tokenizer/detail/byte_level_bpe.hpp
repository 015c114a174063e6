#pragma once
// Byte-level BPE (GPT-2, Llama 3, Qwen): pre-tokenize, then merge each
// piece's bytes by rank exactly as Hugging Face's BPE model does — always
// the lowest-ranked adjacent pair, the leftmost on ties. A binary heap of
// candidate pairs over a linked list of symbols makes a piece of n bytes
// cost O(n log n), so a 100 000-character run is no slower per byte than a
// word.

#include "ember/tokenizer/detail/pre_tokenizer.hpp"
#include "ember/tokenizer/detail/tokenizer_state.hpp"
#include "ember/tokenizer/detail/unicode.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::detail {

struct bpe_scratch {
    struct symbol {
        int32_t id;    // -1 once merged into its left neighbour
        int32_t prev;  // -1: first
        int32_t next;  // -1: last
    };
    struct candidate {
        int32_t rank;
        int32_t left;      // symbol index
        int32_t left_id;   // the pair as it was when queued; stale if either side changed
        int32_t right_id;
        int32_t result;
    };
    std::vector<symbol> symbols;
    std::vector<candidate> heap;
    std::string mapped;
    classified_text classified;
    piece_cache cache;
    bool use_fast_paths = true;  // small-piece merging and the piece cache (tests compare with them off)
};

// Min-heap order: lowest rank first, then leftmost.
inline bool bpe_candidate_after(const bpe_scratch::candidate& a, const bpe_scratch::candidate& b) {
    return a.rank != b.rank ? a.rank > b.rank : a.left > b.left;
}

inline void bpe_queue_pair(const tokenizer_state& state, bpe_scratch& scratch, int32_t left) {
    if (left < 0) return;
    const auto& symbols = scratch.symbols;
    const int32_t right = symbols[static_cast<size_t>(left)].next;
    if (right < 0) return;
    const int32_t left_id = symbols[static_cast<size_t>(left)].id;
    const int32_t right_id = symbols[static_cast<size_t>(right)].id;
    const merge_index::merge found = state.merges.find(left_id, right_id);
    if (found.rank < 0) return;
    scratch.heap.push_back({found.rank, left, left_id, right_id, found.result});
    std::push_heap(scratch.heap.begin(), scratch.heap.end(), bpe_candidate_after);
}

// Most pieces are a word of a few bytes. For those a heap costs more than
// it saves: scan for the lowest-ranked pair (leftmost on ties — equal ranks
// are the same merge) with each adjacent pair's merge cached, and update
// only the two pairs a merge changes. Same merges, same order as the heap.
inline constexpr size_t small_piece_bytes = 24;

inline void bpe_encode_small_piece(const tokenizer_state& state, std::string_view piece, std::vector<int32_t>& out) {
    int32_t ids[small_piece_bytes];
    merge_index::merge pairs[small_piece_bytes];  // pairs[i]: the merge of ids[i] and ids[i + 1]
    size_t n = 0;
    for (unsigned char byte : piece) {
        const int32_t id = state.byte_tokens[byte];
        if (id >= 0) ids[n++] = id;  // a vocabulary without this byte: dropped, as Hugging Face does without an unk token
    }
    for (size_t i = 0; i + 1 < n; ++i) pairs[i] = state.merges.find(ids[i], ids[i + 1]);
    while (n > 1) {
        size_t best = n;
        int32_t best_rank = INT32_MAX;
        for (size_t i = 0; i + 1 < n; ++i)
            if (pairs[i].rank >= 0 && pairs[i].rank < best_rank) best_rank = pairs[i].rank, best = i;
        if (best == n) break;
        ids[best] = pairs[best].result;
        for (size_t i = best + 1; i + 1 < n; ++i) ids[i] = ids[i + 1];
        for (size_t i = best + 1; i + 2 < n; ++i) pairs[i] = pairs[i + 1];
        --n;
        if (best > 0) pairs[best - 1] = state.merges.find(ids[best - 1], ids[best]);
        if (best + 1 < n) pairs[best] = state.merges.find(ids[best], ids[best + 1]);
    }
    out.insert(out.end(), ids, ids + n);
}

// Encode one pre-tokenized piece (raw bytes), appending ids.
inline void bpe_encode_piece(const tokenizer_state& state, std::string_view piece, std::vector<int32_t>& out,
                             bpe_scratch& scratch) {
    if (piece.empty()) return;
    if (state.vocab.ignore_merges && piece.size() > 1) {
        scratch.mapped.clear();
        for (unsigned char byte : piece) scratch.mapped += state.byte_characters[byte];
        const int32_t whole = state.find_text_token(scratch.mapped);
        if (whole >= 0) {
            out.push_back(whole);
            return;
        }
    }
    if (piece.size() <= small_piece_bytes && scratch.use_fast_paths) return bpe_encode_small_piece(state, piece, out);
    auto& symbols = scratch.symbols;
    symbols.clear();
    for (unsigned char byte : piece) {
        const int32_t id = state.byte_tokens[byte];
        if (id < 0) continue;  // a vocabulary without this byte: dropped, as Hugging Face does without an unk token
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({id, index - 1, index + 1});
    }
    if (symbols.empty()) return;
    symbols.back().next = -1;

    scratch.heap.clear();
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) bpe_queue_pair(state, scratch, i);
    while (!scratch.heap.empty()) {
        std::pop_heap(scratch.heap.begin(), scratch.heap.end(), bpe_candidate_after);
        const bpe_scratch::candidate top = scratch.heap.back();
        scratch.heap.pop_back();
        auto& left = symbols[static_cast<size_t>(top.left)];
        if (left.id != top.left_id || left.next < 0) continue;
        auto& right = symbols[static_cast<size_t>(left.next)];
        if (right.id != top.right_id) continue;
        left.id = top.result;
        right.id = -1;
        left.next = right.next;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.left;
        bpe_queue_pair(state, scratch, left.prev);
        bpe_queue_pair(state, scratch, top.left);
    }
    for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) out.push_back(symbols[static_cast<size_t>(i)].id);
}

// Encode a fragment of plain text (no special tokens in it).
inline void bpe_encode_text(const tokenizer_state& state, std::string_view text, std::vector<int32_t>& out,
                            bpe_scratch& scratch) {
    std::string normalized;
    if (state.vocab.pre == pre_tokenizer::qwen2) {
        normalized = unicode::nfc(text);  // Qwen's tokenizer.json normalises to NFC before splitting
        text = normalized;
    }
    classify_text(text, scratch.classified);
    const classified_text& classified = scratch.classified;
    if (text.size() >= 512 && !scratch.cache.enabled() && scratch.use_fast_paths) scratch.cache.enable();
    auto emit = [&](size_t begin, size_t end) {
        const size_t offset = classified.offsets[begin];
        const std::string_view piece = text.substr(offset, classified.offsets[end] - offset);
        if (scratch.cache.lookup(piece, out)) return;
        const size_t first = out.size();
        bpe_encode_piece(state, piece, out, scratch);
        scratch.cache.store(piece, out, first);
    };
    switch (state.vocab.pre) {
        case pre_tokenizer::gpt2: split_gpt2_style(classified, emit); break;
        case pre_tokenizer::llama3: split_llama3_style(classified, 3, emit); break;
        case pre_tokenizer::qwen2: split_llama3_style(classified, 1, emit); break;
    }
}

}  // namespace ember::detail
