#pragma once
// SentencePiece BPE (Llama 1/2, TinyStories): spaces become ▁ (and the text
// gets a leading ▁), then adjacent symbols merge greedily by the score of
// the token they would form — the highest score first, the leftmost on
// ties — as llama.cpp's llm_tokenizer_spm does. Symbols that end up not
// being tokens fall back to their bytes (<0xXX>), or to the unknown token.

#include "ember/tokenizer/detail/tokenizer_state.hpp"
#include "ember/tokenizer/detail/unicode.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::detail {

struct spm_scratch {
    struct symbol {
        uint32_t offset;  // bytes into the escaped text
        uint32_t length;  // 0 once merged into its left neighbour
        int32_t prev;
        int32_t next;
    };
    struct bigram {
        float score;
        int32_t left;
        uint32_t length;  // of the merged text; stale when the symbols changed since
    };
    std::vector<symbol> symbols;
    std::vector<bigram> heap;
    std::string escaped;
    piece_cache cache;
    bool use_fast_paths = true;  // small-segment merging and the word cache (tests compare with them off)
};

// Max-heap order: highest score first, then leftmost.
inline bool spm_bigram_before(const spm_scratch::bigram& a, const spm_scratch::bigram& b) {
    return a.score != b.score ? a.score < b.score : a.left > b.left;
}

inline void spm_queue_pair(const tokenizer_state& state, spm_scratch& scratch, int32_t left) {
    if (left < 0) return;
    const auto& first = scratch.symbols[static_cast<size_t>(left)];
    if (first.next < 0) return;
    const auto& second = scratch.symbols[static_cast<size_t>(first.next)];
    const uint32_t length = first.length + second.length;
    const int32_t id = state.find_text_token(std::string_view(scratch.escaped).substr(first.offset, length));
    if (id < 0) return;
    scratch.heap.push_back({state.score_of(id), left, length});
    std::push_heap(scratch.heap.begin(), scratch.heap.end(), spm_bigram_before);
}

inline constexpr char lower_one_eighth_block[] = "\xE2\x96\x81";  // ▁ U+2581, SentencePiece's space

// Append the ids of one final symbol: its token, else its bytes.
inline void spm_emit_symbol(const tokenizer_state& state, std::string_view piece, int32_t id, std::vector<int32_t>& out) {
    if (id < 0) id = state.find_text_token(piece);
    if (id >= 0) {
        out.push_back(id);
        return;
    }
    // Byte fallback; a vocabulary without byte tokens gets one unknown per symbol.
    const bool has_bytes = std::all_of(piece.begin(), piece.end(), [&](char byte) {
        return state.byte_tokens[static_cast<unsigned char>(byte)] >= 0;
    });
    if (has_bytes) {
        for (unsigned char byte : piece) out.push_back(state.byte_tokens[byte]);
    } else if (state.vocab.unknown >= 0) {
        out.push_back(state.vocab.unknown);
    }
}

// A word of a few characters: scan for the best pair (highest score,
// leftmost on ties) with each adjacent pair's token cached, instead of a
// heap. Same merges in the same order as spm_encode_segment.
inline constexpr size_t small_segment_symbols = 32;

inline bool spm_encode_small_segment(const tokenizer_state& state, std::string_view escaped, size_t begin, size_t end,
                                     std::vector<int32_t>& out) {
    uint32_t offsets[small_segment_symbols + 1];
    int32_t ids[small_segment_symbols];    // token of symbol i once known (-1: look up at the end)
    int32_t pairs[small_segment_symbols];  // token formed by symbols i and i + 1, or -1
    size_t n = 0;
    for (size_t offset = begin; offset < end; ++n) {
        if (n == small_segment_symbols) return false;
        offsets[n] = static_cast<uint32_t>(offset);
        ids[n] = -1;
        offset += unicode::decode_utf8(reinterpret_cast<const unsigned char*>(escaped.data()) + offset, end - offset).length;
    }
    offsets[n] = static_cast<uint32_t>(end);
    auto pair_token = [&](size_t i) {
        return state.find_text_token(escaped.substr(offsets[i], offsets[i + 2] - offsets[i]));
    };
    for (size_t i = 0; i + 1 < n; ++i) pairs[i] = pair_token(i);
    while (n > 1) {
        size_t best = n;
        float best_score = 0;
        for (size_t i = 0; i + 1 < n; ++i) {
            if (pairs[i] < 0) continue;
            const float score = state.score_of(pairs[i]);
            if (best == n || score > best_score) best = i, best_score = score;
        }
        if (best == n) break;
        ids[best] = pairs[best];
        for (size_t i = best + 1; i + 1 < n; ++i) ids[i] = ids[i + 1];
        for (size_t i = best + 1; i < n; ++i) offsets[i] = offsets[i + 1];
        for (size_t i = best + 1; i + 2 < n; ++i) pairs[i] = pairs[i + 1];
        --n;
        if (best > 0) pairs[best - 1] = pair_token(best - 1);
        if (best + 1 < n) pairs[best] = pair_token(best);
    }
    for (size_t i = 0; i < n; ++i) spm_emit_symbol(state, escaped.substr(offsets[i], offsets[i + 1] - offsets[i]), ids[i], out);
    return true;
}

