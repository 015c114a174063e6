// Generation: greedy continuations against the reference goldens, the stop
// conditions, the step API, streaming of whole UTF-8 characters, and
// `generate()` end to end on the real TinyStories model.
#include <ember/model/model.hpp>
#include <ember/runtime/context.hpp>
#include <ember/runtime/generate.hpp>
#include <ember/tokenizer/tokenizer.hpp>

#include <doctest/doctest.h>

#include "golden.hpp"
#include "command_runner.hpp"
#include "test_data.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

// Counting global allocations, to check the token loop allocates nothing.
static std::atomic<size_t> allocation_count{0};
static void* counted_allocation(size_t size) {
    ++allocation_count;
    return std::malloc(size ? size : 1);
}
// Every replaceable form but the aligned ones (left to the runtime, which
// pairs them itself), so that under ASan no allocation and release mismatch.
void* operator new(size_t size) {
    if (void* pointer = counted_allocation(size)) return pointer;
    std::abort();
}
void* operator new[](size_t size) { return operator new(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return counted_allocation(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return counted_allocation(size); }
// (GCC cannot see that operator new is replaced, hence the pragma.)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete[](void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, size_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, size_t) noexcept { std::free(pointer); }
void operator delete(void* pointer, const std::nothrow_t&) noexcept { std::free(pointer); }
void operator delete[](void* pointer, const std::nothrow_t&) noexcept { std::free(pointer); }
#pragma GCC diagnostic pop

namespace {

using namespace ember;

struct loaded_model {
    std::shared_ptr<const model> weights;
    std::optional<tokenizer> text;  // tokenizer has no empty state
    std::unique_ptr<context> runner;
    const tokenizer& tok() const { return *text; }
    context& ctx() { return *runner; }
};

// Loads ../shared/models/<file>; nullopt (after SKIPPED) when absent.
std::optional<loaded_model> load(const std::string& file, uint32_t n_ctx = 256) {
    const std::string path = ember_test::shared_path("models/" + file);
    if (path.empty()) return std::nullopt;
    auto model = ember::model::load(path);
    REQUIRE(model.has_value());
    auto tok = tokenizer::from_gguf((*model)->file());
    REQUIRE(tok.has_value());
    context_params params;
    params.n_ctx = n_ctx;
    auto ctx = context::create(*model, params);
    REQUIRE(ctx.has_value());
    loaded_model out;
    out.weights = *model;
    out.text.emplace(std::move(tok).value());
    out.runner = std::move(ctx).value();
    return out;
}

generation_options greedy_options(int64_t max_tokens) {
    generation_options options;
    sampler_settings settings;
    settings.temperature = 0.0f;
    options.sampling = settings.chain();
    options.max_tokens = max_tokens;
    return options;
}

generation_options sampled_options(uint64_t seed, int64_t max_tokens) {
    generation_options options;
    sampler_settings settings;
    settings.temperature = 1.0f;
    settings.top_k = 0;
    settings.top_p = 1.0f;
    settings.min_p = 0.0f;
    settings.seed = seed;
    options.sampling = settings.chain();
    options.max_tokens = max_tokens;
    return options;
}

struct streamed {
    generation_result result;
    std::vector<std::string> pieces;
    std::string joined() const {
        std::string out;
        for (const std::string& piece : pieces) out += piece;
        return out;
    }
};

streamed run(loaded_model& m, std::string_view prompt, const generation_options& options) {
    streamed out;
    auto result = generate(m.ctx(), m.tok(), prompt, options, [&](std::string_view piece) {
        out.pieces.emplace_back(piece);
        return true;
    });
    REQUIRE_MESSAGE(result.has_value(), (result ? "" : result.error().message));
    out.result = std::move(result).value();
    return out;
}

bool valid_utf8(std::string_view text) { return to_valid_utf8(text) == text; }

// A logits processor that forces the given tokens, one per step.
struct forced_tokens {
    std::vector<int32_t> sequence;
    std::shared_ptr<size_t> step = std::make_shared<size_t>(0);
    void operator()(float* logits, size_t n_vocab) const {
        const size_t i = (*step)++;
        for (size_t v = 0; v < n_vocab; ++v) logits[v] = -INFINITY;
        if (i < sequence.size()) logits[static_cast<size_t>(sequence[i])] = 0.0f;
    }
};

}  // namespace

TEST_CASE("generate: greedy continuations match the reference implementation") {
    // Prompt tokenization (BOS per model, special tokens parsed), prefill and
    // the KV-cached decode loop, checked against golden/logits/*.json.
    for (const char* name : {"stories260K", "llama3-tiny-f16", "qwen3-tiny-f16", "qwen2-tiny-f16", "gpt2-tiny-f32"}) {
        CAPTURE(name);
        const ember_test::golden_model golden = ember_test::load_golden(name);
        if (golden.model_path.empty()) continue;
        auto m = load(golden.model_path.substr(golden.model_path.rfind('/') + 1));
        REQUIRE(m.has_value());
        for (const ember_test::golden_case& reference : golden.cases) {
            CAPTURE(reference.prompt);
            generation_options options = greedy_options(static_cast<int64_t>(reference.greedy.size()));
            options.stop_at_end_of_generation = false;
            const streamed out = run(*m, reference.prompt, options);
            auto again = generation::create(m->ctx(), m->tok(), options);
            REQUIRE(again.has_value());
            REQUIRE(again->begin(reference.prompt).has_value());
            CHECK(again->prompt_tokens() == reference.tokens);
            CHECK(out.result.tokens == reference.greedy);
            CHECK(out.result.reason == stop_reason::max_tokens);
            CHECK(out.joined() == out.result.text);
        }
    }
}

TEST_CASE("generate: stories260K greedy from BOS is a fluent children's story") {
    auto m = load("stories260K.gguf", 512);
    if (!m) return;
    const streamed out = run(*m, "", greedy_options(200));
    MESSAGE(out.result.text);
    CHECK(out.result.n_prompt_tokens == 1);  // BOS alone
    CHECK(out.result.text.rfind("Once upon a time", 0) == 0);
    // English, not word salad: every word is letters (and an apostrophe),
    // and most running words are among the commonest English words.
    static const std::set<std::string> common = {
        "the", "a", "an", "and", "to", "was", "he", "she", "it", "they", "her", "his", "of", "in", "on", "with",
        "is", "that", "said", "i", "you", "day", "one", "there", "time", "upon", "once", "little", "big", "play",
        "wanted", "saw", "so", "but", "not", "do", "what", "go", "went", "let's", "we", "mom", "very", "had",
        "have", "be", "for", "at", "were", "all", "up", "too", "can", "did", "didn't", "know", "happy", "sad",
        "loved", "named", "girl", "boy", "friend", "friends", "park", "toy", "toys", "ball", "red", "outside",
        "lily", "tom", "ben", "sorry", "help", "find", "can't", "i'm", "my", "your", "me", "him", "them", "out",
        "then", "when", "this", "are", "good", "fun", "like", "came", "play", "played", "together"};
    std::istringstream words(out.result.text);
    std::string word;
    size_t n_words = 0, n_common = 0, n_malformed = 0;
    while (words >> word) {
        std::string bare;
        for (char c : word)
            if (std::isalpha(static_cast<unsigned char>(c)) || c == '\'') bare += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (char c : word)
            if (!std::isalpha(static_cast<unsigned char>(c)) && !std::strchr("'.,!?\"", c)) ++n_malformed;
        if (bare.empty()) continue;
        ++n_words;
        n_common += common.count(bare);
    }
    CHECK(n_words > 80);
    CHECK(n_malformed == 0);
    MESSAGE(n_common, " of ", n_words, " words are among the commonest");
    CHECK(static_cast<double>(n_common) / static_cast<double>(n_words) > 0.5);
}

TEST_CASE("generate: seeds, top-k 1 and greedy") {
    auto m = load("stories260K.gguf", 512);
    if (!m) return;
    const streamed first = run(*m, "Once upon a time", sampled_options(1234, 80));
    const streamed same = run(*m, "Once upon a time", sampled_options(1234, 80));
    const streamed other = run(*m, "Once upon a time", sampled_options(1235, 80));
    CHECK(first.result.tokens == same.result.tokens);
    CHECK(first.result.text == same.result.text);
    CHECK(first.result.tokens != other.result.tokens);

    // --top-k 1 is greedy whatever the temperature and seed
    const streamed greedy = run(*m, "Once upon a time", greedy_options(80));
    for (uint64_t seed : {1u, 2u, 3u}) {
        generation_options options = sampled_options(seed, 80);
        sampler_settings settings;
        settings.top_k = 1;
        settings.temperature = 1.7f;
        settings.seed = seed;
        options.sampling = settings.chain();
        CHECK(run(*m, "Once upon a time", options).result.tokens == greedy.result.tokens);
    }
    // sampling with settings that leave only the top token is greedy too
    CHECK(first.result.tokens != greedy.result.tokens);
}

TEST_CASE("generate: stop strings end the text before them and are never emitted") {
    auto m = load("stories260K.gguf", 512);
    if (!m) return;
    for (bool sampled : {false, true}) {
        auto options_for = [&](std::vector<std::string> stop) {
            generation_options options = sampled ? sampled_options(77, 200) : greedy_options(200);
            options.stop = std::move(stop);
            return options;
        };
        const std::string full = run(*m, "", options_for({})).result.text;
        // Whole tokens, spans across tokens, inside a token, punctuation, newline.
        for (const char* stop : {"Lily", "girl named", "e, th", "ime", ". ", "\n", "ed", "One day,", "a"}) {
            CAPTURE(sampled);
            CAPTURE(stop);
            const size_t at = full.find(stop);
            if (at == std::string::npos) continue;
            const streamed out = run(*m, "", options_for({stop}));
            CHECK(out.result.reason == stop_reason::stop_string);
            CHECK(out.result.text == full.substr(0, at));
            CHECK(out.joined() == out.result.text);
            CHECK(out.result.text.find(stop) == std::string::npos);
            for (const std::string& piece : out.pieces) CHECK(piece.find(stop) == std::string::npos);
        }
        // several stop strings: the earliest wins
        const streamed out = run(*m, "", options_for({"zzz never", "time", "Once"}));
        CHECK(out.result.text.empty());
        CHECK(out.result.reason == stop_reason::stop_string);
        // a stop string that never occurs withholds nothing in the end
        const streamed never = run(*m, "", options_for({"Lily!?x"}));
        CHECK(never.result.text == full);
        CHECK(never.result.reason == stop_reason::max_tokens);
    }
}

TEST_CASE("generate: streaming emoji and CJK split across tokens gives whole characters") {
    const std::string text = "Hi \xF0\x9F\xA6\x99 llama! \xE4\xB8\xAD\xE6\x96\x87\xE5\xAD\x97\xE7\xAC\xA6 and "
                             "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7 caf\xC3\xA9 \xE2\x9C\x93";
    for (const char* file : {"stories260K.gguf", "llama3-tiny-f16.gguf", "qwen3-tiny-f16.gguf"}) {
        CAPTURE(file);
        auto m = load(file);
        if (!m) continue;
        const tokenizer& tok = m->tok();
        // Two spellings of the same text: the tokenizer's, and (byte-level
        // BPE) one token per byte, which splits every multi-byte character.
        std::vector<std::vector<int32_t>> sequences = {tok.encode(text)};
        if (tok.model() == tokenizer_model::byte_level_bpe) {
            std::vector<int32_t> bytes;
            for (unsigned char byte : text) {
                const int32_t id = tok.encode(std::string(1, static_cast<char>(byte)))[0];
                bytes.push_back(id);
            }
            sequences.push_back(bytes);
        }
        for (const std::vector<int32_t>& sequence : sequences) {
            CAPTURE(sequence.size());
            generation_options options = greedy_options(static_cast<int64_t>(sequence.size()));
            options.logits_processor = forced_tokens{sequence};
            // Prompt: BOS where the model has one, else a newline.
            const streamed out = run(*m, tok.add_bos_by_default() ? "" : "\n", options);
            REQUIRE(out.result.tokens == sequence);
            size_t split = 0;
            for (const std::string& piece : out.pieces) CHECK(valid_utf8(piece));
            split = sequence.size() - out.pieces.size();  // tokens that completed no character
            decode_options decoding;
            decoding.strip_leading_space = tok.add_bos_by_default();
            CHECK(out.joined() == text);
            CHECK(out.result.text == text);
            CHECK(tok.decode(sequence, decoding) == text);
            if (sequence.size() > 40) CHECK(split > 10);  // the byte spelling really split characters
        }
        // Bytes that never form a character arrive as U+FFFD, still whole.
        const int32_t lone_continuation = tok.model() == tokenizer_model::byte_level_bpe
                                              ? tok.encode("\x80")[0]
                                              : tok.find_token("<0x80>");
        REQUIRE(lone_continuation >= 0);
        const std::vector<int32_t> broken = {tok.encode("A")[0], lone_continuation, tok.encode("B")[0]};
        generation_options options = greedy_options(3);
        options.logits_processor = forced_tokens{broken};
        const streamed out = run(*m, tok.add_bos_by_default() ? "" : "\n", options);
        for (const std::string& piece : out.pieces) CHECK(valid_utf8(piece));
        CHECK(out.result.text.find("\xEF\xBF\xBD") != std::string::npos);
        CHECK(out.joined() == out.result.text);
    }
}

TEST_CASE("generate: end-of-generation tokens stop, and can be ignored") {
    struct end_marker {
        const char* file;
        const char* token;
    };
    for (end_marker marker : {end_marker{"stories260K.gguf", "</s>"}, end_marker{"llama3-tiny-f16.gguf", "<|eot_id|>"},
                              end_marker{"llama3-tiny-f16.gguf", "<|end_of_text|>"}, end_marker{"qwen3-tiny-f16.gguf", "<|im_end|>"},
                              end_marker{"qwen3-tiny-f16.gguf", "<|endoftext|>"}}) {
        CAPTURE(marker.token);
        auto m = load(marker.file);
        if (!m) continue;
        const int32_t end = m->tok().find_token(marker.token);
        REQUIRE(end >= 0);
        const int32_t word = m->tok().encode(" yes")[0];
        generation_options options = greedy_options(10);
        options.logits_processor = forced_tokens{{word, word, end, word, word}};
        const streamed stopped = run(*m, "\n", options);
        CHECK(stopped.result.reason == stop_reason::end_of_generation);
        CHECK(stopped.result.tokens == std::vector<int32_t>{word, word});

        options = greedy_options(5);
        options.logits_processor = forced_tokens{{word, word, end, word, word}};
        options.stop_at_end_of_generation = false;
        const streamed through = run(*m, "\n", options);
        CHECK(through.result.reason == stop_reason::max_tokens);
        CHECK(through.result.tokens.size() == 5);
        CHECK(through.result.text.find(marker.token) == std::string::npos);  // not rendered
        options.render_special = true;
        options.logits_processor = forced_tokens{{word, word, end, word, word}};
        const streamed rendered = run(*m, "\n", options);
        CHECK(rendered.result.text.find(marker.token) != std::string::npos);
    }
}

TEST_CASE("generate: token budget and a full context stop cleanly") {
    auto m = load("stories260K.gguf", 16);
    if (!m) return;
    generation_options budget = greedy_options(7);
    budget.stop_at_end_of_generation = false;
    const streamed seven = run(*m, "", budget);
    CHECK(seven.result.tokens.size() == 7);
    CHECK(seven.result.reason == stop_reason::max_tokens);

    const streamed none = run(*m, "", greedy_options(0));
    CHECK(none.result.tokens.empty());
    CHECK(none.result.text.empty());
    CHECK(none.result.reason == stop_reason::max_tokens);

    // n_ctx 16 holds BOS + 15 generated tokens; the 16th is sampled from the
    // last logits but cannot be evaluated.
    generation_options unlimited = greedy_options(-1);
    unlimited.stop_at_end_of_generation = false;
    const streamed full = run(*m, "", unlimited);
    CHECK(full.result.reason == stop_reason::context_full);
    CHECK(full.result.tokens.size() == 16);
    CHECK(m->ctx().n_past() == 16);

    // a prompt that does not fit is an error, reported as such
    auto g = generation::create(m->ctx(), m->tok(), unlimited);
    REQUIRE(g.has_value());
    auto too_long = g->begin(std::string(200, 'a'));
    REQUIRE_FALSE(too_long.has_value());
    CHECK(too_long.error().code == errc::context_full);
}

TEST_CASE("generate: the step API advances n tokens per call and cancels") {
    auto m = load("stories260K.gguf", 512);
    if (!m) return;
    generation_options options = sampled_options(99, 60);
    options.stop_at_end_of_generation = false;  // exactly 60 tokens
    const streamed whole = run(*m, "Once upon a time", options);

    auto g = generation::create(m->ctx(), m->tok(), options);
    REQUIRE(g.has_value());
    auto advance_before_begin = g->advance(1);
    CHECK_FALSE(advance_before_begin.has_value());
    REQUIRE(g->begin("Once upon a time").has_value());
    std::string text;
    size_t calls = 0;
    while (!g->done()) {
        auto step = g->advance(3);
        REQUIRE(step.has_value());
        CHECK(step->n_tokens <= 3);
        CHECK(valid_utf8(step->text));
        text += step->text;
        ++calls;
    }
    CHECK(calls == 20);
    CHECK(text == whole.result.text);
    CHECK(g->tokens() == whole.result.tokens);
    auto after = g->advance(5);
    REQUIRE(after.has_value());
    CHECK(after->done);
    CHECK(after->n_tokens == 0);
    CHECK(after->text.empty());

    // cancel() between steps, from another thread
    REQUIRE(g->begin("Once upon a time").has_value());
    REQUIRE(g->advance(4).has_value());
    std::thread([&] { g->cancel(); }).join();
    auto cancelled = g->advance(4);
    REQUIRE(cancelled.has_value());
    CHECK(cancelled->done);
    CHECK(cancelled->reason == stop_reason::cancelled);
    CHECK(cancelled->n_tokens == 0);
    CHECK(g->tokens().size() == 4);

    // a streaming callback returning false cancels
    size_t pieces = 0;
    auto stopped = generate(m->ctx(), m->tok(), "Once upon a time", options, [&](std::string_view) { return ++pieces < 3; });
    REQUIRE(stopped.has_value());
    CHECK(stopped->reason == stop_reason::cancelled);
    CHECK(pieces == 3);
    CHECK(stopped->tokens.size() < 10);
}

namespace {

// Threads of this process, from /proc/self/status ("Threads:"); 0 where
// there is no /proc (the check is then skipped).
size_t process_threads() {
    std::FILE* status = std::fopen("/proc/self/status", "r");
    if (!status) return 0;
    char line[256];
    size_t threads = 0;
    while (std::fgets(line, sizeof line, status))
        if (std::strncmp(line, "Threads:", 8) == 0) threads = static_cast<size_t>(std::strtoul(line + 8, nullptr, 10));
    std::fclose(status);
    return threads;
}

}  // namespace

TEST_CASE("generate: the step API starts no threads behind the caller's back") {
    const std::string path = ember_test::shared_path("models/stories260K.gguf");
    if (path.empty()) return;
    const size_t before = process_threads();
    if (before == 0) return;
    auto model = ember::model::load(path);
    REQUIRE(model.has_value());
    for (int n_threads : {1, 2}) {
        CAPTURE(n_threads);
        context_params params;
        params.n_ctx = 256;
        params.n_threads = n_threads;
        auto ctx = context::create(*model, params);
        REQUIRE(ctx.has_value());
        // The context's pool is the only source of threads: n_threads - 1
        // workers (the caller's thread works too), none for n_threads 1.
        const size_t with_context = process_threads();
        CHECK(with_context == before + static_cast<size_t>(n_threads - 1));
        generation_options options = sampled_options(3, 40);
        options.stop = {"never appears"};
        auto g = generation::create(**ctx, (*model)->tokenizer(), options);
        REQUIRE(g.has_value());
        REQUIRE(g->begin("Once upon a time").has_value());
        CHECK(process_threads() == with_context);
        while (!g->done()) {
            auto step = g->advance(2);
            REQUIRE(step.has_value());
            CHECK(process_threads() == with_context);
        }
        g->cancel();
        CHECK(process_threads() == with_context);
        // generate() with a streaming callback: the same, on the caller's thread.
        size_t pieces = 0;
        auto whole = generate(**ctx, "Once upon a time", options, [&](std::string_view) {
            CHECK(process_threads() == with_context);
            return ++pieces < 5;
        });
        REQUIRE(whole.has_value());
        CHECK(whole->reason == stop_reason::cancelled);
    }
    CHECK(process_threads() == before);  // the pools' workers are joined with their contexts
}

TEST_CASE("generate: errors are reported, not crashes") {
    auto qwen = load("qwen3-tiny-f16.gguf");
    if (qwen) {
        // Qwen adds no BOS: an empty prompt leaves nothing to condition on
        auto g = generation::create(qwen->ctx(), qwen->tok(), greedy_options(4));
        REQUIRE(g.has_value());
        auto empty = g->begin("");
        REQUIRE_FALSE(empty.has_value());
        CHECK(empty.error().code == errc::invalid_argument);
        auto bad_id = g->begin(std::vector<int32_t>{5, -3});
        CHECK_FALSE(bad_id.has_value());
        auto huge_id = g->begin(std::vector<int32_t>{1 << 30});
        CHECK_FALSE(huge_id.has_value());
    }
    auto m = load("stories260K.gguf");
    if (m) {
        generation_options options = greedy_options(4);
        options.stop = {""};
        CHECK_FALSE(generation::create(m->ctx(), m->tok(), options).has_value());
        options.stop = {"ok\xC3"};
        CHECK_FALSE(generation::create(m->ctx(), m->tok(), options).has_value());
        options.stop = {};
        sampler_settings settings;
        settings.top_p = 1.5f;
        options.sampling = settings.chain();
        CHECK_FALSE(generation::create(m->ctx(), m->tok(), options).has_value());
    }
    // the overloads that use the model's own tokenizer
    if (m) {
        auto own = generate(m->ctx(), "Once upon a time", greedy_options(8));
        REQUIRE(own.has_value());
        auto explicit_tokenizer = generate(m->ctx(), m->tok(), "Once upon a time", greedy_options(8));
        REQUIRE(explicit_tokenizer.has_value());
        CHECK(own->tokens == explicit_tokenizer->tokens);
        auto by_ids = generate(m->ctx(), m->tok(), m->tok().encode("Once upon a time", {true, true}), greedy_options(8));
        REQUIRE(by_ids.has_value());
        CHECK(by_ids->tokens == own->tokens);
        auto g = generation::create(m->ctx(), greedy_options(8));
        CHECK(g.has_value());
    }
    auto bert = load("bert-tiny-f32.gguf", 64);
    if (bert) CHECK_FALSE(generation::create(bert->ctx(), bert->tok(), greedy_options(4)).has_value());
}

TEST_CASE("generate: keep_context continues after what the context holds") {
    auto m = load("stories260K.gguf", 512);
    if (!m) return;
    const std::string whole_prompt = "Once upon a time, there was a little girl";
    const streamed once = run(*m, whole_prompt, greedy_options(10));
    // The same prompt in two parts: a prefix evaluated by an earlier
    // generation, then the rest appended with keep_context.
    const std::vector<int32_t> whole = m->tok().encode(whole_prompt, {true, true});
    const std::vector<int32_t> prefix(whole.begin(), whole.begin() + 6);
    const std::vector<int32_t> rest(whole.begin() + 6, whole.end());
    auto first = generation::create(m->ctx(), m->tok(), greedy_options(5));
    REQUIRE(first.has_value());
    REQUIRE(first->begin(prefix).has_value());
    while (!first->done()) REQUIRE(first->advance(2).has_value());
    REQUIRE(m->ctx().truncate(prefix.size()).has_value());  // drop what the first one generated

    generation_options second = greedy_options(10);
    second.keep_context = true;
    auto g = generation::create(m->ctx(), m->tok(), second);
    REQUIRE(g.has_value());
    REQUIRE(g->begin(rest).has_value());
    CHECK(m->ctx().n_past() == whole.size());
    while (!g->done()) REQUIRE(g->advance(4).has_value());
    CHECK(g->tokens() == once.result.tokens);
    CHECK(g->text() == once.result.text);  // a continuation keeps its leading space
}

TEST_CASE("generate: the token loop allocates nothing") {
    auto m = load("stories260K.gguf", 512);
    if (!m) return;
    generation_options options = sampled_options(5, 300);
    options.stop = {"never appears at all"};
    auto g = generation::create(m->ctx(), m->tok(), options);
    REQUIRE(g.has_value());
    REQUIRE(g->begin("").has_value());
    REQUIRE(g->advance(8).has_value());  // warm-up
    const size_t before = allocation_count.load();
    size_t n = 0;
    while (!g->done() && n < 200) {
        auto step = g->advance(1);
        if (!step) break;
        n += step->n_tokens;
    }
    const size_t after = allocation_count.load();
    CHECK(n > 100);
    CHECK(after - before == 0);
}


TEST_CASE("ember run: streams only the generated text; flags as documented") {
    const std::string binary = ember_test::ember_binary();
    const std::string model = ember_test::shared_path("models/stories260K.gguf");
    if (binary.empty() || model.empty()) return;
    const std::string ember_run = binary + " run -m '" + model + "' -t 1 ";

    // -p "" is BOS alone; --temp 0 is greedy: the library's greedy text
    const ember_test::command_output story = ember_test::run_command(ember_run + "-p '' -n 200 --temp 0");
    CHECK(story.exit_code == 0);
    CHECK(story.err.empty());
    auto m = load("stories260K.gguf", 512);
    REQUIRE(m.has_value());
    CHECK(story.out == run(*m, "", greedy_options(200)).result.text);
    CHECK(story.out.rfind("Once upon a time", 0) == 0);

    // --top-k 1 equals greedy; seeds repeat; different seeds differ
    CHECK(ember_test::run_command(ember_run + "-p '' -n 200 --top-k 1 --temp 1.3 --seed 9").out == story.out);
    const std::string sampled = ember_run + "-p 'Once upon a time' -n 60 --temp 1 --top-k 0 --top-p 1 --min-p 0 --seed ";
    const ember_test::command_output seven = ember_test::run_command(sampled + "7");
    CHECK(seven.exit_code == 0);
    CHECK(ember_test::run_command(sampled + "7").out == seven.out);
    CHECK(ember_test::run_command(sampled + "8").out != seven.out);
    // every sampler flag parses
    CHECK(ember_test::run_command(ember_run + "-p 'Tom' -n 20 --temp 0.7 --top-k 30 --top-p 0.9 --min-p 0.02 --typical 0.95 "
                            "--repeat-penalty 1.2 --repeat-last-n 32 --presence-penalty 0.1 --frequency-penalty 0.1 "
                            "--seed 1 -c 128 --ignore-eos").exit_code == 0);

    // -l/--logit-bias ID-inf bans the greedy story's first token; +BIAS
    // on another token makes it the first one
    const std::vector<int32_t> story_tokens = m->tok().encode(story.out, {false, false});
    REQUIRE(!story_tokens.empty());
    const std::string first = std::to_string(story_tokens[0]);
    const ember_test::command_output banned = ember_test::run_command(ember_run + "-p '' -n 3 --temp 0 -l " + first + "-inf");
    CHECK(banned.exit_code == 0);
    CHECK(banned.out.rfind("Once", 0) != 0);
    const std::vector<int32_t> tom = m->tok().encode("Tom", {false, false});
    const ember_test::command_output pushed =
        ember_test::run_command(ember_run + "-p '' -n 1 --temp 0 --logit-bias " + std::to_string(tom[0]) + "+100 -l " + first + "-1");
    CHECK(pushed.exit_code == 0);
    CHECK(m->tok().encode(pushed.out, {false, false}).front() == tom[0]);

    // stop strings (repeatable) end the text before them
    const ember_test::command_output stopped = ember_test::run_command(ember_run + "-p '' -n 200 --temp 0 --stop 'zzz' --stop 'girl named'");
    CHECK(stopped.exit_code == 0);
    CHECK(stopped.out == story.out.substr(0, story.out.find("girl named")));

    // errors: one line on stderr, exit 1
    for (const char* bad : {"--top-p 2", "--top-k x", "--seed -5", "--bogus 1", "-n", "--temp nan", "-t 0", "-l 5", "-l x+1",
                            "-l 5+inf", "-l 5+1x", "-l 99999-inf"}) {
        CAPTURE(bad);
        const ember_test::command_output failed = ember_test::run_command(ember_run + "-p 'x' " + bad);
        CHECK(failed.exit_code == 1);
        CHECK(failed.out.empty());
        CHECK(std::count(failed.err.begin(), failed.err.end(), '\n') == 1);
    }
    const ember_test::command_output missing = ember_test::run_command(binary + " run -m /nonexistent.gguf -p x");
    CHECK(missing.exit_code == 1);
    CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
}
