#pragma once
// The values a chat template computes with, and the Python semantics they
// follow: chat templates are written for (and tested against) Python's
// jinja2, so truthiness, equality, `str()` and `repr()` must be Python's for
// the rendered prompt to match byte for byte.

#include <ember/core/json.hpp>
#include <ember/error.hpp>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ember::detail::jinja {

class value;
struct macro_definition;  // ast.hpp

using value_list = std::vector<value>;

// Insertion-ordered like a Python dict. Keys are usually strings; lookups are
// linear, which is right for the small objects of chat messages and tools.
struct value_dict {
    std::vector<std::pair<value, value>> items;
    inline const value* find(const value& key) const;
    inline const value* find(std::string_view key) const;
    inline void set(value key, value item);
};

// A function a template can call: a builtin (`range`, `namespace`,
// `raise_exception`, ...), a bound method (`text.split`, `message.get`) or
// one of the template's own macros.
struct callable_data {
    std::string name;                         // builtin or method name
    std::shared_ptr<const value> self;        // the bound object for methods
    const macro_definition* macro = nullptr;  // set for macros
};

class value {
public:
    // Python's types, as far as templates can see them. `undefined` is
    // jinja2's default Undefined: prints empty, is falsy, iterates as empty,
    // and fails on attribute access or arithmetic.
    enum class kind { undefined, none, boolean, integer, floating, string, list, tuple, dict, namespace_object, callable, loop_context };

    value() = default;
    static value undefined(std::string hint = {}) {
        value result;
        result.string_ = std::move(hint);
        return result;
    }
    static value none() { return of_kind(kind::none); }
    static value boolean(bool flag) {
        value result = of_kind(kind::boolean);
        result.integer_ = flag ? 1 : 0;
        return result;
    }
    static value integer(int64_t number) {
        value result = of_kind(kind::integer);
        result.integer_ = number;
        return result;
    }
    static value floating(double number) {
        value result = of_kind(kind::floating);
        result.floating_ = number;
        return result;
    }
    static value string(std::string text) {
        value result = of_kind(kind::string);
        result.string_ = std::move(text);
        return result;
    }
    static value list(value_list items) {
        value result = of_kind(kind::list);
        result.weight_ = weigh(items);
        result.list_ = std::make_shared<const value_list>(std::move(items));
        return result;
    }
    static value tuple(value_list items) {
        value result = of_kind(kind::tuple);
        result.weight_ = weigh(items);
        result.list_ = std::make_shared<const value_list>(std::move(items));
        return result;
    }
    static value dict(value_dict items) {
        value result = of_kind(kind::dict);
        result.weight_ = 1;
        for (const auto& entry : items.items) result.weight_ = saturating_add(result.weight_, saturating_add(entry.first.weight_, entry.second.weight_));
        result.dict_ = std::make_shared<value_dict>(std::move(items));
        return result;
    }
    // A jinja2 namespace(): the one mutable object a template has, shared by
    // reference so `set ns.x = ...` inside a loop is seen after it.
    static value namespace_object(value_dict items) {
        value result = of_kind(kind::namespace_object);
        result.dict_ = std::make_shared<value_dict>(std::move(items));
        return result;
    }
    // The `loop` variable of a for loop: the loop's items (shared by every
    // iteration) and this iteration's index; attributes are computed on access.
    static value loop_context(std::shared_ptr<const value_list> items, int64_t index) {
        value result = of_kind(kind::loop_context);
        result.list_ = std::move(items);
        result.integer_ = index;
        return result;
    }
    static value callable(callable_data function) {
        value result = of_kind(kind::callable);
        result.callable_ = std::make_shared<const callable_data>(std::move(function));
        return result;
    }

