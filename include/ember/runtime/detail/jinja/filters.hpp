#pragma once
// Dispatch of jinja2's tests (`x is name`), filters (`x | name`), Python
// methods (`text.split(...)`) and the global functions.

#include <ember/runtime/detail/jinja/builtins.hpp>

#include <unordered_set>

namespace ember::detail::jinja {

inline result<value> apply_filter(const std::string& name, const value& input, const arguments& args,
                                  const builtin_context& context);

// Python's `item in container`; nothing is in Undefined (it iterates empty).
inline result<bool> contains(const value& container, const value& item) {
    if (container.is_string()) {
        if (!item.is_string())
            return type_failure(std::string("'in <string>' requires string as left operand, not ") + type_name(item));
        return container.as_string().find(item.as_string()) != std::string::npos;
    }
    if (container.is_dict() || container.is_namespace()) return container.dict_items().find(item) != nullptr;
    if (container.is_sequence()) {
        for (const value& element : container.items())
            if (equals(element, item)) return true;
        return false;
    }
    if (container.is_undefined()) return false;
    return type_failure(std::string("argument of type '") + type_name(container) + "' is not iterable");
}

// ---- tests -------------------------------------------------------------------

inline result<bool> apply_test(const std::string& name, const value& item, const arguments& args) {
    const value* other = args.get(0, "value");
    const auto need_other = [&]() -> result<const value*> {
        if (!other) return type_failure("test '" + name + "' needs an argument");
        return other;
    };
    if (name == "defined") return !item.is_undefined();
    if (name == "undefined") return item.is_undefined();
    if (name == "none") return item.is_none();
    if (name == "string") return item.is_string();
    if (name == "number") return item.is_number();
    if (name == "integer") return item.is_integer();
    if (name == "float") return item.is_floating();
    if (name == "boolean") return item.is_boolean();
    if (name == "true") return item.is_boolean() && item.as_bool();
    if (name == "false") return item.is_boolean() && !item.as_bool();
    if (name == "mapping") return item.is_dict();
    if (name == "iterable")
        return item.is_undefined() || item.is_string() || item.is_sequence() || item.is_dict();
    if (name == "sequence") return item.is_undefined() || item.is_string() || item.is_sequence() || item.is_dict();
    if (name == "callable") return item.is_callable() || item.is_undefined();
    if (name == "lower") return item.is_string() ? to_lower(item.as_string()) == item.as_string() : to_str(item) == to_lower(to_str(item));
    if (name == "upper") return item.is_string() ? to_upper(item.as_string()) == item.as_string() : to_str(item) == to_upper(to_str(item));
    if (name == "escaped") return false;
    if (name == "odd" || name == "even") {
        if (!item.is_integer() && !item.is_boolean()) {
            if (item.is_floating()) {
                const double remainder = std::fmod(item.as_double(), 2.0);
                return name == "odd" ? (remainder == 1.0 || remainder == -1.0) : remainder == 0.0;
            }
            return type_failure(std::string("unsupported operand type(s) for %: '") + type_name(item) + "' and 'int'");
        }
        const bool odd = item.as_integer() % 2 != 0;
        return name == "odd" ? odd : !odd;
    }
    if (name == "divisibleby") {
        EMBER_TRY_ASSIGN(const value* divisor, need_other());
        if (!item.is_number() || !divisor->is_number()) return type_failure("divisibleby needs numbers");
        if (divisor->as_double() == 0.0) return type_failure("integer division or modulo by zero");
        if (item.is_floating() || divisor->is_floating()) return std::fmod(item.as_double(), divisor->as_double()) == 0.0;
        return item.as_integer() % divisor->as_integer() == 0;
    }
    if (name == "equalto" || name == "eq" || name == "==" || name == "sameas") {
        EMBER_TRY_ASSIGN(const value* operand, need_other());
        if (name == "sameas") {
            // Python `is`: identity; for templates that is none/true/false checks.
            if (item.type() != operand->type()) return false;
            if (item.is_none() || item.is_undefined()) return true;
            if (item.is_boolean()) return item.as_bool() == operand->as_bool();
            return equals(item, *operand) && (item.is_integer() && item.as_integer() >= -5 && item.as_integer() <= 256);
        }
        return equals(item, *operand);
    }
    if (name == "ne" || name == "!=") {
        EMBER_TRY_ASSIGN(const value* operand, need_other());
        return !equals(item, *operand);
    }
    if (name == "lt" || name == "<" || name == "lessthan" || name == "le" || name == "<=" || name == "gt" ||
        name == ">" || name == "greaterthan" || name == "ge" || name == ">=") {
        EMBER_TRY_ASSIGN(const value* operand, need_other());
        EMBER_TRY_ASSIGN(int order, compare(item, *operand));
        if (name == "lt" || name == "<" || name == "lessthan") return order < 0;
        if (name == "le" || name == "<=") return order <= 0;
        if (name == "gt" || name == ">" || name == "greaterthan") return order > 0;
        return order >= 0;
    }
    if (name == "in") {
        EMBER_TRY_ASSIGN(const value* container, need_other());
        return contains(*container, item);
    }
    if (name == "filter" || name == "test") {
        if (!item.is_string()) return false;
        static const char* const known_filters[] = {"abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape", "first", "float", "format", "indent", "int", "items", "join", "last", "length", "list", "lower", "map", "max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr", "sort", "string", "sum", "title", "tojson", "trim", "unique", "upper", "wordcount", "pprint"};
        static const char* const known_tests[] = {"boolean", "callable", "defined", "divisibleby", "eq", "equalto", "escaped", "even", "false", "filter", "float", "ge", "gt", "in", "integer", "iterable", "le", "lower", "lt", "mapping", "ne", "none", "number", "odd", "sameas", "sequence", "string", "test", "true", "undefined", "upper"};
        if (name == "filter") {
            for (const char* known : known_filters)
                if (item.as_string() == known) return true;
        } else {
            for (const char* known : known_tests)
                if (item.as_string() == known) return true;
        }
        return false;
    }
    return type_failure("no test named '" + name + "'");
}

// ---- helpers shared by filters -----------------------------------------------

// The sort key jinja2 uses: an attribute path, lower-cased strings unless
// case-sensitive.
inline result<value> sort_key(const value& item, const value* attribute, bool case_sensitive) {
    value key = item;
    if (attribute && !attribute->is_none() && !attribute->is_undefined()) {
        EMBER_TRY_ASSIGN(key, get_path(item, to_str(*attribute)));
    }
    if (!case_sensitive && key.is_string()) key = value::string(to_lower(key.as_string()));
    return key;
}

// Stable sort by precomputed keys; comparison failures become an error.
inline result<value_list> sorted_by_keys(value_list items, std::vector<value> keys, bool reverse) {
    std::vector<size_t> order(items.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    bool failed = false;
    error failure = template_failure("");
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        if (failed) return false;
        auto result_order = reverse ? compare(keys[b], keys[a]) : compare(keys[a], keys[b]);
        if (!result_order) {
            failed = true;
            failure = result_order.error();
            return false;
        }
        return *result_order < 0;
    });
    if (failed) return failure;
    value_list sorted;
    sorted.reserve(items.size());
    for (size_t index : order) sorted.push_back(std::move(items[index]));
    return sorted;
}

