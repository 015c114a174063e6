#pragma once
// jinja2's filters and tests, Python's str/dict/list methods, and the
// globals Hugging Face gives chat templates (range, dict, namespace,
// raise_exception, strftime_now) — each written to give Python's result,
// since the reference renders are Python's.

#include <ember/runtime/detail/jinja/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::detail::jinja {

// Arguments of a call, bound Python-style: a parameter is the index-th
// positional argument or the keyword of its name.
struct arguments {
    std::vector<value> positional;
    std::vector<std::pair<std::string, value>> keywords;

    const value* get(size_t index, std::string_view name) const {
        if (index < positional.size()) return &positional[index];
        for (const auto& keyword : keywords)
            if (keyword.first == name) return &keyword.second;
        return nullptr;
    }
    value get_or(size_t index, std::string_view name, value fallback) const {
        const value* found = get(index, name);
        return found && !found->is_undefined() ? *found : fallback;
    }
};

// Bounds every builtin respects, so no template can allocate without limit.
struct builtin_context {
    size_t max_string_bytes = 0;
    size_t max_items = 0;
    const std::function<std::tm()>* now = nullptr;
};

// ---- small helpers -------------------------------------------------------

// int64 arithmetic that reports overflow instead of wrapping (Python's ints
// are unbounded; a template that overflows int64 gets an error).
inline bool checked_add(int64_t a, int64_t b, int64_t& out) {
    if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b)) return false;
    out = a + b;
    return true;
}
inline bool checked_subtract(int64_t a, int64_t b, int64_t& out) {
    if ((b < 0 && a > INT64_MAX + b) || (b > 0 && a < INT64_MIN + b)) return false;
    out = a - b;
    return true;
}
inline bool checked_multiply(int64_t a, int64_t b, int64_t& out) {
    if (a == 0 || b == 0) {
        out = 0;
        return true;
    }
    if ((a == -1 && b == INT64_MIN) || (b == -1 && a == INT64_MIN)) return false;
    const int64_t product = static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
    if (product / b != a) return false;
    out = product;
    return true;
}

inline error undefined_failure(const value& item) {
    return template_failure(item.undefined_hint().empty() ? "undefined value" : item.undefined_hint());
}

inline error type_failure(const std::string& message) { return template_failure(message); }

inline uint32_t lower_code(uint32_t code) {
    if (code >= 'A' && code <= 'Z') return code + 32;
    if (code < 0x80) return code;
    if ((code >= 0xC0 && code <= 0xDE && code != 0xD7)) return code + 32;
    if (code >= 0x391 && code <= 0x3AB && code != 0x3A2) return code + 32;  // Greek
    if (code >= 0x410 && code <= 0x42F) return code + 32;                   // Cyrillic
    if (code >= 0x400 && code <= 0x40F) return code + 80;
    if (code >= 0x100 && code <= 0x17F && code != 0x130 && code != 0x131 && code != 0x138 && code != 0x149 &&
        code != 0x17F) {
        // Latin Extended-A pairs: even upper / odd lower, except a shifted run.
        const bool shifted = (code >= 0x139 && code <= 0x148) || (code >= 0x179 && code <= 0x17E);
        if (shifted ? (code % 2 == 1) : (code % 2 == 0)) return code + 1;
    }
    return code;
}

inline uint32_t upper_code(uint32_t code) {
    if (code >= 'a' && code <= 'z') return code - 32;
    if (code < 0x80) return code;
    if (code >= 0xE0 && code <= 0xFE && code != 0xF7) return code - 32;
    if (code >= 0x3B1 && code <= 0x3CB && code != 0x3C2) return code - 32;
    if (code == 0x3C2) return 0x3A3;
    if (code >= 0x430 && code <= 0x44F) return code - 32;
    if (code >= 0x450 && code <= 0x45F) return code - 80;
    if (code >= 0x100 && code <= 0x17F && code != 0x130 && code != 0x131 && code != 0x138 && code != 0x149 &&
        code != 0x17F) {
        const bool shifted = (code >= 0x139 && code <= 0x148) || (code >= 0x179 && code <= 0x17E);
        if (shifted ? (code % 2 == 0) : (code % 2 == 1)) return code - 1;
    }
    return code;
}

inline bool is_alpha_code(uint32_t code) {
    if (code < 0x80) return (code >= 'a' && code <= 'z') || (code >= 'A' && code <= 'Z');
    return lower_code(code) != code || upper_code(code) != code || code >= 0x4E00;  // cased letters and CJK
}
inline bool is_digit_code(uint32_t code) { return code >= '0' && code <= '9'; }
inline bool is_word_code(uint32_t code) { return is_alpha_code(code) || is_digit_code(code) || code == '_'; }

inline std::string to_lower(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t position = 0;
    while (position < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[position]);
        if (c < 0x80) {
            out += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
            ++position;
        } else {
            append_utf8(out, lower_code(decode_utf8(text, position)));
        }
    }
    return out;
}

inline std::string to_upper(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    size_t position = 0;
    while (position < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[position]);
        if (c < 0x80) {
            out += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
            ++position;
        } else {
            const uint32_t code = decode_utf8(text, position);
            if (code == 0xDF) out += "SS";  // ß, as Python
            else append_utf8(out, upper_code(code));
        }
    }
    return out;
}

