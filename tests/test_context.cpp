// Context behaviour on small generated models: prefill equals token-by-token
// decode, overflow and bad ids are errors, truncate/reset, concurrent
// contexts on one shared model, and model validation errors.
#include <doctest/doctest.h>
#include <ember/runtime/context.hpp>

#include "test_data.hpp"
#include "tiny_model.hpp"

#include <cstring>
#include <thread>

using namespace ember_test;

namespace {

std::shared_ptr<const ember::model> load_tiny(const tiny_model_shape& shape = {}, const std::string& name = "tiny.gguf") {
    const std::string path = temp_path(name);
    REQUIRE(tiny_model_writer(shape).write_file(path));
    auto model = ember::model::load(path);
    std::remove(path.c_str());  // the mapping keeps the data alive (POSIX)
    REQUIRE_MESSAGE(model, (model ? "" : model.error().message));
    return *model;
}

std::string load_error(ember::gguf_writer writer) {
    const auto bytes = writer.to_bytes();
    auto file = ember::gguf_file::parse(bytes.data(), bytes.size(), "m.gguf");
    REQUIRE(file);
    auto model = ember::model::from_file(std::move(file).value());
    REQUIRE(!model);
    return model.error().message;
}

std::vector<int32_t> sample_tokens(size_t n) {
    std::vector<int32_t> tokens;
    for (size_t i = 0; i < n; ++i) tokens.push_back(static_cast<int32_t>((i * 37 + 11) % 96));
    return tokens;
}

}  // namespace

TEST_CASE("prefill of N tokens equals N single-token decode steps") {
    auto model = load_tiny();
    const auto tokens = sample_tokens(40);
    auto batch = ember::context::create(model, {128, 2, 16});  // 40 tokens in batches of 16
    auto single = ember::context::create(model, {128, 1, 0});
    REQUIRE(batch);
    REQUIRE(single);
    REQUIRE((*batch)->evaluate(tokens, ember::logits_for::all));
    const size_t n_vocab = (*batch)->n_vocab();
    double worst = 0.0, largest = 0.0;
    for (size_t t = 0; t < tokens.size(); ++t) {
        REQUIRE((*single)->evaluate({tokens[t]}));
        for (size_t v = 0; v < n_vocab; ++v) {
            worst = std::max(worst, double(std::fabs((*single)->logits()[v] - (*batch)->logits(t)[v])));
            largest = std::max(largest, double(std::fabs((*single)->logits()[v])));
        }
    }
    MESSAGE("max |prefill - decode| over 40 positions: " << worst << " (largest |logit| " << largest << ")");
    // Prefill sums in another order than decode; the f16 KV cache can then
    // round a key or value one f16 step (2^-11 relative) apart, which moves
    // logits by ~1e-5 of their scale. Anything structural is far larger.
    CHECK(worst < 1e-4 * largest);
}

TEST_CASE("decoding over a long cache: query heads sharing a kv head, read together or one by one, agree bit for bit") {
    // From 512 positions on, a single token's heads that share a kv head go
    // through attend_shared_kv together: one thread takes all 4 heads of a kv
    // head at once, eight threads one head each. Nothing else in a decode
    // step depends on the thread count.
    tiny_model_shape shape;
    shape.n_embd = 64, shape.n_head = 8, shape.n_head_kv = 2, shape.n_ctx = 1024;
    auto model = load_tiny(shape, "long.gguf");
    auto grouped = ember::context::create(model, {700, 1, 0});
    auto one_by_one = ember::context::create(model, {700, 8, 0});
    REQUIRE(grouped);
    REQUIRE(one_by_one);
    const auto tokens = sample_tokens(600);
    size_t differing = 0;
    for (size_t t = 0; t < tokens.size(); ++t) {
        REQUIRE((*grouped)->evaluate({tokens[t]}));
        REQUIRE((*one_by_one)->evaluate({tokens[t]}));
        differing += std::memcmp((*grouped)->logits(), (*one_by_one)->logits(), (*grouped)->n_vocab() * sizeof(float)) != 0;
    }
    CHECK(differing == 0);
}

TEST_CASE("context overflow and bad token ids are errors that leave the context usable") {
    auto model = load_tiny();
    auto context = ember::context::create(model, {16, 1, 0});
    REQUIRE(context);
    REQUIRE((*context)->evaluate(sample_tokens(10)));
    auto overflow = (*context)->evaluate(sample_tokens(7));
    REQUIRE(!overflow);
    CHECK(overflow.error().code == ember::errc::context_full);
    CHECK((*context)->n_past() == 10);
    auto bad = (*context)->evaluate({5, 96});
    REQUIRE(!bad);
    CHECK(bad.error().code == ember::errc::out_of_range);
    CHECK(bad.error().message.find("96") != std::string::npos);
    CHECK(!(*context)->evaluate({-1}));
    CHECK(!(*context)->evaluate(std::vector<int32_t>{}));
    CHECK((*context)->evaluate(sample_tokens(6)));
    CHECK((*context)->n_past() == 16);
    CHECK(!(*context)->evaluate({1}));
    CHECK((*context)->n_evaluated() == 16);  // refused calls evaluate nothing
}

