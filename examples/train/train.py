#!/usr/bin/python3
"""Train ember's default model: a ~3.7 M-parameter Llama on the King James Bible, export GGUF.

    nice -n 10 /usr/bin/python3 examples/train/train.py --out models/kjv-tiny.gguf

Deterministic for a given machine (fixed seed, one thread). Writes:
  <out>                 the GGUF (llama arch, gpt2-style byte-level BPE vocabulary)
  <out stem>.heldout.txt the held-out verses (every 50th verse), one per line
and prints a log (tokenizer stats, loss curve, held-out loss/perplexity) to stdout.
See examples/train/README.md.
"""

import argparse
import collections
import json
import math
import os
import re
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bpe  # noqa: E402
import gguf_io  # noqa: E402
from model import Config, Llama  # noqa: E402

BOS, EOS = "<|begin_of_text|>", "<|end_of_text|>"
HELDOUT_EVERY = 50  # verse i (0-based) is held out when i % 50 == 49: 622 of 31 102 verses
REFERENCE = re.compile(r"^[1-3]?[A-Za-z]+\d+:\d+ ")


def log(*args):
    print(*args, flush=True)


def read_verses():
    """Every KJV verse, reference prefix ("Ge1:1 ") stripped, in canonical order."""
    raw = subprocess.run(
        ["bible", "-f", "Genesis 1:1-Revelation 22:21"],
        check=True, capture_output=True, text=True,
    ).stdout
    verses = []
    for line in raw.splitlines():
        m = REFERENCE.match(line)
        if not m:
            raise SystemExit("unexpected line from `bible`: %r" % line[:80])
        verses.append(line[m.end():].strip())
    return verses


def build_tokenizer(train_text, vocab_size):
    word_counts = collections.Counter(bpe.pretokenize(train_text))
    tokens, merges = bpe.train_bpe(word_counts, n_merges_max=10 * vocab_size,
                                   vocab_target=vocab_size - 2)
    return bpe.Tokenizer(tokens, merges, [BOS, EOS])


def encode_verses(tok, verses):
    """Token stream of "verse\\n" lines and the token index where each verse starts.
    Pre-tokens never span a newline, so this equals encoding the joined text (checked below)."""
    stream, starts = [], []
    for v in verses:
        starts.append(len(stream))
        stream.extend(tok.encode(v + "\n"))
    return np.array(stream, dtype=np.int64), np.array(starts, dtype=np.int64)


def sample_batch(rng, stream, starts, batch, n_ctx, bos_id):
    """Windows of BOS + (n_ctx) text tokens; inputs are the first n_ctx, targets the next n_ctx.
    Half start at a verse start (how `ember run -p "And the"` prompts look), half at an
    arbitrary token (how sliding-window perplexity chunks look)."""
    n_text = n_ctx  # BOS + n_ctx text tokens = n_ctx + 1 positions
    valid_starts = starts[starts + n_text <= len(stream)]
    x = np.empty((batch, n_ctx), dtype=np.int64)
    y = np.empty((batch, n_ctx), dtype=np.int64)
    for b in range(batch):
        if rng.random() < 0.5:
            s = int(valid_starts[rng.integers(len(valid_starts))])
        else:
            s = int(rng.integers(len(stream) - n_text + 1))
        window = np.concatenate(([bos_id], stream[s:s + n_text]))
        x[b], y[b] = window[:-1], window[1:]
    return torch.from_numpy(x), torch.from_numpy(y)


@torch.no_grad()
def heldout_loss(model, stream, n_ctx, bos_id):
    """Mean NLL (nats/token) over the held-out token stream, cut into non-overlapping chunks of
    n_ctx-1 tokens; each chunk is fed as BOS + chunk and every chunk token is scored (the first
    one predicted from BOS alone). The last, shorter chunk is included."""
    model.eval()
    total, count = 0.0, 0
    for s in range(0, len(stream), n_ctx - 1):
        chunk = stream[s:s + n_ctx - 1]
        x = torch.from_numpy(np.concatenate(([bos_id], chunk[:-1])))[None]
        y = torch.from_numpy(chunk)[None]
        logits = model(x)
        total += F.cross_entropy(logits[0], y[0], reduction="sum").item()
        count += len(chunk)
    model.train()
    return total / count, count


