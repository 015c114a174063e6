// Chat templates rendered byte for byte as Hugging Face transformers renders
// them (Python jinja2, trim_blocks + lstrip_blocks, raise_exception,
// strftime_now fixed to 2026-01-15 09:30). The references are
// ../shared/chat/expected.json and, for the unit tests below, outputs of
// Python's jinja2 3.1 recorded next to each case.
#include <doctest/doctest.h>
#include <ember/runtime/chat_template.hpp>

#include "test_data.hpp"

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

using ember::chat_template;
using ember::json;

namespace {

// ---- reference data recorded from Python (jinja2 3.1.6, transformers' environment) ----
//
// Unit cases: template, output or error, rendered with `context`.
const char* const unit_references =
    R"golden({
"context": {
"messages": [
{
"role": "system",
"content": " sys "
},
{
"role": "user",
"content": "Hi"
},
{
"role": "assistant",
"content": "Yo",
"tool_calls": [
{
"function": {
"name": "f",
"arguments": {
"x": 1
}
}
}
]
}
],
"d": {
"b": 1,
"a": [
1,
2.5,
null,
true,
"s"
]
},
"n": 3,
"f": 0.1,
"s": "héllo wörld",
"empty": [],
"nested": {
"x": {
"y": "deep"
}
}
},
"groups": {
"operators": [
{
"template": "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 10 / 5 }} {{ -2 ** 2 }} {{ 2 ** 3 ** 2 }}",
"output": "3 -4 2 3.5 1024 0.5 2.0 4 64"
},
{
"template": "{{ 7.0 // 2 }} {{ 7 % 2.5 }} {{ -5 // 2.0 }} {{ 5 % -3 }} {{ -5.5 % 3 }} {{ 5 - 2.5 }} {{ 1e300 * 1e10 }} {{ 0.1 + 0.2 }}",
"output": "3.0 2.0 -3.0 -1 0.5 2.5 inf 0.30000000000000004"
},
{
"template": "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 'a' ~ 1 ~ none ~ true ~ 1.5 }} {{ 'a' + 'b' | upper }} {{ -1 | abs }} {{ 'ab' * 2 }} {{ 2 * [1] }}",
"output": "7 9 a1NoneTrue1.5 aB 1 abab [1, 1]"
},
{
"template": "{{ 1 == true }} {{ 1 in [true] }} {{ true + 1 }} {{ [1] == (1,) }} {{ {'a':1} == {'a':1.0} }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'abc' < 'abd' }} {{ [1,2] < [1,3] }}",
"output": "True True 2 False True True False True True"
},
{
"template": "{{ 'a' in 'cat' }} {{ 'b' not in ['a'] }} {{ 'a' in {'a':1} }} {{ 'x' in undefined_thing }} {{ not 1 == 2 }} {{ not none is none }}",
"output": "True True True False True False"
},
{
"template": "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ '' or [] }} {{ none and 1 }} {{ 1 if 2 > 1 else 3 }} [{{ 'x' if false }}] {{ 'a' 'b' }}",
"output": "x y [] None 1 [] ab"
},
{
"template": "{{ (1, 2) }} {{ (1,) }} {{ () }} {{ 1, 2 }} {{ [1, 'a', none, true, 1.5, {'k': 'v'}, ('t',)] }}",
"output": "(1, 2) (1,) () (1, 2) [1, 'a', None, True, 1.5, {'k': 'v'}, ('t',)]"
},
{
"template": "{{ ['\\n', '\\x01', 'é', \"'\", \"'\\\"\", '\\\\', '\\t'] }} {{ {'a': 'it\\'s'} }} {{ none }} {{ true }} {{ false }}",
"output": "['\\n', '\\x01', 'é', \"'\", '\\'\"', '\\\\', '\\t'] {'a': \"it's\"} None True False"
},
{
"template": "{{ 1.0 }} {{ 1e20 }} {{ 1e-7 }} {{ 3 * 1.0 }} {{ 1_000 }} {{ 2.5e-3 }} {{ 100000000000000000.0 }} {{ f }} {{ n / 3 }}",
"output": "1.0 1e+20 1e-07 3.0 1000 0.0025 1e+17 0.1 1.0"
},
{
"template": "{{ -n }} {{ +n }} {{ n - -1 }} {{ d.b + d['b'] }} {{ d.a[1:] }} {{ d.a[::-1] }} {{ d.a[-1] }} {{ s[1:3] }} {{ s[::-1] }} {{ s[-3:] }} {{ s[10:] }}|",
"output": "-3 3 4 2 [2.5, None, True, 's'] ['s', True, None, 2.5, 1] s él dlröw olléh rld d|"
}
],
"filters": [
{
"template": "{{ ' x ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ s | length }} {{ s | count }} {{ messages | length }} {{ d | length }} {{ undefined_thing | length }}",
"output": "x|a|11 11 3 2 0"
},
{
"template": "{{ d | tojson }} {{ d | tojson(indent=2) }} {{ s | tojson }} {{ 'é' | tojson(ensure_ascii=true) }} {{ {'b':1,'a':2} | tojson(sort_keys=true, separators=(',', ':')) }}",
"output": "{\"b\": 1, \"a\": [1, 2.5, null, true, \"s\"]} {\n  \"b\": 1,\n  \"a\": [\n    1,\n    2.5,\n    null,\n    true,\n    \"s\"\n  ]\n} \"héllo wörld\" \"\\u00e9\" {\"a\":2,\"b\":1}"
},
{
"template": "{{ [1,2,3] | join(',') }} {{ [1,2,3] | map('string') | join }} {{ messages | map(attribute='role') | join('/') }} {{ messages | join(', ', attribute='role') }}",
"output": "1,2,3 123 system/user/assistant system, user, assistant"
},
{
"template": "{{ messages | selectattr('role', 'equalto', 'user') | list | length }} {{ messages | rejectattr('role', 'eq', 'user') | map(attribute='role') | list }} {{ messages | selectattr('tool_calls', 'defined') | map(attribute='content') | first }}",
"output": "1 ['system', 'assistant'] Yo"
},
{
"template": "{{ [1,2,3,4] | select('odd') | list }} {{ [1,2,3,4] | reject('even') | list }} {{ [0,1,''] | select | list }} {{ [1,2,3] | select('divisibleby', 3) | list }}",
"output": "[1, 3] [1, 3] [1] [3]"
},
{
"template": "{{ [3,1,2] | first }} {{ [3,1,2] | last }} {{ 'abc' | first }} {{ [] | first }}| {{ 'abc' | list }} {{ d | list }} {{ [3,1,2] | sort }} {{ ['b','A','a'] | sort }} {{ [3,1,2] | sort(reverse=true) }}",
"output": "3 2 a | ['a', 'b', 'c'] ['b', 'a'] [1, 2, 3] ['A', 'a', 'b'] [3, 2, 1]"
},
{
"template": "{{ [{'a':2},{'a':1}] | sort(attribute='a') }} {{ [1,2,2,3] | unique | list }} {{ ['B','a','b'] | unique | list }} {{ [1,2,3] | reverse | list }} {{ s | reverse }}",
"output": "[{'a': 1}, {'a': 2}] [1, 2, 3] ['B', 'a'] [3, 2, 1] dlröw olléh"
},
{
"template": "{{ 'hELLO wORLD' | lower }} {{ s | upper }} {{ 'hELLO wORLD' | capitalize }} {{ \"they're bill's-x\" | title }} {{ 'a b' | replace(' ', '_') }} {{ 'aaa' | replace('a','b',2) }}",
"output": "hello world HÉLLO WÖRLD Hello world They're Bill's-X a_b bba"
},
{
"template": "{{ undefined_thing | default('d') }} {{ none | default('d') }} {{ none | default('d', true) }} {{ '' | d('e', true) }} {{ n | default(5) }}",
"output": "d None d e 3"
},
{
"template": "{{ 3.7 | int }} {{ '3.7' | float }} {{ -3 | abs }} {{ '0x1A' | int(0, 16) }} {{ 'x' | int }} {{ '1_000' | int }} {{ ' 12 ' | int }} {{ none | float }} {{ true | int }} {{ n | string }}x",
"output": "3 3.7 3 26 0 1000 12 0.0 1 3x"
},
{
"template": "{{ 2.675 | round(2) }} {{ 0.5 | round }} {{ 1.5 | round }} {{ 2.5 | round(0, 'ceil') }} {{ 2.5 | round(0, 'floor') }} {{ 10 | round }} {{ 3.14159 | round(3) }}",
"output": "2.67 0.0 2.0 3.0 2.0 10 3.142"
},
{
"template": "{{ d | items | list }} {{ d | dictsort }} {{ {'a':1,'b':2} | dictsort(reverse=true) }} {{ {'a':2,'b':1} | dictsort(by='value') }}",
"output": "[('b', 1), ('a', [1, 2.5, None, True, 's'])] [('a', [1, 2.5, None, True, 's']), ('b', 1)] [('b', 2), ('a', 1)] [('b', 1), ('a', 2)]"
},
{
"template": "{{ [1,2,3,4,5] | batch(2) | list }} {{ [1,2,3] | batch(2, 0) | list }} {{ [1,2,3] | sum }} {{ [1,5,3] | max }} {{ [4,1] | min }} {{ ['a','B'] | max }} {{ 'hello world foo' | wordcount }}",
"output": "[[1, 2], [3, 4], [5]] [[1, 2], [3, 0]] 6 5 1 B 3"
},
{
)golden"
    R"golden("template": "{{ 'a\\nb' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2) }}|{{ '<a href=\"x\">' | e }} {{ '<a>' | safe }}|{{ 'x' | center(5) }}|{{ [1, 2] | string }}",
"output": "a\n  b|  a\n  b|a\n\n  b|&lt;a href=&#34;x&#34;&gt; <a>|  x  |[1, 2]"
},
{
"template": "{{ '%s=%s' | format('a', 1) }} {{ '%5.2f|%-3d|%r|%x' % (3.14159, 7, 'a', 255) }} {{ '%(a)s' % {'a': 1} }} {{ [[1,2],[3]] | map('length') | list }} {{ [{'a':{'b':1}}] | map(attribute='a.b') | list }}",
"output": "a=1  3.14|7  |'a'|ff 1 [2, 1] [1]"
},
{
"template": "{{ [{'a':1}, {}] | map(attribute='a', default=0) | list }} {{ [1, 2] | map('string') | map('upper') | list }} {{ nested | attr('x') }}|{{ messages[2].tool_calls[0].function.arguments | tojson }}",
"output": "[1, 0] ['1', '2'] |{\"x\": 1}"
}
],
"tests": [
{
"template": "{{ 5 is divisibleby 5 }} {{ 5 is divisibleby(2) }} {{ 'a' is equalto 'a' }} {{ none is none }} {{ 1 is eq 1 }} {{ 'A' is upper }} {{ 'a' is lower }} {{ 3 is odd }} {{ 3 is even }}",
"output": "True False True True True True True True False"
},
{
"template": "{{ undefined_thing is mapping }} {{ {} is mapping }} {{ 'a' is string }} {{ 1.5 is float }} {{ true is boolean }} {{ false is false }} {{ [] is sequence }} {{ true is number }} {{ true is integer }} {{ 1.0 is integer }}",
"output": "False True True True True True True True False False"
},
{
"template": "{{ undefined_thing is defined }} {{ undefined_thing is undefined }} {{ n is defined }} {{ n is not none }} {{ 'x' is iterable }} {{ n is iterable }} {{ d.a is sequence }} {{ nested.x.z is defined }} {{ 1 is in [1] }} {{ none is sameas none }}",
"output": "False True True True True False True False True True"
},
{
"template": "{{ 2 is gt 1 }} {{ 2 is lt 1 }} {{ 2 is ge 2 }} {{ 2 is ne 2 }} {{ range is callable }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ 'nope' is filter }}",
"output": "True False True False True True True False"
}
],
"methods": [
{
"template": "{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'a,b,c'.split(',', 1) }} {{ ' a  b c '.split(none, 1) }} {{ 'a b c'.rsplit(none, 1) }} {{ ''.split() }} {{ ''.split(',') }}",
"output": "['a', 'b', '', 'c'] ['a', 'b'] ['a,b', 'c'] ['a', 'b,c'] ['a', 'b c '] ['a b', 'c'] [] ['']"
},
{
"template": "{{ 'abc'.startswith(('x','a')) }} {{ 'abc'.endswith('c') }} {{ s.find('w') }} {{ 'abc'.upper() }} {{ 'a-b c'.title() }} {{ 'abca'.count('a') }} {{ 'ab'.replace('', '-') }} {{ 'x'.join(['a','b']) }}",
"output": "True True 6 ABC A-B C 2 -a-b- axb"
},
{
"template": "[{{ ' a\\n'.strip() }}|{{ ' a\\n'.rstrip() }}|{{ ' a\\n'.lstrip() }}|{{ 'xax'.strip('x') }}|{{ '\\n\\nq'.lstrip('\\n') }}] {{ 'a</think>b'.split('</think>')[-1] }} {{ 'Hello'.lower() }} {{ 'hello'.capitalize() }}",
"output": "[a| a|a\n|a|q] b hello Hello"
},
{
"template": "{{ {'a':1}.get('a') }} {{ {'a':1}.get('b') }} {{ {'a':1}.get('b', 5) }} {{ {'a':1}.keys() | list }} {{ {'a':1}.values() | list }} {{ {'a':1}.items() | list }} {% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
"output": "1 None 5 ['a'] [1] [('a', 1)] b=1;a=[1, 2.5, None, True, 's'];"
},
{
"template": "{{ 'a{}b{x}'.format(1, x=2) }} {{ '{:>5}|{:.2f}|{!r}'.format('a', 3.14159, 'q') }} {{ 'q'.zfill(3) }} {{ 'abc'.isalpha() }} {{ '12'.isdigit() }} {{ 'ab'.removeprefix('a') }} {{ [1,2,1].count(1) }} {{ [1,2].index(2) }}",
"output": "a1b2     a|3.14|'q' 00q True True b 2 1"
}
],
"statements": [
{
"template": "{% set x = 1 %}{% for i in range(3) %}{{ x }}{% set x = x + 1 %}{{ x }};{% endfor %}{{ x }}",
"output": "12;12;12;1"
},
{
"template": "{% for i in range(3) %}{% if loop.first %}{% set y = 5 %}{% endif %}[{{ y }}]{% endfor %}",
"output": "[5][][]"
},
{
"template": "{% set ns = namespace(count=0, found=false) %}{% for m in messages %}{% if m.role == 'user' %}{% set ns.count = ns.count + 1 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }} {{ ns }}",
"output": "1 True <Namespace {'count': 1, 'found': True}>"
},
{
"template": "{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ m() }}|{% macro n() %}{{ i }}{% endmacro %}{% for i in [7] %}{{ n() }}{% endfor %}|",
"output": "2||"
},
{
"template": "{% macro m(a, b='B', c=a ~ '!') %}{{ a }}-{{ b }}-{{ c }}{% endmacro %}{{ m(1) }} {{ m(1, 2) }} {{ m(b=3, a=4) }} {{ m() }}",
"output": "1-B-1! 1-2-1! 4-3-4! -B-!"
},
{
"template": "{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set x %}  block {{ 1 }} {% endset %}[{{ x }}] {% set y | upper %}abc{% endset %}{{ y }} {% filter trim | upper %}  filtered  {% endfilter %}",
"output": "12 [  block 1 ] ABC FILTERED"
},
{
"template": "{% for i in range(3) %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %} {% for i in range(9) %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{% endfor %}",
"output": "02 01"
},
{
"template": "{% for i in range(3) %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }}{{ loop.cycle('a', 'b') }}|{% endfor %}",
"output": "1032TrueFalse31a|2121FalseFalse302b|3210FalseTrue31a|"
},
{
"template": "{% for i in [] %}x{% else %}empty{% endfor %} {% for i in range(5) if i is odd %}{{ loop.index }}/{{ loop.length }}:{{ i }} {% endfor %} {% for a, b in [[1,2],[3,4]] %}{{a}}{{b}}{% endfor %} {% for k in d %}{{ k }}{% endfor %} {% for c in 'ab' %}{{ c }}.{% endfor %}",
"output": "empty 1/2:1 2/2:3  1234 ba a.b."
},
{
"template": "{% with a = 1, b = n %}{{ a + b }}{% endwith %}{{ a }}| {% if n > 5 %}big{% elif n > 2 %}mid{% else %}small{% endif %} {% raw %}{{ not rendered }}{% endraw %} {{ dict(a=1, b=2) }} {{ range(1, 10, 3) | list }} {{ range(3) | length }}",
"output": "4| mid {{ not rendered }} {'a': 1, 'b': 2} [1, 4, 7] 3"
},
{
"template": "{% generation %}gen {{ n }}{% endgeneration %} {{ strftime_now('%d %b %Y / %B %-d, %Y %H:%M %A %j %p') }} {% set messages = messages[1:] %}{{ messages | length }}",
)golden"
    R"golden("output": "gen 3 15 Jan 2026 / January 15, 2026 09:30 Thursday 015 AM 2"
}
],
"whitespace": [
{
"template": "a  {% if true %}\n  b\n  {% endif %}\nc",
"output": "a    b\nc"
},
{
"template": "  {%- if true -%}  \n x \n  {%- endif %}  \n{{ 'y' }}  {{- ' z ' -}}  \n  w",
"output": "x  \ny z w"
},
{
"template": "{# comment #}\n  {#- c2 -#}  \nq\n    {# c3 #}\nr {{+ 'v' }} {%+ if true %}s{% endif +%}\nt",
"output": "q\nr v s\nt"
},
{
"template": "line1\n    {% for i in [1, 2] %}\n    item {{ i }}\n    {% endfor %}\nend\n",
"output": "line1\n    item 1\n    item 2\nend"
},
{
"template": "{{ 'x' }}\n{% if true %}\n{{ 'y' }}\n{% endif %}\r\nz\r\n\r\n",
"output": "x\ny\nz\n"
},
{
"template": "  {{ 'a' }}  {% set q = 1 %}  \n\t{% if q %}tab{% endif %}",
"output": "  a    \ntab"
},
{
"template": "{% raw -%}   raw {{ x }}   {%- endraw %}|{%- raw %} r2 {% endraw -%} |",
"output": "raw {{ x }}| r2 |"
}
],
"undefined_and_errors": [
{
"template": "{{ foo.bar }}",
"error": "UndefinedError: 'foo' is undefined"
},
{
"template": "{{ foo['bar'] }}",
"error": "UndefinedError: 'foo' is undefined"
},
{
"template": "{{ foo + 1 }}",
"error": "UndefinedError: 'foo' is undefined"
},
{
"template": "{{ foo ~ 'x' }}",
"output": "x"
},
{
"template": "{{ foo == none }}",
"output": "False"
},
{
"template": "{{ foo | tojson }}",
"error": "TypeError: Object of type Undefined is not JSON serializable"
},
{
"template": "{{ foo | trim }}|{{ foo }}|{{ foo | list }}",
"output": "||[]"
},
{
"template": "{{ nested.missing.y }}",
"error": "UndefinedError: 'dict object' has no attribute 'missing'"
},
{
"template": "{{ nested.missing }}|{{ nested.missing is defined }}",
"output": "|False"
},
{
"template": "{{ [1].append(2) }}",
"error": "SecurityError: access to attribute 'append' of 'list' object is unsafe."
},
{
"template": "{{ 1 + 'a' }}",
"error": "TypeError: unsupported operand type(s) for +: 'int' and 'str'"
},
{
"template": "{{ 'a' < 1 }}",
"error": "TypeError: '<' not supported between instances of 'str' and 'int'"
},
{
"template": "{{ 1 / 0 }}",
"error": "ZeroDivisionError: division by zero"
},
{
"template": "{{ 'a' in none }}",
"error": "TypeError: argument of type 'NoneType' is not iterable"
},
{
"template": "{% for x in 5 %}{% endfor %}",
"error": "TypeError: 'int' object is not iterable"
},
{
"template": "{{ raise_exception('Custom refusal: ' ~ n) }}",
"error": "TemplateError: Custom refusal: 3"
},
{
"template": "{{ d.update({'c': 1}) }}",
"error": "SecurityError: access to attribute 'update' of 'dict' object is unsafe."
},
{
"template": "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}",
"error": "TemplateError: System role not supported"
}
]
}
}
)golden"
    ;