// Python's str.strip family: `chars` empty-and-absent means whitespace.
inline std::string strip_text(std::string_view text, const value* chars, bool left, bool right) {
    std::vector<uint32_t> codes = decode_all(text);
    std::vector<uint32_t> set;
    const bool whitespace = !chars || chars->is_none() || chars->is_undefined();
    if (!whitespace) set = decode_all(chars->as_string());
    const auto strip = [&](uint32_t code) {
        return whitespace ? is_space_code(code) : std::find(set.begin(), set.end(), code) != set.end();
    };
    size_t begin = 0, end = codes.size();
    if (left)
        while (begin < end && strip(codes[begin])) ++begin;
    if (right)
        while (end > begin && strip(codes[end - 1])) --end;
    return encode_all(std::vector<uint32_t>(codes.begin() + static_cast<std::ptrdiff_t>(begin),
                                            codes.begin() + static_cast<std::ptrdiff_t>(end)));
}

inline bool is_ascii(std::string_view text) {
    for (char c : text)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

// Python's str.split / rsplit.
inline value_list split_text(std::string_view text, const value* separator, int64_t max_split, bool from_right) {
    value_list parts;
    if (!separator || separator->is_none() || separator->is_undefined()) {
        // Runs of whitespace; no empty strings.
        std::vector<uint32_t> codes = decode_all(text);
        std::vector<std::pair<size_t, size_t>> words;  // code index ranges
        size_t i = 0;
        while (i < codes.size()) {
            while (i < codes.size() && is_space_code(codes[i])) ++i;
            if (i >= codes.size()) break;
            size_t start = i;
            while (i < codes.size() && !is_space_code(codes[i])) ++i;
            words.emplace_back(start, i);
        }
        const auto slice = [&](size_t begin, size_t end) {
            return encode_all(std::vector<uint32_t>(codes.begin() + static_cast<std::ptrdiff_t>(begin),
                                                    codes.begin() + static_cast<std::ptrdiff_t>(end)));
        };
        if (max_split < 0 || static_cast<size_t>(max_split) >= words.size()) {
            for (const auto& word : words) parts.push_back(value::string(slice(word.first, word.second)));
            return parts;
        }
        const size_t splits = static_cast<size_t>(max_split);
        if (!from_right) {
            for (size_t w = 0; w < splits; ++w) parts.push_back(value::string(slice(words[w].first, words[w].second)));
            // The rest from the next word's start, trailing whitespace kept.
            parts.push_back(value::string(slice(words[splits].first, codes.size())));
        } else {
            const size_t keep = words.size() - splits;
            parts.push_back(value::string(slice(0, words[keep - 1].second)));
            for (size_t w = keep; w < words.size(); ++w)
                parts.push_back(value::string(slice(words[w].first, words[w].second)));
        }
        return parts;
    }
    const std::string& sep = separator->as_string();
    std::vector<std::string> pieces;
    if (!from_right) {
        size_t start = 0;
        int64_t done = 0;
        for (;;) {
            const size_t found = (max_split >= 0 && done >= max_split) ? std::string::npos : text.find(sep, start);
            if (found == std::string::npos) {
                pieces.emplace_back(text.substr(start));
                break;
            }
            pieces.emplace_back(text.substr(start, found - start));
            start = found + sep.size();
            ++done;
        }
    } else {
        size_t end = text.size();
        int64_t done = 0;
        for (;;) {
            size_t found = std::string::npos;
            if (!(max_split >= 0 && done >= max_split) && end >= sep.size()) found = text.rfind(sep, end - sep.size());
            if (found == std::string::npos) {
                pieces.emplace_back(text.substr(0, end));
                break;
            }
            pieces.emplace_back(text.substr(found + sep.size(), end - found - sep.size()));
            end = found;
            ++done;
        }
        std::reverse(pieces.begin(), pieces.end());
    }
    for (auto& piece : pieces) parts.push_back(value::string(std::move(piece)));
    return parts;
}

// Python's str.replace; stops early (returning a string just over `limit`)
// once the result outgrows `limit`, so the caller's size check fails fast.
inline std::string replace_text(std::string_view text, std::string_view old_text, std::string_view new_text,
                                int64_t count, size_t limit = SIZE_MAX) {
    std::string out;
    if (old_text.empty()) {
        // Python inserts between every code point (and at both ends).
        std::vector<size_t> offsets = code_point_offsets(text);
        int64_t done = 0;
        for (size_t i = 0; i + 1 < offsets.size() || i == 0; ++i) {
            if (count < 0 || done < count) {
                out += new_text;
                ++done;
            }
            if (out.size() > limit) return out;
            if (i + 1 >= offsets.size()) break;
            out += text.substr(offsets[i], offsets[i + 1] - offsets[i]);
        }
        if (offsets.size() > 1 && (count < 0 || done < count)) out += new_text;
        return out;
    }
    size_t start = 0;
    int64_t done = 0;
    for (;;) {
        const size_t found = (count >= 0 && done >= count) ? std::string::npos : text.find(old_text, start);
        if (found == std::string::npos) break;
        out += text.substr(start, found - start);
        out += new_text;
        start = found + old_text.size();
        ++done;
        if (out.size() > limit) return out;
    }
    out += text.substr(start);
    return out;
}

// jinja2's title filter: capitalize each word, words split at whitespace
// and -([{< (a regex in jinja2/filters.py).
inline std::string title_filter(std::string_view text) {
    std::string out;
    size_t position = 0;
    bool word_start = true;
    while (position < text.size()) {
        const uint32_t code = decode_utf8(text, position);
        const bool separator = is_space_code(code) || code == '-' || code == '(' || code == '{' || code == '[' ||
                               code == '<';
        if (separator) {
            append_utf8(out, code);
            word_start = true;
        } else {
            append_utf8(out, word_start ? upper_code(code) : lower_code(code));
            word_start = false;
        }
    }
    return out;
}

// Python's str.title: a letter after a non-letter is upper-cased.
inline std::string title_method(std::string_view text) {
    std::string out;
    size_t position = 0;
    bool previous_cased = false;
    while (position < text.size()) {
        const uint32_t code = decode_utf8(text, position);
        const bool letter = is_alpha_code(code);
        append_utf8(out, letter ? (previous_cased ? lower_code(code) : upper_code(code)) : code);
        previous_cased = letter;
    }
    return out;
}

inline std::string capitalize_text(std::string_view text) {
    std::string out;
    size_t position = 0;
    bool first = true;
    while (position < text.size()) {
        const uint32_t code = decode_utf8(text, position);
        append_utf8(out, first ? upper_code(code) : lower_code(code));
        first = false;
    }
    return out;
}

// Python's int(): optional sign, underscores between digits, whitespace around.
inline bool parse_python_int(std::string_view text, int base, int64_t& out) {
    std::string cleaned = strip_text(text, nullptr, true, true);
    size_t position = 0;
    bool negative = false;
    if (position < cleaned.size() && (cleaned[position] == '+' || cleaned[position] == '-')) {
        negative = cleaned[position] == '-';
        ++position;
    }
    if (base == 16 && cleaned.compare(position, 2, "0x") == 0) position += 2;
    if (base == 0) {
        base = 10;
        if (cleaned.compare(position, 2, "0x") == 0 || cleaned.compare(position, 2, "0X") == 0) base = 16, position += 2;
        else if (cleaned.compare(position, 2, "0o") == 0 || cleaned.compare(position, 2, "0O") == 0) base = 8, position += 2;
        else if (cleaned.compare(position, 2, "0b") == 0 || cleaned.compare(position, 2, "0B") == 0) base = 2, position += 2;
    }
    if (base < 2 || base > 36 || position >= cleaned.size()) return false;
    uint64_t magnitude = 0;
    bool any = false, previous_underscore = false;
    for (; position < cleaned.size(); ++position) {
        const char c = cleaned[position];
        if (c == '_') {
            if (!any || previous_underscore) return false;
            previous_underscore = true;
            continue;
        }
        int digit;
        if (c >= '0' && c <= '9') digit = c - '0';
        else if (c >= 'a' && c <= 'z') digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'Z') digit = c - 'A' + 10;
        else return false;
        if (digit >= base) return false;
        if (magnitude > (static_cast<uint64_t>(INT64_MAX) - static_cast<uint64_t>(digit)) / static_cast<uint64_t>(base))
            return false;
        magnitude = magnitude * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
        any = true;
        previous_underscore = false;
    }
    if (!any || previous_underscore) return false;
    out = negative ? -static_cast<int64_t>(magnitude) : static_cast<int64_t>(magnitude);
    return true;
}

