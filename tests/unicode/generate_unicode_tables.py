#!/usr/bin/env python3
"""Generate include/ember/tokenizer/detail/unicode_tables.hpp from the Unicode
Character Database (Debian's `unicode-data` package: /usr/share/unicode).

The tokenizers need, per code point: the general category (\\p{L}, \\p{N},
punctuation, marks, controls), the White_Space property (\\s), and for NFC/NFD
the canonical decompositions, combining classes and the composition pairs
(minus Full_Composition_Exclusion), plus lower-case mappings for WordPiece.

Usage: python3 tests/unicode/generate_unicode_tables.py [UCD_DIR] [OUTPUT]
Re-run when the Unicode data changes; the output is committed.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UCD = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
    HERE, "..", "..", "include", "ember", "tokenizer", "detail", "unicode_tables.hpp")

MAX_CP = 0x110000
BLOCK = 256

# Order fixes the numeric values in the generated enum; Cn (unassigned) is 0
# so that any code point the data does not list reads as unassigned.
CATEGORIES = ["Cn", "Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No",
              "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So",
              "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co"]
CATEGORY_NAMES = {
    "Cn": "unassigned", "Lu": "uppercase_letter", "Ll": "lowercase_letter", "Lt": "titlecase_letter",
    "Lm": "modifier_letter", "Lo": "other_letter", "Mn": "nonspacing_mark", "Mc": "spacing_mark",
    "Me": "enclosing_mark", "Nd": "decimal_number", "Nl": "letter_number", "No": "other_number",
    "Pc": "connector_punctuation", "Pd": "dash_punctuation", "Ps": "open_punctuation",
    "Pe": "close_punctuation", "Pi": "initial_punctuation", "Pf": "final_punctuation",
    "Po": "other_punctuation", "Sm": "math_symbol", "Sc": "currency_symbol", "Sk": "modifier_symbol",
    "So": "other_symbol", "Zs": "space_separator", "Zl": "line_separator", "Zp": "paragraph_separator",
    "Cc": "control", "Cf": "format", "Cs": "surrogate", "Co": "private_use"}
FLAG_WHITE_SPACE = 0x20
FLAG_NFC_UNSTABLE = 0x40   # NFC_QC is No/Maybe, or combining class != 0
FLAG_NFD_UNSTABLE = 0x80   # has a canonical decomposition, or combining class != 0


def data_lines(name):
    with open(os.path.join(UCD, name), encoding="utf-8") as handle:
        for line in handle:
            line = line.split("#", 1)[0].strip()
            if line:
                yield [field.strip() for field in line.split(";")]


def code_range(text):
    if ".." in text:
        first, last = text.split("..")
        return int(first, 16), int(last, 16)
    return int(text, 16), int(text, 16)


def read_version():
    with open(os.path.join(UCD, "ReadMe.txt"), encoding="utf-8") as handle:
        for line in handle:
            if "for Version" in line:
                return line.split("Version")[1].split()[0].rstrip(".")
    return "unknown"


def main():
    category = [0] * MAX_CP
    combining = [0] * MAX_CP
    decomposition = {}   # canonical only: cp -> [cps]
    lower = {}
    range_start = None
    for fields in data_lines("UnicodeData.txt"):
        cp = int(fields[0], 16)
        name, cat, ccc = fields[1], fields[2], int(fields[3])
        if name.endswith(", First>"):
            range_start = cp
            continue
        first = range_start if name.endswith(", Last>") else cp
        range_start = None
        for c in range(first, cp + 1):
            category[c] = CATEGORIES.index(cat)
            combining[c] = ccc
        if fields[5] and not fields[5].startswith("<"):
            decomposition[cp] = [int(x, 16) for x in fields[5].split()]
        if fields[13]:
            lower[cp] = [int(fields[13], 16)]

    # Full (unconditional) lower-case mappings, as Rust's char::to_lowercase
    # applies them: SpecialCasing lines without a condition field.
    for fields in data_lines("SpecialCasing.txt"):
        if len(fields) > 4 and fields[4]:
            continue  # conditional (language or context dependent)
        cp = int(fields[0], 16)
        mapped = [int(x, 16) for x in fields[1].split()]
        if mapped != [cp]:
            lower[cp] = mapped
    multi = {cp: m for cp, m in lower.items() if len(m) > 1}
    assert multi == {0x130: [0x69, 0x307]}, multi  # unicode.hpp special-cases exactly this one

    white_space = set()
    for fields in data_lines("PropList.txt"):
        if fields[1] == "White_Space":
            first, last = code_range(fields[0])
            white_space.update(range(first, last + 1))

    exclusions = set()
    nfc_not_yes = set()
    for fields in data_lines("DerivedNormalizationProps.txt"):
        first, last = code_range(fields[0])
        if fields[1] == "Full_Composition_Exclusion":
            exclusions.update(range(first, last + 1))
        elif fields[1] == "NFC_QC" and fields[2] in ("N", "M"):
            nfc_not_yes.update(range(first, last + 1))

    flags = bytearray(MAX_CP)
    for cp in range(MAX_CP):
        value = category[cp]
        if cp in white_space:
            value |= FLAG_WHITE_SPACE
        if cp in nfc_not_yes or combining[cp]:
            value |= FLAG_NFC_UNSTABLE
        if cp in decomposition or combining[cp] or 0xAC00 <= cp <= 0xD7A3:
            value |= FLAG_NFD_UNSTABLE
        flags[cp] = value

    blocks, stage1, block_index = [], [], {}
    for start in range(0, MAX_CP, BLOCK):
        block = bytes(flags[start:start + BLOCK])
        if block not in block_index:
            block_index[block] = len(blocks)
            blocks.append(block)
        stage1.append(block_index[block])
    assert len(blocks) < 65536

    ccc_ranges = []
    for cp in range(MAX_CP):
        if combining[cp]:
            if ccc_ranges and ccc_ranges[-1][1] == cp - 1 and ccc_ranges[-1][2] == combining[cp]:
                ccc_ranges[-1][1] = cp
            else:
                ccc_ranges.append([cp, cp, combining[cp]])

    compositions = []
    for cp, parts in sorted(decomposition.items()):
        assert 1 <= len(parts) <= 2
        if len(parts) == 2 and cp not in exclusions:
            compositions.append((parts[0] << 21 | parts[1], cp))
    compositions.sort()

    out = []
    emit = out.append
    emit("#pragma once")
    emit("// GENERATED by tests/unicode/generate_unicode_tables.py from the Unicode Character")
    emit("// Database %s (Debian's unicode-data). Do not edit; re-run the script." % read_version())
    emit("")
    emit("#include <cstdint>")
    emit("")
    emit("namespace ember::detail::unicode_data {")
    emit("")
    emit('inline constexpr char version[] = "%s";' % read_version())
    emit("")
    emit("// General categories; the low five bits of a code point's flags.")
    emit("enum class category : uint8_t {")
    for index, cat in enumerate(CATEGORIES):
        emit("    %s = %d,  // %s" % (CATEGORY_NAMES[cat], index, cat))
    emit("};")
    emit("inline constexpr uint8_t category_mask = 0x1f;")
    emit("inline constexpr uint8_t flag_white_space = 0x%02x;   // PropList White_Space (regex \\s)" % FLAG_WHITE_SPACE)
    emit("inline constexpr uint8_t flag_nfc_unstable = 0x%02x;  // NFC_QC No/Maybe or combining class != 0" % FLAG_NFC_UNSTABLE)
    emit("inline constexpr uint8_t flag_nfd_unstable = 0x%02x;  // decomposes, or combining class != 0" % FLAG_NFD_UNSTABLE)
    emit("")
    emit("// Two-stage lookup: flags(cp) = flag_blocks[flag_block_index[cp >> 8] * 256 + (cp & 255)].")
    emit("inline constexpr uint16_t flag_block_index[%d] = {" % len(stage1))
    for i in range(0, len(stage1), 24):
        emit("    " + ",".join(str(v) for v in stage1[i:i + 24]) + ",")
    emit("};")
    emit("inline constexpr uint8_t flag_blocks[%d] = {" % (len(blocks) * BLOCK))
    for block in blocks:
        for i in range(0, BLOCK, 32):
            emit("    " + ",".join(str(v) for v in block[i:i + 32]) + ",")
    emit("};")
    emit("")
    emit("struct combining_class_range { uint32_t first, last; uint8_t value; };")
    emit("inline constexpr combining_class_range combining_classes[%d] = {" % len(ccc_ranges))
    for first, last, value in ccc_ranges:
        emit("    {0x%X, 0x%X, %d}," % (first, last, value))
    emit("};")
    emit("")
    emit("// Canonical decompositions (one level; apply recursively). second == 0: singleton.")
    emit("struct decomposition_entry { uint32_t code_point, first, second; };")
    emit("inline constexpr decomposition_entry canonical_decompositions[%d] = {" % len(decomposition))
    for cp, parts in sorted(decomposition.items()):
        emit("    {0x%X, 0x%X, 0x%X}," % (cp, parts[0], parts[1] if len(parts) > 1 else 0))
    emit("};")
    emit("")
    emit("// Primary composites: key = first << 21 | second, sorted (Hangul is algorithmic).")
    emit("struct composition_entry { uint64_t key; uint32_t composed; };")
    emit("inline constexpr composition_entry canonical_compositions[%d] = {" % len(compositions))
    for key, cp in compositions:
        emit("    {0x%X, 0x%X}," % (key, cp))
    emit("};")
    emit("")
    emit("// Simple lower-case mappings (U+0130's two-code-point mapping is handled in code).")
    emit("struct case_mapping { uint32_t code_point, lower; };")
    simple = sorted((cp, m[0]) for cp, m in lower.items() if len(m) == 1)
    emit("inline constexpr case_mapping lowercase_mappings[%d] = {" % len(simple))
    for cp, low in simple:
        emit("    {0x%X, 0x%X}," % (cp, low))
    emit("};")
    emit("")
    emit("}  // namespace ember::detail::unicode_data")
    with open(OUT, "w", encoding="utf-8") as handle:
        handle.write("\n".join(out) + "\n")
    print("wrote %s: %d flag blocks, %d combining ranges, %d decompositions, %d compositions, %d lowercase"
          % (OUT, len(blocks), len(ccc_ranges), len(decomposition), len(compositions), len(simple)))


if __name__ == "__main__":
    main()
