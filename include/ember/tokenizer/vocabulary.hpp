#pragma once
// A tokenizer vocabulary as plain data: the token strings, their scores and
// types, the BPE merges, the special ids and the flags — everything the
// GGUF `tokenizer.ggml.*` metadata carries. `vocabulary_from_gguf` reads it
// from a file; tests and programs may also fill one by hand. Nothing here is
// validated yet: `tokenizer::create` checks a vocabulary before using it.

#include "ember/error.hpp"
#include "ember/io/gguf.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum class token_type : int32_t {
    undefined = 0,
    normal = 1,
    unknown = 2,       // the <unk> / [UNK] token
    control = 3,       // BOS, EOS, <|im_start|>, …: never produced from plain text
    user_defined = 4,  // added tokens matched verbatim in text (e.g. Qwen's <think>)
    unused = 5,
    byte = 6,          // SentencePiece byte fallback <0xXX>
};

// tokenizer.ggml.model
enum class tokenizer_model {
    byte_level_bpe,  // "gpt2": GPT-2, Llama 3, Qwen — BPE over bytes mapped to printable characters
    sentencepiece,   // "llama": SentencePiece BPE by scores, ▁ for spaces, byte fallback
    wordpiece,       // "bert": BERT's basic tokenizer + greedy longest-match WordPiece
};

// How byte-level BPE splits text before merging (tokenizer.ggml.pre).
enum class pre_tokenizer {
    gpt2,    // "gpt-2", "default": GPT-2's regex, case-sensitive contractions, digit runs
    llama3,  // "llama-bpe", "llama3": case-insensitive contractions, digits in runs of ≤ 3
    qwen2,   // "qwen2": as llama3 but single digits, and NFC normalisation first
};

inline constexpr int32_t no_token = -1;

struct vocabulary {
    tokenizer_model model = tokenizer_model::byte_level_bpe;
    pre_tokenizer pre = pre_tokenizer::gpt2;
    std::vector<std::string> tokens;   // id → text as stored (byte-level: GPT-2's byte characters; SPM: ▁ for space)
    std::vector<float> scores;         // SentencePiece merge priorities; empty = all 0
    std::vector<token_type> types;     // empty = all normal
    std::vector<std::string> merges;   // byte-level BPE: "left right", rank = index

    // Special ids; no_token when the vocabulary has none.
    int32_t bos = no_token;        // for WordPiece: [CLS]
    int32_t eos = no_token;
    int32_t eot = no_token;        // end of turn (<|eot_id|>, <|im_end|>); found by name when not given
    int32_t eom = no_token;        // end of message (Llama 3.1 <|eom_id|>)
    int32_t unknown = no_token;
    int32_t padding = no_token;
    int32_t separator = no_token;  // WordPiece [SEP]
    int32_t mask = no_token;

    bool add_bos = false;          // framing the model expects around a whole input
    bool add_eos = false;
    bool add_separator = false;    // WordPiece: [SEP] after the text
    bool add_space_prefix = true;  // SentencePiece: "Hello" is encoded as "▁Hello"
    bool ignore_merges = false;    // byte-level BPE: a piece that is itself a token skips merging (Llama 3)
};

namespace detail {

inline result<pre_tokenizer> pre_tokenizer_from_name(std::string_view name) {
    // Names llama.cpp's converter writes, grouped by the regex they stand for.
    static constexpr std::string_view llama3_names[] = {"llama3", "llama-v3", "llama-bpe"};
    static constexpr std::string_view qwen2_names[] = {"qwen2", "deepseek-r1-qwen"};
    static constexpr std::string_view gpt2_names[] = {"gpt-2", "gpt2", "default", "phi-2"};
    for (std::string_view known : llama3_names)
        if (name == known) return pre_tokenizer::llama3;
    for (std::string_view known : qwen2_names)
        if (name == known) return pre_tokenizer::qwen2;
    for (std::string_view known : gpt2_names)
        if (name == known) return pre_tokenizer::gpt2;
    return make_error(errc::unsupported,
                      "tokenizer.ggml.pre: pre-tokenizer '" + std::string(name) + "' is not supported");
}

// A special id from metadata: absent → fallback; ggml's "none" (-1 stored
// as u32 0xFFFFFFFF) → no_token; anything else must name a token.
inline result<int32_t> read_special_id(const gguf_file& file, const char* key, int32_t fallback, size_t n_vocab) {
    auto value = file.get_or<int64_t>(key, fallback);
    if (!value) return value.error();
    const int64_t id = *value;
    if (id == -1 || id == 0xFFFFFFFFll) return no_token;
    if (id < 0 || static_cast<uint64_t>(id) >= n_vocab)
        return make_error(errc::out_of_range, file.source_name() + ": metadata key '" + key + "': token id " +
                                                  std::to_string(id) + " is outside the vocabulary of " +
                                                  std::to_string(n_vocab) + " tokens");
    return static_cast<int32_t>(id);
}

}  // namespace detail

