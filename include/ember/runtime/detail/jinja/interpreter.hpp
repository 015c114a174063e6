#pragma once
// Walks a parsed template and renders it. Scoping follows jinja2: a for
// loop's body gets a fresh scope every iteration (so `set` inside a loop
// never leaks out — templates use namespace() for that), `if` has no scope
// of its own, and a macro sees the template's top level, not its caller's
// locals. Every render is bounded: output bytes, loop iterations and
// evaluation depth (macro recursion included) end in an error, not a crash.

#include <ember/runtime/detail/jinja/ast.hpp>
#include <ember/runtime/detail/jinja/filters.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace ember::detail::jinja {

struct render_limits {
    size_t max_output_bytes = 0;
    size_t max_loop_iterations = 0;
    int max_depth = 0;
    uint64_t max_steps = 0;  // evaluation budget: expressions evaluated plus the size of what they produced
};

class interpreter {
public:
    interpreter(const render_limits& limits, const std::function<std::tm()>* now) : limits_(limits) {
        context_.max_string_bytes = limits.max_output_bytes;
        context_.max_items = limits.max_loop_iterations;
        context_.now = now;
    }

    // Render `program` with `globals` (the caller's variables) visible.
    result<std::string> run(const statement_list& program, const value_dict& globals) {
        frames_.clear();
        frames_.push_back(frame{globals.items, no_parent});  // 0: the caller's variables
        frames_.push_back(frame{{}, 0});                      // 1: the template's top level
        frame_count_ = 2;
        current_ = 1;
        std::string out;
        output_ = &out;
        auto ended = execute(program);
        // A namespace can hold itself (`set ns.me = ns`): empty every
        // namespace this render made so reference cycles cannot leak.
        for (value& created : namespaces_) created.mutable_namespace().items.clear();
        namespaces_.clear();
        frames_.clear();
        if (!ended) return ended.error();
        return out;
    }

private:
    static constexpr size_t no_parent = static_cast<size_t>(-1);
    static constexpr size_t top_level = 1;

    enum class flow { normal, break_loop, continue_loop };

    struct frame {
        std::vector<std::pair<value, value>> variables;  // name (string) → value
        size_t parent;
    };

    // Depth guard for the evaluator's recursion.
    struct depth_guard {
        int& depth;
        explicit depth_guard(int& counter) : depth(++counter) {}
        ~depth_guard() { --depth; }
    };

    error located(int line, const std::string& message) const {
        return template_failure("template error at line " + std::to_string(line) + ": " + message);
    }

    // ---- variables ---------------------------------------------------------

    const value* lookup(const std::string& name) const {
        for (size_t index = current_; index != no_parent; index = frames_[index].parent) {
            for (const auto& variable : frames_[index].variables)
                if (variable.first.as_string() == name) return &variable.second;
            if (index == 0) break;
        }
        return nullptr;
    }

    result<value> lookup_value(const std::string& name) const {
        if (const value* found = lookup(name)) return *found;
        if (is_global_function(name)) {
            callable_data function;
            function.name = name;
            return value::callable(std::move(function));
        }
        return value::undefined("'" + name + "' is undefined");
    }

    void assign(const std::string& name, value item) {
        auto& variables = frames_[current_].variables;
        for (auto& variable : variables) {
            if (variable.first.as_string() == name) {
                variable.second = std::move(item);
                return;
            }
        }
        variables.emplace_back(value::string(name), std::move(item));
    }

    // Bind loop / set targets: one name takes the value, several unpack it.
    result<void> bind_targets(const std::vector<std::string>& targets, const value& item, int line) {
        if (targets.size() == 1) {
            assign(targets[0], item);
            return {};
        }
        EMBER_TRY_ASSIGN(value_list parts, iterate(item));
        if (parts.size() != targets.size())
            return located(line, (parts.size() > targets.size() ? "too many values to unpack (expected "
                                                                : "not enough values to unpack (expected ") +
                                     std::to_string(targets.size()) + ", got " + std::to_string(parts.size()) + ")");
        for (size_t i = 0; i < targets.size(); ++i) assign(targets[i], parts[i]);
        return {};
    }

    // Frames are a stack; popped frames keep their storage for the next
    // push (a loop pushes one per iteration).
    size_t push_frame(size_t parent) {
        if (frame_count_ == frames_.size()) frames_.push_back(frame{{}, parent});
        frames_[frame_count_].variables.clear();
        frames_[frame_count_].parent = parent;
        const size_t previous = current_;
        current_ = frame_count_++;
        return previous;
    }
    void pop_frame(size_t previous) {
        --frame_count_;
        frames_[frame_count_].variables.clear();
        current_ = previous;
    }