// Python's float() of a string: decimal/scientific, inf, nan.
inline bool parse_python_float(std::string_view text, double& out) {
    std::string cleaned = to_lower(strip_text(text, nullptr, true, true));
    std::string digits;
    for (char c : cleaned)
        if (c != '_') digits += c;
    if (digits.empty()) return false;
    bool negative = false;
    std::string body = digits;
    if (body[0] == '+' || body[0] == '-') {
        negative = body[0] == '-';
        body.erase(0, 1);
    }
    if (body == "inf" || body == "infinity") {
        out = negative ? -HUGE_VAL : HUGE_VAL;
        return true;
    }
    if (body == "nan") {
        out = std::nan("");
        return true;
    }
    // JSON's grammar needs a digit before and after '.', and no leading zeros.
    if (!body.empty() && body[0] == '.') body = "0" + body;
    const size_t dot = body.find('.');
    if (dot != std::string::npos && (dot + 1 >= body.size() || !(body[dot + 1] >= '0' && body[dot + 1] <= '9')))
        body.insert(dot + 1, "0");
    while (body.size() > 1 && body[0] == '0' && body[1] >= '0' && body[1] <= '9') body.erase(0, 1);
    auto parsed = json::parse(body);
    if (!parsed || !parsed->is_number()) return false;
    out = negative ? -parsed->as_number() : parsed->as_number();
    return true;
}