// Read `tokenizer.ggml.*`. Required: model and tokens (and merges for
// byte-level BPE). Special ids missing from the file take the defaults
// llama.cpp uses for that model (when they exist in the vocabulary).
inline result<vocabulary> vocabulary_from_gguf(const gguf_file& file) {
    vocabulary vocab;
    auto model_name = file.get<std::string_view>("tokenizer.ggml.model");
    if (!model_name) return model_name.error();
    if (*model_name == "gpt2") vocab.model = tokenizer_model::byte_level_bpe;
    else if (*model_name == "llama") vocab.model = tokenizer_model::sentencepiece;
    else if (*model_name == "bert") vocab.model = tokenizer_model::wordpiece;
    else
        return make_error(errc::unsupported, file.source_name() + ": tokenizer.ggml.model '" +
                                                 std::string(*model_name) + "' is not supported (gpt2, llama, bert are)");

    auto tokens = file.get_array<std::string_view>("tokenizer.ggml.tokens");
    if (!tokens) return tokens.error();
    vocab.tokens.assign(tokens->begin(), tokens->end());
    const size_t n_vocab = vocab.tokens.size();

    if (file.contains("tokenizer.ggml.scores")) {
        auto scores = file.get_array<float>("tokenizer.ggml.scores");
        if (!scores) return scores.error();
        vocab.scores = std::move(*scores);
    }
    if (file.contains("tokenizer.ggml.token_type")) {
        auto types = file.get_array<int32_t>("tokenizer.ggml.token_type");
        if (!types) return types.error();
        vocab.types.reserve(types->size());
        for (size_t i = 0; i < types->size(); ++i) {
            const int32_t type = (*types)[i];
            if (type < 0 || type > static_cast<int32_t>(token_type::byte))
                return make_error(errc::invalid_file, file.source_name() + ": metadata key 'tokenizer.ggml.token_type': element " +
                                                          std::to_string(i) + " has unknown type " + std::to_string(type));
            vocab.types.push_back(static_cast<token_type>(type));
        }
    }

    // Defaults by model, as llama.cpp's loader sets them before reading keys.
    int32_t default_bos = no_token, default_eos = no_token, default_unknown = no_token;
    int32_t default_separator = no_token, default_padding = no_token, default_mask = no_token;
    bool default_add_bos = false, default_add_separator = false;
    switch (vocab.model) {
        case tokenizer_model::byte_level_bpe: {
            auto merges = file.get_array<std::string_view>("tokenizer.ggml.merges");
            if (!merges) return merges.error();
            vocab.merges.assign(merges->begin(), merges->end());
            auto pre_name = file.get_or<std::string_view>("tokenizer.ggml.pre", "default");
            if (!pre_name) return pre_name.error();
            auto pre = detail::pre_tokenizer_from_name(*pre_name);
            if (!pre) return make_error(pre.error().code, file.source_name() + ": " + pre.error().message);
            vocab.pre = *pre;
            // Llama 3's tokenizer.json sets ignore_merges, and llama.cpp adds BOS for it.
            vocab.ignore_merges = vocab.pre == pre_tokenizer::llama3;
            default_add_bos = vocab.pre == pre_tokenizer::llama3;
            break;
        }
        case tokenizer_model::sentencepiece:
            default_bos = 1, default_eos = 2, default_unknown = 0;
            default_add_bos = true;
            break;
        case tokenizer_model::wordpiece:
            default_bos = 101, default_unknown = 100, default_separator = 102, default_padding = 0, default_mask = 103;
            default_add_bos = true;
            default_add_separator = true;
            break;
    }
    auto in_vocab = [&](int32_t id) { return id >= 0 && static_cast<size_t>(id) < n_vocab ? id : no_token; };

    struct special_key {
        const char* key;
        int32_t* target;
        int32_t fallback;
    };
    // WordPiece files name [CLS] cls_token_id; it plays the BOS role.
    int32_t cls = no_token;
    const special_key specials[] = {
        {"tokenizer.ggml.bos_token_id", &vocab.bos, in_vocab(default_bos)},
        {"tokenizer.ggml.eos_token_id", &vocab.eos, in_vocab(default_eos)},
        {"tokenizer.ggml.eot_token_id", &vocab.eot, no_token},
        {"tokenizer.ggml.eom_token_id", &vocab.eom, no_token},
        {"tokenizer.ggml.unknown_token_id", &vocab.unknown, in_vocab(default_unknown)},
        {"tokenizer.ggml.padding_token_id", &vocab.padding, in_vocab(default_padding)},
        {"tokenizer.ggml.seperator_token_id", &vocab.separator, in_vocab(default_separator)},  // sic: ggml's spelling
        {"tokenizer.ggml.mask_token_id", &vocab.mask, in_vocab(default_mask)},
        {"tokenizer.ggml.cls_token_id", &cls, no_token},
    };
    for (const special_key& special : specials) {
        auto id = detail::read_special_id(file, special.key, special.fallback, n_vocab);
        if (!id) return id.error();
        *special.target = *id;
    }
    if (cls != no_token && !file.contains("tokenizer.ggml.bos_token_id")) vocab.bos = cls;

    struct flag_key {
        const char* key;
        bool* target;
        bool fallback;
    };
    const flag_key flags[] = {
        {"tokenizer.ggml.add_bos_token", &vocab.add_bos, default_add_bos},
        {"tokenizer.ggml.add_eos_token", &vocab.add_eos, false},
        {"tokenizer.ggml.add_sep_token", &vocab.add_separator, default_add_separator},
        {"tokenizer.ggml.add_space_prefix", &vocab.add_space_prefix, vocab.model == tokenizer_model::sentencepiece},
    };
    for (const flag_key& flag : flags) {
        auto value = file.get_or<bool>(flag.key, flag.fallback);
        if (!value) return value.error();
        *flag.target = *value;
    }
    return vocab;
}

}  // namespace ember
