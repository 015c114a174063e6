// Embeddings API: texts in, vectors out (batch), every pooling mode, L2
// normalisation, encoders and decoders — checked against ../shared goldens.
//
// Decoder states have no golden of their own, but the output projection is
// linear: output·(pooled state) must equal the same pooling of the golden
// logits rows (last → the last row, cls → row 0, mean → the mean row, none →
// every row). That checks each pooling mode of a decoder independently.
#include <doctest/doctest.h>
#include <ember/runtime/embedding.hpp>

#include "command_runner.hpp"
#include "golden.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <cstdio>
#include <string>
#include <vector>

using namespace ember_test;

namespace {

std::shared_ptr<const ember::model> load_model(const std::string& path) {
    auto model = ember::model::load(path);
    REQUIRE_MESSAGE(model, (model ? "" : model.error().message));
    return *model;
}

double l2_norm(const std::vector<float>& values) {
    double sum = 0.0;
    for (float value : values) sum += static_cast<double>(value) * value;
    return std::sqrt(sum);
}

// rows × n_vocab logits for `states` (rows × n_embd) through the model's output head.
std::vector<float> project(const ember::model& model, const std::vector<float>& states) {
    const size_t embd = model.config().n_embd, vocab = model.config().n_vocab, rows = states.size() / embd;
    ember::thread_pool pool(1);
    ember::matmul_scratch scratch(1, embd, rows);
    std::vector<float> logits(rows * vocab);
    ember::matmul(model.weights().output, states.data(), rows, logits.data(), vocab, pool, scratch);
    return logits;
}

std::vector<std::string> prompts_of(const golden_model& golden) {
    std::vector<std::string> out;
    for (const auto& entry : golden.cases) out.push_back(entry.prompt);
    return out;
}

}  // namespace

TEST_CASE("a batch of texts gives the reference BERT embeddings, one vector per text") {
    for (const char* name : {"bert-tiny-f32", "bert-tiny-f32-mean"}) {
        const golden_model golden = load_golden(name);
        if (golden.model_path.empty()) return;
        auto model = load_model(golden.model_path);
        auto context = ember::context::create(model, {512, 2, 0});
        REQUIRE(context);
        const bool mean = std::string(name).find("mean") != std::string::npos;
        ember::embedding_options options;
        options.pooling_mode = mean ? ember::pooling::mean : ember::pooling::cls;
        if (!mean) options.pooling_mode.reset();  // bert-tiny declares CLS pooling: the default must pick it
        auto vectors = ember::embed_texts(**context, prompts_of(golden), options);
        REQUIRE_MESSAGE(vectors, (vectors ? "" : vectors.error().message));
        REQUIRE(vectors->size() == golden.cases.size());
        options.normalize = true;
        auto normalized = ember::embed_texts(**context, prompts_of(golden), options);
        REQUIRE(normalized);
        double worst = 0.0;
        for (size_t i = 0; i < golden.cases.size(); ++i) {
            INFO(name << " text " << i);
            const auto& reference = golden.cases[i].logits;
            auto tokens = ember::embedding_tokens(*model, golden.cases[i].prompt);
            REQUIRE(tokens);
            CHECK(*tokens == golden.cases[i].tokens);
            REQUIRE((*vectors)[i].size() == reference.size());
            const difference diff = compare((*vectors)[i].data(), reference.data(), reference.size());
            CHECK(diff.rms_ratio <= 1e-3);
            worst = std::max(worst, diff.rms_ratio);
            // normalised: unit length, and the reference's direction
            CHECK(l2_norm((*normalized)[i]) == doctest::Approx(1.0).epsilon(1e-6));
            std::vector<float> unit_reference = reference;
            ember::l2_normalize(unit_reference);
            CHECK(compare((*normalized)[i].data(), unit_reference.data(), reference.size()).rms_ratio <= 1e-3);
        }
        std::printf("embed_texts %-20s worst rms ratio %.3e over %zu texts\n", name, worst, golden.cases.size());
    }
}

