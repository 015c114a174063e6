#pragma once
// A small JSON value: parse (strict RFC 8259, untrusted input), inspect, build
// and serialize. ember needs JSON for chat conversations, template variables
// and the `ember` command's machine-readable output.
//
// Two choices follow Python, because chat templates are rendered by Python's
// jinja2 in the reference implementation and their `tojson` output ends up in
// the prompt byte for byte:
//   - objects keep insertion order (a Python dict does); a repeated key keeps
//     its first position and takes the last value, like json.loads;
//   - `dump()` writes exactly what Python's json.dumps writes: ", " / ": "
//     separators (or "," + newline with an indent), integers as integers,
//     floats as Python's repr (shortest round-trip: 0.1, 1e-05, 1.0).
//
//   auto doc = ember::json::parse(R"({"role": "user", "content": "hi"})");
//   if (!doc) return doc.error();
//   if (const ember::json* content = doc->find("content")) use(content->as_string());
//   ember::json reply = ember::json::object();
//   reply.set("role", "assistant");
//   std::string text = reply.dump();   // {"role": "assistant"}

#include <ember/error.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ember {

class json;
namespace detail { class json_parser; }

// How `json::dump` lays text out. The defaults are Python's json.dumps
// defaults; an unset `item_separator` means "Python's default for this
// indent" (", " without an indent, "," with one).
struct json_dump_style {
    int indent = -1;                           // < 0: one line; >= 0: newline + indent spaces per level
    bool ensure_ascii = false;                 // escape every non-ASCII character as \uXXXX
    bool sort_keys = false;                    // objects in key order instead of insertion order
    std::optional<std::string> item_separator; // between array items / object members
    std::string key_separator = ": ";
};

class json {
public:
    enum class kind { null, boolean, number, string, array, object };
    using array_type = std::vector<json>;
    using object_type = std::vector<std::pair<std::string, json>>;

    // Nesting deeper than this is refused by `parse` (it would recurse).
    static constexpr int max_depth = 512;

    json() = default;
    json(std::nullptr_t) {}
    json(bool value) : kind_(kind::boolean), bool_(value) {}
    json(double value) : kind_(kind::number), number_(value) {}
    json(float value) : json(static_cast<double>(value)) {}
    // Every integer type except bool (which has its own constructor).
    template <class integer, std::enable_if_t<std::is_integral_v<integer> && !std::is_same_v<integer, bool>, int> = 0>
    json(integer value) : kind_(kind::number), is_integer_(true) {
        if constexpr (std::is_unsigned_v<integer> && sizeof(integer) >= sizeof(int64_t)) {
            if (value > static_cast<uint64_t>(INT64_MAX)) {  // beyond int64: keep as a float
                is_integer_ = false;
                number_ = static_cast<double>(value);
                return;
            }
        }
        integer_ = static_cast<int64_t>(value);
        number_ = static_cast<double>(value);
    }
    json(const char* text) : kind_(kind::string), string_(text ? text : "") {}
    json(std::string text) : kind_(kind::string), string_(std::move(text)) {}
    json(std::string_view text) : kind_(kind::string), string_(text) {}
    json(array_type items) : kind_(kind::array), array_(std::move(items)) {}
    json(object_type members) : kind_(kind::object), object_(std::move(members)) {}

    // Builders: an empty array / object to fill with push_back / set.
    static json array() { return json(array_type{}); }
    static json object() { return json(object_type{}); }

    // Parse one JSON document; anything but whitespace after it is an error.
    // Errors are errc::invalid_argument naming line and column.
    static result<json> parse(std::string_view text);

    kind type() const { return kind_; }
    bool is_null() const { return kind_ == kind::null; }
    bool is_bool() const { return kind_ == kind::boolean; }
    bool is_number() const { return kind_ == kind::number; }
    // A number written without fraction or exponent that fits int64.
    bool is_integer() const { return kind_ == kind::number && is_integer_; }
    bool is_string() const { return kind_ == kind::string; }
    bool is_array() const { return kind_ == kind::array; }
    bool is_object() const { return kind_ == kind::object; }

