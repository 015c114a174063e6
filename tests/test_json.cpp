// ember::json: parsing (strict, untrusted input) and serialization that must
// equal Python's json.dumps byte for byte (chat templates' `tojson`). Every
// expected string below was produced by CPython 3's json module.
#include <doctest/doctest.h>
#include <ember/core/json.hpp>

#include <string>

using ember::json;

namespace {

json parse_ok(std::string_view text) {
    auto parsed = json::parse(text);
    if (!parsed) FAIL_CHECK(parsed.error().message);
    return parsed ? *parsed : json();
}

std::string parse_error(std::string_view text) {
    auto parsed = json::parse(text);
    return parsed ? std::string("<parsed>") : parsed.error().message;
}

}  // namespace

TEST_CASE("floats print like Python's repr (shortest round-trip)") {
    struct sample {
        double value;
        const char* python;
    };
    const sample samples[] = {
        {0.1, "0.1"},
        {1e-05, "1e-05"},
        {1.0, "1.0"},
        {1e+16, "1e+16"},
        {1000000000000000.0, "1000000000000000.0"},
        {1.2345678901234568e+17, "1.2345678901234568e+17"},
        {-0.0, "-0.0"},
        {0.0001, "0.0001"},
        {0.001, "0.001"},
        {1.5e+300, "1.5e+300"},
        {5e-324, "5e-324"},
        {2.5, "2.5"},
        {1e+22, "1e+22"},
        {-1.25e-07, "-1.25e-07"},
        {3.14159, "3.14159"},
        {9007199254740992.0, "9007199254740992.0"},
        {0.3333333333333333, "0.3333333333333333"},
        {100.0, "100.0"},
        {1.7976931348623157e+308, "1.7976931348623157e+308"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
    };
    for (const sample& entry : samples) {
        CAPTURE(entry.python);
        CHECK(json(entry.value).dump() == entry.python);
    }
    CHECK(json(1.0 / 0.0).dump() == "Infinity");
    CHECK(json(-1.0 / 0.0).dump() == "-Infinity");
    CHECK(json(0.0 / 0.0).dump() == "NaN");
}

TEST_CASE("integers stay integers, floats stay floats, like Python") {
    CHECK(json(42).dump() == "42");
    CHECK(json(int64_t(-9223372036854775807LL - 1)).dump() == "-9223372036854775808");
    // json.dumps(json.loads('[1.0, 1e2, 12345678901234567890, -0, 1E400]'))
    CHECK(parse_ok("[1.0, 1e2, 12345678901234567890, -0, 1E400]").dump() ==
          "[1.0, 100.0, 12345678901234567890, 0, Infinity]");
    json one = parse_ok("1");
    CHECK(one.is_integer());
    CHECK(one.as_int64() == 1);
    json one_float = parse_ok("1.0");
    CHECK(one_float.is_number());
    CHECK_FALSE(one_float.is_integer());
    CHECK(one == one_float);  // Python: 1 == 1.0
    CHECK(parse_ok("-2.75").as_int64() == -2);
    CHECK(parse_ok("1e300").as_int64() == 0);  // out of range: neutral, not UB
}

TEST_CASE("dump matches json.dumps: separators, indent, ensure_ascii, sort_keys") {
    const char* document =
        R"({"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "東京"]}, "days": {"type": "integer", "minimum": 1, "scale": 0.5}}, "required": ["city"]}, "empty": [], "none": {}, "flags": [true, false, null]})";
    json value = parse_ok(document);
    // json.dumps(o, ensure_ascii=False)
    CHECK(value.dump() == document);
    // json.dumps(o, indent=2, ensure_ascii=False)
    CHECK(value.dump(2) == R"({
  "name": "get_weather",
  "parameters": {
    "type": "object",
    "properties": {
      "city": {
        "type": "string",
        "enum": [
          "Paris",
          "東京"
        ]
      },
      "days": {
        "type": "integer",
        "minimum": 1,
        "scale": 0.5
      }
    },
    "required": [
      "city"
    ]
  },
  "empty": [],
  "none": {},
  "flags": [
    true,
    false,
    null
  ]
})");
    // json.dumps(o)  (ensure_ascii defaults to True in Python)
    CHECK(value.dump(-1, true) ==
          R"({"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "\u6771\u4eac"]}, "days": {"type": "integer", "minimum": 1, "scale": 0.5}}, "required": ["city"]}, "empty": [], "none": {}, "flags": [true, false, null]})");
    // json.dumps(o, sort_keys=True, separators=(',', ':'))
    ember::json_dump_style compact;
    compact.ensure_ascii = true;
    compact.sort_keys = true;
    compact.item_separator = ",";
    compact.key_separator = ":";
    CHECK(value.dump(compact) ==
          R"({"empty":[],"flags":[true,false,null],"name":"get_weather","none":{},"parameters":{"properties":{"city":{"enum":["Paris","\u6771\u4eac"],"type":"string"},"days":{"minimum":1,"scale":0.5,"type":"integer"}},"required":["city"],"type":"object"}})");
    // json.dumps([1, [2, []]], indent=0)
    CHECK(parse_ok("[1,[2,[]]]").dump(0) == "[\n1,\n[\n2,\n[]\n]\n]");
}

