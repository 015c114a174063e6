// The tokenizers' Unicode layer against the Unicode Character Database on
// the machine (Debian's unicode-data, /usr/share/unicode): normalisation
// against the official NormalizationTest.txt, categories and White_Space
// against UnicodeData.txt / PropList.txt, and the UTF-8 decoder's edge cases.
// Skipped, loudly, where the files are absent.

#include <doctest/doctest.h>
#include <ember/tokenizer/detail/unicode.hpp>

#include "test_data.hpp"

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace unicode = ember::detail::unicode;

namespace {

const std::string ucd = "/usr/share/unicode/";

std::string encode(const std::vector<uint32_t>& code_points) {
    std::string out;
    for (uint32_t cp : code_points) unicode::append_utf8(out, cp);
    return out;
}

std::vector<uint32_t> parse_code_points(const std::string& field) {
    std::vector<uint32_t> out;
    std::istringstream in(field);
    std::string hex;
    while (in >> hex) out.push_back(static_cast<uint32_t>(std::stoul(hex, nullptr, 16)));
    return out;
}

std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> fields;
    std::string field;
    std::istringstream in(line);
    while (std::getline(in, field, separator)) fields.push_back(field);
    return fields;
}

std::string hex_of(const std::string& text) {
    std::string out;
    char buffer[4];
    for (unsigned char c : text) {
        std::snprintf(buffer, sizeof buffer, "%02X ", c);
        out += buffer;
    }
    return out;
}

}  // namespace

TEST_CASE("NFC and NFD agree with the Unicode NormalizationTest.txt") {
    const std::string path = ucd + "NormalizationTest.txt.bz2";
    if (!ember_test::file_exists(path)) {
        std::fprintf(stderr, "SKIPPED: %s missing\n", path.c_str());
        return;
    }
    FILE* pipe = ::popen(("bzcat " + path).c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string content;
    char buffer[65536];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) content.append(buffer, got);
    ::pclose(pipe);
    if (content.empty()) {
        std::fprintf(stderr, "SKIPPED: could not decompress %s\n", path.c_str());
        return;
    }
    std::istringstream lines(content);
    std::string line;
    size_t checked = 0, failed = 0;
    bool in_part1 = false;
    std::set<uint32_t> part1;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        if (line[0] == '@') {
            in_part1 = line.rfind("@Part1", 0) == 0;
            continue;
        }
        const auto fields = split(line, ';');
        REQUIRE(fields.size() >= 5);
        std::string c[5];
        for (int i = 0; i < 5; ++i) c[i] = encode(parse_code_points(fields[static_cast<size_t>(i)]));
        if (in_part1) part1.insert(parse_code_points(fields[0])[0]);
        // c2 == NFC(c1) == NFC(c2) == NFC(c3); c4 == NFC(c4) == NFC(c5)
        // c3 == NFD(c1) == NFD(c2) == NFD(c3); c5 == NFD(c4) == NFD(c5)
        const bool ok = unicode::nfc(c[0]) == c[1] && unicode::nfc(c[1]) == c[1] && unicode::nfc(c[2]) == c[1] &&
                        unicode::nfc(c[3]) == c[3] && unicode::nfc(c[4]) == c[3] && unicode::nfd(c[0]) == c[2] &&
                        unicode::nfd(c[1]) == c[2] && unicode::nfd(c[2]) == c[2] && unicode::nfd(c[3]) == c[4] &&
                        unicode::nfd(c[4]) == c[4];
        if (!ok && failed++ < 10)
            FAIL_CHECK("NormalizationTest line: ", line, "\n  nfc(c1) = ", hex_of(unicode::nfc(c[0])),
                       "\n  nfd(c1) = ", hex_of(unicode::nfd(c[0])));
        ++checked;
    }
    CHECK(checked > 19000);
    CHECK(failed == 0);
    // Every code point not listed in part 1 is unchanged by both forms.
    size_t invariant_failures = 0;
    for (uint32_t cp = 0; cp < 0x110000; ++cp) {
        if ((cp >= 0xD800 && cp <= 0xDFFF) || part1.count(cp)) continue;
        std::string text;
        unicode::append_utf8(text, cp);
        if (unicode::nfc(text) != text || unicode::nfd(text) != text) ++invariant_failures;
    }
    CHECK(invariant_failures == 0);
    MESSAGE("NormalizationTest: ", checked, " lines, ", failed, " failures");
}

