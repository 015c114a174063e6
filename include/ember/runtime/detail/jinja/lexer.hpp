#pragma once
// Template source → tokens, applying whitespace control the way jinja2's
// lexer does with Hugging Face's settings (trim_blocks and lstrip_blocks on,
// keep_trailing_newline off):
//   - newlines are normalized to "\n" and one trailing newline is dropped;
//   - `{%-` / `{{-` / `{#-` strip all whitespace before the tag, `-%}` /
//     `-}}` / `-#}` all whitespace after it;
//   - lstrip_blocks: spaces before a `{%` or `{#` that starts a line are
//     removed (not before `{{`; `{%+` opts out);
//   - trim_blocks: the first newline after `%}` or `#}` is removed (`+%}`
//     opts out).

#include <ember/runtime/detail/jinja/value.hpp>

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

namespace ember::detail::jinja {

enum class token_kind {
    text,            // literal template text
    variable_begin,  // {{
    variable_end,    // }}
    block_begin,     // {%
    block_end,       // %}
    name,
    string,          // text holds the decoded literal
    integer,
    floating,
    operator_token,  // + - * / // % ** ~ ( ) [ ] { } . , : | = == != < > <= >=
    end,             // end of the source
};

struct token {
    token_kind kind;
    std::string text;
    int line = 1;
    int64_t integer = 0;
    double floating = 0.0;
};

// Python's str.isspace restricted to ASCII: what jinja2's `\s` meets in
// template sources.
inline bool is_space_byte(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

class lexer {
public:
    explicit lexer(std::string_view source) {
        // Newlines → "\n"; jinja2 drops one trailing newline.
        source_.reserve(source.size());
        for (size_t i = 0; i < source.size(); ++i) {
            if (source[i] == '\r') {
                source_ += '\n';
                if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
            } else {
                source_ += source[i];
            }
        }
        if (!source_.empty() && source_.back() == '\n') source_.pop_back();
    }

    result<std::vector<token>> tokenize() {
        std::vector<token> tokens;
        // What the previous tag's closing asked of the text after it.
        after_tag pending = after_tag::nothing;
        while (position_ < source_.size()) {
            const size_t open = find_tag_open(position_);
            std::string text = source_.substr(position_, open - position_);
            const size_t text_start = position_;
            // Opening tag details (when there is one).
            char tag_type = 0, modifier = 0;
            if (open < source_.size()) {
                tag_type = source_[open + 1];
                if (open + 2 < source_.size() && (source_[open + 2] == '-' || source_[open + 2] == '+'))
                    modifier = source_[open + 2];
            }
            // Whitespace the opening tag removes before itself, decided on the
            // raw text as jinja2 does.
            size_t keep_length = text.size();
            if (modifier == '-') {
                while (keep_length > 0 && is_space_byte(text[keep_length - 1])) --keep_length;
            } else if (modifier != '+' && (tag_type == '%' || tag_type == '#') && open < source_.size()) {
                const size_t last_newline = text.rfind('\n');
                const size_t line_start = last_newline == std::string::npos ? 0 : last_newline + 1;
                const bool at_line_start = line_start > 0 || text_start == 0 || source_[text_start - 1] == '\n';
                bool only_space = line_start < text.size();
                for (size_t i = line_start; i < text.size() && only_space; ++i) only_space = is_space_byte(text[i]);
                if (at_line_start && only_space) keep_length = line_start;
            }
            // Whitespace the previous closing tag removes after itself.
            size_t skip = 0;
            if (pending == after_tag::strip_whitespace) {
                while (skip < keep_length && is_space_byte(text[skip])) ++skip;
            } else if (pending == after_tag::trim_newline && keep_length > 0 && text[0] == '\n') {
                skip = 1;
            }
            if (keep_length > skip) push(tokens, token_kind::text, text.substr(skip, keep_length - skip), text_start);
            pending = after_tag::nothing;
            if (open >= source_.size()) break;

            position_ = open + 2 + (modifier ? 1 : 0);
            if (tag_type == '#') {
                const size_t close = source_.find("#}", position_);
                if (close == std::string::npos) return failure(open, "missing end of comment tag");
                const bool strip = close > position_ && source_[close - 1] == '-';
                const bool keep = close > position_ && source_[close - 1] == '+';
                position_ = close + 2;
                pending = strip ? after_tag::strip_whitespace : (keep ? after_tag::nothing : after_tag::trim_newline);
                continue;
            }
            const bool is_block = tag_type == '%';
            if (is_block && is_raw_tag()) {
                EMBER_TRY(read_raw(tokens, open));
                pending = raw_pending_;
                continue;
            }
            push(tokens, is_block ? token_kind::block_begin : token_kind::variable_begin, {}, open);
            char end_modifier = 0;
            EMBER_TRY(read_tag_body(tokens, is_block, end_modifier, open));
            if (end_modifier == '-') pending = after_tag::strip_whitespace;
            else if (is_block && end_modifier != '+') pending = after_tag::trim_newline;
        }
        push(tokens, token_kind::end, {}, source_.size());
        return tokens;
    }

private:
    enum class after_tag { nothing, strip_whitespace, trim_newline };

    size_t find_tag_open(size_t from) const {
        for (size_t i = from; i + 1 < source_.size(); ++i) {
            if (source_[i] == '{' && (source_[i + 1] == '{' || source_[i + 1] == '%' || source_[i + 1] == '#'))
                return i;
        }
        return source_.size();
    }

    int line_at(size_t offset) {
        // Tokens arrive in order, so count incrementally.
        while (line_offset_ < offset && line_offset_ < source_.size()) {
            if (source_[line_offset_] == '\n') ++line_;
            ++line_offset_;
        }
        return line_;
    }

    void push(std::vector<token>& tokens, token_kind kind, std::string text, size_t offset) {
        token item;
        item.kind = kind;
        item.text = std::move(text);
        item.line = line_at(offset);
        tokens.push_back(std::move(item));
    }

    error failure(size_t offset, const std::string& message) {
        return template_failure("template syntax error at line " + std::to_string(line_at(offset)) + ": " + message);
    }

    void skip_spaces() {
        while (position_ < source_.size() && is_space_byte(source_[position_])) ++position_;
    }

    // `{% raw %}` (with optional - / + markers): everything up to
    // `{% endraw %}` is text.
    bool is_raw_tag() {
        size_t cursor = position_;
        while (cursor < source_.size() && is_space_byte(source_[cursor])) ++cursor;
        if (source_.compare(cursor, 3, "raw") != 0) return false;
        cursor += 3;
        while (cursor < source_.size() && is_space_byte(source_[cursor])) ++cursor;
        return source_.compare(cursor, 2, "%}") == 0 || source_.compare(cursor, 3, "-%}") == 0;
    }

    result<void> read_raw(std::vector<token>& tokens, size_t open) {
        size_t cursor = source_.find("%}", position_);
        const bool strip_after_open = source_[cursor - 1] == '-';
        cursor += 2;
        // Find {%[-+]? endraw [-+]?%}
        size_t search = cursor;
        for (;;) {
            const size_t tag = source_.find("{%", search);
            if (tag == std::string::npos) return failure(open, "missing end of raw directive");
            size_t inner = tag + 2;
            char modifier = 0;
            if (inner < source_.size() && (source_[inner] == '-' || source_[inner] == '+')) modifier = source_[inner++];
            while (inner < source_.size() && is_space_byte(source_[inner])) ++inner;
            if (source_.compare(inner, 6, "endraw") != 0) {
                search = tag + 2;
                continue;
            }
            inner += 6;
            while (inner < source_.size() && is_space_byte(source_[inner])) ++inner;
            char end_modifier = 0;
            if (inner < source_.size() && (source_[inner] == '-' || source_[inner] == '+')) end_modifier = source_[inner++];
            if (source_.compare(inner, 2, "%}") != 0) {
                search = tag + 2;
                continue;
            }
            std::string text = source_.substr(cursor, tag - cursor);
            if (strip_after_open) {
                size_t skip = 0;
                while (skip < text.size() && is_space_byte(text[skip])) ++skip;
                text.erase(0, skip);
            }
            if (modifier == '-') {
                while (!text.empty() && is_space_byte(text.back())) text.pop_back();
            } else if (modifier != '+') {
                const size_t last_newline = text.rfind('\n');
                const size_t line_start = last_newline == std::string::npos ? 0 : last_newline + 1;
                bool only_space = line_start < text.size();
                for (size_t i = line_start; i < text.size() && only_space; ++i) only_space = is_space_byte(text[i]);
                if (only_space && last_newline != std::string::npos) text.erase(line_start);
            }
            if (!text.empty()) push(tokens, token_kind::text, std::move(text), cursor);
            position_ = inner + 2;
            raw_pending_ = end_modifier == '-' ? after_tag::strip_whitespace
                                              : (end_modifier == '+' ? after_tag::nothing : after_tag::trim_newline);
            return {};
        }
    }

    // Tokens inside {{ }} or {% %} up to the matching close (brackets
    // balanced, strings skipped), as jinja2's lexer does.
    result<void> read_tag_body(std::vector<token>& tokens, bool is_block, char& end_modifier, size_t open) {
        int bracket_depth = 0;
        for (;;) {
            skip_spaces();
            if (position_ >= source_.size())
                return failure(open, is_block ? "unexpected end of template, expected '%}'"
                                              : "unexpected end of template, expected '}}'");
            const char c = source_[position_];
            const char next = position_ + 1 < source_.size() ? source_[position_ + 1] : '\0';
            const char third = position_ + 2 < source_.size() ? source_[position_ + 2] : '\0';
            if (bracket_depth == 0) {
                const char close_char = is_block ? '%' : '}';
                if ((c == '-' || c == '+') && next == close_char && third == '}' && (is_block || c == '-')) {
                    push(tokens, is_block ? token_kind::block_end : token_kind::variable_end, {}, position_);
                    end_modifier = c;
                    position_ += 3;
                    return {};
                }
                if (c == close_char && next == '}') {
                    push(tokens, is_block ? token_kind::block_end : token_kind::variable_end, {}, position_);
                    end_modifier = 0;
                    position_ += 2;
                    return {};
                }
            }
            const size_t start = position_;
            if (c == '\'' || c == '"') {
                EMBER_TRY(read_string(tokens));
            } else if (c >= '0' && c <= '9') {
                EMBER_TRY(read_number(tokens));
            } else if (c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                size_t end = position_;
                while (end < source_.size() && (source_[end] == '_' || (source_[end] >= 'a' && source_[end] <= 'z') ||
                                                (source_[end] >= 'A' && source_[end] <= 'Z') ||
                                                (source_[end] >= '0' && source_[end] <= '9')))
                    ++end;
                push(tokens, token_kind::name, source_.substr(position_, end - position_), start);
                position_ = end;
            } else {
                static const char* const operators[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%",
                                                        "~",  "(",  ")",  "[",  "]",  "{",  "}", ".", ",", ":", "|",
                                                        "=",  "<",  ">",  ";"};
                const char* matched = nullptr;
                for (const char* candidate : operators) {
                    if (source_.compare(position_, std::char_traits<char>::length(candidate), candidate) == 0) {
                        matched = candidate;
                        break;
                    }
                }
                if (!matched) return failure(position_, std::string("unexpected character '") + c + "'");
                const std::string op = matched;
                if (op == "(" || op == "[" || op == "{") ++bracket_depth;
                if (op == ")" || op == "]" || op == "}") {
                    if (bracket_depth == 0) return failure(position_, "unexpected '" + op + "'");
                    --bracket_depth;
                }
                push(tokens, token_kind::operator_token, op, start);
                position_ += op.size();
            }
        }
    }

    // A Python string literal: jinja2 decodes escapes with Python's
    // unicode-escape (\n \t \\ \' \" \xhh \uhhhh \Uhhhhhhhh octal ...).
    result<void> read_string(std::vector<token>& tokens) {
        const size_t start = position_;
        const char quote = source_[position_++];
        std::string text;
        for (;;) {
            if (position_ >= source_.size()) return failure(start, "unterminated string literal");
            const char c = source_[position_++];
            if (c == quote) break;
            if (c != '\\') {
                text += c;
                continue;
            }
            if (position_ >= source_.size()) return failure(start, "unterminated string literal");
            const char escape = source_[position_++];
            const auto read_hex = [&](int digits, uint32_t& code) {
                code = 0;
                for (int i = 0; i < digits; ++i) {
                    if (position_ >= source_.size()) return false;
                    const char h = source_[position_];
                    uint32_t digit;
                    if (h >= '0' && h <= '9') digit = static_cast<uint32_t>(h - '0');
                    else if (h >= 'a' && h <= 'f') digit = static_cast<uint32_t>(h - 'a' + 10);
                    else if (h >= 'A' && h <= 'F') digit = static_cast<uint32_t>(h - 'A' + 10);
                    else return false;
                    code = code * 16 + digit;
                    ++position_;
                }
                return true;
            };
            uint32_t code = 0;
            switch (escape) {
                case 'n': text += '\n'; break;
                case 't': text += '\t'; break;
                case 'r': text += '\r'; break;
                case '\\': text += '\\'; break;
                case '\'': text += '\''; break;
                case '"': text += '"'; break;
                case 'a': text += '\a'; break;
                case 'b': text += '\b'; break;
                case 'f': text += '\f'; break;
                case 'v': text += '\v'; break;
                case '\n': break;  // line continuation
                case 'x':
                    if (!read_hex(2, code)) return failure(start, "truncated \\xXX escape");
                    append_utf8(text, code);
                    break;
                case 'u':
                    if (!read_hex(4, code)) return failure(start, "truncated \\uXXXX escape");
                    append_utf8(text, (code >= 0xD800 && code <= 0xDFFF) ? 0xFFFD : code);
                    break;
                case 'U':
                    if (!read_hex(8, code)) return failure(start, "truncated \\UXXXXXXXX escape");
                    if (code > 0x10FFFF) return failure(start, "illegal Unicode character in \\U escape");
                    append_utf8(text, (code >= 0xD800 && code <= 0xDFFF) ? 0xFFFD : code);
                    break;
                default:
                    if (escape >= '0' && escape <= '7') {
                        code = static_cast<uint32_t>(escape - '0');
                        for (int i = 0; i < 2 && position_ < source_.size() && source_[position_] >= '0' &&
                                        source_[position_] <= '7';
                             ++i)
                            code = code * 8 + static_cast<uint32_t>(source_[position_++] - '0');
                        append_utf8(text, code);
                    } else {
                        text += '\\';  // Python keeps unknown escapes as written
                        text += escape;
                    }
            }
        }
        push(tokens, token_kind::string, std::move(text), start);
        return {};
    }

    // Integers and floats, with optional `_` digit separators (jinja2's
    // integer_re / float_re; "1." is an integer followed by '.').
    result<void> read_number(std::vector<token>& tokens) {
        const size_t start = position_;
        std::string digits;
        const auto read_digits = [&] {
            bool any = false;
            while (position_ < source_.size()) {
                const char c = source_[position_];
                if (c >= '0' && c <= '9') {
                    digits += c;
                    any = true;
                    ++position_;
                } else if (c == '_' && any && position_ + 1 < source_.size() && source_[position_ + 1] >= '0' &&
                           source_[position_ + 1] <= '9') {
                    ++position_;
                } else {
                    break;
                }
            }
            return any;
        };
        read_digits();
        bool is_float = false;
        if (position_ + 1 < source_.size() && source_[position_] == '.' && source_[position_ + 1] >= '0' &&
            source_[position_ + 1] <= '9') {
            is_float = true;
            digits += '.';
            ++position_;
            read_digits();
        }
        if (position_ < source_.size() && (source_[position_] == 'e' || source_[position_] == 'E')) {
            size_t cursor = position_ + 1;
            if (cursor < source_.size() && (source_[cursor] == '+' || source_[cursor] == '-')) ++cursor;
            if (cursor < source_.size() && source_[cursor] >= '0' && source_[cursor] <= '9') {
                is_float = true;
                digits += 'e';
                if (source_[position_ + 1] == '-') digits += '-';
                position_ = cursor;
                read_digits();
            }
        }
        token item;
        item.line = line_at(start);
        item.text = digits;
        if (is_float) {
            item.kind = token_kind::floating;
            // JSON's number grammar minus leading zeros; json::parse converts
            // without depending on the C locale.
            while (digits.size() > 1 && digits[0] == '0' && digits[1] >= '0' && digits[1] <= '9') digits.erase(0, 1);
            auto parsed = json::parse(digits);
            item.floating = parsed ? parsed->as_number() : 0.0;
        } else {
            item.kind = token_kind::integer;
            auto parsed = std::from_chars(digits.data(), digits.data() + digits.size(), item.integer);
            if (parsed.ec != std::errc()) return failure(start, "integer literal too large");
        }
        tokens.push_back(std::move(item));
        return {};
    }

    std::string source_;
    size_t position_ = 0;
    int line_ = 1;
    size_t line_offset_ = 0;
    after_tag raw_pending_ = after_tag::nothing;  // what {% endraw %} asks of the text after it
};

}  // namespace ember::detail::jinja