    kind type() const { return kind_; }
    bool is_undefined() const { return kind_ == kind::undefined; }
    bool is_none() const { return kind_ == kind::none; }
    bool is_boolean() const { return kind_ == kind::boolean; }
    bool is_integer() const { return kind_ == kind::integer; }
    bool is_floating() const { return kind_ == kind::floating; }
    // int, float or bool (a Python bool is an int)
    bool is_number() const { return kind_ == kind::integer || kind_ == kind::floating || kind_ == kind::boolean; }
    bool is_string() const { return kind_ == kind::string; }
    bool is_list() const { return kind_ == kind::list; }
    bool is_tuple() const { return kind_ == kind::tuple; }
    bool is_sequence() const { return kind_ == kind::list || kind_ == kind::tuple; }
    bool is_dict() const { return kind_ == kind::dict; }
    bool is_namespace() const { return kind_ == kind::namespace_object; }
    bool is_callable() const { return kind_ == kind::callable; }
    bool is_loop_context() const { return kind_ == kind::loop_context; }

    bool as_bool() const { return integer_ != 0; }
    // bool and int as int64
    int64_t as_integer() const { return integer_; }
    double as_double() const { return kind_ == kind::floating ? floating_ : static_cast<double>(integer_); }
    const std::string& as_string() const { return string_; }
    // The variable name or attribute an undefined value came from.
    const std::string& undefined_hint() const { return string_; }
    const value_list& items() const { return list_ ? *list_ : empty_list(); }
    const value_dict& dict_items() const { return dict_ ? *dict_ : empty_dict(); }
    value_dict& mutable_namespace() { return *dict_; }
    const callable_data& function() const { return *callable_; }
    // How many values a full walk of this one visits (lists and dicts share
    // their children, so a few assignments can build a value whose printed
    // or serialized form is exponential; the interpreter bounds the weight).
    uint64_t weight() const { return weight_; }

private:
    static value of_kind(kind type) {
        value result;
        result.kind_ = type;
        return result;
    }
    static const value_list& empty_list() { static const value_list empty; return empty; }
    static const value_dict& empty_dict() { static const value_dict empty; return empty; }

    static uint64_t saturating_add(uint64_t a, uint64_t b) { return a + b < a ? UINT64_MAX : a + b; }
    static uint64_t weigh(const value_list& items) {
        uint64_t total = 1;
        for (const value& item : items) total = saturating_add(total, item.weight_);
        return total;
    }

    kind kind_ = kind::undefined;
    uint64_t weight_ = 1;
    int64_t integer_ = 0;  // also bool
    double floating_ = 0.0;
    std::string string_;
    std::shared_ptr<const value_list> list_;
    std::shared_ptr<value_dict> dict_;
    std::shared_ptr<const callable_data> callable_;
};

// Python's type names, for error messages that read like jinja2's.
inline const char* type_name(const value& item) {
    switch (item.type()) {
        case value::kind::undefined: return "Undefined";
        case value::kind::none: return "NoneType";
        case value::kind::boolean: return "bool";
        case value::kind::integer: return "int";
        case value::kind::floating: return "float";
        case value::kind::string: return "str";
        case value::kind::list: return "list";
        case value::kind::tuple: return "tuple";
        case value::kind::dict: return "dict";
        case value::kind::namespace_object: return "Namespace";
        case value::kind::callable: return "function";
        case value::kind::loop_context: return "LoopContext";
    }
    return "object";
}

inline error template_failure(std::string message) { return make_error(errc::template_error, std::move(message)); }

// ---- Python truthiness and equality -------------------------------------

inline bool truthy(const value& item) {
    switch (item.type()) {
        case value::kind::undefined:
        case value::kind::none: return false;
        case value::kind::boolean:
        case value::kind::integer: return item.as_integer() != 0;
        case value::kind::floating: return item.as_double() != 0.0;
        case value::kind::string: return !item.as_string().empty();
        case value::kind::list:
        case value::kind::tuple: return !item.items().empty();
        case value::kind::dict: return !item.dict_items().items.empty();
        case value::kind::namespace_object:
        case value::kind::callable:
        case value::kind::loop_context: return true;
    }
    return false;
}