// Merge the symbols of escaped[begin, end) and append their ids.
inline void spm_encode_segment(const tokenizer_state& state, size_t begin, size_t end, std::vector<int32_t>& out,
                               spm_scratch& scratch) {
    const std::string& escaped = scratch.escaped;
    if (end - begin <= small_segment_symbols && scratch.use_fast_paths &&
        spm_encode_small_segment(state, escaped, begin, end, out))
        return;
    auto& symbols = scratch.symbols;
    symbols.clear();
    for (size_t offset = begin; offset < end;) {
        const unicode::utf8_char c = unicode::decode_utf8(reinterpret_cast<const unsigned char*>(escaped.data()) + offset, end - offset);  // invalid byte: a one-byte symbol
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({static_cast<uint32_t>(offset), c.length, index - 1, index + 1});
        offset += c.length;
    }
    if (symbols.empty()) return;
    symbols.back().next = -1;

    scratch.heap.clear();
    for (int32_t i = 0; i + 1 < static_cast<int32_t>(symbols.size()); ++i) spm_queue_pair(state, scratch, i);
    while (!scratch.heap.empty()) {
        std::pop_heap(scratch.heap.begin(), scratch.heap.end(), spm_bigram_before);
        const spm_scratch::bigram top = scratch.heap.back();
        scratch.heap.pop_back();
        auto& left = symbols[static_cast<size_t>(top.left)];
        if (left.length == 0 || left.next < 0) continue;
        auto& right = symbols[static_cast<size_t>(left.next)];
        if (left.length + right.length != top.length) continue;
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = top.left;
        spm_queue_pair(state, scratch, left.prev);
        spm_queue_pair(state, scratch, top.left);
    }

    for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        const auto& sym = symbols[static_cast<size_t>(i)];
        spm_emit_symbol(state, std::string_view(escaped).substr(sym.offset, sym.length), -1, out);
    }
}

// Encode a fragment of plain text; `space_prefix` adds the leading ▁.
inline void spm_encode_text(const tokenizer_state& state, std::string_view text, bool space_prefix,
                            std::vector<int32_t>& out, spm_scratch& scratch) {
    std::string& escaped = scratch.escaped;
    escaped.clear();
    if (space_prefix) escaped += lower_one_eighth_block;
    for (char c : text) {
        if (c == ' ') escaped += lower_one_eighth_block;
        else escaped.push_back(c);
    }
    if (escaped.empty()) return;
    if (escaped.size() > UINT32_MAX) return;  // offsets are 32-bit; 4 GiB of text in one call is not supported

    if (!state.spm_words_are_independent || !scratch.use_fast_paths)
        return spm_encode_segment(state, 0, escaped.size(), out, scratch);
    // No token has a ▁ after another character, so no merge crosses the
    // start of a word (a ▁ run after a non-▁): merge word by word, which
    // gives the same result with small heaps, and repeated words once.
    if (escaped.size() >= 512 && !scratch.cache.enabled() && scratch.use_fast_paths) scratch.cache.enable();
    auto encode_word = [&](size_t begin, size_t end) {
        const std::string_view word = std::string_view(escaped).substr(begin, end - begin);
        if (scratch.cache.lookup(word, out)) return;
        const size_t first = out.size();
        spm_encode_segment(state, begin, end, out, scratch);
        scratch.cache.store(word, out, first);
    };
    size_t segment = 0;
    for (size_t i = 3; i + 3 <= escaped.size(); ++i) {
        if (escaped.compare(i, 3, lower_one_eighth_block) != 0) continue;
        if (escaped.compare(i - 3, 3, lower_one_eighth_block) != 0) {
            encode_word(segment, i);
            segment = i;
        }
        i += 2;
    }
    encode_word(segment, escaped.size());
}

}  // namespace ember::detail