// The shared templates on conversations shared/chat lacks: tools, a tool-call round
// trip, thinking with enable_thinking=false, special-token text and quotes in messages.
const char* const conversation_references =
    R"golden({
"conversations": [
{
"name": "tools",
"tools": [
{
"type": "function",
"function": {
"name": "get_weather",
"description": "Get the current weather in a city.",
"parameters": {
"type": "object",
"properties": {
"city": {
"type": "string",
"description": "City name, e.g. \"Paris\""
},
"unit": {
"type": "string",
"enum": [
"celsius",
"fahrenheit"
]
}
},
"required": [
"city"
]
}
}
},
{
"type": "function",
"function": {
"name": "add",
"description": "Add two numbers.",
"parameters": {
"type": "object",
"properties": {
"a": {
"type": "number"
},
"b": {
"type": "number"
}
},
"required": [
"a",
"b"
]
},
"return": {
"type": "number"
}
}
}
],
"messages": [
{
"role": "system",
"content": "You are a weather bot."
},
{
"role": "user",
"content": "Weather in Zürich?"
}
],
"bos_token": "<s>",
"eos_token": "</s>"
},
{
"name": "tool-roundtrip",
"tools": [
{
"type": "function",
"function": {
"name": "get_weather",
"description": "Get the current weather in a city.",
"parameters": {
"type": "object",
"properties": {
"city": {
"type": "string",
"description": "City name, e.g. \"Paris\""
},
"unit": {
"type": "string",
"enum": [
"celsius",
"fahrenheit"
]
}
},
"required": [
"city"
]
}
}
},
{
"type": "function",
"function": {
"name": "add",
"description": "Add two numbers.",
"parameters": {
"type": "object",
"properties": {
"a": {
"type": "number"
},
"b": {
"type": "number"
}
},
"required": [
"a",
"b"
]
},
"return": {
"type": "number"
}
}
}
],
"messages": [
{
"role": "user",
"content": "What is 2.5 + 4?"
},
{
"role": "assistant",
"content": "",
"tool_calls": [
{
"id": "call12345",
"type": "function",
"function": {
"name": "add",
"arguments": {
"a": 2.5,
"b": 4
}
}
}
]
},
{
"role": "tool",
"tool_call_id": "call12345",
"content": "6.5"
},
{
"role": "assistant",
"content": "2.5 + 4 = 6.5"
}
],
"bos_token": "<s>",
"eos_token": "</s>"
},
{
"name": "thinking",
"enable_thinking": false,
"messages": [
{
"role": "user",
"content": "  Hi there \n"
},
{
"role": "assistant",
"content": "<think>\nThe user greets.\n</think>\n\nHello! \"Quoted\" & <tags> 😀"
},
{
"role": "user",
"content": "Say <|im_end|> literally, then 'single' quotes.\n\n"
}
],
"bos_token": "<|begin_of_text|>",
"eos_token": "<|eot_id|>"
}
],
"expected": [
{
"template": "HuggingFaceTB-SmolLM3-3B.jinja",
"conversation": "tools",
"output": "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nReasoning Mode: /think\n\n## Custom Instructions\n\nYou are a weather bot.\n\n<|im_end|>\n<|im_start|>user\nWeather in Zürich?<|im_end|>\n<|im_start|>assistant\n",
"error": null
},
{
"template": "Qwen-QwQ-32B.jinja",
"conversation": "tools",
"output": "<|im_start|>system\nYou are a weather bot.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City name, e.g. \\\"Paris\\\"\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"city\"]}}}\n{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Add two numbers.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\"}, \"b\": {\"type\": \"number\"}}, \"required\": [\"a\", \"b\"]}, \"return\": {\"type\": \"number\"}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather in Zürich?<|im_end|>\n<|im_start|>assistant\n<think>\n</think>",
"error": null
},
{
"template": "Qwen-Qwen2.5-7B-Instruct.jinja",
"conversation": "tools",
"output": "<|im_start|>system\nYou are a weather bot.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City name, e.g. \\\"Paris\\\"\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"city\"]}}}\n{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Add two numbers.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\"}, \"b\": {\"type\": \"number\"}}, \"required\": [\"a\", \"b\"]}, \"return\": {\"type\": \"number\"}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather in Zürich?<|im_end|>\n<|im_start|>assistant\n",
"error": null
},
{
"template": "Qwen-Qwen3-0.6B.jinja",
"conversation": "tools",
)golden"
    R"golden("output": "<|im_start|>system\nYou are a weather bot.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City name, e.g. \\\"Paris\\\"\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"city\"]}}}\n{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Add two numbers.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\"}, \"b\": {\"type\": \"number\"}}, \"required\": [\"a\", \"b\"]}, \"return\": {\"type\": \"number\"}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWeather in Zürich?<|im_end|>\n<|im_start|>assistant\n",
"error": null
},
{
"template": "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
"conversation": "tools",
"output": "<s>You are a weather bot.<｜User｜>Weather in Zürich?<｜Assistant｜><think>\n</think>",
"error": null
},
{
"template": "google-gemma-2-2b-it.jinja",
"conversation": "tools",
"output": null,
"error": "TemplateError: System role not supported"
},
{
"template": "ibm-granite-granite-3.3-2B-Instruct.jinja",
"conversation": "tools",
"output": "<|start_of_role|>system<|end_of_role|>You are a weather bot.<|end_of_text|>\n<|start_of_role|>available_tools<|end_of_role|>[\n    {\n        \"type\": \"function\",\n        \"function\": {\n            \"name\": \"get_weather\",\n            \"description\": \"Get the current weather in a city.\",\n            \"parameters\": {\n                \"type\": \"object\",\n                \"properties\": {\n                    \"city\": {\n                        \"type\": \"string\",\n                        \"description\": \"City name, e.g. \\\"Paris\\\"\"\n                    },\n                    \"unit\": {\n                        \"type\": \"string\",\n                        \"enum\": [\n                            \"celsius\",\n                            \"fahrenheit\"\n                        ]\n                    }\n                },\n                \"required\": [\n                    \"city\"\n                ]\n            }\n        }\n    },\n    {\n        \"type\": \"function\",\n        \"function\": {\n            \"name\": \"add\",\n            \"description\": \"Add two numbers.\",\n            \"parameters\": {\n                \"type\": \"object\",\n                \"properties\": {\n                    \"a\": {\n                        \"type\": \"number\"\n                    },\n                    \"b\": {\n                        \"type\": \"number\"\n                    }\n                },\n                \"required\": [\n                    \"a\",\n                    \"b\"\n                ]\n            },\n            \"return\": {\n                \"type\": \"number\"\n            }\n        }\n    }\n]<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Weather in Zürich?<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>",
"error": null
},
{
"template": "meta-llama-Llama-3.1-8B-Instruct.jinja",
"conversation": "tools",
"output": "<s><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are a weather bot.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"Get the current weather in a city.\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\",\n                    \"description\": \"City name, e.g. \\\"Paris\\\"\"\n                },\n                \"unit\": {\n                    \"type\": \"string\",\n                    \"enum\": [\n                        \"celsius\",\n                        \"fahrenheit\"\n                    ]\n                }\n            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"add\",\n        \"description\": \"Add two numbers.\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"a\": {\n                    \"type\": \"number\"\n                },\n                \"b\": {\n                    \"type\": \"number\"\n                }\n            },\n            \"required\": [\n                \"a\",\n                \"b\"\n            ]\n        },\n        \"return\": {\n            \"type\": \"number\"\n        }\n    }\n}\n\nWeather in Zürich?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
"error": null
},
{
"template": "meta-llama-Llama-3.2-3B-Instruct.jinja",
"conversation": "tools",
)golden"
    R"golden("output": "<s><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 15 Jan 2026\n\nYou are a weather bot.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"Get the current weather in a city.\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\",\n                    \"description\": \"City name, e.g. \\\"Paris\\\"\"\n                },\n                \"unit\": {\n                    \"type\": \"string\",\n                    \"enum\": [\n                        \"celsius\",\n                        \"fahrenheit\"\n                    ]\n                }\n            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"add\",\n        \"description\": \"Add two numbers.\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"a\": {\n                    \"type\": \"number\"\n                },\n                \"b\": {\n                    \"type\": \"number\"\n                }\n            },\n            \"required\": [\n                \"a\",\n                \"b\"\n            ]\n        },\n        \"return\": {\n            \"type\": \"number\"\n        }\n    }\n}\n\nWeather in Zürich?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
