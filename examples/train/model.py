"""A small Llama-architecture decoder in PyTorch, laid out exactly as a GGUF `llama` file is.

- RMSNorm (no bias), eps from the config; SwiGLU FFN: down(silu(gate(x)) * up(x)).
- Grouped-query attention: n_head query heads share n_head_kv key/value heads.
- RoPE in ggml's "NORM" layout, which is what GGUF `llama` files mean: ADJACENT pairs
  (x[2i], x[2i+1]) of each head are rotated by pos * theta^(-2i/head_dim). This is also Meta's
  original Llama layout. Hugging Face's `LlamaForCausalLM` instead rotates the split halves
  (x[i], x[i + head_dim/2]), which is why llama.cpp's convert_hf_to_gguf.py permutes the rows of
  q/k weights; because this model rotates adjacent pairs natively, its q/k weights are exported
  unpermuted.
- Tied output: the output projection is the token embedding matrix (no `output.weight` in GGUF).
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class Config:
    n_vocab: int = 2048
    n_ctx: int = 256
    n_embd: int = 256
    n_layer: int = 4
    n_head: int = 8
    n_head_kv: int = 4
    n_ff: int = 768
    rms_eps: float = 1e-5
    rope_theta: float = 10000.0

    @property
    def head_dim(self):
        return self.n_embd // self.n_head


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_cos_sin(n_ctx, head_dim, theta):
    """cos/sin tables, shape (n_ctx, head_dim/2): angle[p, i] = p * theta^(-2i/head_dim)."""
    inv_freq = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    angle = torch.arange(n_ctx, dtype=torch.float64)[:, None] * inv_freq[None, :]
    return torch.cos(angle).float(), torch.sin(angle).float()


def apply_rope(x, cos, sin):
    """x: (batch, heads, time, head_dim). Rotates adjacent pairs (ggml NORM mode)."""
    x_even, x_odd = x[..., 0::2], x[..., 1::2]
    out_even = x_even * cos - x_odd * sin
    out_odd = x_even * sin + x_odd * cos
    return torch.stack((out_even, out_odd), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        kv_dim = c.n_head_kv * c.head_dim
        self.attn_norm = RMSNorm(c.n_embd, c.rms_eps)
        self.attn_q = nn.Linear(c.n_embd, c.n_embd, bias=False)
        self.attn_k = nn.Linear(c.n_embd, kv_dim, bias=False)
        self.attn_v = nn.Linear(c.n_embd, kv_dim, bias=False)
        self.attn_output = nn.Linear(c.n_embd, c.n_embd, bias=False)
        self.ffn_norm = RMSNorm(c.n_embd, c.rms_eps)
        self.ffn_gate = nn.Linear(c.n_embd, c.n_ff, bias=False)
        self.ffn_up = nn.Linear(c.n_embd, c.n_ff, bias=False)
        self.ffn_down = nn.Linear(c.n_ff, c.n_embd, bias=False)

    def forward(self, x, cos, sin, mask):
        c = self.c
        B, T, _ = x.shape
        h = self.attn_norm(x)
        q = self.attn_q(h).view(B, T, c.n_head, c.head_dim).transpose(1, 2)
        k = self.attn_k(h).view(B, T, c.n_head_kv, c.head_dim).transpose(1, 2)
        v = self.attn_v(h).view(B, T, c.n_head_kv, c.head_dim).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        group = c.n_head // c.n_head_kv
        k = k.repeat_interleave(group, dim=1)  # query head j uses kv head j // group (as ggml)
        v = v.repeat_interleave(group, dim=1)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(c.head_dim) + mask
        attn = torch.softmax(scores, dim=-1) @ v
        x = x + self.attn_output(attn.transpose(1, 2).reshape(B, T, c.n_embd))
        h = self.ffn_norm(x)
        return x + self.ffn_down(F.silu(self.ffn_gate(h)) * self.ffn_up(h))


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.token_embd = nn.Embedding(c.n_vocab, c.n_embd)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.n_layer))
        self.output_norm = RMSNorm(c.n_embd, c.rms_eps)
        cos, sin = rope_cos_sin(c.n_ctx, c.head_dim, c.rope_theta)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        mask = torch.full((c.n_ctx, c.n_ctx), float("-inf")).triu(1)
        self.register_buffer("mask", mask, persistent=False)
        # GPT-2 style init; residual output projections scaled down by depth.
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02
                if name.endswith("attn_output.weight") or name.endswith("ffn_down.weight"):
                    std = 0.02 / math.sqrt(2 * c.n_layer)
                nn.init.normal_(p, mean=0.0, std=std)

    def forward(self, ids):
        T = ids.shape[1]
        x = self.token_embd(ids)
        cos, sin, mask = self.cos[:T], self.sin[:T], self.mask[:T, :T]
        for block in self.blocks:
            x = block(x, cos, sin, mask)
        return self.output_norm(x) @ self.token_embd.weight.t()  # tied output

    def n_params(self):
        return sum(p.numel() for p in self.parameters())
