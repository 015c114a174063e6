#pragma once
// Tokens → statement tree. Grammar and operator precedence follow jinja2's
// parser (jinja2/parser.py), lowest first:
//   x if c else y · or · and · not · comparisons (== != < > <= >= in, not in)
//   · + - · ~ · * / // % · ** · unary - + · postfix (.attr [i] (call))
//   · filters `|f` and tests `is t` (bind tightest: `a + b | f` is a + f(b))
// Nesting is bounded so a hostile template cannot overflow the stack.

#include <ember/runtime/detail/jinja/ast.hpp>
#include <ember/runtime/detail/jinja/lexer.hpp>

#include <initializer_list>
#include <string>
#include <vector>

namespace ember::detail::jinja {

class parser {
public:
    static constexpr int max_nesting = 128;

    explicit parser(std::vector<token> tokens) : tokens_(std::move(tokens)) {}

    result<statement_list> parse_template() {
        std::string terminator;
        EMBER_TRY_ASSIGN(statement_list body, parse_body({}, terminator));
        return body;
    }

private:
    // ---- token helpers --------------------------------------------------
    const token& current() const { return tokens_[position_]; }
    const token& peek(size_t ahead = 1) const {
        return tokens_[position_ + ahead < tokens_.size() ? position_ + ahead : tokens_.size() - 1];
    }
    void advance() {
        if (position_ + 1 < tokens_.size()) ++position_;
    }
    bool is_operator(const char* text) const {
        return current().kind == token_kind::operator_token && current().text == text;
    }
    bool is_name(const char* text) const { return current().kind == token_kind::name && current().text == text; }
    bool skip_operator(const char* text) {
        if (!is_operator(text)) return false;
        advance();
        return true;
    }
    bool skip_name(const char* text) {
        if (!is_name(text)) return false;
        advance();
        return true;
    }

    static const char* describe(const token& item) {
        switch (item.kind) {
            case token_kind::text: return "template text";
            case token_kind::variable_begin: return "'{{'";
            case token_kind::variable_end: return "'}}'";
            case token_kind::block_begin: return "'{%'";
            case token_kind::block_end: return "'%}'";
            case token_kind::name: return "a name";
            case token_kind::string: return "a string";
            case token_kind::integer: return "an integer";
            case token_kind::floating: return "a float";
            case token_kind::operator_token: return "an operator";
            case token_kind::end: return "end of template";
        }
        return "a token";
    }

    error failure(const std::string& message) const {
        return template_failure("template syntax error at line " + std::to_string(current().line) + ": " + message);
    }
    error unexpected(const char* expected) const {
        std::string found = describe(current());
        if (current().kind == token_kind::name || current().kind == token_kind::operator_token)
            found = "'" + current().text + "'";
        return failure(std::string("expected ") + expected + ", found " + found);
    }
    result<void> expect_operator(const char* text) {
        if (!skip_operator(text)) return unexpected((std::string("'") + text + "'").c_str());
        return {};
    }
    result<void> expect_block_end() {
        if (current().kind != token_kind::block_end) return unexpected("'%}'");
        advance();
        return {};
    }
    result<std::string> expect_name() {
        if (current().kind != token_kind::name) return unexpected("a name");
        std::string name = current().text;
        advance();
        return name;
    }

    // Depth guard shared by statements and expressions.
    struct nesting_guard {
        int& depth;
        explicit nesting_guard(int& counter) : depth(++counter) {}
        ~nesting_guard() { --depth; }
    };

    static expression_ptr make(expression::kind type, int line) {
        auto node = std::make_unique<expression>();
        node->type = type;
        node->line = line;
        return node;
    }

    // ---- statements ------------------------------------------------------