"error": null
},
{
"template": "microsoft-Phi-3.5-mini-instruct.jinja",
"conversation": "tools",
"output": "<|system|>\nYou are a weather bot.<|end|>\n<|user|>\nWeather in Zürich?<|end|>\n<|assistant|>\n",
"error": null
},
{
"template": "mistralai-Mistral-Nemo-Instruct-2407.jinja",
"conversation": "tools",
"output": "<s>[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City name, e.g. \\\"Paris\\\"\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"city\"]}}}, {\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Add two numbers.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\"}, \"b\": {\"type\": \"number\"}}, \"required\": [\"a\", \"b\"]}}}][/AVAILABLE_TOOLS][INST]You are a weather bot.\n\nWeather in Zürich?[/INST]",
"error": null
},
{
"template": "HuggingFaceTB-SmolLM3-3B.jinja",
"conversation": "tool-roundtrip",
"output": "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nReasoning Mode: /think\n\n## Custom Instructions\n\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face. Your role as an assistant involves thoroughly exploring questions through a systematic thinking process before providing the final precise and accurate solutions. This requires engaging in a comprehensive cycle of analysis, summarizing, exploration, reassessment, reflection, backtracking, and iteration to develop well-considered thinking process. Please structure your response into two main sections: Thought and Solution using the specified format: <think> Thought section </think> Solution section. In the Thought section, detail your reasoning process in steps. Each step should include detailed considerations such as analysing questions, summarizing relevant findings, brainstorming new ideas, verifying the accuracy of the current steps, refining any errors, and revisiting previous steps. In the Solution section, based on various attempts, explorations, and reflections from the Thought section, systematically present the final solution that you deem correct. The Solution section should be logical, accurate, and concise and detail necessary steps needed to reach the conclusion.\n\n<|im_end|>\n<|im_start|>user\nWhat is 2.5 + 4?<|im_end|>\n<|im_start|>assistant\n<|im_end|>\n<|im_start|>user\n6.5<|im_end|>\n<|im_start|>assistant\n2.5 + 4 = 6.5<|im_end|>\n<|im_start|>assistant\n",
"error": null
},
{
"template": "Qwen-QwQ-32B.jinja",
"conversation": "tool-roundtrip",
)golden"
    R"golden("output": "<|im_start|>system\n\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City name, e.g. \\\"Paris\\\"\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"city\"]}}}\n{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Add two numbers.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\"}, \"b\": {\"type\": \"number\"}}, \"required\": [\"a\", \"b\"]}, \"return\": {\"type\": \"number\"}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWhat is 2.5 + 4?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2.5, \"b\": 4}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n6.5\n</tool_response><|im_end|>\n<|im_start|>assistant\n2.5 + 4 = 6.5<|im_end|>\n<|im_start|>assistant\n<think>\n</think>",
