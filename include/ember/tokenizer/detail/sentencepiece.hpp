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

// Encode a fragment of plain text; `space_prefix` adds the leading ▁.
inline void spm_encode_text(const tokenizer_state& state, std::string_view text, bool space_prefix,
                            std::vector<int32_t>& out, spm_scratch& scratch) {
    static constexpr char lower_one_eighth_block[] = "\xE2\x96\x81";  // ▁ U+2581
    std::string& escaped = scratch.escaped;
    escaped.clear();
    if (space_prefix) escaped += lower_one_eighth_block;
    for (char c : text) {
        if (c == ' ') escaped += lower_one_eighth_block;
        else escaped.push_back(c);
    }
    if (escaped.empty()) return;
    if (escaped.size() > UINT32_MAX) return;  // offsets are 32-bit; 4 GiB of text in one call is not supported

    auto& symbols = scratch.symbols;
    symbols.clear();
    for (size_t offset = 0; offset < escaped.size();) {
        const unicode::utf8_char c = unicode::decode_utf8(escaped, offset);  // an invalid byte is a one-byte symbol
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({static_cast<uint32_t>(offset), c.length, index - 1, index + 1});
        offset += c.length;
    }
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
        const std::string_view piece = std::string_view(escaped).substr(sym.offset, sym.length);
        const int32_t id = state.find_text_token(piece);
        if (id >= 0) {
            out.push_back(id);
            continue;
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
}

}  // namespace ember::detail