// select/reject/selectattr/rejectattr: the test (or truthiness) per item.
inline result<value> select_items(const value& input, const arguments& args, bool by_attribute, bool keep_matching) {
    EMBER_TRY_ASSIGN(value_list items, iterate(input));
    size_t next_argument = 0;
    std::string attribute;
    if (by_attribute) {
        if (args.positional.empty()) return type_failure("selectattr/rejectattr need an attribute name");
        attribute = to_str(args.positional[0]);
        next_argument = 1;
    }
    std::string test;
    arguments test_args;
    if (next_argument < args.positional.size()) {
        test = to_str(args.positional[next_argument]);
        test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(next_argument) + 1,
                                    args.positional.end());
        test_args.keywords = args.keywords;
    }
    value_list kept;
    for (const value& item : items) {
        value subject = item;
        if (by_attribute) {
            EMBER_TRY_ASSIGN(subject, get_path(item, attribute));
        }
        bool matched;
        if (test.empty()) {
            matched = truthy(subject);
        } else {
            EMBER_TRY_ASSIGN(matched, apply_test(test, subject, test_args));
        }
        if (matched == keep_matching) kept.push_back(item);
    }
    return value::list(std::move(kept));
}

inline result<value> tojson_filter(const value& input, const arguments& args) {
    // transformers' tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
    json_dump_style style;
    style.ensure_ascii = truthy(args.get_or(0, "ensure_ascii", value::boolean(false)));
    const value indent = args.get_or(1, "indent", value::none());
    if (indent.is_integer() || indent.is_boolean()) {
        style.indent = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(indent.as_integer(), 64)));
    } else if (indent.is_string()) {
        return type_failure("tojson: a string indent is not supported");
    }
    const value separators = args.get_or(2, "separators", value::none());
    if (separators.is_sequence()) {
        if (separators.items().size() != 2) return type_failure("tojson: separators must be a pair");
        style.item_separator = to_str(separators.items()[0]);
        style.key_separator = to_str(separators.items()[1]);
    }
    style.sort_keys = truthy(args.get_or(3, "sort_keys", value::boolean(false)));
    EMBER_TRY_ASSIGN(json converted, to_json(input));
    return value::string(converted.dump(style));
}

// ---- filters -------------------------------------------------------------------