// Python's round(x, ndigits) for floats: correctly rounded, ties to even on
// the exact binary value — what printf's %.*f does too.
inline double python_round(double number, int64_t digits) {
    if (!std::isfinite(number)) return number;
    if (digits > 300) return number;
    if (digits < -300) return 0.0 * number;
    if (digits >= 0) {
        char buffer[512];
        std::snprintf(buffer, sizeof(buffer), "%.*f", static_cast<int>(digits), number);
        double parsed = 0.0;
        return parse_python_float(buffer, parsed) ? parsed : number;
    }
    const double scale = std::pow(10.0, static_cast<double>(-digits));
    const double scaled = number / scale;
    double rounded = std::nearbyint(scaled);
    return rounded * scale;
}

inline std::string html_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&#34;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

// ---- iteration -----------------------------------------------------------

// What `for x in value` walks: list/tuple items, dict keys, string
// characters; Undefined is empty. Anything else is Python's TypeError.
inline result<value_list> iterate(const value& item) {
    switch (item.type()) {
        case value::kind::undefined: return value_list{};
        case value::kind::list:
        case value::kind::tuple: return item.items();
        case value::kind::dict: {
            value_list keys;
            for (const auto& entry : item.dict_items().items) keys.push_back(entry.first);
            return keys;
        }
        case value::kind::string: {
            value_list characters;
            const std::string& text = item.as_string();
            std::vector<size_t> offsets = code_point_offsets(text);
            for (size_t i = 0; i + 1 < offsets.size(); ++i)
                characters.push_back(value::string(text.substr(offsets[i], offsets[i + 1] - offsets[i])));
            return characters;
        }
        default: return type_failure(std::string("'") + type_name(item) + "' object is not iterable");
    }
}

inline result<int64_t> length_of(const value& item) {
    switch (item.type()) {
        case value::kind::undefined: return int64_t{0};
        case value::kind::string: return static_cast<int64_t>(code_point_count(item.as_string()));
        case value::kind::list:
        case value::kind::tuple: return static_cast<int64_t>(item.items().size());
        case value::kind::dict:
        case value::kind::namespace_object: return static_cast<int64_t>(item.dict_items().items.size());
        default: return type_failure(std::string("object of type '") + type_name(item) + "' has no len()");
    }
}

// ---- attribute and item access -------------------------------------------

inline bool is_string_method(std::string_view name) {
    static const char* const names[] = {
        "startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper", "title",
        "capitalize", "replace", "find", "rfind", "index", "rindex", "count", "join", "format", "isdigit",
        "isalpha", "isalnum", "isspace", "islower", "isupper", "isnumeric", "isdecimal", "splitlines",
        "removeprefix", "removesuffix", "casefold", "swapcase", "zfill", "center", "ljust", "rjust",
        "partition", "rpartition", "encode"};
    for (const char* candidate : names)
        if (name == candidate) return true;
    return false;
}

inline bool is_dict_method(std::string_view name) {
    return name == "items" || name == "keys" || name == "values" || name == "get" || name == "copy";
}
// Mutating methods: ImmutableSandboxedEnvironment refuses them.
inline bool is_unsafe_dict_method(std::string_view name) {
    return name == "pop" || name == "popitem" || name == "update" || name == "setdefault" || name == "clear";
}
inline bool is_list_method(std::string_view name) { return name == "index" || name == "count" || name == "copy"; }
inline bool is_unsafe_list_method(std::string_view name) {
    return name == "append" || name == "extend" || name == "insert" || name == "pop" || name == "remove" ||
           name == "clear" || name == "sort" || name == "reverse";
}

inline value bound_method(const value& self, std::string name) {
    callable_data function;
    function.name = std::move(name);
    function.self = std::make_shared<const value>(self);
    return value::callable(std::move(function));
}

inline std::string object_description(const value& item) {
    switch (item.type()) {
        case value::kind::dict: return "dict object";
        case value::kind::list: return "list object";
        case value::kind::tuple: return "tuple object";
        case value::kind::string: return "str object";
        case value::kind::namespace_object: return "jinja2.utils.Namespace object";
        case value::kind::none: return "None";
        default: return std::string(type_name(item)) + " object";
    }
}

// `loop.<name>` computed from the loop's items and this iteration's index.
inline value loop_attribute(const value& loop, const std::string& name) {
    const int64_t index = loop.as_integer();
    const value_list& items = loop.items();
    const int64_t length = static_cast<int64_t>(items.size());
    if (name == "index") return value::integer(index + 1);
    if (name == "index0") return value::integer(index);
    if (name == "revindex") return value::integer(length - index);
    if (name == "revindex0") return value::integer(length - index - 1);
    if (name == "first") return value::boolean(index == 0);
    if (name == "last") return value::boolean(index == length - 1);
    if (name == "length") return value::integer(length);
    if (name == "depth") return value::integer(1);
    if (name == "depth0") return value::integer(0);
    if (name == "previtem") {
        if (index > 0) return items[static_cast<size_t>(index - 1)];
        return value::undefined("there is no previous item");
    }
    if (name == "nextitem") {
        if (index + 1 < length) return items[static_cast<size_t>(index + 1)];
        return value::undefined("there is no next item");
    }
    if (name == "cycle") {
        callable_data cycle;
        cycle.name = "loop.cycle";
        cycle.self = std::make_shared<const value>(value::integer(index));
        return value::callable(std::move(cycle));
    }
    return value::undefined("'LoopContext' object has no attribute '" + name + "'");
}

