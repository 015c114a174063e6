#pragma once
// Unicode machinery the tokenizers need, over the generated UCD tables:
// UTF-8 decoding that never reads past the input and never rejects it,
// general categories and White_Space (the regex classes \p{L}, \p{N}, \s),
// NFC / NFD normalisation and lower-casing.
//
// Invalid UTF-8 is not an error anywhere in the tokenizers. The decoder
// reports each byte that does not start a well-formed sequence (overlong
// forms, surrogates, values above U+10FFFF, truncated sequences, stray
// continuation bytes) as a one-byte "invalid" character, which classifies
// like U+FFFD (a symbol) but keeps its original byte, so byte-level BPE can
// still encode it losslessly.

#include "ember/tokenizer/detail/unicode_tables.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember::detail::unicode {

inline constexpr uint32_t replacement_character = 0xFFFD;

struct utf8_char {
    uint32_t code_point;  // replacement_character when !valid
    uint32_t length;      // bytes consumed, 1..4
    bool valid;
};

// Decode one character at text[0..size) (size > 0), strictly per RFC 3629.
inline utf8_char decode_utf8(const unsigned char* text, size_t size) {
    const uint32_t lead = text[0];
    if (lead < 0x80) return {lead, 1, true};
    uint32_t length, code_point, minimum;
    if (lead >= 0xC2 && lead <= 0xDF) { length = 2; code_point = lead & 0x1F; minimum = 0x80; }
    else if (lead >= 0xE0 && lead <= 0xEF) { length = 3; code_point = lead & 0x0F; minimum = 0x800; }
    else if (lead >= 0xF0 && lead <= 0xF4) { length = 4; code_point = lead & 0x07; minimum = 0x10000; }
    else return {replacement_character, 1, false};
    if (size < length) return {replacement_character, 1, false};
    for (uint32_t i = 1; i < length; ++i) {
        const uint32_t next = text[i];
        if ((next & 0xC0) != 0x80) return {replacement_character, 1, false};
        code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF))
        return {replacement_character, 1, false};
    return {code_point, length, true};
}

inline utf8_char decode_utf8(std::string_view text, size_t offset) {
    return decode_utf8(reinterpret_cast<const unsigned char*>(text.data()) + offset, text.size() - offset);
}

// Length in bytes of the UTF-8 sequence a lead byte announces (1 for an
// invalid lead, so callers always make progress).
inline size_t utf8_sequence_length(unsigned char lead) {
    if (lead < 0xC2) return 1;
    if (lead <= 0xDF) return 2;
    if (lead <= 0xEF) return 3;
    if (lead <= 0xF4) return 4;
    return 1;
}

inline void append_utf8(std::string& out, uint32_t code_point) {
    if (code_point < 0x80) {
        out.push_back(static_cast<char>(code_point));
    } else if (code_point < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else if (code_point < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
    }
}

// Replace every byte that is not part of a well-formed sequence by U+FFFD.
inline std::string to_valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        const utf8_char c = decode_utf8(text, i);
        if (c.valid) out.append(text.data() + i, c.length);
        else append_utf8(out, replacement_character);
        i += c.length;
    }
    return out;
}

// ---- properties ----------------------------------------------------------

using unicode_data::category;

inline uint8_t unicode_flags(uint32_t code_point) {
    if (code_point >= 0x110000) return static_cast<uint8_t>(category::unassigned);
    return unicode_data::flag_blocks[unicode_data::flag_block_index[code_point >> 8] * 256u + (code_point & 255u)];
}

inline category category_of(uint32_t code_point) {
    return static_cast<category>(unicode_flags(code_point) & unicode_data::category_mask);
}

inline bool category_is_letter(category c) { return c >= category::uppercase_letter && c <= category::other_letter; }
inline bool category_is_number(category c) { return c >= category::decimal_number && c <= category::other_number; }
inline bool category_is_punctuation(category c) {
    return c >= category::connector_punctuation && c <= category::other_punctuation;
}

