// Run in the directory hf_tokenizer_check.py wrote (it copies this file there), after
// `npm install @lenml/tokenizers` there.
import { TokenizerLoader } from "@lenml/tokenizers";
import fs from "fs";

const tokenizer = TokenizerLoader.fromPreTrained({
  tokenizerJSON: JSON.parse(fs.readFileSync("tokenizer.json", "utf8")),
  tokenizerConfig: {},
});
const cases = JSON.parse(fs.readFileSync("cases.json", "utf8"));
let mismatches = 0, n_tokens = 0;
for (const c of cases) {
  const ids = tokenizer.encode(c.text, { add_special_tokens: false });
  n_tokens += ids.length;
  if (JSON.stringify(ids) !== JSON.stringify(c.ids)) {
    if (++mismatches <= 5) console.log("MISMATCH", JSON.stringify(c.text).slice(0, 80), ids, c.ids);
  }
}
console.log(`cases ${cases.length}, tokens ${n_tokens}, mismatches ${mismatches}`);
process.exit(mismatches ? 1 : 0);
