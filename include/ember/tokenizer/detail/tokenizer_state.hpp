#pragma once
// The immutable data a tokenizer works from, built once from a validated
// vocabulary: lookup tables for encoding and each token's decoded bytes.
// It lives behind a shared_ptr so copies of a tokenizer share it and the
// hash tables' pointers into the token strings stay valid.

#include "ember/tokenizer/detail/hash_tables.hpp"
#include "ember/tokenizer/vocabulary.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ember::detail {

// How a token shows up in decoded text.
enum class piece_visibility : uint8_t {
    text,     // always (normal, user-defined, byte tokens)
    special,  // only when special tokens are rendered (control, unused)
    unknown,  // U+FFFD unless special tokens are rendered
};

struct tokenizer_state {
    vocabulary vocab;
    token_text_index text_index;     // text → first id with that text
    merge_index merges;              // byte-level BPE only
    std::array<int32_t, 256> byte_tokens{};  // byte → its token (BPE: the byte's character; SPM: <0xXX>), -1 if none
    std::array<std::string, 256> byte_characters;  // byte-level BPE: the UTF-8 of each byte's stand-in character

    // Decoded bytes of each token, concatenated: token i is
    // piece_bytes[piece_offsets[i], piece_offsets[i+1]).
    std::string piece_bytes;
    std::vector<uint32_t> piece_offsets;
    std::vector<piece_visibility> visibility;

    // Special-token matching: ids ordered by first byte, then longest first.
    // `matchable_always` holds user-defined tokens (matched even in plain
    // text, as Hugging Face and llama.cpp do); `matchable_special` adds
    // control and unknown tokens, matched only when parsing special tokens.
    std::vector<int32_t> matchable_always;
    std::vector<int32_t> matchable_special;
    std::vector<uint8_t> end_of_generation;  // per id: 1 when generation stops there
    size_t longest_token_bytes = 0;
    // WordPiece spelling. Hugging Face's vocab.txt marks continuations
    // ("##ing"); llama.cpp's GGUF conversion instead marks word starts with
    // ▁ ("▁hello") and leaves continuations bare. Detected from the tokens.
    std::string word_start_prefix;
    // SentencePiece: no token has a ▁ after another character, so words
    // can be merged one at a time (see spm_encode_text).
    bool spm_words_are_independent = false;
    std::string continuation_prefix = "##";

    int32_t n_vocab() const { return static_cast<int32_t>(vocab.tokens.size()); }
    token_type type_of(int32_t id) const {
        return vocab.types.empty() ? token_type::normal : vocab.types[static_cast<size_t>(id)];
    }
    float score_of(int32_t id) const { return vocab.scores.empty() ? 0.0f : vocab.scores[static_cast<size_t>(id)]; }
    std::string_view piece(int32_t id) const {
        const size_t begin = piece_offsets[static_cast<size_t>(id)];
        const size_t end = piece_offsets[static_cast<size_t>(id) + 1];
        return std::string_view(piece_bytes).substr(begin, end - begin);
    }
    // Text produced by ordinary text is only ever matched to these types;
    // control, unknown, byte and unused tokens come from elsewhere.
    bool is_text_token(int32_t id) const {
        const token_type type = type_of(id);
        return type == token_type::normal || type == token_type::user_defined || type == token_type::undefined;
    }
    int32_t find_text_token(std::string_view text) const {
        const int32_t id = text_index.find(text);
        return id >= 0 && is_text_token(id) ? id : -1;
    }
};

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves,
// the other 68 bytes map to U+0100.. in byte order, so every byte has a
// visible character and tokens never contain whitespace or controls.
inline std::array<uint32_t, 256> byte_to_character_table() {
    std::array<uint32_t, 256> table{};
    uint32_t next = 256;
    for (uint32_t byte = 0; byte < 256; ++byte) {
        const bool printable = (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE);
        table[byte] = printable ? byte : next++;
    }
    return table;
}

// The inverse, as a lookup over U+0000..U+0143; -1 for characters that
// stand for no byte.
inline std::array<int16_t, 324> character_to_byte_table() {
    std::array<int16_t, 324> table;
    table.fill(-1);
    const auto forward = byte_to_character_table();
    for (int byte = 0; byte < 256; ++byte) table[forward[static_cast<size_t>(byte)]] = static_cast<int16_t>(byte);
    return table;
}

}  // namespace ember::detail