@torch.no_grad()
def heldout_loss_llama_cpp_style(model, stream, n_ctx, bos_id):
    """llama.cpp `perplexity` method: tokens = BOS + text; n_chunk = len // n_ctx non-overlapping
    chunks; each chunk's first token replaced by BOS; only the second half is scored (logits at
    positions n_ctx/2 .. n_ctx-2 predicting the next token)."""
    model.eval()
    tokens = np.concatenate(([bos_id], stream))
    total, count = 0.0, 0
    for c in range(len(tokens) // n_ctx):
        chunk = tokens[c * n_ctx:(c + 1) * n_ctx].copy()
        chunk[0] = bos_id
        logits = model(torch.from_numpy(chunk)[None])[0]
        first = n_ctx // 2
        targets = torch.from_numpy(chunk[first + 1:])
        total += F.cross_entropy(logits[first:n_ctx - 1], targets, reduction="sum").item()
        count += len(targets)
    model.train()
    return total / count, count


def export_gguf(path, model, tok, c, name):
    bos_id, eos_id = tok.specials[BOS], tok.specials[EOS]
    token_types = [1] * len(tok.tokens)  # 1 = normal, 3 = control
    for i in tok.specials.values():
        token_types[i] = 3
    A = gguf_io
    metadata = [
        ("general.architecture", A.STRING, "llama"),
        ("general.name", A.STRING, name),
        ("general.description", A.STRING,
         "ember's default model: tiny Llama trained on the King James Bible by "
         "examples/train/train.py"),
        ("general.license", A.STRING, "MIT"),
        ("general.alignment", A.U32, A.ALIGNMENT),
        ("llama.context_length", A.U32, c.n_ctx),
        ("llama.embedding_length", A.U32, c.n_embd),
        ("llama.block_count", A.U32, c.n_layer),
        ("llama.feed_forward_length", A.U32, c.n_ff),
        ("llama.attention.head_count", A.U32, c.n_head),
        ("llama.attention.head_count_kv", A.U32, c.n_head_kv),
        ("llama.rope.dimension_count", A.U32, c.head_dim),
        ("llama.rope.freq_base", A.F32, c.rope_theta),
        ("llama.attention.layer_norm_rms_epsilon", A.F32, c.rms_eps),
        ("llama.vocab_size", A.U32, len(tok.tokens)),
        ("general.file_type", A.U32, 1),  # mostly F16
        ("tokenizer.ggml.model", A.STRING, "gpt2"),
        ("tokenizer.ggml.pre", A.STRING, "gpt-2"),
        ("tokenizer.ggml.tokens", A.ARRAY, (A.STRING, tok.tokens)),
        ("tokenizer.ggml.token_type", A.ARRAY, (A.I32, token_types)),
        ("tokenizer.ggml.merges", A.ARRAY, (A.STRING, ["%s %s" % m for m in tok.merges])),
        ("tokenizer.ggml.bos_token_id", A.U32, bos_id),
        ("tokenizer.ggml.eos_token_id", A.U32, eos_id),
        ("tokenizer.ggml.add_bos_token", A.BOOL, True),
        ("tokenizer.ggml.add_eos_token", A.BOOL, False),
    ]
    F16, F32 = A.GGML_F16, A.GGML_F32

    def t(p):
        return p.detach().float().numpy()

    tensors = [("token_embd.weight", t(model.token_embd.weight), F16)]  # (n_vocab, n_embd)
    for i, b in enumerate(model.blocks):
        tensors += [
            ("blk.%d.attn_norm.weight" % i, t(b.attn_norm.weight), F32),
            ("blk.%d.attn_q.weight" % i, t(b.attn_q.weight), F16),  # (n_embd, n_embd) unpermuted
            ("blk.%d.attn_k.weight" % i, t(b.attn_k.weight), F16),  # (kv_dim, n_embd)
            ("blk.%d.attn_v.weight" % i, t(b.attn_v.weight), F16),
            ("blk.%d.attn_output.weight" % i, t(b.attn_output.weight), F16),
            ("blk.%d.ffn_norm.weight" % i, t(b.ffn_norm.weight), F32),
            ("blk.%d.ffn_gate.weight" % i, t(b.ffn_gate.weight), F16),  # (n_ff, n_embd)
            ("blk.%d.ffn_up.weight" % i, t(b.ffn_up.weight), F16),
            ("blk.%d.ffn_down.weight" % i, t(b.ffn_down.weight), F16),  # (n_embd, n_ff)
        ]
    tensors.append(("output_norm.weight", t(model.output_norm.weight), F32))
    gguf_io.write_gguf(path, metadata, tensors)
    return metadata, tensors


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", default="models/kjv-tiny.gguf")
    p.add_argument("--name", default="kjv-tiny")
    p.add_argument("--seed", type=int, default=1611)  # the KJV's year
    p.add_argument("--vocab", type=int, default=2048)
    p.add_argument("--steps", type=int, default=650)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--min-lr", type=float, default=2e-4)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--eval-every", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    t_start = time.time()
    log("args:", json.dumps(vars(args)))
    log("torch", torch.__version__, "numpy", np.__version__)

    verses = read_verses()
    train_verses = [v for i, v in enumerate(verses) if i % HELDOUT_EVERY != HELDOUT_EVERY - 1]
    held_verses = [v for i, v in enumerate(verses) if i % HELDOUT_EVERY == HELDOUT_EVERY - 1]
    train_text = "".join(v + "\n" for v in train_verses)
    held_text = "".join(v + "\n" for v in held_verses)
    log("verses: %d total, %d train (%d bytes), %d held out (%d bytes)" % (
        len(verses), len(train_verses), len(train_text), len(held_verses), len(held_text)))

    t0 = time.time()
    tok = build_tokenizer(train_text, args.vocab)
    log("tokenizer: %d tokens (%d merges) in %.1f s" % (len(tok.tokens), len(tok.merges),
                                                        time.time() - t0))
    bos_id = tok.specials[BOS]
    train_stream, train_starts = encode_verses(tok, train_verses)
    held_stream, _ = encode_verses(tok, held_verses)
    assert list(held_stream) == tok.encode(held_text), "per-verse encoding != whole-text encoding"
    assert tok.decode(list(held_stream)) == held_text, "decode(encode(x)) != x"
    log("tokens: train %d (%.2f bytes/token), held-out %d" % (
        len(train_stream), len(train_text) / len(train_stream), len(held_stream)))
    log("sample tokens:", [tok.tokens[i] for i in tok.encode("And the LORD said unto Moses,")])

    c = Config(n_vocab=len(tok.tokens))
    model = Llama(c)
    log("config:", json.dumps(c.__dict__), "params: %d" % model.n_params())

    decay = [p for n, p in model.named_parameters() if p.dim() == 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        progress = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * progress))

    eval_subset = held_stream[:255 * 40]  # quick periodic estimate; full eval at the end
    t_train = time.time()
    running = None
    for step in range(args.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        x, y = sample_batch(rng, train_stream, train_starts, args.batch, c.n_ctx, bos_id)
        loss = F.cross_entropy(model(x).view(-1, c.n_vocab), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        running = loss.item() if running is None else 0.9 * running + 0.1 * loss.item()
        if step % 10 == 0 or step == args.steps - 1:
            log("step %4d  lr %.2e  loss %.4f  (ema %.4f)  %.0f s" % (
                step, lr_at(step), loss.item(), running, time.time() - t_train))
        if (step + 1) % args.eval_every == 0 or step == args.steps - 1:
            h, _ = heldout_loss(model, eval_subset, c.n_ctx, bos_id)
            log("eval step %4d  train-ema %.4f  heldout-subset %.4f" % (step + 1, running, h))
    train_seconds = time.time() - t_train
    log("training: %d steps x %d x %d tokens in %.0f s" % (
        args.steps, args.batch, c.n_ctx, train_seconds))

    # Final numbers on the weights as exported (matrices rounded to f16).
    with torch.no_grad():
        for n, p in model.named_parameters():
            if p.dim() == 2:
                p.copy_(p.half().float())
    train_eval_stream = train_stream[:len(held_stream)]  # same-size slice of training text
    h_loss, h_count = heldout_loss(model, held_stream, c.n_ctx, bos_id)
    t_loss, _ = heldout_loss(model, train_eval_stream, c.n_ctx, bos_id)
    l_loss, l_count = heldout_loss_llama_cpp_style(model, held_stream, c.n_ctx, bos_id)
    log("final (f16 weights): train-slice loss %.4f ppl %.3f | held-out loss %.4f ppl %.3f "
        "(%d tokens) | held-out llama.cpp-style ctx %d: loss %.4f ppl %.3f (%d scored)" % (
            t_loss, math.exp(t_loss), h_loss, math.exp(h_loss), h_count,
            c.n_ctx, l_loss, math.exp(l_loss), l_count))

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    export_gguf(args.out, model, tok, c, args.name)
    held_path = os.path.splitext(args.out)[0] + ".heldout.txt"
    with open(held_path, "w", encoding="utf-8") as f:
        f.write(held_text)
    log("wrote %s (%d bytes) and %s (%d bytes)" % (
        args.out, os.path.getsize(args.out), held_path, os.path.getsize(held_path)))

    # greedy sample straight from the trained model, for comparison with reference_forward.py
    model.eval()
    ids = [bos_id] + tok.encode("And the")
    with torch.no_grad():
        for _ in range(48):
            ids.append(int(model(torch.tensor([ids[-c.n_ctx:]]))[0, -1].argmax()))
    log("greedy ids:", ids)
    log("greedy text:", repr(tok.decode(ids[1:])))
    log("total wall time %.0f s" % (time.time() - t_start))


if __name__ == "__main__":
    main()