TEST_CASE("decoder pooling modes match the reference logits through the output head") {
    const golden_model golden = load_golden("llama-qbase-f32");
    if (golden.model_path.empty()) return;
    auto model = load_model(golden.model_path);
    const size_t vocab = golden.n_vocab;
    // n_batch 5 is smaller than every prompt but the first: the states of
    // earlier batches must still reach the pooling.
    for (uint32_t n_batch : {0u, 5u}) {
        auto context = ember::context::create(model, {128, 2, n_batch});
        REQUIRE(context);
        double worst = 0.0;
        for (const golden_case& entry : golden.cases) {
            INFO("n_batch " << n_batch << " prompt: " << entry.prompt);
            REQUIRE(entry.all_positions);
            const size_t n = entry.tokens.size();
            REQUIRE(entry.logits.size() == n * vocab);
            std::vector<float> mean_row(vocab, 0.0f);
            for (size_t t = 0; t < n; ++t)
                for (size_t v = 0; v < vocab; ++v) mean_row[v] += entry.logits[t * vocab + v] / static_cast<float>(n);
            struct expectation {
                ember::pooling mode;
                const float* reference;
                size_t count;
            } expectations[] = {
                {ember::pooling::last, entry.logits.data() + (n - 1) * vocab, vocab},
                {ember::pooling::cls, entry.logits.data(), vocab},
                {ember::pooling::mean, mean_row.data(), vocab},
                {ember::pooling::none, entry.logits.data(), n * vocab},
                {ember::pooling::rank, entry.logits.data() + (n - 1) * vocab, vocab},  // decoders: the last token
            };
            for (const auto& expected : expectations) {
                INFO("pooling " << ember::to_string(expected.mode));
                auto state = ember::embed(**context, entry.tokens, expected.mode);
                REQUIRE_MESSAGE(state, (state ? "" : state.error().message));
                const std::vector<float> logits = project(*model, *state);
                REQUIRE(logits.size() == expected.count);
                const difference diff = compare(logits.data(), expected.reference, expected.count);
                CHECK(diff.rms_ratio <= 2e-3);  // shared/README.md's f32 bound
                worst = std::max(worst, diff.rms_ratio);
            }
        }
        std::printf("decoder pooling (n_batch %u): worst rms ratio %.3e\n", n_batch, worst);
    }
}

TEST_CASE("last-token embeddings of a Qwen3 decoder match the reference") {
    const golden_model golden = load_golden("qwen3-tiny-f16");
    if (golden.model_path.empty()) return;
    auto model = load_model(golden.model_path);
    auto context = ember::context::create(model, {256, 2, 0});
    REQUIRE(context);
    CHECK(ember::default_pooling(model->config()) == ember::pooling::last);
    auto vectors = ember::embed_texts(**context, prompts_of(golden));  // default pooling
    REQUIRE_MESSAGE(vectors, (vectors ? "" : vectors.error().message));
    for (size_t i = 0; i < golden.cases.size(); ++i) {
        INFO("text " << i);
        REQUIRE(!golden.cases[i].all_positions);
        const std::vector<float> logits = project(*model, (*vectors)[i]);
        CHECK(compare(logits.data(), golden.cases[i].logits.data(), logits.size()).rms_ratio <= 2e-3);
    }
}

TEST_CASE("token-list batches equal one-at-a-time embeddings") {
    const std::string path = shared_path("models/bert-tiny-f32.gguf");
    if (path.empty()) return;
    auto model = load_model(path);
    auto context = ember::context::create(model, {64, 1, 0});
    REQUIRE(context);
    const std::vector<std::vector<int32_t>> lists = {{101, 7592, 102}, {101, 2088, 2003, 102}, {101, 102}};
    auto batch = ember::embed_batch(**context, lists, {ember::pooling::mean, true, false});
    REQUIRE(batch);
    REQUIRE(batch->size() == 3);
    for (size_t i = 0; i < lists.size(); ++i) {
        auto single = ember::embed(**context, lists[i], ember::pooling::mean, true);
        REQUIRE(single);
        CHECK((*batch)[i] == *single);  // the context is reset for each: no cross-talk
    }
    CHECK(ember::cosine_similarity((*batch)[0], (*batch)[0]) == doctest::Approx(1.0f));
    CHECK(ember::cosine_similarity((*batch)[0], {}) == 0.0f);
}

