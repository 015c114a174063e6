#pragma once
// ember::tokenizer — text ⇄ token ids for GGUF models, matching Hugging
// Face's tokenizers exactly:
//   byte-level BPE   (tokenizer.ggml.model "gpt2": GPT-2, Llama 3, Qwen 2/2.5/3)
//   SentencePiece    ("llama": Llama 1/2, TinyStories — scores, ▁, byte fallback)
//   WordPiece        ("bert": BERT and its embedding models)
//
//   auto file = ember::gguf_file::open("model.gguf");
//   auto tok = ember::tokenizer::from_gguf(*file);
//   std::vector<int32_t> ids = tok->encode("Hello", {tok->add_bos_by_default(), true});
//   std::string text = tok->decode(ids);
//
// Special tokens. Text is plain text by default: "<|im_start|>" typed by a
// user encodes as ordinary characters, so user input cannot inject control
// tokens. `parse_special` makes control tokens in the text count as the
// tokens themselves (for prompts the program builds, e.g. from a chat
// template). User-defined tokens (type 4, e.g. Qwen's <think>) are ordinary
// vocabulary and are matched either way, as Hugging Face and llama.cpp do.
//
// Invalid UTF-8. Never an error. Byte-level BPE keeps every input byte —
// an invalid byte is encoded as its own byte token — so decode(encode(x))
// returns x byte for byte. SentencePiece does the same through its <0xXX>
// byte fallback (or the unknown token when the vocabulary has none).
// WordPiece reads invalid bytes as U+FFFD, which BERT's cleaning drops.
// `decode` returns exactly the bytes the tokens stand for, which can be
// invalid UTF-8 if the ids are (ids from a sampler can be anything);
// `to_valid_utf8` replaces such bytes by U+FFFD when a caller needs that.
//
// Where the references disagree, ember follows Hugging Face's Rust
// tokenizers: (?i:'s) also matches "'ſ" (U+017F case-folds to s in
// Oniguruma, Hugging Face's regex engine; llama.cpp and transformers.js
// differ), and \s is the White_Space property (U+0085 yes, U+FEFF no).
// Decoding is ember's own: WordPiece joins words with single spaces
// (no clean-up of spaces before punctuation); a token typed unknown decodes to
// U+FFFD, one typed control (as bge types [UNK]) to nothing.
//
// Thread safety: a tokenizer is immutable after construction; any number
// of threads may encode and decode with it at once. Copies share the data.

#include "ember/error.hpp"
#include "ember/io/gguf.hpp"
#include "ember/tokenizer/detail/byte_level_bpe.hpp"
#include "ember/tokenizer/detail/sentencepiece.hpp"
#include "ember/tokenizer/detail/tokenizer_state.hpp"
#include "ember/tokenizer/detail/unicode.hpp"
#include "ember/tokenizer/detail/wordpiece.hpp"
#include "ember/tokenizer/vocabulary.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

class tokenizer;
namespace detail {
// For tests that compare the fast paths with the reference algorithms.
struct tokenizer_access {
    static const tokenizer_state& state(const tokenizer& tok);
};
}  // namespace detail

struct encode_options {
    // Frame the text as the model expects a whole input: BOS first (for
    // BERT, [CLS]), and EOS / [SEP] last when the vocabulary asks for them
    // (add_eos_token / add_sep_token). `add_bos_by_default()` says whether
    // the model wants this for a prompt.
    bool add_bos = false;
    // Match control tokens written in the text (<|im_start|>, <s>, [CLS]).
    bool parse_special = false;
};

struct decode_options {
    // Render control and unused tokens as their text (otherwise they
    // decode to nothing) and the unknown token as its text (otherwise U+FFFD).
    bool render_special = false;
    // Drop the space that encoding added in front of the first word
    // (SentencePiece's leading ▁ when add_space_prefix; WordPiece's word
    // separator), so that decode(encode(x)) == x. Turn off when decoding a
    // continuation, e.g. generated tokens after a prompt.
    bool strip_leading_space = true;
};