inline bool is_letter(uint32_t code_point) { return category_is_letter(category_of(code_point)); }
inline bool is_number(uint32_t code_point) { return category_is_number(category_of(code_point)); }
inline bool is_punctuation(uint32_t code_point) { return category_is_punctuation(category_of(code_point)); }
// The White_Space property: what \s matches in Oniguruma and Rust (U+0085
// included, U+200B and U+FEFF not).
inline bool is_white_space(uint32_t code_point) {
    return (unicode_flags(code_point) & unicode_data::flag_white_space) != 0;
}

// ---- normalisation -------------------------------------------------------

// Invalid input bytes travel through normalisation as these private values
// (above U+10FFFF: no combining class, no decomposition, never composed) and
// come back out as the original byte.
inline constexpr uint32_t invalid_byte_base = 0x110000;

inline uint8_t combining_class(uint32_t code_point) {
    if (code_point < 0x300 || code_point >= invalid_byte_base) return 0;
    const auto* begin = std::begin(unicode_data::combining_classes);
    const auto* end = std::end(unicode_data::combining_classes);
    const auto* found = std::upper_bound(begin, end, code_point,
                                         [](uint32_t cp, const auto& range) { return cp < range.first; });
    if (found == begin) return 0;
    --found;
    return code_point <= found->last ? found->value : 0;
}

namespace hangul {
inline constexpr uint32_t s_base = 0xAC00, l_base = 0x1100, v_base = 0x1161, t_base = 0x11A7;
inline constexpr uint32_t l_count = 19, v_count = 21, t_count = 28;
inline constexpr uint32_t n_count = v_count * t_count, s_count = l_count * n_count;
}  // namespace hangul

inline void append_canonical_decomposition(std::vector<uint32_t>& out, uint32_t code_point) {
    using namespace hangul;
    if (code_point >= s_base && code_point < s_base + s_count) {
        const uint32_t index = code_point - s_base;
        out.push_back(l_base + index / n_count);
        out.push_back(v_base + (index % n_count) / t_count);
        if (index % t_count) out.push_back(t_base + index % t_count);
        return;
    }
    if (code_point >= 0xC0 && code_point < invalid_byte_base) {
        const auto* begin = std::begin(unicode_data::canonical_decompositions);
        const auto* end = std::end(unicode_data::canonical_decompositions);
        const auto* found = std::lower_bound(begin, end, code_point,
                                             [](const auto& entry, uint32_t cp) { return entry.code_point < cp; });
        if (found != end && found->code_point == code_point) {
            append_canonical_decomposition(out, found->first);  // depth is bounded by the data (≤ 4)
            if (found->second) append_canonical_decomposition(out, found->second);
            return;
        }
    }
    out.push_back(code_point);
}

// Canonical ordering: a stable sort of each run of non-starters by class.
inline void canonical_order(std::vector<uint32_t>& code_points) {
    const size_t n = code_points.size();
    for (size_t i = 0; i < n;) {
        if (combining_class(code_points[i]) == 0) { ++i; continue; }
        size_t run_end = i;
        while (run_end < n && combining_class(code_points[run_end]) != 0) ++run_end;
        std::stable_sort(code_points.begin() + static_cast<std::ptrdiff_t>(i),
                         code_points.begin() + static_cast<std::ptrdiff_t>(run_end),
                         [](uint32_t a, uint32_t b) { return combining_class(a) < combining_class(b); });
        i = run_end;
    }
}

// The primary composite of a pair, or 0.
inline uint32_t compose_pair(uint32_t first, uint32_t second) {
    using namespace hangul;
    if (first >= l_base && first < l_base + l_count && second >= v_base && second < v_base + v_count)
        return s_base + ((first - l_base) * v_count + (second - v_base)) * t_count;
    if (first >= s_base && first < s_base + s_count && (first - s_base) % t_count == 0 && second > t_base &&
        second < t_base + t_count)
        return first + (second - t_base);
    if (first >= invalid_byte_base || second >= invalid_byte_base) return 0;
    const uint64_t key = (static_cast<uint64_t>(first) << 21) | second;
    const auto* begin = std::begin(unicode_data::canonical_compositions);
    const auto* end = std::end(unicode_data::canonical_compositions);
    const auto* found = std::lower_bound(begin, end, key, [](const auto& entry, uint64_t k) { return entry.key < k; });
    return (found != end && found->key == key) ? found->composed : 0;
}