inline result<value> apply_filter(const std::string& name, const value& input, const arguments& args,
                                  const builtin_context& context) {
    const auto text_of = [&](const value& item) { return to_str(item); };  // soft_str: Undefined → ""
    if (name == "safe" || name == "forceescape_off") return input;
    if (name == "trim") return value::string(strip_text(text_of(input), args.get(0, "chars"), true, true));
    if (name == "lower") return value::string(to_lower(text_of(input)));
    if (name == "upper") return value::string(to_upper(text_of(input)));
    if (name == "capitalize") return value::string(capitalize_text(text_of(input)));
    if (name == "title") return value::string(title_filter(text_of(input)));
    if (name == "string") return input.is_string() ? input : value::string(text_of(input));
    if (name == "e" || name == "escape" || name == "forceescape") return value::string(html_escape(text_of(input)));
    if (name == "pprint") return value::string(repr(input));
    if (name == "tojson") return tojson_filter(input, args);
    if (name == "length" || name == "count") {
        EMBER_TRY_ASSIGN(int64_t length, length_of(input));
        return value::integer(length);
    }
    if (name == "wordcount") {
        const std::vector<uint32_t> codes = decode_all(text_of(input));
        int64_t words = 0;
        bool in_word = false;
        for (uint32_t code : codes) {
            const bool word = is_word_code(code);
            if (word && !in_word) ++words;
            in_word = word;
        }
        return value::integer(words);
    }
    if (name == "default" || name == "d") {
        const value fallback = args.get_or(0, "default_value", value::string(""));
        const bool boolean = truthy(args.get_or(1, "boolean", value::boolean(false)));
        if (input.is_undefined() || (boolean && !truthy(input))) return fallback;
        return input;
    }
    if (name == "replace") {
        if (args.positional.size() < 2 && !args.get(1, "new")) return type_failure("replace needs old and new");
        const value count = args.get_or(2, "count", value::none());
        std::string replaced = replace_text(text_of(input), text_of(*args.get(0, "old")), text_of(*args.get(1, "new")),
                                            count.is_none() ? -1 : count.as_integer(), context.max_string_bytes);
        return checked_string(std::move(replaced), context);
    }
    if (name == "join") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        const std::string separator = text_of(args.get_or(0, "d", value::string("")));
        const value attribute = args.get_or(1, "attribute", value::none());
        std::string out;
        for (size_t i = 0; i < items.size(); ++i) {
            if (i) out += separator;
            if (!attribute.is_none()) {
                EMBER_TRY_ASSIGN(value field, get_path(items[i], to_str(attribute)));
                out += to_str(field);
            } else {
                out += to_str(items[i]);
            }
            if (out.size() > context.max_string_bytes) return checked_string(std::move(out), context);
        }
        return value::string(std::move(out));
    }
    if (name == "list") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        return value::list(std::move(items));
    }
    if (name == "first") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        if (items.empty()) return value::undefined("No first item, sequence was empty.");
        return items.front();
    }
    if (name == "last") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        if (items.empty()) return value::undefined("No last item, sequence was empty.");
        return items.back();
    }
    if (name == "reverse") {
        if (input.is_string()) {
            std::vector<uint32_t> codes = decode_all(input.as_string());
            std::reverse(codes.begin(), codes.end());
            return value::string(encode_all(codes));
        }
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        std::reverse(items.begin(), items.end());
        return value::list(std::move(items));
    }
    if (name == "items") {
        if (input.is_undefined()) return value::list({});
        if (!input.is_dict()) return type_failure("Can only get item pairs from a mapping.");
        value_list pairs;
        for (const auto& entry : input.dict_items().items) pairs.push_back(value::tuple({entry.first, entry.second}));
        return value::list(std::move(pairs));
    }
    if (name == "dictsort") {
        if (input.is_undefined()) return undefined_failure(input);
        if (!input.is_dict()) return type_failure("dictsort needs a mapping");
        const bool case_sensitive = truthy(args.get_or(0, "case_sensitive", value::boolean(false)));
        const std::string by = to_str(args.get_or(1, "by", value::string("key")));
        const bool reverse = truthy(args.get_or(2, "reverse", value::boolean(false)));
        if (by != "key" && by != "value") return type_failure("You can only sort by either \"key\" or \"value\"");
        value_list pairs;
        std::vector<value> keys;
        for (const auto& entry : input.dict_items().items) {
            pairs.push_back(value::tuple({entry.first, entry.second}));
            EMBER_TRY_ASSIGN(value key, sort_key(by == "key" ? entry.first : entry.second, nullptr, case_sensitive));
            keys.push_back(std::move(key));
        }
        EMBER_TRY_ASSIGN(value_list sorted, sorted_by_keys(std::move(pairs), std::move(keys), reverse));
        return value::list(std::move(sorted));
    }
    if (name == "sort") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        const bool reverse = truthy(args.get_or(0, "reverse", value::boolean(false)));
        const bool case_sensitive = truthy(args.get_or(1, "case_sensitive", value::boolean(false)));
        const value* attribute = args.get(2, "attribute");
        std::vector<value> keys;
        for (const value& item : items) {
            EMBER_TRY_ASSIGN(value key, sort_key(item, attribute, case_sensitive));
            keys.push_back(std::move(key));
        }
        EMBER_TRY_ASSIGN(value_list sorted, sorted_by_keys(std::move(items), std::move(keys), reverse));
        return value::list(std::move(sorted));
    }
    if (name == "unique") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        const bool case_sensitive = truthy(args.get_or(0, "case_sensitive", value::boolean(false)));
        const value* attribute = args.get(1, "attribute");
        value_list kept;
        // Hash a canonical form (Python equality: 1 == 1.0 == True) so a long
        // list is not compared pairwise.
        std::unordered_set<std::string> seen;
        for (const value& item : items) {
            EMBER_TRY_ASSIGN(value key, sort_key(item, attribute, case_sensitive));
            std::string canonical;
            if (key.is_number()) {
                const double number = key.as_double();
                canonical = (key.is_floating() && number != std::floor(number)) ? "f" + repr(key)
                            : key.is_floating() && std::fabs(number) < 9.2e18 ? "i" + std::to_string(static_cast<int64_t>(number))
                            : key.is_floating() ? "f" + repr(key) : "i" + std::to_string(key.as_integer());
            } else {
                canonical = std::string(type_name(key)) + ":" + repr(key);
            }
            if (seen.insert(std::move(canonical)).second) kept.push_back(item);
        }
        return value::list(std::move(kept));
    }
    if (name == "min" || name == "max") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        if (items.empty()) return value::undefined(std::string("No aggregated item, sequence was empty."));
        const bool case_sensitive = truthy(args.get_or(0, "case_sensitive", value::boolean(false)));
        const value* attribute = args.get(1, "attribute");
        size_t best = 0;
        EMBER_TRY_ASSIGN(value best_key, sort_key(items[0], attribute, case_sensitive));
        for (size_t i = 1; i < items.size(); ++i) {
            EMBER_TRY_ASSIGN(value key, sort_key(items[i], attribute, case_sensitive));
            EMBER_TRY_ASSIGN(int order, compare(key, best_key));
            if (name == "min" ? order < 0 : order > 0) {
                best = i;
                best_key = key;
            }
        }
        return items[best];
    }
    if (name == "sum") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        const value* attribute = args.get(0, "attribute");
        value total = args.get_or(1, "start", value::integer(0));
        for (const value& item : items) {
            value term = item;
            if (attribute && !attribute->is_none()) {
                EMBER_TRY_ASSIGN(term, get_path(item, to_str(*attribute)));
            }
            if (!term.is_number() || !total.is_number())
                return type_failure(std::string("unsupported operand type(s) for +: '") + type_name(total) + "' and '" +
                                    type_name(term) + "'");
            if (total.is_floating() || term.is_floating()) {
                total = value::floating(total.as_double() + term.as_double());
            } else {
                int64_t sum = 0;
                if (!checked_add(total.as_integer(), term.as_integer(), sum)) return type_failure("integer overflow in sum");
                total = value::integer(sum);
            }
        }
        return total;
    }
    if (name == "abs") {
        if (input.is_floating()) return value::floating(std::fabs(input.as_double()));
        if (input.is_integer() || input.is_boolean()) {
            if (input.as_integer() == INT64_MIN) return type_failure("integer overflow in abs");
            return value::integer(input.as_integer() < 0 ? -input.as_integer() : input.as_integer());
        }
        return type_failure(std::string("bad operand type for abs(): '") + type_name(input) + "'");
    }
    if (name == "int") {
        const value fallback = args.get_or(0, "default", value::integer(0));
        const int base = static_cast<int>(args.get_or(1, "base", value::integer(10)).as_integer());
        if (input.is_integer() || input.is_boolean()) return value::integer(input.as_integer());
        if (input.is_floating()) {
            const double number = input.as_double();
            if (!(number > -9.2e18 && number < 9.2e18)) return fallback;
            return value::integer(static_cast<int64_t>(number));
        }
        if (input.is_string()) {
            int64_t parsed = 0;
            if (parse_python_int(input.as_string(), base, parsed)) return value::integer(parsed);
            double number = 0.0;
            if (parse_python_float(input.as_string(), number) && number > -9.2e18 && number < 9.2e18)
                return value::integer(static_cast<int64_t>(number));
        }
        return fallback;
    }
    if (name == "float") {
        const value fallback = args.get_or(0, "default", value::floating(0.0));
        if (input.is_number()) return value::floating(input.as_double());
        double number = 0.0;
        if (input.is_string() && parse_python_float(input.as_string(), number)) return value::floating(number);
        return fallback;
    }
    if (name == "round") {
        const int64_t precision = args.get_or(0, "precision", value::integer(0)).as_integer();
        const std::string method = to_str(args.get_or(1, "method", value::string("common")));
        if (method != "common" && method != "ceil" && method != "floor")
            return type_failure("method must be common, ceil or floor");
        if (!input.is_number()) return type_failure(std::string("type ") + type_name(input) + " doesn't define __round__ method");
        if (method == "common") {
            if (!input.is_floating()) return value::integer(input.as_integer());
            return value::floating(python_round(input.as_double(), precision));
        }
        const double scale = std::pow(10.0, static_cast<double>(precision));
        const double scaled = input.as_double() * scale;
        return value::floating((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
    }
    if (name == "center") {
        const int64_t width = args.get_or(0, "width", value::integer(80)).as_integer();
        std::string text = text_of(input);
        const int64_t length = static_cast<int64_t>(code_point_count(text));
        if (width > static_cast<int64_t>(context.max_string_bytes)) return type_failure("center width too large");
        if (width <= length) return value::string(text);
        // Python's str.center puts the extra space on the right for odd
        // padding when the length is even, on the left when odd.
        const int64_t padding = width - length;
        const int64_t left = padding / 2 + (padding & width & 1);
        return value::string(std::string(static_cast<size_t>(left), ' ') + text +
                             std::string(static_cast<size_t>(padding - left), ' '));
    }
    if (name == "indent") {
        const value width_value = args.get_or(0, "width", value::integer(4));
        const bool first = truthy(args.get_or(1, "first", value::boolean(false)));
        const bool blank = truthy(args.get_or(2, "blank", value::boolean(false)));
        std::string indentation;
        if (width_value.is_string()) {
            indentation = width_value.as_string();
        } else {
            const int64_t width = width_value.as_integer();
            if (width < 0 || width > 1024) return type_failure("indent width out of range");
            indentation.assign(static_cast<size_t>(width), ' ');
        }
        std::string text = text_of(input);
        std::string out;
        size_t start = 0;
        bool first_line = true;
        for (;;) {
            const size_t newline = text.find('\n', start);
            const std::string line = text.substr(start, newline == std::string::npos ? std::string::npos : newline - start);
            const bool indent_this = first_line ? first : (blank || !strip_text(line, nullptr, true, true).empty());
            if (indent_this && !(first_line && line.empty() && newline == std::string::npos && !first)) out += indentation;
            out += line;
            if (newline == std::string::npos) break;
            out += '\n';
            start = newline + 1;
            first_line = false;
            if (out.size() > context.max_string_bytes) return checked_string(std::move(out), context);
        }
        return checked_string(std::move(out), context);
    }
    if (name == "format") {
        if (!args.keywords.empty() && !args.positional.empty())
            return type_failure("can't handle positional and keyword arguments at the same time");
        if (!args.keywords.empty()) {
            value_dict named;
            for (const auto& keyword : args.keywords) named.set(value::string(keyword.first), keyword.second);
            EMBER_TRY_ASSIGN(std::string formatted, percent_format(text_of(input), value::dict(std::move(named))));
            return value::string(std::move(formatted));
        }
        if (args.positional.empty()) return value::string(text_of(input));
        EMBER_TRY_ASSIGN(std::string formatted, percent_format(text_of(input), value::tuple(args.positional)));
        return value::string(std::move(formatted));
    }
    if (name == "batch") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        const int64_t size = args.get_or(0, "linecount", value::integer(0)).as_integer();
        if (size <= 0) return type_failure("batch size must be positive");
        const value* fill = args.get(1, "fill_with");
        value_list batches;
        value_list current;
        for (const value& item : items) {
            current.push_back(item);
            if (static_cast<int64_t>(current.size()) == size) {
                batches.push_back(value::list(std::move(current)));
                current.clear();
            }
        }
        if (!current.empty()) {
            if (fill && !fill->is_none())
                while (static_cast<int64_t>(current.size()) < size) current.push_back(*fill);
            batches.push_back(value::list(std::move(current)));
        }
        return value::list(std::move(batches));
    }
    if (name == "map") {
        EMBER_TRY_ASSIGN(value_list items, iterate(input));
        value_list mapped;
        const value* attribute = nullptr;
        for (const auto& keyword : args.keywords)
            if (keyword.first == "attribute") attribute = &keyword.second;
        if (attribute) {
            const value* fallback = nullptr;
            for (const auto& keyword : args.keywords)
                if (keyword.first == "default") fallback = &keyword.second;
            for (const value& item : items) {
                EMBER_TRY_ASSIGN(value field, get_path(item, to_str(*attribute)));
                mapped.push_back(field.is_undefined() && fallback ? *fallback : field);
            }
            return value::list(std::move(mapped));
        }
        if (args.positional.empty()) return type_failure("map needs a filter name or attribute=");
        const std::string filter = to_str(args.positional[0]);
        arguments filter_args;
        filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
        filter_args.keywords = args.keywords;
        for (const value& item : items) {
            EMBER_TRY_ASSIGN(value converted, apply_filter(filter, item, filter_args, context));
            mapped.push_back(std::move(converted));
        }
        return value::list(std::move(mapped));
    }
    if (name == "select") return select_items(input, args, false, true);
    if (name == "reject") return select_items(input, args, false, false);
    if (name == "selectattr") return select_items(input, args, true, true);
    if (name == "rejectattr") return select_items(input, args, true, false);
    if (name == "attr") {
        // Attribute only (jinja2's attr filter never looks up items).
        const std::string attribute = to_str(args.get_or(0, "name", value::string("")));
        if (input.is_undefined()) return undefined_failure(input);
        if (input.is_namespace()) {
            if (const value* found = input.dict_items().find(attribute)) return *found;
        } else if ((input.is_dict() && (is_dict_method(attribute) || is_unsafe_dict_method(attribute))) ||
                   (input.is_string() && is_string_method(attribute)) ||
                   (input.is_sequence() && is_list_method(attribute))) {
            return get_attribute(input, attribute);
        }
        return value::undefined("'" + object_description(input) + "' has no attribute '" + attribute + "'");
    }
    return type_failure("no filter named '" + name + "'");
}

