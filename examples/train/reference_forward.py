#!/usr/bin/python3
"""Independent f32 reference for a GGUF `llama` model with a gpt2-style BPE vocabulary.

    /usr/bin/python3 examples/train/reference_forward.py models/kjv-tiny.gguf [-p "And the"] [-n 48]

Reads the GGUF with gguf_io's reader, rebuilds the tokenizer from the file's own
tokenizer.ggml.tokens / merges (not from the training run), and runs the forward pass in numpy
float32 (f16 weights are widened to f32), one token at a time with a KV cache, the way an inference
engine does. Prints the prompt ids (BOS + text), the greedy continuation ids and its text, so a C++
engine can be checked against it. The rope here is ggml's NORM mode written from its definition:
adjacent pairs (x[2i], x[2i+1]) rotated by pos * freq_base^(-2i/n_rot).

--compare-torch also loads the weights into examples/train/model.py and reports the largest logit
difference over the prompt + continuation (a check that export and model agree).
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import gguf_io  # noqa: E402


class Model:
    def __init__(self, path):
        self.meta, t = gguf_io.read_gguf(path)
        m = self.meta
        assert m["general.architecture"] == "llama"
        assert m["tokenizer.ggml.model"] == "gpt2"
        self.n_embd = m["llama.embedding_length"]
        self.n_layer = m["llama.block_count"]
        self.n_head = m["llama.attention.head_count"]
        self.n_head_kv = m["llama.attention.head_count_kv"]
        self.n_ctx = m["llama.context_length"]
        self.n_rot = m["llama.rope.dimension_count"]
        self.freq_base = m["llama.rope.freq_base"]
        self.eps = m["llama.attention.layer_norm_rms_epsilon"]
        self.head_dim = self.n_embd // self.n_head
        f = {k: v.astype(np.float32) for k, v in t.items()}  # numpy shape = (ggml ne1, ne0)
        self.w = f
        self.token_embd = f["token_embd.weight"]  # (n_vocab, n_embd)
        self.output = f.get("output.weight", self.token_embd)  # tied when absent
        self.bos_id = m["tokenizer.ggml.bos_token_id"]
        tokens = m["tokenizer.ggml.tokens"]
        types = m["tokenizer.ggml.token_type"]
        specials = [tok for tok, ty in zip(tokens, types) if ty == 3]
        normal = [tok for tok, ty in zip(tokens, types) if ty != 3]
        assert tokens == normal + specials, "specials are expected at the end of the vocabulary"
        merges = [tuple(s.split(" ")) for s in m["tokenizer.ggml.merges"]]
        self.tokenizer = bpe.Tokenizer(normal, merges, specials)

    def new_cache(self):
        kv_dim = self.n_head_kv * self.head_dim
        return [(np.zeros((self.n_ctx, kv_dim), np.float32),
                 np.zeros((self.n_ctx, kv_dim), np.float32)) for _ in range(self.n_layer)]

    def rms_norm(self, x, weight):
        return x / np.sqrt(np.mean(x * x) + self.eps) * weight

    def rope(self, x, pos):
        """x: (heads, head_dim); ggml NORM: rotate (x[2i], x[2i+1]) for 2i < n_rot."""
        out = x.copy()
        for i0 in range(0, self.n_rot, 2):
            theta = pos * self.freq_base ** (-i0 / self.n_rot)
            c, s = np.cos(theta), np.sin(theta)
            x0, x1 = x[:, i0], x[:, i0 + 1]
            out[:, i0] = x0 * c - x1 * s
            out[:, i0 + 1] = x0 * s + x1 * c
        return out

    def forward(self, token, pos, cache):
        """One token at position pos; returns logits (n_vocab,). cache is updated in place."""
        w, hd = self.w, self.head_dim
        x = self.token_embd[token].copy()
        group = self.n_head // self.n_head_kv
        for layer in range(self.n_layer):
            p = "blk.%d." % layer
            h = self.rms_norm(x, w[p + "attn_norm.weight"])
            q = (w[p + "attn_q.weight"] @ h).reshape(self.n_head, hd)
            k = (w[p + "attn_k.weight"] @ h).reshape(self.n_head_kv, hd)
            v = w[p + "attn_v.weight"] @ h
            q, k = self.rope(q, pos), self.rope(k, pos)
            k_cache, v_cache = cache[layer]
            k_cache[pos], v_cache[pos] = k.reshape(-1), v
            attn = np.empty((self.n_head, hd), np.float32)
            for head in range(self.n_head):
                kv = head // group  # ggml broadcast: query head j reads kv head j / group
                keys = k_cache[:pos + 1, kv * hd:(kv + 1) * hd]
                values = v_cache[:pos + 1, kv * hd:(kv + 1) * hd]
                scores = keys @ q[head] / np.sqrt(hd)
                scores = np.exp(scores - scores.max())
                attn[head] = (scores / scores.sum()) @ values
            x = x + w[p + "attn_output.weight"] @ attn.reshape(-1)
            h = self.rms_norm(x, w[p + "ffn_norm.weight"])
            gate = w[p + "ffn_gate.weight"] @ h
            up = w[p + "ffn_up.weight"] @ h
            x = x + w[p + "ffn_down.weight"] @ (gate / (1 + np.exp(-gate)) * up)
        return self.output @ self.rms_norm(x, w["output_norm.weight"])

    def greedy(self, prompt_ids, n):
        cache = self.new_cache()
        all_logits = []
        ids = list(prompt_ids)
        for pos, token in enumerate(prompt_ids):
            logits = self.forward(token, pos, cache)
            all_logits.append(logits)
        generated = []
        for _ in range(n):
            if len(ids) >= self.n_ctx:
                break
            nxt = int(np.argmax(logits))
            generated.append(nxt)
            ids.append(nxt)
            logits = self.forward(nxt, len(ids) - 1, cache)
            all_logits.append(logits)
        return generated, np.array(all_logits)


def compare_torch(model, ids, ref_logits):
    import torch
    from model import Config, Llama

    torch.set_num_threads(1)
    m = model.meta
    c = Config(n_vocab=len(m["tokenizer.ggml.tokens"]), n_ctx=model.n_ctx, n_embd=model.n_embd,
               n_layer=model.n_layer, n_head=model.n_head, n_head_kv=model.n_head_kv,
               n_ff=m["llama.feed_forward_length"], rms_eps=model.eps, rope_theta=model.freq_base)
    net = Llama(c)
    state = {"token_embd.weight": model.token_embd, "output_norm.weight": model.w["output_norm.weight"]}
    for i in range(c.n_layer):
        for name in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm",
                     "ffn_gate", "ffn_up", "ffn_down"):
            state["blocks.%d.%s.weight" % (i, name)] = model.w["blk.%d.%s.weight" % (i, name)]
    net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    with torch.no_grad():
        logits = net(torch.tensor([ids[:len(ref_logits)]]))[0].numpy()
    diff = np.abs(logits - ref_logits)
    rms_ratio = np.sqrt(np.mean((logits - ref_logits) ** 2) / np.mean(ref_logits ** 2))
    print("compare-torch: max|diff| %.3g  rms ratio %.3g over %d positions" % (
        diff.max(), rms_ratio, len(ref_logits)))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("-p", "--prompt", default="And the")
    p.add_argument("-n", type=int, default=48)
    p.add_argument("--compare-torch", action="store_true")
    args = p.parse_args()

    model = Model(args.model)
    prompt_ids = [model.bos_id] + model.tokenizer.encode(args.prompt)
    generated, logits = model.greedy(prompt_ids, args.n)
    print("prompt:", repr(args.prompt))
    print("prompt ids:", " ".join(map(str, prompt_ids)))
    print("greedy ids:", " ".join(map(str, generated)))
    print("greedy text:", repr(model.tokenizer.decode(generated)))
    top2 = np.sort(logits[len(prompt_ids) - 1:], axis=1)[:, -2:]
    print("smallest top-2 logit margin along the greedy path: %.4f" % (top2[:, 1] - top2[:, 0]).min())
    if args.compare_torch:
        compare_torch(model, prompt_ids + generated, logits)


if __name__ == "__main__":
    main()