    // Accessors return a neutral value (false, 0, "", empty) for the wrong
    // kind rather than failing: check the kind first when it matters.
    bool as_bool() const { return kind_ == kind::boolean && bool_; }
    double as_number() const { return kind_ == kind::number ? number_ : 0.0; }
    // Integers exactly; floats truncated toward zero (0 when out of range / NaN).
    int64_t as_int64() const {
        if (kind_ != kind::number) return 0;
        if (is_integer_) return integer_;
        if (!(number_ > -9223372036854775808.0 && number_ < 9223372036854775808.0)) return 0;
        return static_cast<int64_t>(number_);
    }
    const std::string& as_string() const { return kind_ == kind::string ? string_ : empty_string(); }
    const array_type& as_array() const { return kind_ == kind::array ? array_ : empty_array(); }
    const object_type& as_object() const { return kind_ == kind::object ? object_ : empty_object(); }
    // Mutable access to the containers (only meaningful for that kind).
    array_type& as_array() { return array_; }
    object_type& as_object() { return object_; }
    std::string& as_string() { return string_; }

    // Items of an array, members of an object, bytes of a string; else 0.
    size_t size() const {
        switch (kind_) {
            case kind::array: return array_.size();
            case kind::object: return object_.size();
            case kind::string: return string_.size();
            default: return 0;
        }
    }
    bool empty() const { return size() == 0; }

    // The member named `key`, or nullptr when absent or not an object.
    const json* find(std::string_view key) const {
        if (kind_ != kind::object) return nullptr;
        for (const auto& member : object_)
            if (member.first == key) return &member.second;
        return nullptr;
    }
    json* find(std::string_view key) {
        return const_cast<json*>(static_cast<const json&>(*this).find(key));
    }
    bool contains(std::string_view key) const { return find(key) != nullptr; }
    // The array item at `index`; a shared null for out of range or a non-array.
    const json& operator[](size_t index) const {
        return kind_ == kind::array && index < array_.size() ? array_[index] : null_value();
    }
    // The member `key`; a shared null when absent.
    const json& operator[](std::string_view key) const {
        const json* found = find(key);
        return found ? *found : null_value();
    }

    // Append to an array (a null becomes an empty array first).
    json& push_back(json value) {
        if (kind_ == kind::null) kind_ = kind::array;
        if (kind_ == kind::array) array_.push_back(std::move(value));
        return *this;
    }
    // Set member `key` (replacing in place, keeping its position, when it
    // exists). A null becomes an empty object first.
    json& set(std::string_view key, json value) {
        if (kind_ == kind::null) kind_ = kind::object;
        if (kind_ != kind::object) return *this;
        if (json* existing = find(key)) {
            *existing = std::move(value);
        } else {
            object_.emplace_back(std::string(key), std::move(value));
        }
        return *this;
    }
    // Remove member `key`; whether it was present.
    bool erase(std::string_view key) {
        if (kind_ != kind::object) return false;
        for (auto it = object_.begin(); it != object_.end(); ++it) {
            if (it->first == key) {
                object_.erase(it);
                return true;
            }
        }
        return false;
    }

    // Python's json.dumps(value, indent=indent, ensure_ascii=ensure_ascii).
    std::string dump(int indent = -1, bool ensure_ascii = false) const {
        json_dump_style style;
        style.indent = indent;
        style.ensure_ascii = ensure_ascii;
        return dump(style);
    }
    std::string dump(const json_dump_style& style) const {
        std::string out;
        const std::string item_separator =
            style.item_separator ? *style.item_separator : (style.indent >= 0 ? "," : ", ");
        dump_to(out, style, item_separator, 0);
        return out;
    }

    // Python equality: numbers by value (1 == 1.0), objects regardless of order.
    friend bool operator==(const json& a, const json& b) {
        if (a.kind_ != b.kind_) return false;
        switch (a.kind_) {
            case kind::null: return true;
            case kind::boolean: return a.bool_ == b.bool_;
            case kind::number:
                if (a.is_integer_ && b.is_integer_) return a.integer_ == b.integer_;
                return a.number_ == b.number_;
            case kind::string: return a.string_ == b.string_;
            case kind::array: return a.array_ == b.array_;
            case kind::object:
                if (a.object_.size() != b.object_.size()) return false;
                for (const auto& member : a.object_) {
                    const json* other = b.find(member.first);
                    if (!other || !(*other == member.second)) return false;
                }
                return true;
        }
        return false;
    }
    friend bool operator!=(const json& a, const json& b) { return !(a == b); }

private:
    friend class detail::json_parser;