// ---- methods of str, dict, list ----------------------------------------------

inline result<value> call_string_method(const std::string& name, const std::string& text, const arguments& args,
                                        const builtin_context& context) {
    const auto argument_text = [&](size_t index, const char* keyword) -> result<std::string> {
        const value* found = args.get(index, keyword);
        if (!found) return type_failure(name + "() missing a required argument");
        if (!found->is_string())
            return type_failure(std::string("must be str, not ") + type_name(*found));
        return found->as_string();
    };
    // Python's index arithmetic is by code point.
    const auto to_code_index = [&](size_t byte_offset) {
        return static_cast<int64_t>(code_point_count(std::string_view(text).substr(0, byte_offset)));
    };
    if (name == "strip") return value::string(strip_text(text, args.get(0, "chars"), true, true));
    if (name == "lstrip") return value::string(strip_text(text, args.get(0, "chars"), true, false));
    if (name == "rstrip") return value::string(strip_text(text, args.get(0, "chars"), false, true));
    if (name == "lower" || name == "casefold") return value::string(to_lower(text));
    if (name == "upper") return value::string(to_upper(text));
    if (name == "title") return value::string(title_method(text));
    if (name == "capitalize") return value::string(capitalize_text(text));
    if (name == "swapcase") {
        std::string out;
        for (uint32_t code : decode_all(text))
            append_utf8(out, lower_code(code) != code ? lower_code(code) : upper_code(code));
        return value::string(std::move(out));
    }
    if (name == "startswith" || name == "endswith") {
        const value* prefix = args.get(0, "prefix");
        if (!prefix) return type_failure(name + "() takes at least 1 argument (0 given)");
        value_list candidates;
        if (prefix->is_tuple()) candidates = prefix->items();
        else if (prefix->is_string()) candidates.push_back(*prefix);
        else return type_failure(name + " first arg must be str or a tuple of str, not " + type_name(*prefix));
        std::string_view subject = text;
        // Optional start/end bound the tested region (code point indices).
        const value* start = args.get(1, "start");
        const value* end = args.get(2, "end");
        if ((start && !start->is_none()) || (end && !end->is_none())) {
            EMBER_TRY_ASSIGN(value region, slice_value(value::string(text), start ? *start : value::none(),
                                                       end ? *end : value::none(), value::none()));
            for (const value& candidate : candidates) {
                if (!candidate.is_string()) return type_failure("tuple for " + name + " must only contain str");
                const std::string& sub = region.as_string();
                const std::string& c = candidate.as_string();
                if (sub.size() >= c.size() &&
                    (name == "startswith" ? sub.compare(0, c.size(), c) == 0 : sub.compare(sub.size() - c.size(), c.size(), c) == 0))
                    return value::boolean(true);
            }
            return value::boolean(false);
        }
        for (const value& candidate : candidates) {
            if (!candidate.is_string()) return type_failure("tuple for " + name + " must only contain str");
            const std::string& c = candidate.as_string();
            if (subject.size() >= c.size() &&
                (name == "startswith" ? subject.compare(0, c.size(), c) == 0
                                      : subject.compare(subject.size() - c.size(), c.size(), c) == 0))
                return value::boolean(true);
        }
        return value::boolean(false);
    }
    if (name == "split" || name == "rsplit") {
        const value* separator = args.get(0, "sep");
        if (separator && !separator->is_none() && !separator->is_string())
            return type_failure(std::string("must be str or None, not ") + type_name(*separator));
        if (separator && separator->is_string() && separator->as_string().empty()) return type_failure("empty separator");
        const int64_t max_split = args.get_or(1, "maxsplit", value::integer(-1)).as_integer();
        return value::list(split_text(text, separator, max_split, name == "rsplit"));
    }
    if (name == "splitlines") {
        value_list lines;
        const bool keep = truthy(args.get_or(0, "keepends", value::boolean(false)));
        size_t start = 0;
        for (size_t i = 0; i < text.size(); ++i) {
            if (text[i] == '\n' || text[i] == '\r') {
                size_t end = i;
                if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
                lines.push_back(value::string(text.substr(start, (keep ? i + 1 : end) - start)));
                start = i + 1;
            }
        }
        if (start < text.size()) lines.push_back(value::string(text.substr(start)));
        return value::list(std::move(lines));
    }
    if (name == "replace") {
        EMBER_TRY_ASSIGN(std::string old_text, argument_text(0, "old"));
        EMBER_TRY_ASSIGN(std::string new_text, argument_text(1, "new"));
        const int64_t count = args.get_or(2, "count", value::integer(-1)).as_integer();
        return checked_string(replace_text(text, old_text, new_text, count, context.max_string_bytes), context);
    }
    if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
        EMBER_TRY_ASSIGN(std::string needle, argument_text(0, "sub"));
        const size_t found = (name == "find" || name == "index") ? text.find(needle) : text.rfind(needle);
        if (found == std::string::npos) {
            if (name == "index" || name == "rindex") return type_failure("substring not found");
            return value::integer(-1);
        }
        return value::integer(to_code_index(found));
    }
    if (name == "count") {
        EMBER_TRY_ASSIGN(std::string needle, argument_text(0, "sub"));
        if (needle.empty()) return value::integer(static_cast<int64_t>(code_point_count(text)) + 1);
        int64_t count = 0;
        for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++count;
        return value::integer(count);
    }
    if (name == "join") {
        const value* items_value = args.get(0, "iterable");
        if (!items_value) return type_failure("join() takes exactly one argument");
        EMBER_TRY_ASSIGN(value_list items, iterate(*items_value));
        std::string out;
        for (size_t i = 0; i < items.size(); ++i) {
            if (!items[i].is_string())
                return type_failure("sequence item " + std::to_string(i) + ": expected str instance, " +
                                    type_name(items[i]) + " found");
            if (i) out += text;
            out += items[i].as_string();
            if (out.size() > context.max_string_bytes) return checked_string(std::move(out), context);
        }
        return value::string(std::move(out));
    }
    if (name == "format") {
        EMBER_TRY_ASSIGN(std::string formatted, brace_format(text, args));
        return checked_string(std::move(formatted), context);
    }
    if (name == "removeprefix" || name == "removesuffix") {
        EMBER_TRY_ASSIGN(std::string affix, argument_text(0, name == "removeprefix" ? "prefix" : "suffix"));
        if (name == "removeprefix" && text.compare(0, affix.size(), affix) == 0) return value::string(text.substr(affix.size()));
        if (name == "removesuffix" && text.size() >= affix.size() &&
            text.compare(text.size() - affix.size(), affix.size(), affix) == 0)
            return value::string(text.substr(0, text.size() - affix.size()));
        return value::string(text);
    }
    if (name == "partition" || name == "rpartition") {
        EMBER_TRY_ASSIGN(std::string separator, argument_text(0, "sep"));
        if (separator.empty()) return type_failure("empty separator");
        const size_t found = name == "partition" ? text.find(separator) : text.rfind(separator);
        if (found == std::string::npos) {
            if (name == "partition") return value::tuple({value::string(text), value::string(""), value::string("")});
            return value::tuple({value::string(""), value::string(""), value::string(text)});
        }
        return value::tuple({value::string(text.substr(0, found)), value::string(separator),
                             value::string(text.substr(found + separator.size()))});
    }
    if (name == "isdigit" || name == "isnumeric" || name == "isdecimal" || name == "isalpha" || name == "isalnum" ||
        name == "isspace") {
        const std::vector<uint32_t> codes = decode_all(text);
        if (codes.empty()) return value::boolean(false);
        for (uint32_t code : codes) {
            bool ok;
            if (name == "isalpha") ok = is_alpha_code(code);
            else if (name == "isalnum") ok = is_alpha_code(code) || is_digit_code(code);
            else if (name == "isspace") ok = is_space_code(code);
            else ok = is_digit_code(code);
            if (!ok) return value::boolean(false);
        }
        return value::boolean(true);
    }
    if (name == "islower" || name == "isupper") {
        bool any_cased = false;
        for (uint32_t code : decode_all(text)) {
            const bool is_lower = lower_code(code) == code && upper_code(code) != code;
            const bool is_upper = upper_code(code) == code && lower_code(code) != code;
            if (is_lower || is_upper) any_cased = true;
            if (name == "islower" ? is_upper : is_lower) return value::boolean(false);
        }
        return value::boolean(any_cased);
    }
    if (name == "zfill" || name == "center" || name == "ljust" || name == "rjust") {
        const int64_t width = args.get_or(0, "width", value::integer(0)).as_integer();
        if (width > static_cast<int64_t>(context.max_string_bytes)) return type_failure("width too large");
        const int64_t length = static_cast<int64_t>(code_point_count(text));
        if (width <= length) return value::string(text);
        const size_t padding = static_cast<size_t>(width - length);
        std::string fill = " ";
        if (name != "zfill") {
            const value* fill_value = args.get(1, "fillchar");
            if (fill_value && fill_value->is_string() && code_point_count(fill_value->as_string()) == 1) fill = fill_value->as_string();
        }
        const auto repeat = [&](size_t count) {
            std::string out;
            for (size_t i = 0; i < count; ++i) out += fill;
            return out;
        };
        if (name == "zfill") {
            const bool sign = !text.empty() && (text[0] == '-' || text[0] == '+');
            return value::string(sign ? text.substr(0, 1) + std::string(padding, '0') + text.substr(1)
                                      : std::string(padding, '0') + text);
        }
        if (name == "ljust") return value::string(text + repeat(padding));
        if (name == "rjust") return value::string(repeat(padding) + text);
        const size_t left = padding / 2 + (padding & static_cast<size_t>(width) & 1);
        return value::string(repeat(left) + text + repeat(padding - left));
    }
    if (name == "encode") return type_failure("bytes are not supported in templates");
    return type_failure("'str' object has no attribute '" + name + "'");
}