"error": null
},
{
"template": "Qwen-Qwen2.5-7B-Instruct.jinja",
"conversation": "tool-roundtrip",
"output": "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City name, e.g. \\\"Paris\\\"\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"city\"]}}}\n{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Add two numbers.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\"}, \"b\": {\"type\": \"number\"}}, \"required\": [\"a\", \"b\"]}, \"return\": {\"type\": \"number\"}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWhat is 2.5 + 4?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2.5, \"b\": 4}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n6.5\n</tool_response><|im_end|>\n<|im_start|>assistant\n2.5 + 4 = 6.5<|im_end|>\n<|im_start|>assistant\n",
"error": null
},
{
"template": "Qwen-Qwen3-0.6B.jinja",
"conversation": "tool-roundtrip",
"output": "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City name, e.g. \\\"Paris\\\"\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"city\"]}}}\n{\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Add two numbers.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\"}, \"b\": {\"type\": \"number\"}}, \"required\": [\"a\", \"b\"]}, \"return\": {\"type\": \"number\"}}}\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n<|im_start|>user\nWhat is 2.5 + 4?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n{\"name\": \"add\", \"arguments\": {\"a\": 2.5, \"b\": 4}}\n</tool_call><|im_end|>\n<|im_start|>user\n<tool_response>\n6.5\n</tool_response><|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n2.5 + 4 = 6.5<|im_end|>\n<|im_start|>assistant\n",
"error": null
},
{
"template": "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
"conversation": "tool-roundtrip",
"output": "<s><｜User｜>What is 2.5 + 4?<｜Assistant｜><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>add\n```json\n{\"a\": 2.5, \"b\": 4}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜><｜end▁of▁sentence｜><｜Assistant｜><｜end▁of▁sentence｜><｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>6.5<｜tool▁output▁end｜><｜tool▁outputs▁end｜>2.5 + 4 = 6.5<｜end▁of▁sentence｜><｜Assistant｜><think>\n</think>",
"error": null
},
{
"template": "google-gemma-2-2b-it.jinja",
"conversation": "tool-roundtrip",
"output": null,
"error": "TemplateError: Conversation roles must alternate user/assistant/user/assistant/..."
},
{
"template": "ibm-granite-granite-3.3-2B-Instruct.jinja",
"conversation": "tool-roundtrip",
)golden"
    R"golden("output": "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: January 15, 2026. You are Granite, developed by IBM. You are a helpful assistant with access to the following tools. When a tool is required to answer the user's query, respond only with <|tool_call|> followed by a JSON list of tools used. If a tool does not exist in the provided list of tools, notify the user that you do not have the ability to fulfill the request.<|end_of_text|>\n<|start_of_role|>available_tools<|end_of_role|>[\n    {\n        \"type\": \"function\",\n        \"function\": {\n            \"name\": \"get_weather\",\n            \"description\": \"Get the current weather in a city.\",\n            \"parameters\": {\n                \"type\": \"object\",\n                \"properties\": {\n                    \"city\": {\n                        \"type\": \"string\",\n                        \"description\": \"City name, e.g. \\\"Paris\\\"\"\n                    },\n                    \"unit\": {\n                        \"type\": \"string\",\n                        \"enum\": [\n                            \"celsius\",\n                            \"fahrenheit\"\n                        ]\n                    }\n                },\n                \"required\": [\n                    \"city\"\n                ]\n            }\n        }\n    },\n    {\n        \"type\": \"function\",\n        \"function\": {\n            \"name\": \"add\",\n            \"description\": \"Add two numbers.\",\n            \"parameters\": {\n                \"type\": \"object\",\n                \"properties\": {\n                    \"a\": {\n                        \"type\": \"number\"\n                    },\n                    \"b\": {\n                        \"type\": \"number\"\n                    }\n                },\n                \"required\": [\n                    \"a\",\n                    \"b\"\n                ]\n            },\n            \"return\": {\n                \"type\": \"number\"\n            }\n        }\n    }\n]<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>What is 2.5 + 4?<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|><|end_of_text|>\n<|start_of_role|>tool<|end_of_role|>6.5<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>2.5 + 4 = 6.5<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>",