// Python ==: numbers by value across bool/int/float, lists and tuples never
// equal each other, dicts regardless of order; two Undefined are equal.
inline bool equals(const value& a, const value& b) {
    if (a.is_number() && b.is_number()) {
        if (a.is_floating() || b.is_floating()) return a.as_double() == b.as_double();
        return a.as_integer() == b.as_integer();
    }
    if (a.type() != b.type()) return false;
    switch (a.type()) {
        case value::kind::undefined:
        case value::kind::none: return true;
        case value::kind::string: return a.as_string() == b.as_string();
        case value::kind::list:
        case value::kind::tuple: {
            const value_list& left = a.items();
            const value_list& right = b.items();
            if (left.size() != right.size()) return false;
            for (size_t i = 0; i < left.size(); ++i)
                if (!equals(left[i], right[i])) return false;
            return true;
        }
        case value::kind::dict: {
            const value_dict& left = a.dict_items();
            const value_dict& right = b.dict_items();
            if (left.items.size() != right.items.size()) return false;
            for (const auto& entry : left.items) {
                const value* other = right.find(entry.first);
                if (!other || !equals(entry.second, *other)) return false;
            }
            return true;
        }
        case value::kind::namespace_object: return &a.dict_items() == &b.dict_items();
        case value::kind::callable: return &a.function() == &b.function();
        case value::kind::loop_context: return &a.items() == &b.items() && a.as_integer() == b.as_integer();
        default: return false;
    }
}

inline const value* value_dict::find(const value& key) const {
    for (const auto& entry : items)
        if (equals(entry.first, key)) return &entry.second;
    return nullptr;
}
inline const value* value_dict::find(std::string_view key) const {
    for (const auto& entry : items)
        if (entry.first.is_string() && entry.first.as_string() == key) return &entry.second;
    return nullptr;
}
inline void value_dict::set(value key, value item) {
    for (auto& entry : items) {
        if (equals(entry.first, key)) {
            entry.second = std::move(item);
            return;
        }
    }
    items.emplace_back(std::move(key), std::move(item));
}

// Python's <, as -1/0/1; a TypeError (as jinja2 reports it) for
// unorderable types.
inline result<int> compare(const value& a, const value& b, const char* operator_text = "<") {
    if (a.is_number() && b.is_number()) {
        if (a.is_floating() || b.is_floating()) {
            const double x = a.as_double(), y = b.as_double();
            return x < y ? -1 : (x > y ? 1 : 0);
        }
        return a.as_integer() < b.as_integer() ? -1 : (a.as_integer() > b.as_integer() ? 1 : 0);
    }
    if (a.is_string() && b.is_string()) {
        const int order = a.as_string().compare(b.as_string());  // UTF-8 byte order = code point order
        return order < 0 ? -1 : (order > 0 ? 1 : 0);
    }
    if ((a.is_list() && b.is_list()) || (a.is_tuple() && b.is_tuple())) {
        const value_list& left = a.items();
        const value_list& right = b.items();
        for (size_t i = 0; i < left.size() && i < right.size(); ++i) {
            if (equals(left[i], right[i])) continue;
            return compare(left[i], right[i], operator_text);
        }
        return left.size() < right.size() ? -1 : (left.size() > right.size() ? 1 : 0);
    }
    return template_failure(std::string("'") + operator_text + "' not supported between instances of '" +
                            type_name(a) + "' and '" + type_name(b) + "'");
}

// ---- UTF-8 as code points (Python indexes strings by code point) --------

// Byte offsets of each code point start, plus the end offset.
inline std::vector<size_t> code_point_offsets(std::string_view text) {
    std::vector<size_t> offsets;
    offsets.reserve(text.size() + 1);
    size_t position = 0;
    while (position < text.size()) {
        offsets.push_back(position);
        decode_utf8(text, position);
    }
    offsets.push_back(text.size());
    return offsets;
}

inline size_t code_point_count(std::string_view text) {
    size_t count = 0, position = 0;
    while (position < text.size()) {
        decode_utf8(text, position);
        ++count;
    }
    return count;
}

inline std::vector<uint32_t> decode_all(std::string_view text) {
    std::vector<uint32_t> codes;
    size_t position = 0;
    while (position < text.size()) codes.push_back(decode_utf8(text, position));
    return codes;
}

inline std::string encode_all(const std::vector<uint32_t>& codes) {
    std::string text;
    for (uint32_t code : codes) append_utf8(text, code);
    return text;
}