    static const std::string& empty_string() { static const std::string value; return value; }
    static const array_type& empty_array() { static const array_type value; return value; }
    static const object_type& empty_object() { static const object_type value; return value; }
    static const json& null_value() { static const json value; return value; }

    void dump_to(std::string& out, const json_dump_style& style, const std::string& item_separator,
                 int level) const;

    kind kind_ = kind::null;
    bool bool_ = false;
    bool is_integer_ = false;
    int64_t integer_ = 0;
    double number_ = 0.0;
    std::string string_;
    array_type array_;
    object_type object_;

};

namespace detail {

// Python's repr(float): the shortest decimal string that reads back as the
// same double, written fixed-point when the decimal exponent is in
// [-4, 16), else scientific with a signed, at-least-two-digit exponent.
// (`%.17g` would print 0.1 as 0.10000000000000001.)
inline std::string python_float_repr(double value) {
    if (std::isnan(value)) return "NaN";  // what json.dumps writes (repr says 'nan')
    if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
    // Shortest round-trip digits as d.ddde±x.
    char buffer[64];
    std::string scientific;
#if defined(__cpp_lib_to_chars)
    auto converted = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
    scientific.assign(buffer, converted.ptr);
#else
    for (int precision = 0; precision <= 17; ++precision) {
        std::snprintf(buffer, sizeof(buffer), "%.*e", precision, value);
        if (std::strtod(buffer, nullptr) == value) break;
    }
    scientific = buffer;
#endif
    // Split into sign, digits and exponent; ignore any locale decimal mark.
    bool negative = false;
    std::string digits;
    int exponent = 0;
    size_t position = 0;
    if (position < scientific.size() && scientific[position] == '-') {
        negative = true;
        ++position;
    }
    for (; position < scientific.size() && scientific[position] != 'e' && scientific[position] != 'E'; ++position)
        if (scientific[position] >= '0' && scientific[position] <= '9') digits += scientific[position];
    if (position < scientific.size()) exponent = std::atoi(scientific.c_str() + position + 1);
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
    if (digits.empty()) digits = "0";

    // value = 0.d1d2d3... × 10^decimal_point
    const int decimal_point = exponent + 1;
    std::string out = negative ? "-" : "";
    if (decimal_point > -4 && decimal_point <= 16) {
        if (decimal_point <= 0) {
            out += "0.";
            out.append(static_cast<size_t>(-decimal_point), '0');
            out += digits;
        } else if (static_cast<size_t>(decimal_point) >= digits.size()) {
            out += digits;
            out.append(static_cast<size_t>(decimal_point) - digits.size(), '0');
            out += ".0";
        } else {
            out += digits.substr(0, static_cast<size_t>(decimal_point));
            out += '.';
            out += digits.substr(static_cast<size_t>(decimal_point));
        }
    } else {
        out += digits[0];
        if (digits.size() > 1) {
            out += '.';
            out += digits.substr(1);
        }
        char exponent_text[16];
        std::snprintf(exponent_text, sizeof(exponent_text), "e%c%02d", exponent < 0 ? '-' : '+',
                      exponent < 0 ? -exponent : exponent);
        out += exponent_text;
    }
    return out;
}

// Decode one UTF-8 sequence at text[position]; advances position. Invalid
// bytes decode as U+FFFD one byte at a time (as Python's errors='replace').
inline uint32_t decode_utf8(std::string_view text, size_t& position) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(position);
    if (lead < 0x80) {
        ++position;
        return lead;
    }
    int length = 0;
    uint32_t code = 0;
    uint32_t minimum = 0;
    if ((lead & 0xE0) == 0xC0) { length = 2; code = lead & 0x1F; minimum = 0x80; }
    else if ((lead & 0xF0) == 0xE0) { length = 3; code = lead & 0x0F; minimum = 0x800; }
    else if ((lead & 0xF8) == 0xF0) { length = 4; code = lead & 0x07; minimum = 0x10000; }
    else { ++position; return 0xFFFD; }
    if (position + static_cast<size_t>(length) > text.size()) { ++position; return 0xFFFD; }
    for (int i = 1; i < length; ++i) {
        const unsigned char next = byte(position + static_cast<size_t>(i));
        if ((next & 0xC0) != 0x80) { ++position; return 0xFFFD; }
        code = (code << 6) | (next & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) { ++position; return 0xFFFD; }
    position += static_cast<size_t>(length);
    return code;
}

inline void append_utf8(std::string& out, uint32_t code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

// A JSON string literal as Python's json.dumps writes it (lowercase hex).
inline void append_json_string(std::string& out, std::string_view text, bool ensure_ascii) {
    static const char hex[] = "0123456789abcdef";
    const auto append_escape = [&](uint32_t unit) {
        out += "\\u";
        out += hex[(unit >> 12) & 0xF];
        out += hex[(unit >> 8) & 0xF];
        out += hex[(unit >> 4) & 0xF];
        out += hex[unit & 0xF];
    };
    out += '"';
    size_t position = 0;
    while (position < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[position]);
        if (c >= 0x80) {
            if (!ensure_ascii) {
                out += static_cast<char>(c);
                ++position;
                continue;
            }
            const uint32_t code = decode_utf8(text, position);
            if (code >= 0x10000) {  // UTF-16 surrogate pair, as Python does
                const uint32_t offset = code - 0x10000;
                append_escape(0xD800 | (offset >> 10));
                append_escape(0xDC00 | (offset & 0x3FF));
            } else {
                append_escape(code);
            }
            continue;
        }
        ++position;
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                // Python's ensure_ascii escapes everything outside ' '..'~' (so DEL too).
                if (c < 0x20 || (c == 0x7F && ensure_ascii)) {
                    append_escape(c);
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    out += '"';
}

class json_parser {
public:
    explicit json_parser(std::string_view text) : text_(text) {}

    result<json> parse_document() {
        json value;
        skip_whitespace();
        if (!parse_value(value, 0)) return failure_;
        skip_whitespace();
        if (position_ != text_.size()) return fail("unexpected text after the JSON value");
        return value;
    }

private:
    // Record an error at the current position; returns false for chaining.
    bool fail_at(const char* message) {
        size_t line = 1, column = 1;
        for (size_t i = 0; i < position_ && i < text_.size(); ++i) {
            if (text_[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        failure_ = make_error(errc::invalid_argument, "json: line " + std::to_string(line) + " column " +
                                                          std::to_string(column) + ": " + message);
        return false;
    }
    error fail(const char* message) {
        fail_at(message);
        return failure_;
    }

    bool at_end() const { return position_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[position_]; }

    void skip_whitespace() {
        while (!at_end()) {
            const char c = text_[position_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
            ++position_;
        }
    }

    bool expect_word(std::string_view word) {
        if (text_.substr(position_, word.size()) != word) return fail_at("invalid literal");
        position_ += word.size();
        return true;
    }

    bool parse_value(json& out, int depth) {
        if (depth > json::max_depth) return fail_at("nesting deeper than 512 levels");
        if (at_end()) return fail_at("unexpected end of input, expected a value");
        switch (peek()) {
            case '{': return parse_object(out, depth);
            case '[': return parse_array(out, depth);
            case '"': {
                std::string text;
                if (!parse_string(text)) return false;
                out = json(std::move(text));
                return true;
            }
            case 't': out = json(true); return expect_word("true");
            case 'f': out = json(false); return expect_word("false");
            case 'n': out = json(); return expect_word("null");
            default:
                if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return parse_number(out);
                return fail_at("unexpected character, expected a value");
        }
    }

    bool parse_array(json& out, int depth) {
        ++position_;  // [
        json::array_type items;
        skip_whitespace();
        if (peek() == ']') {
            ++position_;
            out = json(std::move(items));
            return true;
        }
        for (;;) {
            skip_whitespace();
            json item;
            if (!parse_value(item, depth + 1)) return false;
            items.push_back(std::move(item));
            skip_whitespace();
            if (peek() == ',') {
                ++position_;
                continue;
            }
            if (peek() == ']') {
                ++position_;
                break;
            }
            return fail_at(at_end() ? "unexpected end of input in an array" : "expected ',' or ']' in an array");
        }
        out = json(std::move(items));
        return true;
    }

    bool parse_object(json& out, int depth) {
        ++position_;  // {
        json::object_type members;
        // Only large objects get an index, so small ones stay cheap while a
        // hostile document with many keys cannot make parsing quadratic.
        std::unordered_map<std::string, size_t> index;
        skip_whitespace();
        if (peek() == '}') {
            ++position_;
            out = json(std::move(members));
            return true;
        }
        for (;;) {
            skip_whitespace();
            if (peek() != '"') return fail_at(at_end() ? "unexpected end of input in an object" : "expected a string key");
            std::string key;
            if (!parse_string(key)) return false;
            skip_whitespace();
            if (peek() != ':') return fail_at("expected ':' after an object key");
            ++position_;
            skip_whitespace();
            json value;
            if (!parse_value(value, depth + 1)) return false;
            // A repeated key keeps its first position and takes the last value (Python).
            size_t existing = members.size();
            if (members.size() < 16) {
                for (size_t i = 0; i < members.size(); ++i)
                    if (members[i].first == key) existing = i;
            } else {
                if (index.empty())
                    for (size_t i = 0; i < members.size(); ++i) index.emplace(members[i].first, i);
                auto found = index.find(key);
                if (found != index.end()) existing = found->second;
                else index.emplace(key, members.size());
            }
            if (existing < members.size()) {
                members[existing].second = std::move(value);
            } else {
                members.emplace_back(std::move(key), std::move(value));
            }
            skip_whitespace();
            if (peek() == ',') {
                ++position_;
                continue;
            }
            if (peek() == '}') {
                ++position_;
                break;
            }
            return fail_at(at_end() ? "unexpected end of input in an object" : "expected ',' or '}' in an object");
        }
        out = json(std::move(members));
        return true;
    }

    bool parse_hex4(uint32_t& unit) {
        if (position_ + 4 > text_.size()) return fail_at("truncated \\u escape");
        unit = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[position_ + static_cast<size_t>(i)];
            unit <<= 4;
            if (c >= '0' && c <= '9') unit |= static_cast<uint32_t>(c - '0');
            else if (c >= 'a' && c <= 'f') unit |= static_cast<uint32_t>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') unit |= static_cast<uint32_t>(c - 'A' + 10);
            else return fail_at("invalid hex digit in a \\u escape");
        }
        position_ += 4;
        return true;
    }

    bool parse_string(std::string& out) {
        ++position_;  // opening quote
        for (;;) {
            if (at_end()) return fail_at("unterminated string");
            const unsigned char c = static_cast<unsigned char>(text_[position_]);
            if (c == '"') {
                ++position_;
                return true;
            }
            if (c < 0x20) return fail_at("control character in a string (must be escaped)");
            if (c != '\\') {
                // Copy a run of plain bytes at once.
                size_t end = position_ + 1;
                while (end < text_.size()) {
                    const unsigned char next = static_cast<unsigned char>(text_[end]);
                    if (next == '"' || next == '\\' || next < 0x20) break;
                    ++end;
                }
                out.append(text_.data() + position_, end - position_);
                position_ = end;
                continue;
            }
            ++position_;  // backslash
            if (at_end()) return fail_at("unterminated escape in a string");
            const char escape = text_[position_++];
            switch (escape) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    uint32_t unit = 0;
                    if (!parse_hex4(unit)) return false;
                    if (unit >= 0xD800 && unit <= 0xDBFF) {
                        // A high surrogate pairs with an immediately following \uDC00-\uDFFF.
                        uint32_t low = 0;
                        if (text_.substr(position_, 2) == "\\u") {
                            const size_t saved = position_;
                            position_ += 2;
                            if (!parse_hex4(low)) return false;
                            if (low >= 0xDC00 && low <= 0xDFFF) {
                                append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00));
                                break;
                            }
                            position_ = saved;  // not a low surrogate: decode it on its own
                        }
                        append_utf8(out, 0xFFFD);  // a lone surrogate has no UTF-8 form
                    } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
                        append_utf8(out, 0xFFFD);
                    } else {
                        append_utf8(out, unit);
                    }
                    break;
                }
                default:
                    --position_;
                    return fail_at("invalid escape in a string");
            }
        }
    }

    bool parse_number(json& out) {
        const size_t start = position_;
        bool is_integer = true;
        if (peek() == '-') ++position_;
        if (peek() == '0') {
            ++position_;
        } else if (peek() >= '1' && peek() <= '9') {
            while (peek() >= '0' && peek() <= '9') ++position_;
        } else {
            return fail_at("invalid number");
        }
        if (peek() == '.') {
            is_integer = false;
            ++position_;
            if (!(peek() >= '0' && peek() <= '9')) return fail_at("expected a digit after '.'");
            while (peek() >= '0' && peek() <= '9') ++position_;
        }
        if (peek() == 'e' || peek() == 'E') {
            is_integer = false;
            ++position_;
            if (peek() == '+' || peek() == '-') ++position_;
            if (!(peek() >= '0' && peek() <= '9')) return fail_at("expected a digit in an exponent");
            while (peek() >= '0' && peek() <= '9') ++position_;
        }
        const char* first = text_.data() + start;
        const char* last = text_.data() + position_;
        if (is_integer) {
            int64_t integer = 0;
            auto parsed = std::from_chars(first, last, integer);
            if (parsed.ec == std::errc() && parsed.ptr == last) {
                out = json(integer);
                return true;
            }
            // Beyond int64: a double for arithmetic, but the digits are kept
            // so dump() writes them back unchanged (a Python int is unbounded).
            out = json(to_double(first, last));
            out.string_.assign(first, last);
            return true;
        }
        out = json(to_double(first, last));
        return true;
    }

    static double to_double(const char* first, const char* last) {
#if defined(__cpp_lib_to_chars)
        double value = 0.0;
        auto parsed = std::from_chars(first, last, value);
        if (parsed.ec == std::errc::result_out_of_range) {
            // from_chars leaves the value unset; Python gives ±inf or ±0.
            const bool negative = *first == '-';
            const char* exponent = first;
            while (exponent < last && *exponent != 'e' && *exponent != 'E') ++exponent;
            const bool tiny = exponent < last && exponent + 1 < last && exponent[1] == '-';
            value = tiny ? (negative ? -0.0 : 0.0) : (negative ? -HUGE_VAL : HUGE_VAL);
        }
        return value;
#else
        // strtod honours the C locale's decimal mark; JSON's is always '.'.
        return std::strtod(std::string(first, last).c_str(), nullptr);
#endif
    }

    std::string_view text_;
    size_t position_ = 0;
    error failure_{errc::invalid_argument, {}};
};

}  // namespace detail