    // Statements until `{% <one of terminators> ...`; the terminator name is
    // consumed and reported, the rest of its tag is the caller's.
    result<statement_list> parse_body(std::initializer_list<const char*> terminators, std::string& found) {
        nesting_guard guard(depth_);
        if (depth_ > max_nesting) return failure("blocks nested too deeply");
        statement_list body;
        for (;;) {
            const token& item = current();
            switch (item.kind) {
                case token_kind::text: {
                    auto node = std::make_unique<statement>();
                    node->type = statement::kind::text;
                    node->line = item.line;
                    node->text = item.text;
                    body.push_back(std::move(node));
                    advance();
                    break;
                }
                case token_kind::variable_begin: {
                    advance();
                    auto node = std::make_unique<statement>();
                    node->type = statement::kind::output;
                    node->line = item.line;
                    EMBER_TRY_ASSIGN(node->expression, parse_tuple(true));
                    if (current().kind != token_kind::variable_end) return unexpected("'}}'");
                    advance();
                    body.push_back(std::move(node));
                    break;
                }
                case token_kind::block_begin: {
                    advance();
                    if (current().kind == token_kind::name) {
                        for (const char* terminator : terminators) {
                            if (current().text == terminator) {
                                found = terminator;
                                advance();
                                return body;
                            }
                        }
                    }
                    EMBER_TRY_ASSIGN(statement_ptr node, parse_statement());
                    body.push_back(std::move(node));
                    break;
                }
                case token_kind::end:
                    if (terminators.size() != 0) {
                        std::string expected;
                        for (const char* terminator : terminators)
                            expected += std::string(expected.empty() ? "" : " or ") + "'" + terminator + "'";
                        return failure("unexpected end of template, expected " + expected);
                    }
                    return body;
                default: return unexpected("template text or a tag");
            }
        }
    }