    result<void> emit(std::string_view text) {
        output_->append(text.data(), text.size());
        if (output_->size() > limits_.max_output_bytes)
            return template_failure("template output exceeds the limit of " + std::to_string(limits_.max_output_bytes) +
                                    " bytes");
        return {};
    }

    // Render `body` into a string of its own ({% set %} blocks, macros, filters).
    result<std::string> capture(const statement_list& body) {
        std::string buffer;
        std::string* saved = output_;
        output_ = &buffer;
        auto ended = execute(body);
        output_ = saved;
        if (!ended) return ended.error();
        return buffer;
    }

    // ---- statements ------------------------------------------------------------

    result<flow> execute(const statement_list& body) {
        depth_guard guard(depth_);
        if (depth_ > limits_.max_depth) return template_failure("template nesting or recursion too deep");
        for (const statement_ptr& node : body) {
            EMBER_TRY_ASSIGN(flow outcome, execute(*node));
            if (outcome != flow::normal) return outcome;
        }
        return flow::normal;
    }

    result<flow> execute(const statement& node) {
        switch (node.type) {
            case statement::kind::text: EMBER_TRY(emit(node.text)); return flow::normal;
            case statement::kind::output: {
                EMBER_TRY_ASSIGN(value item, evaluate(*node.expression));
                if (item.is_string()) {
                    EMBER_TRY(emit(item.as_string()));
                } else {
                    EMBER_TRY(emit(to_str(item, limits_.max_output_bytes + 1)));
                }
                return flow::normal;
            }
            case statement::kind::if_block: {
                EMBER_TRY_ASSIGN(value condition, evaluate(*node.expression));
                return execute(truthy(condition) ? node.body : node.else_body);
            }
            case statement::kind::for_loop: return execute_for(node);
            case statement::kind::set: {
                EMBER_TRY_ASSIGN(value item, evaluate(*node.expression));
                if (!node.attribute.empty()) {
                    const value* target = lookup(node.targets[0]);
                    if (!target || !target->is_namespace())
                        return located(node.line, "cannot assign attribute on non-namespace object");
                    value object = *target;  // shares the namespace's storage
                    object.mutable_namespace().set(value::string(node.attribute), std::move(item));
                    return flow::normal;
                }
                EMBER_TRY(bind_targets(node.targets, item, node.line));
                return flow::normal;
            }
            case statement::kind::set_block: {
                EMBER_TRY_ASSIGN(std::string text, capture(node.body));
                value item = value::string(std::move(text));
                if (node.expression) {
                    block_value_ = item;
                    EMBER_TRY_ASSIGN(item, evaluate(*node.expression));
                }
                assign(node.targets[0], std::move(item));
                return flow::normal;
            }
            case statement::kind::macro: {
                callable_data function;
                function.name = node.macro->name;
                function.macro = node.macro.get();
                assign(node.macro->name, value::callable(std::move(function)));
                return flow::normal;
            }
            case statement::kind::filter_block: {
                EMBER_TRY_ASSIGN(std::string text, capture(node.body));
                block_value_ = value::string(std::move(text));
                EMBER_TRY_ASSIGN(value item, evaluate(*node.expression));
                EMBER_TRY(emit(to_str(item, limits_.max_output_bytes + 1)));
                return flow::normal;
            }
            case statement::kind::break_loop: return flow::break_loop;
            case statement::kind::continue_loop: return flow::continue_loop;
            case statement::kind::with_block: {
                std::vector<value> assigned;
                for (const auto& assignment : node.assignments) {
                    EMBER_TRY_ASSIGN(value item, evaluate(*assignment.second));
                    assigned.push_back(std::move(item));
                }
                const size_t previous = push_frame(current_);
                for (size_t i = 0; i < assigned.size(); ++i) assign(node.assignments[i].first, assigned[i]);
                auto outcome = execute(node.body);
                pop_frame(previous);
                return outcome;
            }
            case statement::kind::scope: return execute(node.body);
        }
        return flow::normal;
    }