"error": null
},
{
"template": "meta-llama-Llama-3.1-8B-Instruct.jinja",
"conversation": "tool-roundtrip",
"output": "<s><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"Get the current weather in a city.\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\",\n                    \"description\": \"City name, e.g. \\\"Paris\\\"\"\n                },\n                \"unit\": {\n                    \"type\": \"string\",\n                    \"enum\": [\n                        \"celsius\",\n                        \"fahrenheit\"\n                    ]\n                }\n            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"add\",\n        \"description\": \"Add two numbers.\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"a\": {\n                    \"type\": \"number\"\n                },\n                \"b\": {\n                    \"type\": \"number\"\n                }\n            },\n            \"required\": [\n                \"a\",\n                \"b\"\n            ]\n        },\n        \"return\": {\n            \"type\": \"number\"\n        }\n    }\n}\n\nWhat is 2.5 + 4?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"add\", \"parameters\": {\"a\": 2.5, \"b\": 4}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n\"6.5\"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n2.5 + 4 = 6.5<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
"error": null
},
{
"template": "meta-llama-Llama-3.2-3B-Instruct.jinja",
"conversation": "tool-roundtrip",
)golden"
    R"golden("output": "<s><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 15 Jan 2026\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}.Do not use variables.\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"Get the current weather in a city.\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\",\n                    \"description\": \"City name, e.g. \\\"Paris\\\"\"\n                },\n                \"unit\": {\n                    \"type\": \"string\",\n                    \"enum\": [\n                        \"celsius\",\n                        \"fahrenheit\"\n                    ]\n                }\n            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"add\",\n        \"description\": \"Add two numbers.\",\n        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"a\": {\n                    \"type\": \"number\"\n                },\n                \"b\": {\n                    \"type\": \"number\"\n                }\n            },\n            \"required\": [\n                \"a\",\n                \"b\"\n            ]\n        },\n        \"return\": {\n            \"type\": \"number\"\n        }\n    }\n}\n\nWhat is 2.5 + 4?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n{\"name\": \"add\", \"parameters\": {\"a\": 2.5, \"b\": 4}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n\"6.5\"<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n2.5 + 4 = 6.5<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