// Python's str.isspace for the characters templates meet.
inline bool is_space_code(uint32_t code) {
    return code == ' ' || (code >= 0x09 && code <= 0x0D) || (code >= 0x1C && code <= 0x1F) || code == 0x85 ||
           code == 0xA0 || code == 0x1680 || (code >= 0x2000 && code <= 0x200A) || code == 0x2028 ||
           code == 0x2029 || code == 0x202F || code == 0x205F || code == 0x3000;
}

// ---- str() and repr() ----------------------------------------------------

inline std::string float_to_string(double number) {
    if (std::isnan(number)) return "nan";
    if (std::isinf(number)) return number < 0 ? "-inf" : "inf";
    return python_float_repr(number);
}

// Whether Python's repr() prints a code point as is (str.isprintable). An
// approximation of the Unicode tables: controls, separators other than the
// space, format characters, surrogates and private use are escaped.
inline bool is_printable_code(uint32_t code) {
    if (code < 0x20 || (code >= 0x7F && code <= 0xA0) || code == 0xAD) return false;
    if (code == 0x1680 || (code >= 0x2000 && code <= 0x200F) || (code >= 0x2028 && code <= 0x202F)) return false;
    if ((code >= 0x205F && code <= 0x206F) || code == 0x3000 || code == 0xFEFF) return false;
    if ((code >= 0xD800 && code <= 0xF8FF) || (code >= 0xFFF0 && code <= 0xFFFB) || code == 0xFFFE || code == 0xFFFF)
        return false;
    if (code >= 0xF0000) return false;
    return true;
}

inline std::string string_repr(std::string_view text) {
    const bool has_single = text.find('\'') != std::string_view::npos;
    const bool has_double = text.find('"') != std::string_view::npos;
    const char quote = (has_single && !has_double) ? '"' : '\'';
    std::string out(1, quote);
    size_t position = 0;
    char buffer[16];
    while (position < text.size()) {
        const uint32_t code = decode_utf8(text, position);
        if (code == static_cast<uint32_t>(quote) || code == '\\') {
            out += '\\';
            out += static_cast<char>(code);
        } else if (code == '\n') {
            out += "\\n";
        } else if (code == '\r') {
            out += "\\r";
        } else if (code == '\t') {
            out += "\\t";
        } else if (is_printable_code(code)) {
            append_utf8(out, code);
        } else {
            if (code < 0x100) std::snprintf(buffer, sizeof(buffer), "\\x%02x", code);
            else if (code < 0x10000) std::snprintf(buffer, sizeof(buffer), "\\u%04x", code);
            else std::snprintf(buffer, sizeof(buffer), "\\U%08x", code);
            out += buffer;
        }
    }
    out += quote;
    return out;
}

// Printing stops growing a string once it passes `limit` (callers pass just
// over their output limit, whose check then fails): a namespace that
// contains itself cannot print forever.
inline void append_repr(std::string& out, const value& item, size_t limit, int depth = 0);

inline void append_str(std::string& out, const value& item, size_t limit, int depth = 0) {
    switch (item.type()) {
        case value::kind::undefined: return;
        case value::kind::none: out += "None"; return;
        case value::kind::boolean: out += item.as_bool() ? "True" : "False"; return;
        case value::kind::integer: out += std::to_string(item.as_integer()); return;
        case value::kind::floating: out += float_to_string(item.as_double()); return;
        case value::kind::string: out += item.as_string(); return;
        default: append_repr(out, item, limit, depth); return;
    }
}