    result<flow> execute_for(const statement& node) {
        EMBER_TRY_ASSIGN(value iterable, evaluate(*node.expression));
        auto listed = iterate(iterable);
        if (!listed) return located(node.line, listed.error().message);
        value_list items = std::move(*listed);
        if (node.condition) {
            // The inline `if` filters before loop.length and friends are known.
            value_list kept;
            for (const value& item : items) {
                const size_t previous = push_frame(current_);
                auto bound = bind_targets(node.targets, item, node.line);
                auto condition = bound ? evaluate(*node.condition) : result<value>(bound.error());
                pop_frame(previous);
                if (!condition) return condition.error();
                if (truthy(*condition)) kept.push_back(item);
            }
            items = std::move(kept);
        }
        if (items.empty()) return execute(node.else_body);
        const auto shared_items = std::make_shared<const value_list>(std::move(items));
        const int64_t length = static_cast<int64_t>(shared_items->size());
        for (int64_t i = 0; i < length; ++i) {
            if (++iterations_ > limits_.max_loop_iterations)
                return template_failure("template exceeded the limit of " +
                                        std::to_string(limits_.max_loop_iterations) + " loop iterations");
            const size_t previous = push_frame(current_);
            assign("loop", value::loop_context(shared_items, i));
            auto bound = bind_targets(node.targets, (*shared_items)[static_cast<size_t>(i)], node.line);
            auto outcome = bound ? execute(node.body) : result<flow>(bound.error());
            pop_frame(previous);
            if (!outcome) return outcome.error();
            if (*outcome == flow::break_loop) break;
        }
        return flow::normal;
    }

    // ---- expressions ---------------------------------------------------------

    result<arguments> evaluate_arguments(const expression& node, size_t first_operand) {
        arguments args;
        for (size_t i = first_operand; i < node.operands.size(); ++i) {
            EMBER_TRY_ASSIGN(value item, evaluate(*node.operands[i]));
            args.positional.push_back(std::move(item));
        }
        for (const keyword_argument& keyword : node.keywords) {
            EMBER_TRY_ASSIGN(value item, evaluate(*keyword.argument));
            args.keywords.emplace_back(keyword.name, std::move(item));
        }
        return args;
    }

    result<value> evaluate(const expression& node) {
        depth_guard guard(depth_);
        if (depth_ > limits_.max_depth) return template_failure("template nesting or recursion too deep");
        if (++steps_ > limits_.max_steps) return template_failure("template exceeded its evaluation budget");
        auto evaluated = evaluate_node(node);
        if (evaluated) {
            // Builtins and literals do work proportional to what they build
            // (and filters/tests/calls to what they walk): charge it. Plain
            // lookups share existing values and cost nothing extra.
            const value& produced = *evaluated;
            if (node.type != expression::kind::name && node.type != expression::kind::attribute &&
                node.type != expression::kind::subscript && node.type != expression::kind::literal &&
                node.type != expression::kind::conditional) {
                steps_ += produced.weight() + (produced.is_string() ? produced.as_string().size() / 64 : 0);
            }
            if (produced.weight() > limits_.max_loop_iterations)
                return template_failure("template built a value of more than " +
                                        std::to_string(limits_.max_loop_iterations) + " elements");
        }
        if (!evaluated && evaluated.error().message.compare(0, 15, "template error ") != 0 &&
            evaluated.error().message.compare(0, 16, "template syntax ") != 0 && !raised_) {
            // Name the line once, at the innermost failing expression.
            return located(node.line, evaluated.error().message);
        }
        return evaluated;
    }