// jinja2's getattr: Python attribute first (methods), then item.
inline result<value> get_attribute(const value& object, const std::string& name) {
    if (object.is_undefined()) return undefined_failure(object);
    if (object.is_loop_context()) return loop_attribute(object, name);
    const auto missing = [&] {
        return value::undefined("'" + object_description(object) + "' has no attribute '" + name + "'");
    };
    switch (object.type()) {
        case value::kind::dict:
            if (is_dict_method(name)) return bound_method(object, name);
            if (is_unsafe_dict_method(name)) return bound_method(object, "unsafe:dict." + name);
            if (const value* found = object.dict_items().find(name)) return *found;
            return missing();
        case value::kind::namespace_object:
            if (const value* found = object.dict_items().find(name)) return *found;
            return missing();
        case value::kind::string:
            if (is_string_method(name)) return bound_method(object, name);
            return missing();
        case value::kind::list:
        case value::kind::tuple:
            if (is_list_method(name)) return bound_method(object, name);
            if (is_unsafe_list_method(name) && object.is_list()) return bound_method(object, "unsafe:list." + name);
            return missing();
        default: return missing();
    }
}

// Python index normalisation; false when out of range.
inline bool normalize_index(int64_t index, size_t size, size_t& out) {
    if (index < 0) index += static_cast<int64_t>(size);
    if (index < 0 || static_cast<uint64_t>(index) >= size) return false;
    out = static_cast<size_t>(index);
    return true;
}

// jinja2's getitem: item first, then attribute.
inline result<value> get_item(const value& object, const value& key) {
    if (object.is_undefined()) return undefined_failure(object);
    switch (object.type()) {
        case value::kind::dict:
            if (const value* found = object.dict_items().find(key)) return *found;
            break;
        case value::kind::list:
        case value::kind::tuple:
        case value::kind::string:
            if (key.is_integer() || key.is_boolean()) {
                size_t index = 0;
                if (object.is_string()) {
                    std::vector<size_t> offsets = code_point_offsets(object.as_string());
                    if (normalize_index(key.as_integer(), offsets.size() - 1, index))
                        return value::string(object.as_string().substr(offsets[index], offsets[index + 1] - offsets[index]));
                } else if (normalize_index(key.as_integer(), object.items().size(), index)) {
                    return object.items()[index];
                }
                return value::undefined("'" + object_description(object) + "' has no element " + to_str(key));
            }
            break;
        default: break;
    }
    if (key.is_string()) return get_attribute(object, key.as_string());
    return value::undefined("'" + object_description(object) + "' has no element " + repr(key));
}

// Python slicing of lists, tuples and strings (by code point).
inline result<value> slice_value(const value& object, const value& start, const value& stop, const value& step_value) {
    if (object.is_undefined()) return undefined_failure(object);
    const auto as_index = [](const value& item, int64_t& out) {
        if (item.is_none() || item.is_undefined()) return false;
        out = item.as_integer();
        return true;
    };
    for (const value* part : {&start, &stop, &step_value})
        if (!part->is_none() && !part->is_undefined() && !part->is_integer() && !part->is_boolean())
            return type_failure("slice indices must be integers or None");
    int64_t step = 1;
    as_index(step_value, step);
    if (step == 0) return type_failure("slice step cannot be zero");
    std::vector<size_t> offsets;
    int64_t length = 0;
    if (object.is_string()) {
        offsets = code_point_offsets(object.as_string());
        length = static_cast<int64_t>(offsets.size() - 1);
    } else if (object.is_sequence()) {
        length = static_cast<int64_t>(object.items().size());
    } else {
        return type_failure(std::string("'") + type_name(object) + "' object is not subscriptable");
    }
    // CPython's PySlice_AdjustIndices.
    int64_t begin, end;
    const auto adjust = [&](int64_t index, bool is_begin) {
        if (index < 0) {
            index += length;
            if (index < 0) index = step < 0 ? -1 : 0;
        } else if (index >= length) {
            index = step < 0 ? length - 1 : length;
        }
        (void)is_begin;
        return index;
    };
    if (!as_index(start, begin)) begin = step < 0 ? length - 1 : 0;
    else begin = adjust(begin, true);
    if (!as_index(stop, end)) end = step < 0 ? -1 : length;
    else end = adjust(end, false);
    std::vector<int64_t> indices;
    if (step > 0) {
        for (int64_t i = begin; i < end; i += step) indices.push_back(i);
    } else {
        for (int64_t i = begin; i > end; i += step) indices.push_back(i);
    }
    if (object.is_string()) {
        std::string out;
        const std::string& text = object.as_string();
        for (int64_t i : indices) {
            const size_t index = static_cast<size_t>(i);
            out.append(text, offsets[index], offsets[index + 1] - offsets[index]);
        }
        return value::string(std::move(out));
    }
    value_list items;
    items.reserve(indices.size());
    for (int64_t i : indices) items.push_back(object.items()[static_cast<size_t>(i)]);
    return object.is_tuple() ? value::tuple(std::move(items)) : value::list(std::move(items));
}