    result<statement_ptr> parse_statement() {
        if (current().kind != token_kind::name) return unexpected("a tag name");
        const std::string tag = current().text;
        const int line = current().line;
        auto node = std::make_unique<statement>();
        node->line = line;
        advance();
        std::string found;
        if (tag == "if") {
            return parse_if(line);
        } else if (tag == "for") {
            node->type = statement::kind::for_loop;
            EMBER_TRY_ASSIGN(node->targets, parse_targets(true));
            if (!skip_name("in")) return unexpected("'in'");
            EMBER_TRY_ASSIGN(node->expression, parse_tuple(false));
            if (skip_name("if")) {
                EMBER_TRY_ASSIGN(node->condition, parse_expression(true));
            }
            if (is_name("recursive")) return failure("recursive for loops are not supported");
            EMBER_TRY(expect_block_end());
            ++loop_depth_;
            auto body = parse_body({"else", "endfor"}, found);
            --loop_depth_;
            if (!body) return body.error();
            node->body = std::move(*body);
            if (found == "else") {
                EMBER_TRY(expect_block_end());
                EMBER_TRY_ASSIGN(node->else_body, parse_body({"endfor"}, found));
            }
            EMBER_TRY(expect_block_end());
        } else if (tag == "set") {
            EMBER_TRY_ASSIGN(std::string first, expect_name());
            node->targets.push_back(first);
            if (skip_operator(".")) {
                EMBER_TRY_ASSIGN(node->attribute, expect_name());
            } else {
                while (skip_operator(",")) {
                    EMBER_TRY_ASSIGN(std::string next, expect_name());
                    node->targets.push_back(next);
                }
            }
            if (skip_operator("=")) {
                node->type = statement::kind::set;
                EMBER_TRY_ASSIGN(node->expression, parse_tuple(true));
                EMBER_TRY(expect_block_end());
            } else {
                if (node->targets.size() != 1 || !node->attribute.empty())
                    return failure("a block set assigns one plain name");
                node->type = statement::kind::set_block;
                if (is_operator("|")) {
                    EMBER_TRY_ASSIGN(node->expression, parse_filters(make(expression::kind::block_value, line)));
                }
                EMBER_TRY(expect_block_end());
                EMBER_TRY_ASSIGN(node->body, parse_body({"endset"}, found));
                EMBER_TRY(expect_block_end());
            }
        } else if (tag == "macro") {
            node->type = statement::kind::macro;
            auto macro = std::make_shared<macro_definition>();
            EMBER_TRY_ASSIGN(macro->name, expect_name());
            EMBER_TRY(expect_operator("("));
            while (!is_operator(")")) {
                if (!macro->parameters.empty()) EMBER_TRY(expect_operator(","));
                if (is_operator(")")) break;
                EMBER_TRY_ASSIGN(std::string parameter, expect_name());
                expression_ptr fallback;
                if (skip_operator("=")) {
                    EMBER_TRY_ASSIGN(fallback, parse_expression(true));
                }
                macro->parameters.push_back(parameter);
                macro->defaults.push_back(std::move(fallback));
            }
            advance();  // )
            EMBER_TRY(expect_block_end());
            const int saved_loops = loop_depth_;
            loop_depth_ = 0;  // break/continue cannot cross a macro
            auto body = parse_body({"endmacro"}, found);
            loop_depth_ = saved_loops;
            if (!body) return body.error();
            macro->body = std::move(*body);
            if (current().kind == token_kind::name) advance();  // {% endmacro name %}
            EMBER_TRY(expect_block_end());
            node->macro = std::move(macro);
        } else if (tag == "filter") {
            node->type = statement::kind::filter_block;
            EMBER_TRY_ASSIGN(node->expression, parse_filter_chain(make(expression::kind::block_value, line)));
            EMBER_TRY(expect_block_end());
            EMBER_TRY_ASSIGN(node->body, parse_body({"endfilter"}, found));
            EMBER_TRY(expect_block_end());
        } else if (tag == "break" || tag == "continue") {
            if (loop_depth_ == 0) return failure("'" + tag + "' outside of a for loop");
            node->type = tag == "break" ? statement::kind::break_loop : statement::kind::continue_loop;
            EMBER_TRY(expect_block_end());
        } else if (tag == "with") {
            node->type = statement::kind::with_block;
            while (current().kind != token_kind::block_end) {
                if (!node->assignments.empty()) EMBER_TRY(expect_operator(","));
                EMBER_TRY_ASSIGN(std::string name, expect_name());
                EMBER_TRY(expect_operator("="));
                EMBER_TRY_ASSIGN(expression_ptr assigned, parse_expression(true));
                node->assignments.emplace_back(std::move(name), std::move(assigned));
            }
            advance();
            EMBER_TRY_ASSIGN(node->body, parse_body({"endwith"}, found));
            EMBER_TRY(expect_block_end());
        } else if (tag == "generation") {
            // transformers' {% generation %} marks assistant text for training
            // masks; rendering just emits its body.
            node->type = statement::kind::scope;
            EMBER_TRY(expect_block_end());
            EMBER_TRY_ASSIGN(node->body, parse_body({"endgeneration"}, found));
            EMBER_TRY(expect_block_end());
        } else if (tag == "include" || tag == "import" || tag == "from" || tag == "extends" || tag == "block") {
            return failure("'" + tag + "' is not supported: chat templates are sandboxed and load no other templates");
        } else if (tag == "call") {
            return failure("{% call %} blocks are not supported");
        } else {
            return failure("unknown tag '" + tag + "'");
        }
        return node;
    }

    result<statement_ptr> parse_if(int line) {
        nesting_guard guard(depth_);
        if (depth_ > max_nesting) return failure("blocks nested too deeply");
        auto node = std::make_unique<statement>();
        node->type = statement::kind::if_block;
        node->line = line;
        EMBER_TRY_ASSIGN(node->expression, parse_tuple(true));
        EMBER_TRY(expect_block_end());
        std::string found;
        EMBER_TRY_ASSIGN(node->body, parse_body({"elif", "else", "endif"}, found));
        if (found == "elif") {
            EMBER_TRY_ASSIGN(statement_ptr nested, parse_if(current().line));
            node->else_body.push_back(std::move(nested));
            return node;  // the nested if consumed endif
        }
        if (found == "else") {
            EMBER_TRY(expect_block_end());
            EMBER_TRY_ASSIGN(node->else_body, parse_body({"endif"}, found));
        }
        EMBER_TRY(expect_block_end());
        return node;
    }