    result<value> evaluate_node(const expression& node) {
        switch (node.type) {
            case expression::kind::literal: return node.constant;
            case expression::kind::name: return lookup_value(node.text);
            case expression::kind::block_value: return block_value_;
            case expression::kind::attribute: {
                EMBER_TRY_ASSIGN(value object, evaluate(*node.operands[0]));
                return get_attribute(object, node.text);
            }
            case expression::kind::subscript: {
                EMBER_TRY_ASSIGN(value object, evaluate(*node.operands[0]));
                EMBER_TRY_ASSIGN(value key, evaluate(*node.operands[1]));
                return get_item(object, key);
            }
            case expression::kind::slice: {
                EMBER_TRY_ASSIGN(value object, evaluate(*node.operands[0]));
                value parts[3] = {value::none(), value::none(), value::none()};
                for (int i = 0; i < 3; ++i) {
                    if (node.operands[static_cast<size_t>(i) + 1]) {
                        EMBER_TRY_ASSIGN(parts[i], evaluate(*node.operands[static_cast<size_t>(i) + 1]));
                    }
                }
                return slice_value(object, parts[0], parts[1], parts[2]);
            }
            case expression::kind::call: {
                EMBER_TRY_ASSIGN(value callee, evaluate(*node.operands[0]));
                EMBER_TRY_ASSIGN(arguments args, evaluate_arguments(node, 1));
                if (callee.is_callable() && callee.function().self) steps_ += callee.function().self->weight();
                return call(callee, args);
            }
            case expression::kind::filter: {
                EMBER_TRY_ASSIGN(value input, evaluate(*node.operands[0]));
                if (filter_walks_input(node.text)) steps_ += input.weight();
                EMBER_TRY_ASSIGN(arguments args, evaluate_arguments(node, 1));
                return apply_filter(node.text, input, args, context_);
            }
            case expression::kind::test: {
                EMBER_TRY_ASSIGN(value input, evaluate(*node.operands[0]));
                EMBER_TRY_ASSIGN(arguments args, evaluate_arguments(node, 1));
                EMBER_TRY_ASSIGN(bool passed, apply_test(node.text, input, args));
                return value::boolean(passed != node.negated);
            }
            case expression::kind::unary: {
                EMBER_TRY_ASSIGN(value operand, evaluate(*node.operands[0]));
                if (node.text == "not") return value::boolean(!truthy(operand));
                if (operand.is_undefined()) return undefined_failure(operand);
                if (!operand.is_number())
                    return template_failure("bad operand type for unary " + node.text + ": '" + type_name(operand) + "'");
                if (node.text == "+") return operand.is_floating() ? operand : value::integer(operand.as_integer());
                if (operand.is_floating()) return value::floating(-operand.as_double());
                if (operand.as_integer() == INT64_MIN) return template_failure("integer overflow");
                return value::integer(-operand.as_integer());
            }
            case expression::kind::binary: {
                EMBER_TRY_ASSIGN(value left, evaluate(*node.operands[0]));
                if (node.text == "and") return truthy(left) ? evaluate(*node.operands[1]) : left;
                if (node.text == "or") return truthy(left) ? left : evaluate(*node.operands[1]);
                EMBER_TRY_ASSIGN(value right, evaluate(*node.operands[1]));
                return binary_operation(node.text, left, right);
            }
            case expression::kind::compare: {
                EMBER_TRY_ASSIGN(value left, evaluate(*node.operands[0]));
                for (size_t i = 0; i < node.comparators.size(); ++i) {
                    EMBER_TRY_ASSIGN(value right, evaluate(*node.operands[i + 1]));
                    steps_ += left.weight() + right.weight();  // == and `in` walk containers
                    EMBER_TRY_ASSIGN(bool holds, comparison(node.comparators[i], left, right));
                    if (!holds) return value::boolean(false);
                    left = std::move(right);
                }
                return value::boolean(true);
            }
            case expression::kind::conditional: {
                EMBER_TRY_ASSIGN(value condition, evaluate(*node.operands[1]));
                if (truthy(condition)) return evaluate(*node.operands[0]);
                if (node.operands[2]) return evaluate(*node.operands[2]);
                return value::undefined("the inline if-expression evaluated to false and no else section was defined");
            }
            case expression::kind::list_literal:
            case expression::kind::tuple_literal: {
                value_list items;
                for (const expression_ptr& operand : node.operands) {
                    EMBER_TRY_ASSIGN(value item, evaluate(*operand));
                    items.push_back(std::move(item));
                }
                return node.type == expression::kind::list_literal ? value::list(std::move(items))
                                                                   : value::tuple(std::move(items));
            }
            case expression::kind::dict_literal: {
                value_dict members;
                for (size_t i = 0; i + 1 < node.operands.size(); i += 2) {
                    EMBER_TRY_ASSIGN(value key, evaluate(*node.operands[i]));
                    EMBER_TRY_ASSIGN(value item, evaluate(*node.operands[i + 1]));
                    if (key.is_list() || key.is_dict()) return template_failure(std::string("unhashable type: '") + type_name(key) + "'");
                    members.set(std::move(key), std::move(item));
                }
                return value::dict(std::move(members));
            }
        }
        return value::none();
    }

    // Filters whose work grows with the size of their input (length, default
    // and friends look at the top level only).
    static bool filter_walks_input(const std::string& name) {
        static const char* const walking[] = {"tojson", "map",   "select", "reject", "selectattr", "rejectattr",
                                              "sort",   "unique", "join",  "list",   "dictsort",   "items",
                                              "sum",    "min",   "max",    "batch",  "reverse",    "string",
                                              "pprint", "format", "indent", "replace", "wordcount", "center"};
        for (const char* candidate : walking)
            if (name == candidate) return true;
        return false;
    }