TEST_CASE("embedding inputs that cannot be embedded are clear errors") {
    const std::string path = shared_path("models/bert-tiny-f32.gguf");
    if (path.empty()) return;
    auto model = load_model(path);
    auto context = ember::context::create(model, {16, 1, 0});
    REQUIRE(context);

    auto empty_text = ember::embed_texts(**context, {"fine", ""});
    REQUIRE(!empty_text);
    CHECK(empty_text.error().message.find("text 1") != std::string::npos);
    CHECK(empty_text.error().message.find("empty") != std::string::npos);

    CHECK(!ember::embed_texts(**context, {}));
    CHECK(!ember::embed_batch(**context, {}));
    auto no_tokens = ember::embed_batch(**context, {{101, 102}, {}});
    REQUIRE(!no_tokens);
    CHECK(no_tokens.error().message.find("input 1") != std::string::npos);

    // 16 positions: a long text is refused before anything runs, naming it
    std::string long_text;
    for (int i = 0; i < 40; ++i) long_text += "word ";
    auto too_long = ember::embed_texts(**context, {"short", long_text});
    REQUIRE(!too_long);
    CHECK(too_long.error().code == ember::errc::context_full);
    CHECK(too_long.error().message.find("text 1") != std::string::npos);

    auto bad_id = ember::embed(**context, {101, 99999999}, ember::pooling::cls);
    REQUIRE(!bad_id);
    CHECK(bad_id.error().code == ember::errc::out_of_range);
    auto bad_mode = ember::embed(**context, {101, 102}, static_cast<ember::pooling>(17));
    CHECK(!bad_mode);

    CHECK(ember::parse_pooling("mean").value() == ember::pooling::mean);
    CHECK(ember::parse_pooling("last").value() == ember::pooling::last);
    CHECK(!ember::parse_pooling("average"));
    CHECK(!ember::parse_pooling(""));

    // Hostile text (invalid UTF-8, control characters, special-token text) embeds like any text.
    auto hostile = ember::embed_text(**context, std::string("\xff\xfe[SEP]\x01 ok", 11));
    CHECK(hostile);
}

TEST_CASE("l2_normalize leaves zero vectors alone and scales others to unit length") {
    std::vector<float> zero(4, 0.0f);
    ember::l2_normalize(zero);
    CHECK(zero == std::vector<float>(4, 0.0f));
    std::vector<float> values = {3.0f, 4.0f};
    ember::l2_normalize(values);
    CHECK(values[0] == doctest::Approx(0.6f));
    CHECK(values[1] == doctest::Approx(0.8f));
}

TEST_CASE("ember embed writes the library's vectors: default pooling, --pooling, --normalize, a batch") {
    const std::string binary = ember_test::ember_binary();
    const std::string path = ember_test::shared_path("models/bert-tiny-f32.gguf");
    if (binary.empty() || path.empty()) return;
    auto model = load_model(path);
    auto context = ember::context::create(model, {512, 1, 0});
    REQUIRE(context);
    const std::string output = ember_test::temp_path("embed_cli.f32");
    const std::vector<std::string> texts = {"hello world", "ember runs models on the CPU"};
    for (const char* flags : {"", "--pooling mean", "--normalize", "--pooling mean --normalize"}) {
        CAPTURE(flags);
        const ember_test::command_output run = ember_test::run_command(binary + " embed -m '" + path + "' -t 1 -p '" + texts[0] +
                                                                       "' -p '" + texts[1] + "' -o '" + output + "' " + flags);
        REQUIRE(run.exit_code == 0);
        CHECK(run.out.find("\"dimensions\":64") != std::string::npos);
        const std::string bytes = ember_test::read_text(output);
        ember::embedding_options options;
        options.normalize = std::string(flags).find("--normalize") != std::string::npos;
        if (std::string(flags).find("mean") != std::string::npos) options.pooling_mode = ember::pooling::mean;
        options.parse_special = true;  // the command tokenizes like --special
        auto expected = ember::embed_texts(**context, texts, options);
        REQUIRE(expected);
        REQUIRE(bytes.size() == 2 * 64 * sizeof(float));
        for (size_t i = 0; i < texts.size(); ++i)
            CHECK(std::memcmp(bytes.data() + i * 64 * sizeof(float), (*expected)[i].data(), 64 * sizeof(float)) == 0);
    }
    std::remove(output.c_str());
    const ember_test::command_output bad = ember_test::run_command(binary + " embed -m '" + path + "' -p x -o '" + output + "' --pooling sideways");
    CHECK(bad.exit_code == 1);
    CHECK(std::count(bad.err.begin(), bad.err.end(), '\n') == 1);
}