TEST_CASE("truncate to a prefix then re-evaluate equals a fresh evaluation") {
    auto model = load_tiny();
    auto context = ember::context::create(model, {64, 1, 0});
    auto fresh = ember::context::create(model, {64, 1, 0});
    REQUIRE(context);
    REQUIRE(fresh);
    auto tokens = sample_tokens(20);
    REQUIRE((*context)->evaluate(tokens));
    REQUIRE((*context)->truncate(12));
    CHECK(!(*context)->truncate(13));
    std::vector<int32_t> tail = {3, 4, 5};
    REQUIRE((*context)->evaluate(tail));
    CHECK((*context)->n_evaluated() == 23);  // truncated positions were evaluated too
    std::vector<int32_t> expected(tokens.begin(), tokens.begin() + 12);
    expected.insert(expected.end(), tail.begin(), tail.end());
    REQUIRE((*fresh)->evaluate(expected));
    for (size_t v = 0; v < (*fresh)->n_vocab(); ++v) CHECK((*context)->logits()[v] == doctest::Approx((*fresh)->logits()[v]).epsilon(1e-5));
    (*context)->reset();
    CHECK((*context)->n_past() == 0);
}

TEST_CASE("several contexts on one model run concurrently and agree with a serial run") {
    auto model = load_tiny();
    const auto tokens = sample_tokens(30);
    auto reference = ember::context::create(model, {64, 1, 0});
    REQUIRE(reference);
    REQUIRE((*reference)->evaluate(tokens));
    const std::vector<float> expected((*reference)->logits(), (*reference)->logits() + (*reference)->n_vocab());

    constexpr int n_workers = 4;
    std::vector<std::vector<float>> results(n_workers);
    std::vector<std::thread> workers;
    for (int w = 0; w < n_workers; ++w)
        workers.emplace_back([&, w] {
            auto context = ember::context::create(model, {64, 2, 0});
            if (!context) return;
            for (int repeat = 0; repeat < 5; ++repeat) {
                (*context)->reset();
                if (!(*context)->evaluate(tokens)) return;
            }
            results[w].assign((*context)->logits(), (*context)->logits() + (*context)->n_vocab());
        });
    for (auto& worker : workers) worker.join();
    for (const auto& result : results) CHECK(result == expected);
}

TEST_CASE("model validation: unknown architecture, bad counts, wrong shapes, missing tensors") {
    tiny_model_shape shape;
    auto writer = tiny_model_writer(shape);
    writer.set("general.architecture", "mamba");
    CHECK(load_error(writer).find("unsupported architecture 'mamba'") != std::string::npos);

    writer = tiny_model_writer(shape);
    writer.set("llama.block_count", uint32_t{3});
    CHECK(load_error(writer).find("missing tensor 'blk.2.") != std::string::npos);

    writer = tiny_model_writer(shape);
    writer.set("llama.block_count", uint32_t{1});
    CHECK(load_error(writer).find("block_count 1 is smaller than the layers present") != std::string::npos);

    writer = tiny_model_writer(shape);
    writer.set("llama.attention.head_count_kv", uint32_t{3});
    CHECK(load_error(writer).find("not a multiple of head_count_kv 3") != std::string::npos);

    writer = tiny_model_writer(shape);
    writer.set("llama.attention.head_count", uint32_t{0});
    CHECK(load_error(writer).find("zero in") != std::string::npos);

    writer = tiny_model_writer(shape);
    writer.set("llama.feed_forward_length", uint32_t{65});
    CHECK(load_error(writer).find("tensor 'blk.0.ffn_up.weight' has shape 32 x 64, expected 32 x 65") != std::string::npos);

    writer = tiny_model_writer(shape);
    writer.set("llama.embedding_length", "wide");
    CHECK(load_error(writer).find("'llama.embedding_length': expected integer, found string") != std::string::npos);

    shape.n_layer = 1;
    ember::gguf_writer partial = tiny_model_writer(shape);
    partial.set("llama.block_count", uint32_t{1});
    auto bytes = partial.to_bytes();
    // drop output_norm by renaming it in the table: same length, different name
    const std::string needle = "output_norm.weight";
    auto at = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
    REQUIRE(at != bytes.end());
    *at = 'X';
    auto file = ember::gguf_file::parse(bytes.data(), bytes.size(), "m.gguf");
    REQUIRE(file);
    auto model = ember::model::from_file(std::move(file).value());
    REQUIRE(!model);
    CHECK(model.error().message.find("missing tensor 'output_norm.weight'") != std::string::npos);
}