    result<value> call(const value& callee, const arguments& args) {
        if (callee.is_undefined()) return undefined_failure(callee);
        if (!callee.is_callable()) return template_failure(std::string("'") + type_name(callee) + "' object is not callable");
        const callable_data& function = callee.function();
        if (function.macro) return call_macro(*function.macro, args);
        if (function.self) return call_method(function, args, context_);
        auto called = call_global(function.name, args, context_);
        if (!called && function.name == "raise_exception") raised_ = true;  // keep its message verbatim
        if (called && called->is_namespace()) namespaces_.push_back(*called);
        return called;
    }

    result<value> call_macro(const macro_definition& macro, const arguments& args) {
        const size_t previous = push_frame(top_level);
        value_list extra_positional;
        for (size_t i = macro.parameters.size(); i < args.positional.size(); ++i) extra_positional.push_back(args.positional[i]);
        value_dict extra_keywords;
        for (const auto& keyword : args.keywords) {
            bool known = false;
            for (const std::string& parameter : macro.parameters) known = known || parameter == keyword.first;
            if (!known) extra_keywords.set(value::string(keyword.first), keyword.second);
        }
        auto bind = [&]() -> result<void> {
            for (size_t i = 0; i < macro.parameters.size(); ++i) {
                const value* given = args.get(i, macro.parameters[i]);
                if (given) {
                    assign(macro.parameters[i], *given);
                } else if (macro.defaults[i]) {
                    EMBER_TRY_ASSIGN(value fallback, evaluate(*macro.defaults[i]));
                    assign(macro.parameters[i], std::move(fallback));
                } else {
                    assign(macro.parameters[i], value::undefined("parameter '" + macro.parameters[i] + "' was not provided"));
                }
            }
            assign("varargs", value::list(std::move(extra_positional)));
            assign("kwargs", value::dict(std::move(extra_keywords)));
            return {};
        };
        auto bound = bind();
        auto rendered = bound ? capture(macro.body) : result<std::string>(bound.error());
        pop_frame(previous);
        if (!rendered) return rendered.error();
        return value::string(std::move(*rendered));
    }

    result<bool> comparison(const std::string& op, const value& left, const value& right) {
        if (op == "==") return equals(left, right);
        if (op == "!=") return !equals(left, right);
        if (op == "in") return contains(right, left);
        if (op == "not in") {
            EMBER_TRY_ASSIGN(bool inside, contains(right, left));
            return !inside;
        }
        EMBER_TRY_ASSIGN(int order, compare(left, right, op.c_str()));
        if (op == "<") return order < 0;
        if (op == "<=") return order <= 0;
        if (op == ">") return order > 0;
        return order >= 0;
    }

    result<value> repeat(const value& sequence, int64_t count) {
        if (count <= 0) return sequence.is_string() ? value::string("") : (sequence.is_tuple() ? value::tuple({}) : value::list({}));
        if (sequence.is_string()) {
            const size_t size = sequence.as_string().size();
            if (size != 0 && static_cast<uint64_t>(count) > limits_.max_output_bytes / size)
                return template_failure("string repetition exceeds the output limit");
            std::string out;
            out.reserve(size * static_cast<size_t>(count));
            for (int64_t i = 0; i < count; ++i) out += sequence.as_string();
            return value::string(std::move(out));
        }
        const size_t size = sequence.items().size();
        if (size != 0 && static_cast<uint64_t>(count) > limits_.max_loop_iterations / size)
            return template_failure("sequence repetition exceeds the item limit");
        value_list items;
        for (int64_t i = 0; i < count; ++i) items.insert(items.end(), sequence.items().begin(), sequence.items().end());
        return sequence.is_tuple() ? value::tuple(std::move(items)) : value::list(std::move(items));
    }

