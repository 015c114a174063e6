"""Byte-level BPE, GPT-2 style: training and encoding.

The encoding rules are the ones Hugging Face `tokenizers` (ByteLevel + BPE) and llama.cpp's
`gpt2` vocabulary type apply, because ember reads this vocabulary from the GGUF and must split
text into exactly the ids the model was trained on:

1. split the text into pre-tokens with the GPT-2 regex (`PRETOKENIZE_PATTERN`);
2. map every UTF-8 byte of a pre-token to one printable character (`bytes_to_unicode`), so a
   token's string is always valid text and ' ' shows up as 'Ġ', '\\n' as 'Ċ';
3. inside each pre-token, repeatedly merge the adjacent pair with the lowest merge rank (ties:
   the leftmost pair), until no adjacent pair has a rank.
"""

import collections
import heapq

import regex

PRETOKENIZE_PATTERN = (
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
)
_pretokenizer = regex.compile(PRETOKENIZE_PATTERN)


def bytes_to_unicode():
    """GPT-2's table: byte value -> printable unicode character.

    Printable Latin-1 bytes map to themselves; the other 68 bytes map to U+0100 onwards in byte
    order. (Same function as openai/gpt-2 encoder.py.)
    """
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    characters = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            characters.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, characters)))


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {c: b for b, c in BYTE_TO_CHAR.items()}


def pretokenize(text):
    """Text -> list of pre-tokens, each already in byte-to-unicode form."""
    return [
        "".join(BYTE_TO_CHAR[b] for b in piece.encode("utf-8"))
        for piece in _pretokenizer.findall(text)
    ]


def train_bpe(word_counts, n_merges_max, vocab_target):
    """Learn merges from {pre-token (byte-char string): count}.

    Starts from the 256 byte tokens (id = byte value) and repeatedly merges the most frequent
    adjacent pair (ties broken by the pair's strings, so the result is deterministic) until the
    vocabulary has `vocab_target` tokens. Returns (tokens, merges): tokens is the id -> string list,
    merges the ordered list of (left, right) strings. Two different merges can spell the same
    string ("ab"+"c", "a"+"bc"); like HF's trainer we then keep one token and both merges.
    """
    tokens = [BYTE_TO_CHAR[b] for b in range(256)]
    token_id = {t: i for i, t in enumerate(tokens)}
    merges = []

    words = [list(w) for w in word_counts]
    counts = list(word_counts.values())

    # pair -> total count, and pair -> set of word indices containing it; updated incrementally
    # so each merge only touches the words that contain the merged pair.
    pair_count = collections.Counter()
    pair_words = collections.defaultdict(set)
    for wi, (w, c) in enumerate(zip(words, counts)):
        for a, b in zip(w, w[1:]):
            pair_count[(a, b)] += c
            pair_words[(a, b)].add(wi)

    # max-heap of (-count, pair) with lazy invalidation
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)

    while len(tokens) < vocab_target and len(merges) < n_merges_max and heap:
        negative_count, pair = heapq.heappop(heap)
        if pair_count.get(pair, 0) != -negative_count or negative_count == 0:
            continue  # stale heap entry
        a, b = pair
        merged = a + b
        merges.append(pair)
        if merged not in token_id:
            token_id[merged] = len(tokens)
            tokens.append(merged)

        changed = collections.Counter()
        for wi in list(pair_words[pair]):
            w, c = words[wi], counts[wi]
            # remove this word's old pair contributions, merge left to right, add the new ones
            for p in zip(w, w[1:]):
                pair_count[p] -= c
                changed[p] += 0
            new_word = []
            i = 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    new_word.append(merged)
                    i += 2
                else:
                    new_word.append(w[i])
                    i += 1
            words[wi] = new_word
            for p in zip(new_word, new_word[1:]):
                pair_count[p] += c
                pair_words[p].add(wi)
                changed[p] += 0
        for p in changed:
            if pair_count[p] > 0:
                heapq.heappush(heap, (-pair_count[p], p))
            else:
                pair_count.pop(p, None)
        pair_count.pop(pair, None)
        pair_words.pop(pair, None)
    return tokens, merges


class Tokenizer:
    """Encoder/decoder for a trained byte-level BPE vocabulary (HF semantics, see module doc)."""

    def __init__(self, tokens, merges, specials):
        self.tokens = list(tokens) + list(specials)
        self.token_id = {}
        for i, t in enumerate(self.tokens):
            self.token_id.setdefault(t, i)
        self.specials = {s: self.token_id[s] for s in specials}
        self.merge_rank = {pair: r for r, pair in enumerate(merges)}
        self.merges = list(merges)
        self._cache = {}

    def _encode_pretoken(self, word):
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        parts = list(word)
        while len(parts) > 1:
            best_rank, best_i = None, -1
            for i in range(len(parts) - 1):
                r = self.merge_rank.get((parts[i], parts[i + 1]))
                if r is not None and (best_rank is None or r < best_rank):
                    best_rank, best_i = r, i
            if best_rank is None:
                break
            parts[best_i : best_i + 2] = [parts[best_i] + parts[best_i + 1]]
        ids = [self.token_id[p] for p in parts]
        self._cache[word] = ids
        return ids

    def encode(self, text):
        """Plain text -> ids (no BOS; special-token text is treated as ordinary text)."""
        ids = []
        for word in pretokenize(text):
            ids.extend(self._encode_pretoken(word))
        return ids

    def decode(self, ids):
        special_ids = set(self.specials.values())
        out = bytearray()
        for i in ids:
            if i in special_ids:
                out += self.tokens[i].encode("utf-8")
            else:
                out += bytes(CHAR_TO_BYTE[c] for c in self.tokens[i])
        return out.decode("utf-8", errors="replace")