inline void append_repr(std::string& out, const value& item, size_t limit, int depth) {
    if (depth > 64 || out.size() > limit) {  // namespaces can nest themselves
        out += "...";
        return;
    }
    switch (item.type()) {
        case value::kind::undefined: out += "Undefined"; return;
        case value::kind::string: out += string_repr(item.as_string()); return;
        case value::kind::list:
        case value::kind::tuple: {
            const bool is_tuple = item.is_tuple();
            out += is_tuple ? '(' : '[';
            const value_list& items = item.items();
            for (size_t i = 0; i < items.size(); ++i) {
                if (i) out += ", ";
                append_repr(out, items[i], limit, depth + 1);
            }
            if (is_tuple && items.size() == 1) out += ',';
            out += is_tuple ? ')' : ']';
            return;
        }
        case value::kind::dict:
        case value::kind::namespace_object: {
            if (item.is_namespace()) out += "<Namespace ";
            out += '{';
            bool first = true;
            for (const auto& entry : item.dict_items().items) {
                if (!first) out += ", ";
                first = false;
                append_repr(out, entry.first, limit, depth + 1);
                out += ": ";
                append_repr(out, entry.second, limit, depth + 1);
            }
            out += '}';
            if (item.is_namespace()) out += '>';
            return;
        }
        case value::kind::callable:
            out += "<function " + item.function().name + ">";
            return;
        case value::kind::loop_context:
            out += "<LoopContext " + std::to_string(item.as_integer() + 1) + "/" + std::to_string(item.items().size()) + ">";
            return;
        default: append_str(out, item, limit, depth); return;
    }
}

// Python's str() and repr(). The default limit only guards against
// self-containing namespaces; the interpreter passes its output limit.
constexpr size_t default_print_limit = size_t{64} << 20;

inline std::string to_str(const value& item, size_t limit = default_print_limit) {
    if (item.is_string()) return item.as_string();
    std::string out;
    append_str(out, item, limit);
    return out;
}

inline std::string repr(const value& item, size_t limit = default_print_limit) {
    std::string out;
    append_repr(out, item, limit);
    return out;
}

// ---- JSON bridge ---------------------------------------------------------

inline value from_json(const json& data) {
    switch (data.type()) {
        case json::kind::null: return value::none();
        case json::kind::boolean: return value::boolean(data.as_bool());
        case json::kind::number:
            return data.is_integer() ? value::integer(data.as_int64()) : value::floating(data.as_number());
        case json::kind::string: return value::string(data.as_string());
        case json::kind::array: {
            value_list items;
            items.reserve(data.size());
            for (const json& item : data.as_array()) items.push_back(from_json(item));
            return value::list(std::move(items));
        }
        case json::kind::object: {
            value_dict members;
            members.items.reserve(data.size());
            for (const auto& member : data.as_object())
                members.items.emplace_back(value::string(member.first), from_json(member.second));
            return value::dict(std::move(members));
        }
    }
    return value::none();
}

// Python's json.dumps conversion: tuples are arrays, non-string keys become
// strings the way Python writes them; Undefined and functions are refused.
inline result<json> to_json(const value& item, int depth = 0) {
    if (depth > json::max_depth) return template_failure("tojson: value nested too deeply");
    switch (item.type()) {
        case value::kind::none: return json();
        case value::kind::boolean: return json(item.as_bool());
        case value::kind::integer: return json(item.as_integer());
        case value::kind::floating: return json(item.as_double());
        case value::kind::string: return json(item.as_string());
        case value::kind::list:
        case value::kind::tuple: {
            json array = json::array();
            for (const value& element : item.items()) {
                EMBER_TRY_ASSIGN(json converted, to_json(element, depth + 1));
                array.push_back(std::move(converted));
            }
            return array;
        }
        case value::kind::dict: {
            json::object_type members;
            for (const auto& entry : item.dict_items().items) {
                std::string key;
                const value& name = entry.first;
                if (name.is_string()) key = name.as_string();
                else if (name.is_boolean()) key = name.as_bool() ? "true" : "false";
                else if (name.is_none()) key = "null";
                else if (name.is_integer()) key = std::to_string(name.as_integer());
                else if (name.is_floating()) key = python_float_repr(name.as_double());
                else
                    return template_failure(std::string("keys must be str, int, float, bool or None, not ") +
                                            type_name(name));
                EMBER_TRY_ASSIGN(json converted, to_json(entry.second, depth + 1));
                members.emplace_back(std::move(key), std::move(converted));
            }
            return json(std::move(members));
        }
        default:
            return template_failure(std::string("Object of type ") + type_name(item) + " is not JSON serializable");
    }
}

}  // namespace ember::detail::jinja