    // `a`, `a, b` or `(a, b)` before `in` / `=`.
    result<std::vector<std::string>> parse_targets(bool allow_parentheses) {
        std::vector<std::string> names;
        const bool parenthesized = allow_parentheses && skip_operator("(");
        do {
            if (parenthesized && is_operator(")")) break;
            EMBER_TRY_ASSIGN(std::string name, expect_name());
            names.push_back(std::move(name));
        } while (skip_operator(","));
        if (parenthesized) EMBER_TRY(expect_operator(")"));
        return names;
    }

    // ---- expressions -----------------------------------------------------

    bool at_tuple_end() const {
        const token& item = current();
        return item.kind == token_kind::variable_end || item.kind == token_kind::block_end ||
               (item.kind == token_kind::operator_token && item.text == ")") || item.kind == token_kind::end;
    }

    // `a` or `a, b, ...` (a tuple) at statement level.
    result<expression_ptr> parse_tuple(bool allow_conditional) {
        const int line = current().line;
        std::vector<expression_ptr> items;
        bool is_tuple = false;
        for (;;) {
            if (!items.empty() && !skip_operator(",")) break;
            if (!items.empty() && at_tuple_end()) break;
            EMBER_TRY_ASSIGN(expression_ptr item, parse_expression(allow_conditional));
            items.push_back(std::move(item));
            if (is_operator(",")) is_tuple = true;
            else break;
        }
        if (!is_tuple) return std::move(items.front());
        auto node = make(expression::kind::tuple_literal, line);
        node->operands = std::move(items);
        return node;
    }

    result<expression_ptr> parse_expression(bool allow_conditional) {
        nesting_guard guard(depth_);
        if (depth_ > max_nesting) return failure("expression nested too deeply");
        EMBER_TRY_ASSIGN(expression_ptr node, parse_or());
        while (allow_conditional && is_name("if")) {
            const int line = current().line;
            advance();
            EMBER_TRY_ASSIGN(expression_ptr condition, parse_or());
            expression_ptr otherwise;
            if (skip_name("else")) {
                EMBER_TRY_ASSIGN(otherwise, parse_expression(true));
            }
            auto conditional = make(expression::kind::conditional, line);
            conditional->operands.push_back(std::move(node));
            conditional->operands.push_back(std::move(condition));
            conditional->operands.push_back(std::move(otherwise));
            node = std::move(conditional);
        }
        return node;
    }

    expression_ptr make_binary(std::string op, expression_ptr left, expression_ptr right, int line) {
        auto node = make(expression::kind::binary, line);
        node->text = std::move(op);
        node->operands.push_back(std::move(left));
        node->operands.push_back(std::move(right));
        return node;
    }

    result<expression_ptr> parse_or() {
        EMBER_TRY_ASSIGN(expression_ptr left, parse_and());
        while (is_name("or")) {
            const int line = current().line;
            advance();
            EMBER_TRY_ASSIGN(expression_ptr right, parse_and());
            left = make_binary("or", std::move(left), std::move(right), line);
        }
        return left;
    }

    result<expression_ptr> parse_and() {
        EMBER_TRY_ASSIGN(expression_ptr left, parse_not());
        while (is_name("and")) {
            const int line = current().line;
            advance();
            EMBER_TRY_ASSIGN(expression_ptr right, parse_not());
            left = make_binary("and", std::move(left), std::move(right), line);
        }
        return left;
    }

    result<expression_ptr> parse_not() {
        if (is_name("not")) {
            nesting_guard guard(depth_);
            if (depth_ > max_nesting) return failure("expression nested too deeply");
            const int line = current().line;
            advance();
            EMBER_TRY_ASSIGN(expression_ptr operand, parse_not());
            auto node = make(expression::kind::unary, line);
            node->text = "not";
            node->operands.push_back(std::move(operand));
            return node;
        }
        return parse_compare();
    }