inline result<value> call_method(const callable_data& method, const arguments& args, const builtin_context& context) {
    const value& self = *method.self;
    const std::string& name = method.name;
    if (name.compare(0, 7, "unsafe:") == 0) {
        const size_t dot = name.find('.');
        return template_failure("access to attribute '" + name.substr(dot + 1) + "' of '" +
                                name.substr(7, dot - 7) + "' object is unsafe.");
    }
    if (self.is_string()) return call_string_method(name, self.as_string(), args, context);
    if (self.is_dict()) {
        const value_dict& dict = self.dict_items();
        if (name == "items") {
            value_list pairs;
            for (const auto& entry : dict.items) pairs.push_back(value::tuple({entry.first, entry.second}));
            return value::list(std::move(pairs));
        }
        if (name == "keys" || name == "values") {
            value_list items;
            for (const auto& entry : dict.items) items.push_back(name == "keys" ? entry.first : entry.second);
            return value::list(std::move(items));
        }
        if (name == "get") {
            const value* key = args.get(0, "key");
            if (!key) return type_failure("get expected at least 1 argument, got 0");
            if (const value* found = dict.find(*key)) return *found;
            return args.get_or(1, "default", value::none());
        }
        if (name == "copy") return self;
    }
    if (self.is_sequence()) {
        const value_list& items = self.items();
        if (name == "copy") return value::list(items);
        const value* needle = args.get(0, "value");
        if (!needle) return type_failure(name + "() takes exactly one argument");
        if (name == "count") {
            int64_t count = 0;
            for (const value& item : items)
                if (equals(item, *needle)) ++count;
            return value::integer(count);
        }
        if (name == "index") {
            for (size_t i = 0; i < items.size(); ++i)
                if (equals(items[i], *needle)) return value::integer(static_cast<int64_t>(i));
            return type_failure(repr(*needle) + " is not in list");
        }
    }
    if (self.is_integer() && name == "loop.cycle") {
        if (args.positional.empty()) return type_failure("no items for cycling given");
        return args.positional[static_cast<size_t>(self.as_integer()) % args.positional.size()];
    }
    return type_failure("'" + std::string(type_name(self)) + "' object has no method '" + name + "'");
}