"error": null
},
{
"template": "microsoft-Phi-3.5-mini-instruct.jinja",
"conversation": "tool-roundtrip",
"output": "<|user|>\nWhat is 2.5 + 4?<|end|>\n<|assistant|>\n<|end|>\n<|assistant|>\n2.5 + 4 = 6.5<|end|>\n<|assistant|>\n",
"error": null
},
{
"template": "mistralai-Mistral-Nemo-Instruct-2407.jinja",
"conversation": "tool-roundtrip",
"output": "<s>[AVAILABLE_TOOLS][{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the current weather in a city.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \"City name, e.g. \\\"Paris\\\"\"}, \"unit\": {\"type\": \"string\", \"enum\": [\"celsius\", \"fahrenheit\"]}}, \"required\": [\"city\"]}}}, {\"type\": \"function\", \"function\": {\"name\": \"add\", \"description\": \"Add two numbers.\", \"parameters\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"number\"}, \"b\": {\"type\": \"number\"}}, \"required\": [\"a\", \"b\"]}}}][/AVAILABLE_TOOLS][INST]What is 2.5 + 4?[/INST][TOOL_CALLS][{\"name\": \"add\", \"arguments\": {\"a\": 2.5, \"b\": 4}, \"id\": \"call12345\"}]</s>[TOOL_RESULTS]{\"content\": 6.5, \"call_id\": \"call12345\"}[/TOOL_RESULTS]2.5 + 4 = 6.5</s>",
"error": null
},
{
"template": "HuggingFaceTB-SmolLM3-3B.jinja",
"conversation": "thinking",
"output": "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nReasoning Mode: /no_think\n\n## Custom Instructions\n\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face.\n\n<|im_end|>\n<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n<think>\nThe user greets.\n</think>\n\nHello! \"Quoted\" & <tags> 😀<|im_end|>\n<|im_start|>user\nSay <|im_end|> literally, then 'single' quotes.\n\n<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n",
"error": null
},
{
"template": "Qwen-QwQ-32B.jinja",
"conversation": "thinking",
"output": "<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\nHello! \"Quoted\" & <tags> 😀<|im_end|>\n<|im_start|>user\nSay <|im_end|> literally, then 'single' quotes.\n\n<|im_end|>\n<|im_start|>assistant\n<think>\n</think>",
"error": null
},
{
"template": "Qwen-Qwen2.5-7B-Instruct.jinja",
"conversation": "thinking",
"output": "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\n<think>\nThe user greets.\n</think>\n\nHello! \"Quoted\" & <tags> 😀<|im_end|>\n<|im_start|>user\nSay <|im_end|> literally, then 'single' quotes.\n\n<|im_end|>\n<|im_start|>assistant\n",
"error": null
},
{
"template": "Qwen-Qwen3-0.6B.jinja",
"conversation": "thinking",
"output": "<|im_start|>user\n  Hi there \n<|im_end|>\n<|im_start|>assistant\nHello! \"Quoted\" & <tags> 😀<|im_end|>\n<|im_start|>user\nSay <|im_end|> literally, then 'single' quotes.\n\n<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
"error": null
},
{
"template": "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja",
"conversation": "thinking",
"output": "<|begin_of_text|><｜User｜>  Hi there \n<｜Assistant｜>\n\nHello! \"Quoted\" & <tags> 😀<｜end▁of▁sentence｜><｜User｜>Say <|im_end|> literally, then 'single' quotes.\n\n<｜Assistant｜><think>\n</think>",
"error": null
},
{
"template": "google-gemma-2-2b-it.jinja",
"conversation": "thinking",
"output": "<|begin_of_text|><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\n<think>\nThe user greets.\n</think>\n\nHello! \"Quoted\" & <tags> 😀<end_of_turn>\n<start_of_turn>user\nSay <|im_end|> literally, then 'single' quotes.<end_of_turn>\n<start_of_turn>model\n",
"error": null
},
{
"template": "ibm-granite-granite-3.3-2B-Instruct.jinja",
"conversation": "thinking",
)golden"
    R"golden("output": "<|start_of_role|>system<|end_of_role|>Knowledge Cutoff Date: April 2024. Today's Date: January 15, 2026. You are Granite, developed by IBM. You are a helpful AI assistant.<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>  Hi there \n<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|><think>\nThe user greets.\n</think>\n\nHello! \"Quoted\" & <tags> 😀<|end_of_text|>\n<|start_of_role|>user<|end_of_role|>Say <|im_end|> literally, then 'single' quotes.\n\n<|end_of_text|>\n<|start_of_role|>assistant<|end_of_role|>",
"error": null
},
{
"template": "meta-llama-Llama-3.1-8B-Instruct.jinja",
"conversation": "thinking",
"output": "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<think>\nThe user greets.\n</think>\n\nHello! \"Quoted\" & <tags> 😀<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nSay <|im_end|> literally, then 'single' quotes.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
"error": null
},
{
"template": "meta-llama-Llama-3.2-3B-Instruct.jinja",
"conversation": "thinking",
"output": "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 15 Jan 2026\n\n<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n<think>\nThe user greets.\n</think>\n\nHello! \"Quoted\" & <tags> 😀<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nSay <|im_end|> literally, then 'single' quotes.<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
"error": null
},
{
"template": "microsoft-Phi-3.5-mini-instruct.jinja",
"conversation": "thinking",
"output": "<|user|>\n  Hi there \n<|end|>\n<|assistant|>\n<think>\nThe user greets.\n</think>\n\nHello! \"Quoted\" & <tags> 😀<|end|>\n<|user|>\nSay <|im_end|> literally, then 'single' quotes.\n\n<|end|>\n<|assistant|>\n",
"error": null
},
{
"template": "mistralai-Mistral-Nemo-Instruct-2407.jinja",
"conversation": "thinking",
"output": "<|begin_of_text|>[INST]  Hi there \n[/INST]<think>\nThe user greets.\n</think>\n\nHello! \"Quoted\" & <tags> 😀<|eot_id|>[INST]Say <|im_end|> literally, then 'single' quotes.\n\n[/INST]",
"error": null
}
]
}
)golden"
    ;


// The clock of the reference renders: 2026-01-15 09:30 (a Thursday).
std::tm fixed_now() {
    std::tm time{};
    time.tm_year = 2026 - 1900;
    time.tm_mon = 0;
    time.tm_mday = 15;
    time.tm_hour = 9;
    time.tm_min = 30;
    time.tm_wday = 4;
    time.tm_yday = 14;
    return time;
}

ember::chat_template_options fixed_options() {
    ember::chat_template_options options;
    options.now = fixed_now;
    return options;
}