    result<value> binary_operation(const std::string& op, const value& left, const value& right) {
        if (op == "~") {
            std::string text = to_str(left, limits_.max_output_bytes + 1);
            text += to_str(right, limits_.max_output_bytes + 1);
            return checked_string(std::move(text), context_);
        }
        if (left.is_undefined()) return undefined_failure(left);
        if (right.is_undefined()) return undefined_failure(right);
        const auto unsupported = [&]() {
            return template_failure("unsupported operand type(s) for " + op + ": '" + type_name(left) + "' and '" +
                                    type_name(right) + "'");
        };
        if (op == "%" && left.is_string()) {
            EMBER_TRY_ASSIGN(std::string formatted, percent_format(left.as_string(), right));
            return checked_string(std::move(formatted), context_);
        }
        if (left.is_number() && right.is_number()) {
            const bool floating = left.is_floating() || right.is_floating();
            const int64_t a = left.as_integer(), b = right.as_integer();
            const double x = left.as_double(), y = right.as_double();
            int64_t integer = 0;
            if (op == "+") {
                if (floating) return value::floating(x + y);
                if (!checked_add(a, b, integer)) return template_failure("integer overflow");
                return value::integer(integer);
            }
            if (op == "-") {
                if (floating) return value::floating(x - y);
                if (!checked_subtract(a, b, integer)) return template_failure("integer overflow");
                return value::integer(integer);
            }
            if (op == "*") {
                if (floating) return value::floating(x * y);
                if (!checked_multiply(a, b, integer)) return template_failure("integer overflow");
                return value::integer(integer);
            }
            if (op == "/") {
                if (y == 0.0) return template_failure("division by zero");
                return value::floating(x / y);
            }
            if (op == "//" || op == "%") {
                if (floating) {
                    if (y == 0.0) return template_failure(op == "//" ? "float floor division by zero" : "float modulo");
                    // CPython's float_divmod: the remainder takes the divisor's sign.
                    double remainder = std::fmod(x, y);
                    double quotient = (x - remainder) / y;
                    if (remainder != 0.0) {
                        if ((y < 0) != (remainder < 0)) {
                            remainder += y;
                            quotient -= 1.0;
                        }
                    } else {
                        remainder = std::copysign(0.0, y);
                    }
                    if (op == "%") return value::floating(remainder);
                    double floored;
                    if (quotient != 0.0) {
                        floored = std::floor(quotient);
                        if (quotient - floored > 0.5) floored += 1.0;
                    } else {
                        floored = std::copysign(0.0, x / y);
                    }
                    return value::floating(floored);
                }
                if (b == 0) return template_failure(op == "//" ? "integer division or modulo by zero" : "integer modulo by zero");
                if (a == INT64_MIN && b == -1) return op == "%" ? value::integer(0) : result<value>(template_failure("integer overflow"));
                int64_t quotient = a / b, remainder = a % b;
                if (remainder != 0 && ((remainder < 0) != (b < 0))) {
                    quotient -= 1;
                    remainder += b;
                }
                return value::integer(op == "//" ? quotient : remainder);
            }
            if (op == "**") {
                if (!floating && b >= 0) {
                    int64_t power = 1, base = a, exponent = b;
                    while (exponent > 0) {
                        if (exponent & 1)
                            if (!checked_multiply(power, base, power)) return template_failure("integer overflow");
                        exponent >>= 1;
                        if (exponent > 0 && !checked_multiply(base, base, base)) return template_failure("integer overflow");
                    }
                    return value::integer(power);
                }
                if (x == 0.0 && y < 0) return template_failure("0.0 cannot be raised to a negative power");
                return value::floating(std::pow(x, y));
            }
            return unsupported();
        }
        if (op == "+") {
            if (left.is_string() && right.is_string()) {
                if (left.as_string().size() + right.as_string().size() > limits_.max_output_bytes)
                    return template_failure("template produced a string longer than the output limit (" +
                                            std::to_string(limits_.max_output_bytes) + " bytes)");
                return value::string(left.as_string() + right.as_string());
            }
            if ((left.is_list() && right.is_list()) || (left.is_tuple() && right.is_tuple())) {
                EMBER_TRY(check_items(left.items().size() + right.items().size(), context_));
                value_list items = left.items();
                items.insert(items.end(), right.items().begin(), right.items().end());
                return left.is_list() ? value::list(std::move(items)) : value::tuple(std::move(items));
            }
            return unsupported();
        }
        if (op == "*") {
            if ((left.is_string() || left.is_sequence()) && (right.is_integer() || right.is_boolean()))
                return repeat(left, right.as_integer());
            if ((right.is_string() || right.is_sequence()) && (left.is_integer() || left.is_boolean()))
                return repeat(right, left.as_integer());
        }
        return unsupported();
    }

    render_limits limits_;
    builtin_context context_;
    std::vector<frame> frames_;
    size_t frame_count_ = 0;
    size_t current_ = 0;
    std::string* output_ = nullptr;
    size_t iterations_ = 0;
    uint64_t steps_ = 0;
    int depth_ = 0;
    value block_value_;
    bool raised_ = false;
    std::vector<value> namespaces_;  // every namespace() made, emptied when the render ends
};

}  // namespace ember::detail::jinja