    result<expression_ptr> parse_compare() {
        const int line = current().line;
        EMBER_TRY_ASSIGN(expression_ptr first, parse_math1());
        expression_ptr node;
        for (;;) {
            std::string op;
            const token& item = current();
            if (item.kind == token_kind::operator_token &&
                (item.text == "==" || item.text == "!=" || item.text == "<" || item.text == ">" ||
                 item.text == "<=" || item.text == ">=")) {
                op = item.text;
                advance();
            } else if (is_name("in")) {
                op = "in";
                advance();
            } else if (is_name("not") && peek().kind == token_kind::name && peek().text == "in") {
                op = "not in";
                advance();
                advance();
            } else {
                break;
            }
            EMBER_TRY_ASSIGN(expression_ptr operand, parse_math1());
            if (!node) {
                node = make(expression::kind::compare, line);
                node->operands.push_back(std::move(first));
            }
            node->comparators.push_back(op);
            node->operands.push_back(std::move(operand));
        }
        return node ? std::move(node) : std::move(first);
    }

    result<expression_ptr> parse_math1() {
        EMBER_TRY_ASSIGN(expression_ptr left, parse_concat());
        while (is_operator("+") || is_operator("-")) {
            const std::string op = current().text;
            const int line = current().line;
            advance();
            EMBER_TRY_ASSIGN(expression_ptr right, parse_concat());
            left = make_binary(op, std::move(left), std::move(right), line);
        }
        return left;
    }

    result<expression_ptr> parse_concat() {
        EMBER_TRY_ASSIGN(expression_ptr left, parse_math2());
        while (is_operator("~")) {
            const int line = current().line;
            advance();
            EMBER_TRY_ASSIGN(expression_ptr right, parse_math2());
            left = make_binary("~", std::move(left), std::move(right), line);
        }
        return left;
    }

    result<expression_ptr> parse_math2() {
        EMBER_TRY_ASSIGN(expression_ptr left, parse_pow());
        while (is_operator("*") || is_operator("/") || is_operator("//") || is_operator("%")) {
            const std::string op = current().text;
            const int line = current().line;
            advance();
            EMBER_TRY_ASSIGN(expression_ptr right, parse_pow());
            left = make_binary(op, std::move(left), std::move(right), line);
        }
        return left;
    }

    result<expression_ptr> parse_pow() {
        EMBER_TRY_ASSIGN(expression_ptr left, parse_unary(true));
        while (is_operator("**")) {  // left-associative in jinja2
            const int line = current().line;
            advance();
            EMBER_TRY_ASSIGN(expression_ptr right, parse_unary(true));
            left = make_binary("**", std::move(left), std::move(right), line);
        }
        return left;
    }

    result<expression_ptr> parse_unary(bool with_filters) {
        nesting_guard guard(depth_);
        if (depth_ > max_nesting) return failure("expression nested too deeply");
        const int line = current().line;
        expression_ptr node;
        if (is_operator("-") || is_operator("+")) {
            const std::string op = current().text;
            advance();
            EMBER_TRY_ASSIGN(expression_ptr operand, parse_unary(false));
            node = make(expression::kind::unary, line);
            node->text = op;
            node->operands.push_back(std::move(operand));
        } else {
            EMBER_TRY_ASSIGN(node, parse_primary());
        }
        EMBER_TRY_ASSIGN(node, parse_postfix(std::move(node)));
        if (with_filters) {
            EMBER_TRY_ASSIGN(node, parse_filters(std::move(node)));
        }
        return node;
    }