// Render `source` with `context_json`; "ERROR: message" on failure.
std::string render(const std::string& source, const std::string& context_json = "{}") {
    auto parsed = chat_template::parse(source);
    if (!parsed) return "ERROR: " + parsed.error().message;
    auto context = json::parse(context_json);
    if (!context) return "BAD CONTEXT: " + context.error().message;
    auto rendered = parsed->render(*context, fixed_options());
    if (!rendered) {
        CHECK(rendered.error().code == ember::errc::template_error);
        return "ERROR: " + rendered.error().message;
    }
    return *rendered;
}

bool is_error(const std::string& rendered) { return rendered.compare(0, 7, "ERROR: ") == 0; }

// Python reports "ExceptionType: message". A template's own refusal
// (TemplateError) must carry exactly its message; for other failures ember
// must fail too, and its message must contain Python's.
void check_error(const ember::error& failure, const std::string& python_error) {
    CHECK(failure.code == ember::errc::template_error);
    const size_t colon = python_error.find(": ");
    const std::string type = python_error.substr(0, colon);
    const std::string message = colon == std::string::npos ? python_error : python_error.substr(colon + 2);
    if (type == "TemplateError") {
        CHECK(failure.message == message);
    } else {
        CHECK_MESSAGE(failure.message.find(message) != std::string::npos, failure.message);
    }
}

}  // namespace

TEST_CASE("every reference render in shared/chat/expected.json, byte for byte") {
    const std::string expected_path = ember_test::shared_path("chat/expected.json");
    const std::string conversations_path = ember_test::shared_path("chat/conversations.json");
    if (expected_path.empty() || conversations_path.empty()) return;
    auto expected = json::parse(ember_test::read_text(expected_path));
    auto conversations = json::parse(ember_test::read_text(conversations_path));
    REQUIRE(expected);
    REQUIRE(conversations);
    size_t matched = 0, refused = 0, total = 0;
    for (const json& entry : expected->as_array()) {
        ++total;
        const std::string template_name = entry["template"].as_string();
        const std::string conversation_name = entry["conversation"].as_string();
        CAPTURE(template_name);
        CAPTURE(conversation_name);
        const json* conversation = nullptr;
        for (const json& candidate : conversations->as_array())
            if (candidate["name"].as_string() == conversation_name) conversation = &candidate;
        REQUIRE(conversation != nullptr);
        // What transformers passes: messages, tools=None, documents=None,
        // add_generation_prompt (True unless the case says otherwise), the
        // special tokens and extra variables.
        json variables = *conversation;
        variables.erase("name");
        const json* generation_prompt = conversation->find("add_generation_prompt");
        json context = ember::chat_template_context(variables, generation_prompt ? generation_prompt->as_bool() : true,
                                                    "", "");

        const std::string source = ember_test::read_text(ember_test::shared_path("chat/templates/" + template_name));
        auto parsed = chat_template::parse(source);
        REQUIRE_MESSAGE(parsed, (parsed ? "" : parsed.error().message));
        auto rendered = parsed->render(context, fixed_options());
        const json& error = entry["error"];
        if (error.is_string()) {
            // Python prints the exception class; the template's message follows it.
            REQUIRE_FALSE(rendered.has_value());
            CHECK(rendered.error().code == ember::errc::template_error);
            CHECK("TemplateError: " + rendered.error().message == error.as_string());
            if (!rendered && "TemplateError: " + rendered.error().message == error.as_string()) ++refused;
        } else {
            REQUIRE_MESSAGE(rendered, (rendered ? "" : rendered.error().message));
            CHECK(*rendered == entry["output"].as_string());
            if (*rendered == entry["output"].as_string()) ++matched;
        }
    }
    std::printf("chat templates: %zu rendered byte for byte, %zu refused with the template's message, of %zu cases\n",
                matched, refused, total);
    CHECK(matched + refused == total);
}

TEST_CASE("unit references: operators, filters, tests, methods, statements, whitespace, undefined") {
    auto data = json::parse(unit_references);
    REQUIRE_MESSAGE(data, (data ? "" : data.error().message));
    const json& context = (*data)["context"];
    size_t passed = 0, total = 0;
    for (const auto& group : (*data)["groups"].as_object()) {
        for (const json& entry : group.second.as_array()) {
            ++total;
            const std::string& source = entry["template"].as_string();
            CAPTURE(group.first);
            CAPTURE(source);
            auto parsed = chat_template::parse(source);
            if (!parsed) {
                if (const json* error = entry.find("error")) {
                    check_error(parsed.error(), error->as_string());
                    ++passed;
                } else {
                    FAIL_CHECK(parsed.error().message);
                }
                continue;
            }
            auto rendered = parsed->render(context, fixed_options());
            if (const json* error = entry.find("error")) {
                CHECK_FALSE(rendered.has_value());
                if (!rendered) {
                    check_error(rendered.error(), error->as_string());
                    ++passed;
                }
            } else {
                if (!rendered) {
                    FAIL_CHECK(rendered.error().message);
                } else {
                    CHECK(*rendered == entry["output"].as_string());
                    passed += *rendered == entry["output"].as_string();
                }
            }
        }
    }
    std::printf("unit references: %zu of %zu as Python renders them\n", passed, total);
}

TEST_CASE("the shared templates on tools, tool calls and thinking, byte for byte") {
    auto data = json::parse(conversation_references);
    REQUIRE(data);
    size_t passed = 0, total = 0;
    for (const json& entry : (*data)["expected"].as_array()) {
        const std::string path = ember_test::shared_path("chat/templates/" + entry["template"].as_string());
        if (path.empty()) return;
        ++total;
        CAPTURE(entry["template"].as_string());
        CAPTURE(entry["conversation"].as_string());
        const json* conversation = nullptr;
        for (const json& candidate : (*data)["conversations"].as_array())
            if (candidate["name"] == entry["conversation"]) conversation = &candidate;
        REQUIRE(conversation);
        json variables = *conversation;
        variables.erase("name");
        auto parsed = chat_template::parse(ember_test::read_text(path));
        REQUIRE(parsed);
        auto rendered = parsed->render(ember::chat_template_context(variables, true, "", ""), fixed_options());
        if (entry["error"].is_string()) {
            REQUIRE_FALSE(rendered.has_value());
            check_error(rendered.error(), entry["error"].as_string());
            ++passed;
        } else {
            REQUIRE_MESSAGE(rendered, (rendered ? "" : rendered.error().message));
            CHECK(*rendered == entry["output"].as_string());
            passed += *rendered == entry["output"].as_string();
        }
    }
    std::printf("tools / tool calls / thinking: %zu of %zu as Python renders them\n", passed, total);
}

