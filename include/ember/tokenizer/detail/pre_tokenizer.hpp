#pragma once
// Pre-tokenizers of byte-level BPE: the regexes Hugging Face runs before
// BPE, written out as matchers over code points (std::regex has no \p{L},
// no Unicode \s, and no (?i:) groups). Each matcher tries the regex's
// alternatives in order at the current position, with the same greedy /
// backtracking outcome the regex engine produces, so every piece boundary
// equals the regex's. The regexes:
//
//   llama3  (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//           ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   qwen2   the same with \p{N} (single digits)
//   gpt2    's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// \s is the White_Space property (Oniguruma's and Rust's \s). Invalid UTF-8
// bytes classify as U+FFFD would (a symbol: [^\s\p{L}\p{N}]).

#include "ember/tokenizer/detail/unicode.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ember::detail {

enum class char_class : uint8_t { other, letter, number, space, end };

struct text_span {
    size_t offset;  // bytes into the fragment
    size_t length;
};

// The fragment decoded once: code point, class and byte offset per character.
struct classified_text {
    std::vector<uint32_t> code_points;
    std::vector<char_class> classes;
    std::vector<size_t> offsets;  // offsets[i]: byte offset of character i; offsets[n] == size

    size_t size() const { return code_points.size(); }
    char_class class_at(size_t i) const { return i < classes.size() ? classes[i] : char_class::end; }
    uint32_t code_point_at(size_t i) const { return i < code_points.size() ? code_points[i] : 0xFFFFFFFFu; }
};

inline char_class classify(uint32_t code_point) {
    const uint8_t flags = unicode::unicode_flags(code_point);
    if (flags & unicode_data::flag_white_space) return char_class::space;
    const auto cat = static_cast<unicode::category>(flags & unicode_data::category_mask);
    if (unicode::category_is_letter(cat)) return char_class::letter;
    if (unicode::category_is_number(cat)) return char_class::number;
    return char_class::other;
}

inline void classify_text(std::string_view text, classified_text& out) {
    out.code_points.clear();
    out.classes.clear();
    out.offsets.clear();
    out.code_points.reserve(text.size());
    out.classes.reserve(text.size());
    out.offsets.reserve(text.size() + 1);
    for (size_t i = 0; i < text.size();) {
        const unicode::utf8_char c = unicode::decode_utf8(text, i);
        out.code_points.push_back(c.code_point);
        out.classes.push_back(classify(c.code_point));
        out.offsets.push_back(i);
        i += c.length;
    }
    out.offsets.push_back(text.size());
}

inline bool is_line_break(uint32_t code_point) { return code_point == '\r' || code_point == '\n'; }

// Simple case folding for the contraction letters: ASCII, plus U+017F
// (long s), which folds to 's' and so matches (?i:'s).
inline uint32_t fold_contraction_letter(uint32_t code_point) {
    if (code_point >= 'A' && code_point <= 'Z') return code_point + 32;
    if (code_point == 0x17F) return 's';
    return code_point;
}

// Length in characters of a contraction ('s 't 're 've 'm 'll 'd) at i, or 0.
inline size_t contraction_length(const classified_text& text, size_t i, bool case_insensitive) {
    if (text.code_points[i] != '\'' || i + 1 >= text.size()) return 0;
    auto letter = [&](size_t k) {
        const uint32_t cp = text.code_point_at(k);
        return case_insensitive ? fold_contraction_letter(cp) : cp;
    };
    const uint32_t first = letter(i + 1);
    if (first == 's' || first == 't' || first == 'm' || first == 'd') return 2;
    if (i + 2 >= text.size()) return 0;
    const uint32_t second = letter(i + 2);
    if ((first == 'r' && second == 'e') || (first == 'v' && second == 'e') || (first == 'l' && second == 'l')) return 3;
    return 0;
}

// Splits in character indices [begin, end); `emit` receives each piece.
template <class Emit>
void split_llama3_style(const classified_text& text, size_t max_digits, Emit&& emit) {
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        const uint32_t cp = text.code_points[i];
        const char_class cls = text.classes[i];
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if (const size_t length = contraction_length(text, i, true)) {
            emit(i, i + length);
            i += length;
            continue;
        }
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (cls == char_class::letter ||
            (!is_line_break(cp) && cls != char_class::number && text.class_at(i + 1) == char_class::letter)) {
            size_t end = i + 1;
            while (text.class_at(end) == char_class::letter) ++end;
            emit(i, end);
            i = end;
            continue;
        }
        // \p{N}{1,max_digits}
        if (cls == char_class::number) {
            size_t end = i + 1;
            while (end < i + max_digits && text.class_at(end) == char_class::number) ++end;
            emit(i, end);
            i = end;
            continue;
        }
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        size_t start = i + (cp == ' ' ? 1 : 0);
        if (text.class_at(start) == char_class::other) {
            size_t end = start + 1;
            while (text.class_at(end) == char_class::other) ++end;
            while (is_line_break(text.code_point_at(end))) ++end;
            emit(i, end);
            i = end;
            continue;
        }
        // Only whitespace is left: \s*[\r\n]+ | \s+(?!\S) | \s+
        size_t run_end = i;
        size_t last_line_break = SIZE_MAX;
        while (text.class_at(run_end) == char_class::space) {
            if (is_line_break(text.code_points[run_end])) last_line_break = run_end;
            ++run_end;
        }
        size_t end;
        if (last_line_break != SIZE_MAX) end = last_line_break + 1;  // \s*[\r\n]+ backtracks to the last break
        else if (run_end - i > 1 && run_end < n) end = run_end - 1;   // \s+(?!\S) leaves one space for the next word
        else end = run_end;                                            // \s+ (or the run reaches the end)
        if (end <= i) end = i + 1;  // unreachable for well-classified input; guarantees progress
        emit(i, end);
        i = end;
    }
}

template <class Emit>
void split_gpt2_style(const classified_text& text, Emit&& emit) {
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
        const uint32_t cp = text.code_points[i];
        // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
        if (const size_t length = contraction_length(text, i, false)) {
            emit(i, i + length);
            i += length;
            continue;
        }
        // ' ?\p{L}+' | ' ?\p{N}+' | ' ?[^\s\p{L}\p{N}]+'
        const size_t start = i + (cp == ' ' ? 1 : 0);
        const char_class run_class = text.class_at(start);
        if (run_class == char_class::letter || run_class == char_class::number || run_class == char_class::other) {
            size_t end = start + 1;
            while (text.class_at(end) == run_class) ++end;
            emit(i, end);
            i = end;
            continue;
        }
        // \s+(?!\S) | \s+
        size_t run_end = i;
        while (text.class_at(run_end) == char_class::space) ++run_end;
        size_t end = (run_end - i > 1 && run_end < n) ? run_end - 1 : run_end;
        if (end <= i) end = i + 1;
        emit(i, end);
        i = end;
    }
}

}  // namespace ember::detail