// jinja2's attrgetter for map/selectattr/sort(attribute=): "a.b" walks
// nested attributes, "0" indexes.
inline result<value> get_path(const value& object, const std::string& path) {
    value current = object;
    size_t start = 0;
    for (;;) {
        const size_t dot = path.find('.', start);
        const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        int64_t index = 0;
        value key = (!part.empty() && parse_python_int(part, 10, index) && part.find_first_not_of("0123456789") == std::string::npos)
                        ? value::integer(index)
                        : value::string(part);
        EMBER_TRY_ASSIGN(current, get_item(current, key));
        if (dot == std::string::npos) return current;
        start = dot + 1;
    }
}

// ---- printf-style and str.format formatting ---------------------------------

inline result<std::string> format_spec(const value& item, std::string_view spec, char conversion);

// Python's `format % args` (the subset templates use: %s %r %d %i %f %e %g %x %o %c %%
// with flags, width and precision).
inline result<std::string> percent_format(std::string_view format, const value& arguments_value) {
    value_list args;
    const value_dict* named = nullptr;
    if (arguments_value.is_tuple()) args = arguments_value.items();
    else if (arguments_value.is_dict()) named = &arguments_value.dict_items();
    else args.push_back(arguments_value);
    size_t next = 0;
    std::string out;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%') {
            out += format[i];
            continue;
        }
        if (++i >= format.size()) return type_failure("incomplete format");
        const value* argument = nullptr;
        if (format[i] == '(') {
            const size_t close = format.find(')', i);
            if (close == std::string_view::npos || !named) return type_failure("format requires a mapping");
            argument = named->find(format.substr(i + 1, close - i - 1));
            if (!argument) return type_failure("format key not found");
            i = close + 1;
        }
        std::string spec;
        while (i < format.size() && std::string_view("-+ #0").find(format[i]) != std::string_view::npos) spec += format[i++];
        while (i < format.size() && format[i] >= '0' && format[i] <= '9') spec += format[i++];
        if (i < format.size() && format[i] == '.') {
            spec += format[i++];
            while (i < format.size() && format[i] >= '0' && format[i] <= '9') spec += format[i++];
        }
        if (i >= format.size()) return type_failure("incomplete format");
        const char conversion = format[i];
        if (conversion == '%') {
            out += '%';
            continue;
        }
        if (!argument) {
            if (next >= args.size()) return type_failure("not enough arguments for format string");
            argument = &args[next++];
        }
        char buffer[512];
        const std::string c_format = "%" + spec;
        switch (conversion) {
            case 's':
            case 'r': {
                const std::string text = conversion == 's' ? to_str(*argument) : repr(*argument);
                std::snprintf(buffer, sizeof(buffer), (c_format + "s").c_str(), text.c_str());
                out += (text.size() + 64 < sizeof(buffer)) ? std::string(buffer) : text;
                break;
            }
            case 'd':
            case 'i':
            case 'x':
            case 'X':
            case 'o':
                if (!argument->is_number()) return type_failure("%d format: a real number is required");
                std::snprintf(buffer, sizeof(buffer), (c_format + "ll" + (conversion == 'i' ? 'd' : conversion)).c_str(),
                              static_cast<long long>(argument->is_floating() ? static_cast<int64_t>(argument->as_double())
                                                                             : argument->as_integer()));
                out += buffer;
                break;
            case 'f':
            case 'F':
            case 'e':
            case 'E':
            case 'g':
            case 'G':
                if (!argument->is_number()) return type_failure("must be real number");
                std::snprintf(buffer, sizeof(buffer), (c_format + conversion).c_str(), argument->as_double());
                out += buffer;
                break;
            case 'c':
                if (argument->is_integer()) append_utf8(out, static_cast<uint32_t>(argument->as_integer()));
                else out += to_str(*argument);
                break;
            default: return type_failure(std::string("unsupported format character '") + conversion + "'");
        }
    }
    if (!named && next < args.size() && arguments_value.is_tuple())
        return type_failure("not all arguments converted during string formatting");
    return out;
}