TEST_CASE("hostile templates end in errors, not crashes") {
    // Unterminated or malformed tags.
    for (const char* source : {"{{ 1 ", "{% if x %}", "{% for x in y %}", "{# never closed", "{{ 'abc }}", "{% raw %}x",
                               "{% endif %}", "{% if %}{% endif %}", "{{ ) }}", "{{ [1, 2 }}", "{{ {'a': } }}",
                               "{% set %}", "{% macro %}{% endmacro %}", "{% for in x %}{% endfor %}", "{{ 1 +* 2 }}",
                               "{% include 'x.jinja' %}", "{% import 'x' as y %}", "{% extends 'base' %}",
                               "{% break %}", "{% unknown_tag %}", "{{ x | }}", "{{ x is }}", "{{ 99999999999999999999 }}",
                               "{{ '\\x4' }}", "{%", "{{", "{{-", "{%- -%}"}) {
        const std::string text = source;
        CAPTURE(text);
        const std::string rendered = render(text);
        CHECK(is_error(rendered));
    }
    // Deep nesting: parentheses, brackets, blocks, unary operators.
    CHECK(is_error(render("{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}")));
    CHECK(is_error(render("{{ " + std::string(100000, '[') + std::string(100000, ']') + " }}")));
    CHECK(is_error(render("{{ " + std::string(50000, '-') + "1 }}")));
    std::string nested_ifs;
    for (int i = 0; i < 5000; ++i) nested_ifs += "{% if true %}";
    CHECK(is_error(render(nested_ifs)));
    std::string not_chain = "{{ ";
    for (int i = 0; i < 20000; ++i) not_chain += "not ";
    CHECK(is_error(render(not_chain + "1 }}")));
    // Moderate nesting is fine.
    CHECK(render("{{ " + std::string(20, '(') + "1" + std::string(20, ')') + " }}") == "1");

    // Infinite-ish loops and runaway output.
    CHECK(is_error(render("{% for i in range(1000000000) %}{% endfor %}")));
    CHECK(is_error(render("{% for i in range(1000) %}{% for j in range(1000) %}{% for k in range(1000) %}{% endfor %}{% endfor %}{% endfor %}")));
    CHECK(is_error(render("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}")));
    CHECK(is_error(render("{{ 'x' * 1000000000000 }}")));
    CHECK(is_error(render("{{ [1] * 1000000000000 }}")));
    CHECK(is_error(render("{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")));
    CHECK(is_error(render("{% set ns = namespace(s=[1]) %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}")));
    CHECK(is_error(render("{{ 'ab'.replace('', 'x' * 100000) * 1000 }}")));
    // Unbounded recursion through macros.
    CHECK(is_error(render("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")));
    CHECK(is_error(render("{% macro f() %}{{ f() ~ f() }}{% endmacro %}{{ f() }}")));
    // Bounded recursion works.
    CHECK(render("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(5) }}") == "54321");
    // Integer overflow is an error, not undefined behaviour.
    CHECK(is_error(render("{{ 9223372036854775807 + 1 }}")));
    CHECK(is_error(render("{{ 2 ** 64 }}")));
    CHECK(is_error(render("{{ -9223372036854775807 - 2 }}")));
    CHECK(is_error(render("{{ (-9223372036854775807 - 1) // -1 }}")));
    CHECK(render("{{ (-9223372036854775807 - 1) % -1 }}") == "0");
    // Sandbox: no mutation, no unknown globals.
    CHECK(is_error(render("{{ messages.append(1) }}", R"({"messages": []})")));
    CHECK(is_error(render("{{ d.pop('a') }}", R"({"d": {"a": 1}})")));
    CHECK(is_error(render("{{ open('/etc/passwd') }}")));
    CHECK(is_error(render("{{ ''.__class__ }}")) == false);  // an undefined attribute: prints empty
    CHECK(render("{{ ''.__class__ }}") == "");
    CHECK(is_error(render("{{ ''.__class__.__mro__ }}")));  // attribute of undefined
    // A limit set by the caller applies.
    ember::chat_template_options tight = fixed_options();
    tight.max_output_bytes = 10;
    auto small = chat_template::parse("{{ 'x' * 11 }}");
    REQUIRE(small);
    CHECK_FALSE(small->render(json::object(), tight).has_value());
    CHECK(small->render(json::object(), fixed_options()).has_value());
}

TEST_CASE("mutated real templates never crash") {
    const std::string path = ember_test::shared_path("chat/templates/Qwen-Qwen3-0.6B.jinja");
    if (path.empty()) return;
    const std::string source = ember_test::read_text(path);
    auto context = json::parse(R"({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "<think>a</think>b"}], "tools": null, "add_generation_prompt": true})");
    REQUIRE(context);
    // Every prefix cut and a deterministic set of byte edits: each must
    // parse and render or fail cleanly (the sanitizer build checks the rest).
    size_t parsed_count = 0;
    for (size_t cut = 0; cut < source.size(); cut += 7) {
        auto parsed = chat_template::parse(source.substr(0, cut));
        if (parsed) {
            ++parsed_count;
            (void)parsed->render(*context, fixed_options());
        }
    }
    uint32_t state = 12345;
    const char replacements[] = "{}%#-+()[]'\"|.,:= \nx0";
    for (int round = 0; round < 400; ++round) {
        std::string mutated = source;
        for (int edit = 0; edit < 3; ++edit) {
            state = state * 1664525u + 1013904223u;
            const size_t position = (state >> 8) % mutated.size();
            state = state * 1664525u + 1013904223u;
            mutated[position] = replacements[(state >> 8) % (sizeof(replacements) - 1)];
        }
        auto parsed = chat_template::parse(mutated);
        if (parsed) {
            ++parsed_count;
            (void)parsed->render(*context, fixed_options());
        }
    }
    CHECK(parsed_count > 0);
}

TEST_CASE("a parsed template renders on several threads at once") {
    auto parsed = chat_template::parse(
        "{% for m in messages %}<|{{ m.role }}|>{{ m.content | trim }}{% if not loop.last %}\n{% endif %}{% endfor %}"
        "{{ strftime_now('%Y') }}");
    REQUIRE(parsed);
    auto context = json::parse(R"({"messages": [{"role": "user", "content": " a "}, {"role": "assistant", "content": "b"}]})");
    REQUIRE(context);
    const std::string expected = "<|user|>a<|assistant|>b2026";  // trim_blocks eats the "\n" (jinja2 agrees)
    std::vector<std::thread> threads;
    std::atomic<int> matches{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 200; ++i) {
                auto rendered = parsed->render(*context, fixed_options());
                if (rendered && *rendered == expected) ++matches;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(matches.load() == 800);
}

TEST_CASE("context helper and the ChatML default") {
    auto conversation = json::parse(R"({"messages": [{"role": "user", "content": "Hi <|im_end|>"}], "enable_thinking": false})");
    REQUIRE(conversation);
    json context = ember::chat_template_context(*conversation, true, "<s>", "</s>");
    CHECK(context["tools"].is_null());
    CHECK(context.contains("tools"));
    CHECK(context["enable_thinking"].is_bool());
    CHECK(context["bos_token"].as_string() == "<s>");
    auto chatml = chat_template::parse(chat_template::chatml_source());
    REQUIRE(chatml);
    auto rendered = chatml->render(context);
    REQUIRE(rendered);
    CHECK(*rendered == "<|im_start|>user\nHi <|im_end|><|im_end|>\n<|im_start|>assistant\n");
    // A bare array is the messages.
    auto bare = json::parse(R"([{"role": "user", "content": "x"}])");
    REQUIRE(bare);
    CHECK(ember::chat_template_context(*bare, false, "", "")["messages"].size() == 1);
}

TEST_CASE("values that share structure cannot blow up printing, serializing or comparing") {
    // Each step doubles the logical size of a list built from shared halves.
    const std::string doubling =
        "{% set ns = namespace(x=[1]) %}{% for i in range(80) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}";
    CHECK(is_error(render(doubling + "{{ ns.x }}")));
    CHECK(is_error(render(doubling + "{{ ns.x | tojson }}")));
    CHECK(is_error(render(doubling + "{{ ns.x == ns.x }}")));
    // A namespace that contains itself prints bounded.
    CHECK(is_error(render("{% set ns = namespace() %}{% set ns.a = ns %}{% set ns.b = ns %}{{ ns }}")));
    // Quadratic builtins stay fast on long inputs.
    CHECK(render("{{ range(200000) | unique | list | length }}") == "200000");
    CHECK(is_error(render("{% for i in range(100000) %}{{ 5 in range(100000) }}{% endfor %}")));
}
