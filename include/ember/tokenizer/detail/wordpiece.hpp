#pragma once
// WordPiece (BERT), as Hugging Face's BertTokenizerFast runs it:
//   normaliser   drop NUL, U+FFFD and control/format/unassigned/private-use
//                characters; every whitespace becomes ' '; CJK ideographs get
//                spaces around them; NFD then drop nonspacing marks (accents);
//                lower-case (character by character, full mappings);
//   pre-split    on whitespace (dropped) and punctuation (each mark its own
//                word; ASCII symbols like $ + < = > ^ ` | ~ count as
//                punctuation);
//   WordPiece    per word, greedy longest match from the left, later pieces
//                looked up with the "##" prefix (or, in llama.cpp-converted
//                vocabularies, the first piece with a ▁ prefix and the later
//                ones bare); a word longer than 100 characters, or one with
//                an unmatchable rest, is [UNK].
// Invalid UTF-8 bytes read as U+FFFD and are therefore dropped.

#include "ember/tokenizer/detail/tokenizer_state.hpp"
#include "ember/tokenizer/detail/unicode.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::detail {

inline constexpr size_t wordpiece_max_word_characters = 100;

// Hugging Face's "Chinese character" ranges (CJK Unified Ideographs and
// extensions, compatibility ideographs), including its 0x2B920 quirk.
inline bool is_bert_chinese_character(uint32_t cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF) ||
           (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

inline bool is_bert_whitespace(uint32_t cp) { return cp == '\t' || cp == '\n' || cp == '\r' || unicode::is_white_space(cp); }

inline bool is_bert_control(uint32_t cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') return false;
    const unicode::category cat = unicode::category_of(cp);
    return cat == unicode::category::control || cat == unicode::category::format || cat == unicode::category::unassigned ||
           cat == unicode::category::private_use || cat == unicode::category::surrogate;
}

inline bool is_bert_punctuation(uint32_t cp) {
    if (cp < 0x80) return (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
    return unicode::is_punctuation(cp);
}

// The normaliser, returning code points.
inline std::vector<uint32_t> bert_normalize(std::string_view text) {
    std::vector<uint32_t> cleaned;
    cleaned.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        const unicode::utf8_char c = unicode::decode_utf8(text, i);
        i += c.length;
        const uint32_t cp = c.code_point;  // invalid bytes arrive as U+FFFD
        if (cp == 0 || cp == unicode::replacement_character || is_bert_control(cp)) continue;
        if (is_bert_whitespace(cp)) {
            cleaned.push_back(' ');
        } else if (is_bert_chinese_character(cp)) {
            cleaned.push_back(' ');
            cleaned.push_back(cp);
            cleaned.push_back(' ');
        } else {
            cleaned.push_back(cp);
        }
    }
    // Strip accents: canonical decomposition, canonical order, drop Mn.
    std::vector<uint32_t> decomposed;
    decomposed.reserve(cleaned.size());
    for (uint32_t cp : cleaned) unicode::append_canonical_decomposition(decomposed, cp);
    unicode::canonical_order(decomposed);
    std::vector<uint32_t> lowered;
    lowered.reserve(decomposed.size());
    for (uint32_t cp : decomposed)
        if (unicode::category_of(cp) != unicode::category::nonspacing_mark) unicode::append_lowercase(lowered, cp);
    return lowered;
}

// Greedy longest-match WordPiece of one word (UTF-8), appending ids.
inline void wordpiece_encode_word(const tokenizer_state& state, std::string_view word, size_t n_characters,
                                  std::vector<int32_t>& out, std::string& candidate) {
    const int32_t unknown = state.vocab.unknown;
    auto emit_unknown = [&] {
        if (unknown >= 0) out.push_back(unknown);
    };
    if (n_characters > wordpiece_max_word_characters) return emit_unknown();
    const size_t mark = out.size();
    size_t start = 0;
    while (start < word.size()) {
        // No token is longer than the longest one: start the search there.
        size_t end = std::min(word.size(), start + state.longest_token_bytes);
        while (end < word.size() && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
        int32_t found = -1;
        while (end > start) {
            candidate.assign(start > 0 ? state.continuation_prefix : state.word_start_prefix);
            candidate.append(word.data() + start, end - start);
            found = state.text_index.find(candidate);
            if (found >= 0) break;
            do --end; while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80);
        }
        if (found < 0) {
            out.resize(mark);  // the whole word becomes [UNK]
            return emit_unknown();
        }
        out.push_back(found);
        start = end;
    }
}

inline void wordpiece_encode_text(const tokenizer_state& state, std::string_view text, std::vector<int32_t>& out) {
    const std::vector<uint32_t> normalized = bert_normalize(text);
    std::string word;
    std::string candidate;
    size_t word_characters = 0;
    auto flush = [&] {
        if (!word.empty()) wordpiece_encode_word(state, word, word_characters, out, candidate);
        word.clear();
        word_characters = 0;
    };
    for (uint32_t cp : normalized) {
        if (unicode::is_white_space(cp)) {
            flush();
        } else if (is_bert_punctuation(cp)) {
            flush();
            unicode::append_utf8(word, cp);
            word_characters = 1;
            flush();
        } else {
            unicode::append_utf8(word, cp);
            ++word_characters;
        }
    }
    flush();
}

}  // namespace ember::detail