inline std::vector<uint32_t> decode_for_normalization(std::string_view text) {
    std::vector<uint32_t> out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        const utf8_char c = decode_utf8(text, i);
        out.push_back(c.valid ? c.code_point : invalid_byte_base + static_cast<unsigned char>(text[i]));
        i += c.length;
    }
    return out;
}

inline std::string encode_after_normalization(const std::vector<uint32_t>& code_points) {
    std::string out;
    out.reserve(code_points.size() * 2);
    for (uint32_t cp : code_points) {
        if (cp >= invalid_byte_base) out.push_back(static_cast<char>(cp - invalid_byte_base));
        else append_utf8(out, cp);
    }
    return out;
}

// True when no character of `text` could change under the normalisation
// whose "unstable" flag is given (the quick check that keeps ASCII and
// already-composed text on a copy-free path).
inline bool is_stable(std::string_view text, uint8_t unstable_flag) {
    for (size_t i = 0; i < text.size();) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) { ++i; continue; }
        const utf8_char c = decode_utf8(text, i);
        if (c.valid && (unicode_flags(c.code_point) & unstable_flag)) return false;
        i += c.length;
    }
    return true;
}

inline std::vector<uint32_t> canonical_decomposition(std::string_view text) {
    std::vector<uint32_t> decomposed;
    decomposed.reserve(text.size());
    for (uint32_t cp : decode_for_normalization(text)) append_canonical_decomposition(decomposed, cp);
    canonical_order(decomposed);
    return decomposed;
}

inline std::string nfd(std::string_view text) {
    if (is_stable(text, unicode_data::flag_nfd_unstable)) return std::string(text);
    return encode_after_normalization(canonical_decomposition(text));
}

inline std::string nfc(std::string_view text) {
    if (is_stable(text, unicode_data::flag_nfc_unstable)) return std::string(text);
    std::vector<uint32_t> code_points = canonical_decomposition(text);
    // Canonical composition (UAX #15): a character joins the last starter
    // unless a character between them is a starter or has a class >= its own.
    std::vector<uint32_t> out;
    out.reserve(code_points.size());
    size_t starter = SIZE_MAX;
    uint8_t last_class = 0;
    for (uint32_t cp : code_points) {
        const uint8_t cls = combining_class(cp);
        if (starter != SIZE_MAX) {
            const bool adjacent = out.size() - 1 == starter;
            if (adjacent || (last_class != 0 && last_class < cls)) {
                if (const uint32_t composed = compose_pair(out[starter], cp)) {
                    out[starter] = composed;
                    continue;
                }
            }
        }
        if (cls == 0) starter = out.size();
        last_class = cls;
        out.push_back(cp);
    }
    return encode_after_normalization(out);
}

// Full lower-case mapping of one code point, as Rust's char::to_lowercase
// (what Hugging Face's BERT normaliser applies character by character).
inline void append_lowercase(std::vector<uint32_t>& out, uint32_t code_point) {
    if (code_point < 0x80) {
        out.push_back(code_point >= 'A' && code_point <= 'Z' ? code_point + 32 : code_point);
        return;
    }
    if (code_point == 0x130) {  // İ → i + combining dot above (SpecialCasing, unconditional)
        out.push_back('i');
        out.push_back(0x307);
        return;
    }
    const auto* begin = std::begin(unicode_data::lowercase_mappings);
    const auto* end = std::end(unicode_data::lowercase_mappings);
    const auto* found = std::lower_bound(begin, end, code_point,
                                         [](const auto& entry, uint32_t cp) { return entry.code_point < cp; });
    out.push_back(found != end && found->code_point == code_point ? found->lower : code_point);
}

}  // namespace ember::detail::unicode