TEST_CASE("string escapes match json.dumps in both ensure_ascii modes") {
    const std::string text = "\xc3\xa9\xe2\x80\xa8\x01\x7f\xf0\x9f\x98\x80\"\\/\b\f\n\r\t";
    // json.dumps({'c': 'é\u2028\x01\x7f😀"\\/\b\f\n\r\t'}, ensure_ascii=False)
    CHECK(json(text).dump() == "\"\xc3\xa9\xe2\x80\xa8\\u0001\x7f\xf0\x9f\x98\x80\\\"\\\\/\\b\\f\\n\\r\\t\"");
    // ... ensure_ascii=True: DEL escaped too, astral as a surrogate pair
    CHECK(json(text).dump(-1, true) == R"("\u00e9\u2028\u0001\u007f\ud83d\ude00\"\\/\b\f\n\r\t")");
}

TEST_CASE("parse: escapes, surrogate pairs, order and repeated keys") {
    json value = parse_ok(R"({"b": 1, "a": "x\u00e9\ud83d\ude00\n\/", "b": 2})");
    REQUIRE(value.is_object());
    REQUIRE(value.size() == 2);
    CHECK(value.as_object()[0].first == "b");  // first position, last value (Python dict)
    CHECK(value.find("b")->as_int64() == 2);
    CHECK(value.find("a")->as_string() == "x\xc3\xa9\xf0\x9f\x98\x80\n/");
    CHECK(value.find("missing") == nullptr);
    CHECK(value["a"].is_string());
    CHECK(value["missing"].is_null());
    // a lone surrogate has no UTF-8 form: U+FFFD instead of invalid bytes
    CHECK(parse_ok(R"("\ud800x")").as_string() == "\xef\xbf\xbdx");
    CHECK(parse_ok(R"("\udc00")").as_string() == "\xef\xbf\xbd");
    CHECK(parse_ok(R"("\u0000")").as_string() == std::string(1, '\0'));

    json many = parse_ok(R"([true, false, null, -0.5e-3, "", [], {}])");
    REQUIRE(many.is_array());
    CHECK(many.size() == 7);
    CHECK(many[0].as_bool());
    CHECK(many[2].is_null());
    CHECK(many[3].as_number() == -0.0005);
    CHECK(many[99].is_null());  // out of range: shared null, no UB
}

TEST_CASE("a repeated key in a large object keeps its first position") {
    std::string text = "{";
    for (int i = 0; i < 40; ++i) text += "\"k" + std::to_string(i) + "\": " + std::to_string(i) + ", ";
    text += "\"k3\": 99}";
    json value = parse_ok(text);
    CHECK(value.size() == 40);
    CHECK(value.as_object()[3].first == "k3");
    CHECK(value.as_object()[3].second.as_int64() == 99);
}

TEST_CASE("builders") {
    json message = json::object();
    message.set("role", "user").set("content", "hi");
    message.set("role", "assistant");  // replaced in place
    json list = json::array();
    list.push_back(message).push_back(1).push_back(2.5).push_back(nullptr).push_back(true);
    CHECK(list.dump() == R"([{"role": "assistant", "content": "hi"}, 1, 2.5, null, true])");
    CHECK(message.erase("role"));
    CHECK_FALSE(message.erase("role"));
    CHECK(message.dump() == R"({"content": "hi"})");
    CHECK(json::array().dump() == "[]");
    CHECK(json::object().dump(2) == "{}");
}

TEST_CASE("parse errors name line and column and never crash") {
    CHECK(parse_error("{\n  \"a\": tru\n}") == "json: line 2 column 8: invalid literal");
    CHECK(parse_error("[1, 2") == "json: line 1 column 6: unexpected end of input in an array");
    CHECK(parse_error("[1] x") == "json: line 1 column 5: unexpected text after the JSON value");
    CHECK(parse_error("") != "<parsed>");
    CHECK(parse_error("01") != "<parsed>");
    CHECK(parse_error("1.") != "<parsed>");
    CHECK(parse_error("-") != "<parsed>");
    CHECK(parse_error("1e") != "<parsed>");
    CHECK(parse_error("\"abc") != "<parsed>");
    CHECK(parse_error("\"a\nb\"") != "<parsed>");
    CHECK(parse_error("\"\\x\"") != "<parsed>");
    CHECK(parse_error("\"\\u12\"") != "<parsed>");
    CHECK(parse_error("\"\\ud800\\u12") != "<parsed>");
    CHECK(parse_error("{\"a\" 1}") != "<parsed>");
    CHECK(parse_error("{1: 2}") != "<parsed>");
    CHECK(parse_error("[1,]") != "<parsed>");
    CHECK(parse_error("NaN") != "<parsed>");
    CHECK(parse_error("\"\\") != "<parsed>");

    // depth limit instead of a stack overflow
    CHECK(parse_error(std::string(100000, '[')).find("nesting deeper") != std::string::npos);
    std::string deep_ok = std::string(500, '[') + std::string(500, ']');
    CHECK(json::parse(deep_ok).has_value());

    // every prefix of a valid document fails cleanly (or parses, for "1")
    const std::string document = R"({"a": [1, -2.5e3, "x\u00e9\ud83d\ude00", {"b": null}], "c": true})";
    for (size_t length = 0; length < document.size(); ++length) {
        auto parsed = json::parse(document.substr(0, length));
        CHECK_FALSE(parsed.has_value());
    }
    CHECK(json::parse(document).has_value());
}
