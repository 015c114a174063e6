#pragma once
// The parsed form of a template: expressions and statements as plain trees
// (parser.hpp builds them, interpreter.hpp walks them).

#include <ember/runtime/detail/jinja/value.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ember::detail::jinja {

struct expression;
struct statement;
using expression_ptr = std::unique_ptr<expression>;
using statement_ptr = std::unique_ptr<statement>;
using statement_list = std::vector<statement_ptr>;

struct keyword_argument {
    std::string name;
    expression_ptr argument;
};

struct expression {
    enum class kind {
        literal,        // constant
        name,           // variable `text`
        attribute,      // operands[0] . text
        subscript,      // operands[0] [ operands[1] ]
        slice,          // operands[0] [ operands[1] : operands[2] : operands[3] ] (each may be null)
        call,           // operands[0] ( operands[1..], keywords )
        filter,         // operands[0] | text ( operands[1..], keywords ); operands[0] is block_value in filter blocks
        test,           // operands[0] is [not] text ( operands[1..], keywords )
        unary,          // text ("not", "-", "+") operands[0]
        binary,         // operands[0] text operands[1]; "and"/"or" short-circuit
        compare,        // operands[0] comparators[0] operands[1] comparators[1] ... (Python chaining)
        conditional,    // operands[0] if operands[1] else operands[2] (may be null)
        list_literal,   // [ operands ]
        tuple_literal,  // ( operands )
        dict_literal,   // { operands[0]: operands[1], ... }
        block_value,    // the rendered body of a {% filter %} / {% set x | f %} block
    };

    kind type = kind::literal;
    int line = 0;
    std::string text;
    value constant;
    bool negated = false;  // `is not`
    std::vector<expression_ptr> operands;
    std::vector<keyword_argument> keywords;
    std::vector<std::string> comparators;
};

struct macro_definition {
    std::string name;
    std::vector<std::string> parameters;
    std::vector<expression_ptr> defaults;  // one per parameter, null when none
    statement_list body;
};

struct statement {
    enum class kind {
        text,           // text
        output,         // {{ expression }}
        if_block,       // if expression: body, else else_body (elif nests in else_body)
        for_loop,       // for targets in expression [if condition]: body, else else_body
        set,            // set targets = expression, or set targets[0].attribute = expression
        set_block,      // set targets[0] [| filters in expression] : body
        macro,          // macro definition
        filter_block,   // filter expression: body
        break_loop,
        continue_loop,
        with_block,     // with assignments: body
        scope,          // a body rendered in place ({% generation %})
    };

    kind type = kind::text;
    int line = 0;
    std::string text;
    expression_ptr expression;
    expression_ptr condition;
    std::vector<std::string> targets;
    std::string attribute;
    statement_list body;
    statement_list else_body;
    std::shared_ptr<const macro_definition> macro;
    std::vector<std::pair<std::string, expression_ptr>> assignments;
};

}  // namespace ember::detail::jinja