// Replace bytes that are not well-formed UTF-8 by U+FFFD.
inline std::string to_valid_utf8(std::string_view text) { return detail::unicode::to_valid_utf8(text); }

class tokenizer {
public:
    // Validate a vocabulary and build the lookup tables.
    static result<tokenizer> create(vocabulary vocab);
    // Read tokenizer.ggml.* from a GGUF file (see vocabulary_from_gguf).
    static result<tokenizer> from_gguf(const gguf_file& file);

    std::vector<int32_t> encode(std::string_view text, encode_options options = {}) const;
    // Append to `out` instead of returning a new vector.
    void encode(std::string_view text, std::vector<int32_t>& out, encode_options options = {}) const;

    // The bytes the ids stand for. Ids outside the vocabulary decode to nothing.
    std::string decode(const std::vector<int32_t>& ids, decode_options options = {}) const;
    // One token's bytes as they appear inside a text (SentencePiece's ▁ as a
    // space, WordPiece words with their separating space, "##" continuations
    // without). Empty for control tokens unless `render_special`.
    std::string token_to_piece(int32_t id, bool render_special = false) const;

    int32_t n_vocab() const { return state_->n_vocab(); }
    tokenizer_model model() const { return state_->vocab.model; }
    const vocabulary& vocab() const { return state_->vocab; }

    // Special ids; no_token (-1) when the vocabulary has none.
    int32_t bos() const { return state_->vocab.bos; }
    int32_t eos() const { return state_->vocab.eos; }
    int32_t eot() const { return state_->vocab.eot; }
    int32_t eom() const { return state_->vocab.eom; }
    int32_t unknown() const { return state_->vocab.unknown; }
    int32_t padding() const { return state_->vocab.padding; }
    int32_t separator() const { return state_->vocab.separator; }
    int32_t mask() const { return state_->vocab.mask; }
    bool add_bos_by_default() const { return state_->vocab.add_bos; }
    bool add_eos_by_default() const { return state_->vocab.add_eos; }

    // Generation stops at these: EOS, EOT, EOM, and control tokens named
    // like an end marker (<|eot_id|>, <|end_of_text|>, <|im_end|>, <|endoftext|>, …).
    bool is_end_of_generation(int32_t id) const {
        return in_range(id) && state_->end_of_generation[static_cast<size_t>(id)] != 0;
    }

    bool in_range(int32_t id) const { return id >= 0 && id < n_vocab(); }
    // token_type::undefined for ids outside the vocabulary.
    token_type type_of(int32_t id) const { return in_range(id) ? state_->type_of(id) : token_type::undefined; }
    bool is_control(int32_t id) const { return type_of(id) == token_type::control; }
    bool is_byte(int32_t id) const { return type_of(id) == token_type::byte; }
    bool is_user_defined(int32_t id) const { return type_of(id) == token_type::user_defined; }
    // The token as stored in the vocabulary ("" outside it).
    std::string_view token_text(int32_t id) const {
        return in_range(id) ? std::string_view(state_->vocab.tokens[static_cast<size_t>(id)]) : std::string_view();
    }
    float score(int32_t id) const { return in_range(id) ? state_->score_of(id) : 0.0f; }
    // Id of the token whose stored text is `text`, or no_token.
    int32_t find_token(std::string_view text) const { return state_->text_index.find(text); }

private:
    friend class streaming_decoder;
    friend struct detail::tokenizer_access;
    explicit tokenizer(std::shared_ptr<const detail::tokenizer_state> state) : state_(std::move(state)) {}

    // The bytes a token contributes to decoded text, before the leading-space rule.
    std::string_view visible_piece(int32_t id, const decode_options& options) const;
    bool strips_first_space() const {
        return (model() == tokenizer_model::sentencepiece && state_->vocab.add_space_prefix) ||
               model() == tokenizer_model::wordpiece;
    }
    void encode_fragment(std::string_view text, bool after_special, std::vector<int32_t>& out,
                         detail::bpe_scratch& bpe, detail::spm_scratch& spm) const;