    result<expression_ptr> parse_primary() {
        const token item = current();
        switch (item.kind) {
            case token_kind::name: {
                advance();
                auto node = make(expression::kind::literal, item.line);
                if (item.text == "true" || item.text == "True") node->constant = value::boolean(true);
                else if (item.text == "false" || item.text == "False") node->constant = value::boolean(false);
                else if (item.text == "none" || item.text == "None") node->constant = value::none();
                else {
                    node->type = expression::kind::name;
                    node->text = item.text;
                }
                return node;
            }
            case token_kind::string: {
                std::string text;
                while (current().kind == token_kind::string) {  // adjacent literals concatenate
                    text += current().text;
                    advance();
                }
                auto node = make(expression::kind::literal, item.line);
                node->constant = value::string(std::move(text));
                return node;
            }
            case token_kind::integer: {
                advance();
                auto node = make(expression::kind::literal, item.line);
                node->constant = value::integer(item.integer);
                return node;
            }
            case token_kind::floating: {
                advance();
                auto node = make(expression::kind::literal, item.line);
                node->constant = value::floating(item.floating);
                return node;
            }
            case token_kind::operator_token:
                if (item.text == "(") {
                    advance();
                    if (skip_operator(")")) return make(expression::kind::tuple_literal, item.line);
                    EMBER_TRY_ASSIGN(expression_ptr inner, parse_tuple(true));
                    EMBER_TRY(expect_operator(")"));
                    return inner;
                }
                if (item.text == "[") {
                    advance();
                    auto node = make(expression::kind::list_literal, item.line);
                    while (!is_operator("]")) {
                        if (!node->operands.empty()) EMBER_TRY(expect_operator(","));
                        if (is_operator("]")) break;
                        EMBER_TRY_ASSIGN(expression_ptr element, parse_expression(true));
                        node->operands.push_back(std::move(element));
                    }
                    advance();
                    return node;
                }
                if (item.text == "{") {
                    advance();
                    auto node = make(expression::kind::dict_literal, item.line);
                    while (!is_operator("}")) {
                        if (!node->operands.empty()) EMBER_TRY(expect_operator(","));
                        if (is_operator("}")) break;
                        EMBER_TRY_ASSIGN(expression_ptr key, parse_expression(true));
                        EMBER_TRY(expect_operator(":"));
                        EMBER_TRY_ASSIGN(expression_ptr element, parse_expression(true));
                        node->operands.push_back(std::move(key));
                        node->operands.push_back(std::move(element));
                    }
                    advance();
                    return node;
                }
                return unexpected("an expression");
            default: return unexpected("an expression");
        }
    }

    result<expression_ptr> parse_postfix(expression_ptr node) {
        for (;;) {
            const int line = current().line;
            if (is_operator(".")) {
                advance();
                if (current().kind == token_kind::name) {
                    auto attribute = make(expression::kind::attribute, line);
                    attribute->text = current().text;
                    attribute->operands.push_back(std::move(node));
                    node = std::move(attribute);
                    advance();
                } else if (current().kind == token_kind::integer) {
                    auto subscript = make(expression::kind::subscript, line);
                    auto index = make(expression::kind::literal, line);
                    index->constant = value::integer(current().integer);
                    subscript->operands.push_back(std::move(node));
                    subscript->operands.push_back(std::move(index));
                    node = std::move(subscript);
                    advance();
                } else {
                    return unexpected("an attribute name");
                }
            } else if (is_operator("[")) {
                advance();
                EMBER_TRY_ASSIGN(node, parse_subscript(std::move(node), line));
            } else if (is_operator("(")) {
                EMBER_TRY_ASSIGN(node, parse_call(std::move(node), expression::kind::call, line));
            } else {
                return node;
            }
        }
    }

    result<expression_ptr> parse_subscript(expression_ptr target, int line) {
        expression_ptr parts[3];
        bool is_slice = false;
        for (int part = 0; part < 3; ++part) {
            if (part > 0) {
                if (!skip_operator(":")) break;
                is_slice = true;
            }
            if (!is_operator(":") && !is_operator("]")) {
                EMBER_TRY_ASSIGN(parts[part], parse_expression(true));
            }
        }
        EMBER_TRY(expect_operator("]"));
        auto node = make(is_slice ? expression::kind::slice : expression::kind::subscript, line);
        node->operands.push_back(std::move(target));
        if (!is_slice && !parts[0]) return failure("empty subscript");
        for (int part = 0; part < (is_slice ? 3 : 1); ++part) node->operands.push_back(std::move(parts[part]));
        return node;
    }