TEST_CASE("general categories and White_Space match UnicodeData.txt and PropList.txt") {
    std::ifstream data(ucd + "UnicodeData.txt");
    std::ifstream props(ucd + "PropList.txt");
    if (!data || !props) {
        std::fprintf(stderr, "SKIPPED: %sUnicodeData.txt or PropList.txt missing\n", ucd.c_str());
        return;
    }
    static const char* names[] = {"Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps",
                                  "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"};
    std::vector<std::string> expected(0x110000, "Cn");
    std::string line;
    uint32_t range_first = 0;
    while (std::getline(data, line)) {
        const auto fields = split(line, ';');
        const auto cp = static_cast<uint32_t>(std::stoul(fields[0], nullptr, 16));
        if (fields[1].find(", First>") != std::string::npos) {
            range_first = cp;
            continue;
        }
        const uint32_t first = fields[1].find(", Last>") != std::string::npos ? range_first : cp;
        for (uint32_t c = first; c <= cp; ++c) expected[c] = fields[2];
    }
    size_t category_mismatches = 0;
    for (uint32_t cp = 0; cp < 0x110000; ++cp) {
        const std::string actual = names[static_cast<int>(unicode::category_of(cp))];
        if (actual != expected[cp] && category_mismatches++ < 5) FAIL_CHECK("U+", std::hex, cp, ": ", actual, " vs ", expected[cp]);
    }
    CHECK(category_mismatches == 0);

    std::vector<bool> white(0x110000, false);
    while (std::getline(props, line)) {
        if (line.empty() || line[0] == '#' || line.find("; White_Space") == std::string::npos) continue;
        const std::string range = line.substr(0, line.find(' '));
        const size_t dots = range.find("..");
        const auto first = static_cast<uint32_t>(std::stoul(range.substr(0, dots), nullptr, 16));
        const auto last = dots == std::string::npos ? first : static_cast<uint32_t>(std::stoul(range.substr(dots + 2), nullptr, 16));
        for (uint32_t c = first; c <= last; ++c) white[c] = true;
    }
    size_t white_mismatches = 0;
    for (uint32_t cp = 0; cp < 0x110000; ++cp) white_mismatches += unicode::is_white_space(cp) != white[cp];
    CHECK(white_mismatches == 0);
    CHECK(unicode::is_white_space(0x85));
    CHECK_FALSE(unicode::is_white_space(0xFEFF));
    CHECK_FALSE(unicode::is_white_space(0x200B));
}

TEST_CASE("lower-casing follows Rust's char::to_lowercase") {
    auto lower = [](uint32_t cp) {
        std::vector<uint32_t> out;
        unicode::append_lowercase(out, cp);
        return out;
    };
    CHECK(lower('A') == std::vector<uint32_t>{'a'});
    CHECK(lower(0xC4) == std::vector<uint32_t>{0xE4});     // Ä
    CHECK(lower(0x130) == std::vector<uint32_t>{'i', 0x307});  // İ
    CHECK(lower(0x3A3) == std::vector<uint32_t>{0x3C3});   // Σ → σ, no final-sigma context
    CHECK(lower(0x1E9E) == std::vector<uint32_t>{0xDF});   // ẞ → ß
    CHECK(lower(0x212A) == std::vector<uint32_t>{'k'});    // Kelvin sign
    CHECK(lower(0x1C5) == std::vector<uint32_t>{0x1C6});   // ǅ → ǆ
    CHECK(lower(0x10400) == std::vector<uint32_t>{0x10428});  // Deseret
    CHECK(lower(0x4E00) == std::vector<uint32_t>{0x4E00});
}

TEST_CASE("UTF-8 decoding is strict and never reads past the end") {
    auto decode = [](const std::string& bytes) { return unicode::decode_utf8(bytes, 0); };
    CHECK(decode("A").code_point == 'A');
    CHECK(decode("\xC3\xA4").code_point == 0xE4);
    CHECK(decode("\xF4\x8F\xBF\xBF").code_point == 0x10FFFF);
    CHECK(decode("\xF0\x9F\xA6\x99").length == 4);
    for (const char* invalid : {"\x80", "\xC0\x80", "\xC1\xBF", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xF0\x8F\xBF\xBF",
                                "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xFF", "\xC3", "\xE2\x82", "\xC3("}) {
        const auto c = decode(invalid);
        CHECK_FALSE(c.valid);
        CHECK(c.length == 1);
        CHECK(c.code_point == unicode::replacement_character);
    }
    // A truncated sequence at the end of a buffer is not read beyond it.
    const std::string text = "\xF0\x9F\xA6";
    CHECK_FALSE(unicode::decode_utf8(reinterpret_cast<const unsigned char*>(text.data()), 2).valid);
}