// A format_spec of str.format: [[fill]align][sign][0][width][.precision][type].
inline result<std::string> format_spec(const value& item, std::string_view spec, char conversion) {
    std::string text;
    if (conversion == 'r') text = repr(item);
    else if (spec.empty() || conversion == 's') text = to_str(item);
    if (spec.empty()) return conversion ? text : to_str(item);
    size_t i = 0;
    uint32_t fill = ' ';
    char align = 0;
    if (spec.size() >= 2 && std::string_view("<>^=").find(spec[1]) != std::string_view::npos) {
        fill = static_cast<unsigned char>(spec[0]);
        align = spec[1];
        i = 2;
    } else if (!spec.empty() && std::string_view("<>^=").find(spec[0]) != std::string_view::npos) {
        align = spec[0];
        i = 1;
    }
    std::string number_flags;
    while (i < spec.size() && (spec[i] == '+' || spec[i] == '-' || spec[i] == ' ')) number_flags += spec[i++];
    if (i < spec.size() && spec[i] == '0') {
        if (!align) {
            fill = '0';
            align = '=';
        }
        ++i;
    }
    size_t width = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') width = width * 10 + static_cast<size_t>(spec[i++] - '0');
    if (width > 4096) return type_failure("format width too large");
    int precision = -1;
    if (i < spec.size() && spec[i] == '.') {
        ++i;
        precision = 0;
        while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') precision = precision * 10 + (spec[i++] - '0');
        if (precision > 300) return type_failure("format precision too large");
    }
    const char type = i < spec.size() ? spec[i] : 0;
    char buffer[512];
    if (conversion == 0) {
        if (type == 'f' || type == 'F' || type == 'e' || type == 'E' || type == 'g' || type == 'G' || type == '%') {
            if (!item.is_number()) return type_failure("unknown format code for a non-number");
            const double number = item.as_double() * (type == '%' ? 100.0 : 1.0);
            const char c_type = type == '%' ? 'f' : type;
            std::snprintf(buffer, sizeof(buffer), ("%" + number_flags + "." + std::to_string(precision < 0 ? 6 : precision) + c_type).c_str(), number);
            text = buffer;
            if (type == '%') text += '%';
        } else if (type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b') {
            if (!item.is_integer() && !item.is_boolean()) return type_failure("unknown format code for a non-integer");
            if (type == 'b') {
                uint64_t magnitude = item.as_integer() < 0 ? 0 - static_cast<uint64_t>(item.as_integer()) : static_cast<uint64_t>(item.as_integer());
                std::string bits;
                do { bits.insert(bits.begin(), static_cast<char>('0' + (magnitude & 1))); magnitude >>= 1; } while (magnitude);
                text = (item.as_integer() < 0 ? "-" : number_flags) + bits;
            } else {
                std::snprintf(buffer, sizeof(buffer), ("%" + number_flags + "ll" + type).c_str(), static_cast<long long>(item.as_integer()));
                text = buffer;
            }
        } else {
            text = to_str(item);
            if (precision >= 0 && item.is_string()) {
                std::vector<size_t> offsets = code_point_offsets(text);
                if (static_cast<size_t>(precision) + 1 < offsets.size()) text.resize(offsets[static_cast<size_t>(precision)]);
            } else if (precision >= 0 && item.is_floating()) {
                std::snprintf(buffer, sizeof(buffer), "%.*g", precision, item.as_double());
                text = buffer;
            }
        }
    }
    const size_t length = code_point_count(text);
    if (width > length) {
        const size_t padding = width - length;
        std::string fill_text;
        append_utf8(fill_text, fill);
        const auto repeat = [&](size_t count) {
            std::string out;
            for (size_t n = 0; n < count; ++n) out += fill_text;
            return out;
        };
        if (!align) align = item.is_number() && conversion == 0 ? '>' : '<';
        if (align == '<') text += repeat(padding);
        else if (align == '>') text = repeat(padding) + text;
        else if (align == '^') text = repeat(padding / 2) + text + repeat(padding - padding / 2);
        else {  // '=': padding after the sign
            const bool sign = !text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ');
            text = sign ? text.substr(0, 1) + repeat(padding) + text.substr(1) : repeat(padding) + text;
        }
    }
    return text;
}

// Python's str.format with auto/explicit/named fields, !r/!s and format specs.
inline result<std::string> brace_format(std::string_view format, const arguments& args) {
    std::string out;
    size_t auto_index = 0;
    for (size_t i = 0; i < format.size(); ++i) {
        const char c = format[i];
        if (c == '}') {
            if (i + 1 < format.size() && format[i + 1] == '}') {
                out += '}';
                ++i;
                continue;
            }
            return type_failure("Single '}' encountered in format string");
        }
        if (c != '{') {
            out += c;
            continue;
        }
        if (i + 1 < format.size() && format[i + 1] == '{') {
            out += '{';
            ++i;
            continue;
        }
        const size_t close = format.find('}', i);
        if (close == std::string_view::npos) return type_failure("Single '{' encountered in format string");
        std::string_view field = format.substr(i + 1, close - i - 1);
        i = close;
        std::string_view spec;
        char conversion = 0;
        const size_t colon = field.find(':');
        if (colon != std::string_view::npos) {
            spec = field.substr(colon + 1);
            field = field.substr(0, colon);
        }
        const size_t bang = field.find('!');
        if (bang != std::string_view::npos) {
            if (bang + 1 < field.size()) conversion = field[bang + 1];
            field = field.substr(0, bang);
        }
        // The field: index or name, then .attr / [key] parts.
        size_t name_end = field.find_first_of(".[");
        const std::string_view head = field.substr(0, name_end);
        value item;
        int64_t index = 0;
        if (head.empty()) {
            if (auto_index >= args.positional.size()) return type_failure("Replacement index out of range");
            item = args.positional[auto_index++];
        } else if (parse_python_int(head, 10, index)) {
            if (index < 0 || static_cast<size_t>(index) >= args.positional.size())
                return type_failure("Replacement index out of range");
            item = args.positional[static_cast<size_t>(index)];
        } else {
            const value* found = nullptr;
            for (const auto& keyword : args.keywords)
                if (keyword.first == head) found = &keyword.second;
            if (!found) return type_failure("KeyError: '" + std::string(head) + "'");
            item = *found;
        }
        while (name_end != std::string_view::npos && name_end < field.size()) {
            if (field[name_end] == '.') {
                const size_t next = field.find_first_of(".[", name_end + 1);
                EMBER_TRY_ASSIGN(item, get_attribute(item, std::string(field.substr(name_end + 1, next == std::string_view::npos ? std::string_view::npos : next - name_end - 1))));
                name_end = next;
            } else {
                const size_t bracket = field.find(']', name_end);
                if (bracket == std::string_view::npos) return type_failure("Missing ']' in format string");
                const std::string key(field.substr(name_end + 1, bracket - name_end - 1));
                int64_t key_index = 0;
                EMBER_TRY_ASSIGN(item, get_item(item, parse_python_int(key, 10, key_index) ? value::integer(key_index) : value::string(key)));
                name_end = bracket + 1 < field.size() ? bracket + 1 : std::string_view::npos;
            }
        }
        EMBER_TRY_ASSIGN(std::string formatted, format_spec(item, spec, conversion));
        out += formatted;
    }
    return out;
}