inline result<json> json::parse(std::string_view text) {
    detail::json_parser parser(text);
    return parser.parse_document();
}

inline void json::dump_to(std::string& out, const json_dump_style& style, const std::string& item_separator,
                          int level) const {
    const auto newline = [&](int depth) {
        if (style.indent < 0) return;
        out += '\n';
        out.append(static_cast<size_t>(style.indent) * static_cast<size_t>(depth), ' ');
    };
    switch (kind_) {
        case kind::null: out += "null"; return;
        case kind::boolean: out += bool_ ? "true" : "false"; return;
        case kind::number:
            if (is_integer_) {
                out += std::to_string(integer_);
            } else if (!string_.empty()) {
                out += string_;  // an integer literal beyond int64, verbatim
            } else {
                out += detail::python_float_repr(number_);
            }
            return;
        case kind::string: detail::append_json_string(out, string_, style.ensure_ascii); return;
        case kind::array:
            if (array_.empty()) {
                out += "[]";
                return;
            }
            out += '[';
            for (size_t i = 0; i < array_.size(); ++i) {
                if (i) out += item_separator;
                newline(level + 1);
                array_[i].dump_to(out, style, item_separator, level + 1);
            }
            newline(level);
            out += ']';
            return;
        case kind::object: {
            if (object_.empty()) {
                out += "{}";
                return;
            }
            std::vector<const std::pair<std::string, json>*> members;
            members.reserve(object_.size());
            for (const auto& member : object_) members.push_back(&member);
            if (style.sort_keys) {
                // Byte order of UTF-8 is code point order, which is Python's.
                std::stable_sort(members.begin(), members.end(),
                                 [](const auto* a, const auto* b) { return a->first < b->first; });
            }
            out += '{';
            for (size_t i = 0; i < members.size(); ++i) {
                if (i) out += item_separator;
                newline(level + 1);
                detail::append_json_string(out, members[i]->first, style.ensure_ascii);
                out += style.key_separator;
                members[i]->second.dump_to(out, style, item_separator, level + 1);
            }
            newline(level);
            out += '}';
            return;
        }
    }
}

}  // namespace ember