// ---- globals -------------------------------------------------------------------

inline bool is_global_function(std::string_view name) {
    return name == "range" || name == "dict" || name == "namespace" || name == "raise_exception" ||
           name == "strftime_now";
}

inline result<value> call_global(const std::string& name, const arguments& args, const builtin_context& context) {
    if (name == "raise_exception") {
        // The template's own refusal: its message is the error, verbatim.
        const value* message = args.get(0, "message");
        return template_failure(message ? to_str(*message) : std::string());
    }
    if (name == "strftime_now") {
        const value* format = args.get(0, "format");
        if (!format || !format->is_string()) return type_failure("strftime_now() needs a format string");
        const std::tm now = (context.now && *context.now) ? (*context.now)() : local_time_now();
        return value::string(python_strftime(format->as_string(), now));
    }
    if (name == "range") {
        int64_t start = 0, stop = 0, step = 1;
        for (const value& item : args.positional)
            if (!item.is_integer() && !item.is_boolean())
                return type_failure(std::string("'") + type_name(item) + "' object cannot be interpreted as an integer");
        if (args.positional.size() == 1) {
            stop = args.positional[0].as_integer();
        } else if (args.positional.size() >= 2) {
            start = args.positional[0].as_integer();
            stop = args.positional[1].as_integer();
            if (args.positional.size() >= 3) step = args.positional[2].as_integer();
        } else {
            return type_failure("range expected at least 1 argument, got 0");
        }
        if (step == 0) return type_failure("range() arg 3 must not be zero");
        // Count first (overflow-safe), so a huge range is refused, not built.
        const double count_estimate = step > 0 ? std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step))
                                               : std::ceil((static_cast<double>(start) - static_cast<double>(stop)) / static_cast<double>(-step));
        if (count_estimate > static_cast<double>(context.max_items))
            return template_failure("range() of more than " + std::to_string(context.max_items) + " items");
        value_list items;
        if (step > 0)
            for (int64_t i = start; i < stop; i += step) items.push_back(value::integer(i));
        else
            for (int64_t i = start; i > stop; i += step) items.push_back(value::integer(i));
        return value::list(std::move(items));
    }
    if (name == "dict" || name == "namespace") {
        value_dict members;
        // value_dict::set is linear; keep construction from data sub-quadratic in practice.
        for (const value& positional : args.positional)
            if (positional.is_sequence() && positional.items().size() > 65536)
                return template_failure(name + "() from more than 65536 pairs");
        for (const value& positional : args.positional) {
            if (positional.is_dict() || positional.is_namespace()) {
                for (const auto& entry : positional.dict_items().items) members.set(entry.first, entry.second);
            } else {
                EMBER_TRY_ASSIGN(value_list pairs, iterate(positional));
                for (const value& pair : pairs) {
                    if (!pair.is_sequence() || pair.items().size() != 2)
                        return type_failure("dictionary update sequence element has the wrong length");
                    members.set(pair.items()[0], pair.items()[1]);
                }
            }
        }
        for (const auto& keyword : args.keywords) members.set(value::string(keyword.first), keyword.second);
        return name == "dict" ? value::dict(std::move(members)) : value::namespace_object(std::move(members));
    }
    return type_failure("'" + name + "' is not callable");
}

}  // namespace ember::detail::jinja
