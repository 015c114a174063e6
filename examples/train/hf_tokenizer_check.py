#!/usr/bin/python3
"""Cross-check this vocabulary's BPE encoding against a port of Hugging Face's tokenizer.

    /usr/bin/python3 examples/train/hf_tokenizer_check.py models/kjv-tiny.gguf models/kjv-tiny.heldout.txt /tmp/tokcheck
    cd /tmp/tokcheck && npm install @lenml/tokenizers && node hf_tokenizer_check.mjs

Writes <dir>/tokenizer.json (the GGUF's tokens and merges as an HF ByteLevel-BPE tokenizer) and
<dir>/cases.json (texts and the ids bpe.py gives them: every held-out verse, the whole held-out
file, and some edge cases: Unicode, contractions, digits, runs of spaces and newlines). The .mjs
encodes each text with @lenml/tokenizers (a dependency-free port of transformers.js, which follows
HF tokenizers) and reports mismatches; it is copied into <dir> because node resolves the npm
package relative to the script.
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import gguf_io  # noqa: E402

EDGE_CASES = [
    "Hello world", "  leading spaces", "trailing  ", "tabs\tand\nnewlines\n\n",
    "Ünïcödé — “quotes” 日本語 🙂", "it's we'll they'd I'M don't", "123 4567 3.14",
    "aaaaaaaaaa", "x  y   z", "", " ", "!!!???...", "LORD LORD, O LORD",
]


def main():
    model_path, text_path, out_dir = sys.argv[1:4]
    meta, _ = gguf_io.read_gguf(model_path)
    tokens, types = meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.token_type"]
    merges = meta["tokenizer.ggml.merges"]
    tokenizer_json = {
        "version": "1.0", "truncation": None, "padding": None, "normalizer": None,
        "post_processor": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}
                         for i, t in enumerate(tokens) if types[i] == 3],
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                  "byte_fallback": False, "vocab": {t: i for i, t in enumerate(tokens)},
                  "merges": merges},
    }
    normal = [t for t, ty in zip(tokens, types) if ty != 3]
    specials = [t for t, ty in zip(tokens, types) if ty == 3]
    tok = bpe.Tokenizer(normal, [tuple(m.split(" ")) for m in merges], specials)
    with open(text_path, encoding="utf-8") as f:
        text = f.read()
    texts = text.splitlines() + EDGE_CASES + [text]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "cases.json"), "w", encoding="utf-8") as f:
        json.dump([{"text": t, "ids": tok.encode(t)} for t in texts], f, ensure_ascii=False)
    here = os.path.dirname(os.path.abspath(__file__))
    shutil.copy(os.path.join(here, "hf_tokenizer_check.mjs"), out_dir)
    print("wrote %d cases to %s" % (len(texts), out_dir))


if __name__ == "__main__":
    main()