// ---- strftime ----------------------------------------------------------------

// Python's datetime.strftime in the C locale (English names), so the result
// never depends on the process's locale.
inline std::string python_strftime(std::string_view format, const std::tm& time) {
    static const char* const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
    static const char* const months[] = {"January", "February", "March",     "April",   "May",      "June",
                                         "July",    "August",   "September", "October", "November", "December"};
    const int weekday = ((time.tm_wday % 7) + 7) % 7;
    const int month = ((time.tm_mon % 12) + 12) % 12;
    std::string out;
    char buffer[64];
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%' || i + 1 >= format.size()) {
            out += format[i];
            continue;
        }
        char directive = format[++i];
        bool no_padding = false;
        if (directive == '-' && i + 1 < format.size()) {  // glibc's %-d: no zero padding
            no_padding = true;
            directive = format[++i];
        }
        const auto number = [&](int item, int width) {
            std::snprintf(buffer, sizeof(buffer), no_padding ? "%d" : "%0*d", no_padding ? item : width, item);
            if (no_padding) std::snprintf(buffer, sizeof(buffer), "%d", item);
            out += buffer;
        };
        const int hour12 = time.tm_hour % 12 == 0 ? 12 : time.tm_hour % 12;
        switch (directive) {
            case 'a': out += std::string(days[weekday]).substr(0, 3); break;
            case 'A': out += days[weekday]; break;
            case 'b':
            case 'h': out += std::string(months[month]).substr(0, 3); break;
            case 'B': out += months[month]; break;
            case 'd': number(time.tm_mday, 2); break;
            case 'e':
                std::snprintf(buffer, sizeof(buffer), "%2d", time.tm_mday);
                out += buffer;
                break;
            case 'm': number(time.tm_mon + 1, 2); break;
            case 'y': number((time.tm_year + 1900) % 100, 2); break;
            case 'Y': number(time.tm_year + 1900, 4); break;
            case 'H': number(time.tm_hour, 2); break;
            case 'I': number(hour12, 2); break;
            case 'M': number(time.tm_min, 2); break;
            case 'S': number(time.tm_sec, 2); break;
            case 'p': out += time.tm_hour < 12 ? "AM" : "PM"; break;
            case 'j': number(time.tm_yday + 1, 3); break;
            case 'w': number(weekday, 1); break;
            case 'u': number(weekday == 0 ? 7 : weekday, 1); break;
            case 'f': out += "000000"; break;
            case 'z':
            case 'Z': break;  // naive datetime: empty, as Python
            case 'D':
                number(time.tm_mon + 1, 2), out += '/', number(time.tm_mday, 2), out += '/',
                    number((time.tm_year + 1900) % 100, 2);
                break;
            case 'F':
                number(time.tm_year + 1900, 4), out += '-', number(time.tm_mon + 1, 2), out += '-', number(time.tm_mday, 2);
                break;
            case 'T':
                number(time.tm_hour, 2), out += ':', number(time.tm_min, 2), out += ':', number(time.tm_sec, 2);
                break;
            case '%': out += '%'; break;
            default:
                out += '%';
                if (no_padding) out += '-';
                out += directive;
        }
    }
    return out;
}

inline std::tm local_time_now() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
#if defined(_WIN32)
    localtime_s(&local, &now);
#else
    localtime_r(&now, &local);
#endif
    return local;
}

// ---- checks of limits ----------------------------------------------------

inline result<value> checked_string(std::string text, const builtin_context& context) {
    if (text.size() > context.max_string_bytes)
        return template_failure("template produced a string longer than the output limit (" +
                                std::to_string(context.max_string_bytes) + " bytes)");
    return value::string(std::move(text));
}

inline result<void> check_items(size_t count, const builtin_context& context) {
    if (count > context.max_items)
        return template_failure("template built a sequence longer than the limit (" + std::to_string(context.max_items) +
                                " items)");
    return {};
}

}  // namespace ember::detail::jinja