    std::shared_ptr<const detail::tokenizer_state> state_;
};

// Turns a stream of ids into text one id at a time, emitting only whole
// UTF-8 characters: bytes of a character split across tokens (an emoji, a
// CJK character made of byte tokens) are held until the character is
// complete. The concatenation of everything `push` and `finish` return
// equals `tokenizer::decode` of the same ids with the same options; bytes
// that can never become a valid character are passed through as they come
// (see to_valid_utf8).
class streaming_decoder {
public:
    explicit streaming_decoder(const tokenizer& tok, decode_options options = {}) : tok_(tok), options_(options) {
        pending_.reserve(8);
    }

    // Text completed by this id (often empty).
    std::string push(int32_t id) {
        std::string out;
        push(id, out);
        return out;
    }
    // The same, appended to `out` (no allocation once `out` has room: for
    // the generation loop). Returns the number of bytes appended.
    size_t push(int32_t id, std::string& out);
    // Whatever is still held back (an incomplete sequence at the very end).
    std::string finish() {
        std::string rest = pending_;
        pending_.clear();
        return rest;
    }
    void reset() {
        pending_.clear();
        at_start_ = true;
    }

private:
    tokenizer tok_;
    decode_options options_;
    std::string pending_;
    bool at_start_ = true;
};

// ---------------------------------------------------------------------------

namespace detail {

inline error vocabulary_error(const std::string& message) { return make_error(errc::invalid_argument, message); }

inline bool is_end_marker_name(std::string_view text) {
    static constexpr std::string_view names[] = {
        "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|im_end|>", "<|endoftext|>", "<|end|>",
        "<end_of_turn>", "<EOT>", "_<EOT>", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
    };
    for (std::string_view name : names)
        if (text == name) return true;
    return false;
}

// Order candidate special tokens by first byte, longest first, so the
// matcher takes the longest token at the leftmost position.
inline void sort_for_matching(std::vector<int32_t>& ids, const std::vector<std::string>& tokens) {
    std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
        const std::string& x = tokens[static_cast<size_t>(a)];
        const std::string& y = tokens[static_cast<size_t>(b)];
        if (x[0] != y[0]) return static_cast<unsigned char>(x[0]) < static_cast<unsigned char>(y[0]);
        return x.size() > y.size();
    });
}

// SentencePiece's byte tokens are spelled <0xXX>.
inline int parse_byte_token(std::string_view text) {
    if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
    auto hex = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    const int high = hex(text[3]), low = hex(text[4]);
    return high < 0 || low < 0 ? -1 : high * 16 + low;
}

}  // namespace detail