    // `( args )` after a callee / filter / test; operands[0] is the target.
    result<expression_ptr> parse_call(expression_ptr target, expression::kind type, int line,
                                      std::string name = {}) {
        auto node = make(type, line);
        node->text = std::move(name);
        node->operands.push_back(std::move(target));
        EMBER_TRY(expect_operator("("));
        bool first = true;
        while (!is_operator(")")) {
            if (!first) EMBER_TRY(expect_operator(","));
            first = false;
            if (is_operator(")")) break;
            if (is_operator("*") || is_operator("**")) return failure("*args / **kwargs are not supported");
            if (current().kind == token_kind::name && peek().kind == token_kind::operator_token && peek().text == "=") {
                keyword_argument keyword;
                keyword.name = current().text;
                advance();
                advance();
                EMBER_TRY_ASSIGN(keyword.argument, parse_expression(true));
                node->keywords.push_back(std::move(keyword));
            } else {
                if (!node->keywords.empty()) return failure("positional argument after keyword argument");
                EMBER_TRY_ASSIGN(expression_ptr argument, parse_expression(true));
                node->operands.push_back(std::move(argument));
            }
        }
        advance();
        return node;
    }

    result<std::string> parse_dotted_name() {
        EMBER_TRY_ASSIGN(std::string name, expect_name());
        while (is_operator(".")) {
            advance();
            EMBER_TRY_ASSIGN(std::string part, expect_name());
            name += "." + part;
        }
        return name;
    }

    // `| f(...)` (one or more) for filter blocks.
    result<expression_ptr> parse_filter_chain(expression_ptr node) {
        do {
            const int line = current().line;
            EMBER_TRY_ASSIGN(std::string name, parse_dotted_name());
            if (is_operator("(")) {
                EMBER_TRY_ASSIGN(node, parse_call(std::move(node), expression::kind::filter, line, name));
            } else {
                auto filter = make(expression::kind::filter, line);
                filter->text = name;
                filter->operands.push_back(std::move(node));
                node = std::move(filter);
            }
        } while (skip_operator("|"));
        return node;
    }

    // Filters, tests and calls after a unary expression (jinja2's
    // parse_filter_expr).
    result<expression_ptr> parse_filters(expression_ptr node) {
        for (;;) {
            const int line = current().line;
            if (skip_operator("|")) {
                EMBER_TRY_ASSIGN(std::string name, parse_dotted_name());
                if (is_operator("(")) {
                    EMBER_TRY_ASSIGN(node, parse_call(std::move(node), expression::kind::filter, line, name));
                } else {
                    auto filter = make(expression::kind::filter, line);
                    filter->text = name;
                    filter->operands.push_back(std::move(node));
                    node = std::move(filter);
                }
            } else if (is_name("is")) {
                advance();
                const bool negated = skip_name("not");
                EMBER_TRY_ASSIGN(std::string name, parse_dotted_name());
                expression_ptr test;
                if (is_operator("(")) {
                    EMBER_TRY_ASSIGN(test, parse_call(std::move(node), expression::kind::test, line, name));
                } else {
                    test = make(expression::kind::test, line);
                    test->text = name;
                    test->operands.push_back(std::move(node));
                    // One bare argument: `is divisibleby 3`, `is equalto 'x'`.
                    const token& next = current();
                    const bool starts_argument =
                        next.kind == token_kind::name || next.kind == token_kind::string ||
                        next.kind == token_kind::integer || next.kind == token_kind::floating ||
                        (next.kind == token_kind::operator_token && (next.text == "[" || next.text == "{"));
                    if (starts_argument && !is_name("else") && !is_name("or") && !is_name("and")) {
                        if (is_name("is")) return failure("you cannot chain multiple tests with 'is'");
                        EMBER_TRY_ASSIGN(expression_ptr argument, parse_primary());
                        EMBER_TRY_ASSIGN(argument, parse_postfix(std::move(argument)));
                        test->operands.push_back(std::move(argument));
                    }
                }
                test->negated = negated;
                node = std::move(test);
            } else if (is_operator("(")) {
                EMBER_TRY_ASSIGN(node, parse_call(std::move(node), expression::kind::call, line));
            } else {
                return node;
            }
        }
    }

    std::vector<token> tokens_;
    size_t position_ = 0;
    int depth_ = 0;
    int loop_depth_ = 0;
};

}  // namespace ember::detail::jinja