inline result<tokenizer> tokenizer::create(vocabulary vocab) {
    using detail::vocabulary_error;
    const size_t n_vocab = vocab.tokens.size();
    if (n_vocab == 0) return vocabulary_error("tokenizer.ggml.tokens: the vocabulary is empty");
    if (n_vocab > static_cast<size_t>(INT32_MAX)) return vocabulary_error("tokenizer.ggml.tokens: too many tokens");
    if (!vocab.scores.empty() && vocab.scores.size() != n_vocab)
        return vocabulary_error("tokenizer.ggml.scores: " + std::to_string(vocab.scores.size()) + " scores for " +
                                std::to_string(n_vocab) + " tokens");
    if (!vocab.types.empty() && vocab.types.size() != n_vocab)
        return vocabulary_error("tokenizer.ggml.token_type: " + std::to_string(vocab.types.size()) + " types for " +
                                std::to_string(n_vocab) + " tokens");
    for (size_t i = 0; i < vocab.types.size(); ++i)
        if (static_cast<int32_t>(vocab.types[i]) < 0 || vocab.types[i] > token_type::byte)
            return vocabulary_error("tokenizer.ggml.token_type: element " + std::to_string(i) + " has unknown type " +
                                    std::to_string(static_cast<int32_t>(vocab.types[i])));
    const std::pair<const char*, int32_t> specials[] = {
        {"tokenizer.ggml.bos_token_id", vocab.bos},         {"tokenizer.ggml.eos_token_id", vocab.eos},
        {"tokenizer.ggml.eot_token_id", vocab.eot},         {"tokenizer.ggml.eom_token_id", vocab.eom},
        {"tokenizer.ggml.unknown_token_id", vocab.unknown}, {"tokenizer.ggml.padding_token_id", vocab.padding},
        {"tokenizer.ggml.seperator_token_id", vocab.separator}, {"tokenizer.ggml.mask_token_id", vocab.mask},
    };
    for (const auto& [key, id] : specials)
        if (id != no_token && (id < 0 || static_cast<size_t>(id) >= n_vocab))
            return make_error(errc::out_of_range, std::string(key) + ": token id " + std::to_string(id) +
                                                      " is outside the vocabulary of " + std::to_string(n_vocab) + " tokens");

    auto state = std::make_shared<detail::tokenizer_state>();
    state->vocab = std::move(vocab);
    detail::tokenizer_state& s = *state;
    const std::vector<std::string>& tokens = s.vocab.tokens;
    s.text_index.build(tokens);
    for (const std::string& token : tokens) s.longest_token_bytes = std::max(s.longest_token_bytes, token.size());
    s.byte_tokens.fill(-1);

    const auto byte_to_character = detail::byte_to_character_table();
    const auto character_to_byte = detail::character_to_byte_table();
    switch (s.vocab.model) {
        case tokenizer_model::byte_level_bpe: {
            for (size_t byte = 0; byte < 256; ++byte) {
                detail::unicode::append_utf8(s.byte_characters[byte], byte_to_character[byte]);
                s.byte_tokens[byte] = s.find_text_token(s.byte_characters[byte]);
            }
            s.merges.reserve(s.vocab.merges.size());
            for (size_t rank = 0; rank < s.vocab.merges.size(); ++rank) {
                const std::string& merge = s.vocab.merges[rank];
                // The separator is the first space after the first character:
                // byte-level tokens never contain a space, but be exact anyway.
                const size_t space = merge.find(' ', 1);
                auto bad = [&](const std::string& why) {
                    return vocabulary_error("tokenizer.ggml.merges: element " + std::to_string(rank) + " (\"" + merge +
                                            "\") " + why);
                };
                if (space == std::string::npos || space + 1 >= merge.size()) return bad("is not two tokens separated by a space");
                const std::string_view left(merge.data(), space);
                const std::string_view right(merge.data() + space + 1, merge.size() - space - 1);
                const int32_t left_id = s.text_index.find(left);
                const int32_t right_id = s.text_index.find(right);
                const int32_t result_id = s.text_index.find(std::string(left) + std::string(right));
                if (left_id < 0 || right_id < 0) return bad("names a token that is not in the vocabulary");
                if (result_id < 0) return bad("merges into a token that is not in the vocabulary");
                s.merges.insert(left_id, right_id, {static_cast<int32_t>(rank), result_id});
            }
            break;
        }
        case tokenizer_model::sentencepiece:
            s.spm_words_are_independent = true;
            for (size_t id = 0; id < n_vocab && s.spm_words_are_independent; ++id) {
                const std::string& token = tokens[id];
                size_t leading = 0;
                while (token.compare(leading, 3, "\xE2\x96\x81") == 0) leading += 3;
                if (token.find("\xE2\x96\x81", leading) != std::string::npos) s.spm_words_are_independent = false;
            }
            for (size_t id = 0; id < n_vocab; ++id) {
                const int byte = detail::parse_byte_token(tokens[id]);
                if (byte >= 0 && s.byte_tokens[static_cast<size_t>(byte)] < 0 &&
                    s.type_of(static_cast<int32_t>(id)) == token_type::byte)
                    s.byte_tokens[static_cast<size_t>(byte)] = static_cast<int32_t>(id);
            }
            break;
        case tokenizer_model::wordpiece: {
            size_t marked_continuations = 0, marked_word_starts = 0;
            for (const std::string& token : tokens) {
                marked_continuations += token.size() > 2 && token.compare(0, 2, "##") == 0;
                marked_word_starts += token.size() > 3 && token.compare(0, 3, "\xE2\x96\x81") == 0;
            }
            if (marked_word_starts > marked_continuations) {
                s.word_start_prefix = "\xE2\x96\x81";
                s.continuation_prefix.clear();
            }
            break;
        }
    }

    // Decoded bytes of every token.
    s.piece_offsets.reserve(n_vocab + 1);
    s.visibility.reserve(n_vocab);
    s.end_of_generation.assign(n_vocab, 0);
    for (size_t index = 0; index < n_vocab; ++index) {
        const auto id = static_cast<int32_t>(index);
        const std::string& text = tokens[index];
        const token_type type = s.type_of(id);
        // A piece is at most one byte longer than its token's text; offsets are 32-bit.
        if (text.size() >= UINT32_MAX / 2 || s.piece_bytes.size() + text.size() + 1 >= UINT32_MAX)
            return vocabulary_error("tokenizer.ggml.tokens: the vocabulary's text is too large");
        s.piece_offsets.push_back(static_cast<uint32_t>(s.piece_bytes.size()));
        const bool hidden = type == token_type::control || type == token_type::unused;
        s.visibility.push_back(hidden ? detail::piece_visibility::special
                               : type == token_type::unknown ? detail::piece_visibility::unknown
                                                             : detail::piece_visibility::text);
        std::string& piece = s.piece_bytes;
        switch (s.vocab.model) {
            case tokenizer_model::byte_level_bpe: {
                // Hugging Face's ByteLevel decoder: map each character back to
                // its byte; a token with a character outside the map (an added
                // token written as plain text) is used verbatim.
                const size_t start = piece.size();
                bool mapped = !hidden && type != token_type::unknown;
                for (size_t i = 0; mapped && i < text.size();) {
                    const detail::unicode::utf8_char c = detail::unicode::decode_utf8(text, i);
                    const int byte = c.valid && c.code_point < character_to_byte.size() ? character_to_byte[c.code_point] : -1;
                    if (byte < 0) mapped = false;
                    else piece.push_back(static_cast<char>(byte));
                    i += c.length;
                }
                if (!mapped) {
                    piece.resize(start);
                    piece += text;
                }
                break;
            }
            case tokenizer_model::sentencepiece: {
                const int byte = type == token_type::byte ? detail::parse_byte_token(text) : -1;
                if (byte >= 0) {
                    piece.push_back(static_cast<char>(byte));
                } else if (hidden || type == token_type::unknown) {
                    piece += text;
                } else {
                    for (size_t i = 0; i < text.size(); ++i) {
                        if (text.compare(i, 3, "\xE2\x96\x81") == 0) {
                            piece.push_back(' ');
                            i += 2;
                        } else {
                            piece.push_back(text[i]);
                        }
                    }
                }
                break;
            }
            case tokenizer_model::wordpiece: {
                // Words are separated by a space; continuations are glued on.
                const std::string& word_start = s.word_start_prefix;
                const std::string& continuation = s.continuation_prefix;
                const bool plain = !hidden && type != token_type::unknown;
                if (plain && !word_start.empty() && text.size() > word_start.size() && text.compare(0, word_start.size(), word_start) == 0) {
                    piece.push_back(' ');
                    piece.append(text, word_start.size(), std::string::npos);
                } else if (plain && !continuation.empty() && text.size() > continuation.size() &&
                           text.compare(0, continuation.size(), continuation) == 0) {
                    piece.append(text, continuation.size(), std::string::npos);
                } else if (plain && continuation.empty()) {
                    piece += text;  // a bare continuation
                } else {
                    piece.push_back(' ');
                    piece += text;
                }
                break;
            }
        }
        // Special-token matching and end-of-generation markers.
        if (!text.empty()) {
            if (type == token_type::user_defined) {
                s.matchable_always.push_back(id);
                s.matchable_special.push_back(id);
            } else if (type == token_type::control || type == token_type::unknown) {
                s.matchable_special.push_back(id);
            }
        }
        if (type == token_type::control && detail::is_end_marker_name(text)) s.end_of_generation[index] = 1;
    }
    s.piece_offsets.push_back(static_cast<uint32_t>(s.piece_bytes.size()));
    detail::sort_for_matching(s.matchable_always, tokens);
    detail::sort_for_matching(s.matchable_special, tokens);

    // EOT defaults to the first end-of-turn marker present, as llama.cpp does.
    if (s.vocab.eot == no_token) {
        for (const char* name : {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>"}) {
            const int32_t id = s.text_index.find(name);
            if (id >= 0 && s.type_of(id) == token_type::control) {
                s.vocab.eot = id;
                break;
            }
        }
    }
    for (int32_t id : {s.vocab.eos, s.vocab.eot, s.vocab.eom})
        if (id != no_token) s.end_of_generation[static_cast<size_t>(id)] = 1;
    return tokenizer(std::move(state));
}

inline const detail::tokenizer_state& detail::tokenizer_access::state(const tokenizer& tok) { return *tok.state_; }

inline result<tokenizer> tokenizer::from_gguf(const gguf_file& file) {
    auto vocab = vocabulary_from_gguf(file);
    if (!vocab) return vocab.error();
    auto created = create(std::move(*vocab));
    if (!created) return make_error(created.error().code, file.source_name() + ": " + created.error().message);
    return created;
}

inline std::vector<int32_t> tokenizer::encode(std::string_view text, encode_options options) const {
    std::vector<int32_t> out;
    out.reserve(text.size() / 3 + 4);
    encode(text, out, options);
    return out;
}

inline void tokenizer::encode(std::string_view text, std::vector<int32_t>& out, encode_options options) const {
    const detail::tokenizer_state& s = *state_;
    if (options.add_bos && s.vocab.bos != no_token) out.push_back(s.vocab.bos);
    detail::bpe_scratch bpe;
    detail::spm_scratch spm;

    // Split around special tokens: at each position take the longest
    // matchable token starting there (Hugging Face's leftmost-longest).
    const std::vector<int32_t>& candidates = options.parse_special ? s.matchable_special : s.matchable_always;
    std::array<uint32_t, 257> first_byte_start{};
    if (!candidates.empty()) {
        std::array<uint32_t, 256> counts{};
        for (int32_t id : candidates) ++counts[static_cast<unsigned char>(s.vocab.tokens[static_cast<size_t>(id)][0])];
        for (size_t byte = 0; byte < 256; ++byte) first_byte_start[byte + 1] = first_byte_start[byte] + counts[byte];
    }
    size_t fragment_start = 0;
    bool after_special = true;  // SentencePiece prefixes a space to text that starts the input or follows a special token
    for (size_t i = 0; i < text.size() && !candidates.empty(); ++i) {
        const auto byte = static_cast<unsigned char>(text[i]);
        int32_t matched = no_token;
        for (uint32_t k = first_byte_start[byte]; k < first_byte_start[byte + 1]; ++k) {
            const std::string& token = s.vocab.tokens[static_cast<size_t>(candidates[k])];
            if (text.size() - i >= token.size() && text.compare(i, token.size(), token) == 0) {
                matched = candidates[k];
                break;
            }
        }
        if (matched == no_token) continue;
        if (i > fragment_start) {
            encode_fragment(text.substr(fragment_start, i - fragment_start), after_special, out, bpe, spm);
        }
        out.push_back(matched);
        after_special = true;
        i += s.vocab.tokens[static_cast<size_t>(matched)].size() - 1;
        fragment_start = i + 1;
    }
    if (fragment_start < text.size()) encode_fragment(text.substr(fragment_start), after_special, out, bpe, spm);

    if (options.add_bos) {
        if (s.vocab.add_eos && s.vocab.eos != no_token) out.push_back(s.vocab.eos);
        if (s.vocab.add_separator && s.vocab.separator != no_token) out.push_back(s.vocab.separator);
    }
}

inline void tokenizer::encode_fragment(std::string_view text, bool after_special, std::vector<int32_t>& out,
                                       detail::bpe_scratch& bpe, detail::spm_scratch& spm) const {
    const detail::tokenizer_state& s = *state_;
    switch (s.vocab.model) {
        case tokenizer_model::byte_level_bpe: detail::bpe_encode_text(s, text, out, bpe); break;
        case tokenizer_model::sentencepiece:
            detail::spm_encode_text(s, text, after_special && s.vocab.add_space_prefix, out, spm);
            break;
        case tokenizer_model::wordpiece: detail::wordpiece_encode_text(s, text, out); break;
    }
}

inline std::string_view tokenizer::visible_piece(int32_t id, const decode_options& options) const {
    if (!in_range(id)) return {};
    static constexpr std::string_view replacement = " \xEF\xBF\xBD";  // U+FFFD, with WordPiece's separator
    switch (state_->visibility[static_cast<size_t>(id)]) {
        case detail::piece_visibility::text: return state_->piece(id);
        case detail::piece_visibility::special: return options.render_special ? state_->piece(id) : std::string_view();
        case detail::piece_visibility::unknown:
            if (options.render_special) return state_->piece(id);
            return model() == tokenizer_model::wordpiece ? replacement : replacement.substr(1);
    }
    return {};
}

inline std::string tokenizer::token_to_piece(int32_t id, bool render_special) const {
    decode_options options;
    options.render_special = render_special;
    return std::string(visible_piece(id, options));
}

inline std::string tokenizer::decode(const std::vector<int32_t>& ids, decode_options options) const {
    std::string out;
    bool at_start = options.strip_leading_space && strips_first_space();
    for (int32_t id : ids) {
        std::string_view piece = visible_piece(id, options);
        if (piece.empty()) continue;
        if (at_start && piece[0] == ' ') piece.remove_prefix(1);  // only the first visible piece
        at_start = false;
        out += piece;
    }
    return out;
}

inline size_t streaming_decoder::push(int32_t id, std::string& out) {
    std::string_view piece = tok_.visible_piece(id, options_);
    if (piece.empty()) return 0;
    if (at_start_) {
        // Mirrors decode(): the first visible piece loses its added space.
        at_start_ = false;
        if (options_.strip_leading_space && tok_.strips_first_space() && piece[0] == ' ') piece.remove_prefix(1);
        if (piece.empty()) return 0;
    }
    pending_ += piece;
    // Hold back a trailing sequence that is a valid UTF-8 prefix but not yet
    // a whole character; everything before it is complete (or hopeless).
    size_t keep_from = pending_.size();
    const size_t size = pending_.size();
    for (size_t back = 1; back <= 3 && back <= size; ++back) {
        const auto byte = static_cast<unsigned char>(pending_[size - back]);
        if ((byte & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
        const size_t needed = detail::unicode::utf8_sequence_length(byte);
        if (needed > back) {
            // Check the continuation bytes so far fit this lead (E0, ED, F0, F4 narrow the second byte).
            bool viable = true;
            for (size_t k = 1; k < back && viable; ++k) {
                const auto next = static_cast<unsigned char>(pending_[size - back + k]);
                unsigned char low = 0x80, high = 0xBF;
                if (k == 1) {
                    if (byte == 0xE0) low = 0xA0;
                    if (byte == 0xED) high = 0x9F;
                    if (byte == 0xF0) low = 0x90;
                    if (byte == 0xF4) high = 0x8F;
                }
                viable = next >= low && next <= high;
            }
            if (viable) keep_from = size - back;
        }
        break;
    }
    out.append(pending_, 0, keep_from);
    pending_.erase(0, keep_from);
    return keep_from;
}

}  // namespace ember
