// Conformance of the forward pass against ../shared/golden/logits: for every
// model and prompt, the reference tokens are evaluated and the logits compared
// (max|Δ| and rms ratio within the bounds of shared/README.md); the greedy
// continuation is compared token for token.
#include <doctest/doctest.h>
#include <ember/runtime/context.hpp>

#include "golden.hpp"

#include <algorithm>
#include <cstdio>

using namespace ember_test;

namespace {

int32_t argmax(const float* values, size_t n) {
    return static_cast<int32_t>(std::max_element(values, values + n) - values);
}

// Quantized models: shared/README asks greedy continuations to agree on
// the first 4 tokens and any later split to be explained by a near-tie (the
// reference's top-2 margin there is ~0.01). Ours: the logit of our choice
// and of the reference's differ by at most this much where they part.
constexpr float near_tie = 0.05f;

// The model's own tokenizer, used as `ember logits` uses it (BOS per the
// model, special tokens parsed), must give the reference's tokens exactly.
void check_tokens(const ember::model& model, const golden_case& entry) {
    REQUIRE(model.has_tokenizer());
    const ember::tokenizer& tokenizer = model.tokenizer();
    CHECK(tokenizer.encode(entry.prompt, {tokenizer.add_bos_by_default(), true}) == entry.tokens);
}

struct model_expectation {
    const char* name;
    double rms_bound;
    size_t greedy_must_match;  // tokens of the 24 that must agree (all on float models)
    bool copy = false;         // load_options::use_mmap = false: weights copied, 4/5-bit and Q6_K rows interleaved
};

void check_decoder(const model_expectation& expectation) {
    const golden_model golden = load_golden(expectation.name);
    if (golden.model_path.empty()) return;
    auto model = ember::model::load(golden.model_path, {!expectation.copy});
    REQUIRE_MESSAGE(model, (model ? "" : model.error().message));
    REQUIRE((*model)->config().n_vocab == golden.n_vocab);
    auto context = ember::context::create(*model, {512, 2, 0});
    REQUIRE(context);

    double worst_max = 0.0, worst_rms = 0.0;
    size_t greedy_agree_min = SIZE_MAX;
    for (const golden_case& entry : golden.cases) {
        INFO(expectation.name << " prompt: " << entry.prompt);
        check_tokens(**model, entry);
        (*context)->reset();
        const auto which = entry.all_positions ? ember::logits_for::all : ember::logits_for::last;
        auto evaluated = (*context)->evaluate(entry.tokens, which);
        REQUIRE_MESSAGE(evaluated, (evaluated ? "" : evaluated.error().message));
        const size_t n_vocab = golden.n_vocab;
        const size_t rows = entry.all_positions ? entry.tokens.size() : 1;
        REQUIRE(entry.logits.size() == rows * n_vocab);
        const float* actual = entry.all_positions ? (*context)->logits(0) : (*context)->logits();
        const difference diff = compare(actual, entry.logits.data(), rows * n_vocab);
        worst_max = std::max(worst_max, diff.max_abs);
        worst_rms = std::max(worst_rms, diff.rms_ratio);
        CHECK(diff.rms_ratio <= expectation.rms_bound);

        // Greedy continuation with the KV cache, one token at a time.
        size_t agree = 0;
        bool parted = false;
        for (size_t step = 0; step < entry.greedy.size(); ++step) {
            const float* logits = (*context)->logits();
            const int32_t next = argmax(logits, n_vocab);
            if (next != entry.greedy[step] && !parted) {
                parted = true;
                // A split must be a near-tie: the reference's token scores
                // within near_tie of ours in our logits.
                const float gap = logits[next] - logits[entry.greedy[step]];
                MESSAGE(expectation.name << ": greedy parts at step " << step << " (ours " << next << ", reference "
                                         << entry.greedy[step] << ", " << gap << " apart in our logits)");
                CHECK(gap <= near_tie);
            }
            if (!parted) ++agree;
            // follow the reference's path so later steps stay comparable
            REQUIRE((*context)->evaluate({entry.greedy[step]}));
        }
        greedy_agree_min = std::min(greedy_agree_min, agree);
        const bool agrees = agree >= std::min(expectation.greedy_must_match, entry.greedy.size());
        // Asserted in the avx2 and avx512 tiers, whose kernels reproduce the
        // reference's roundings where they show (tests/README.md); the generic
        // tier's portable products sum in other orders, and its quantized
        // greedy runs may part at other near-ties.
        if (ember::active_isa() != ember::isa::generic || expectation.greedy_must_match == 24) CHECK(agrees);
        else WARN(agrees);
    }
    const std::string label = std::string(expectation.name) + (expectation.copy ? " (no mmap)" : "");
    std::printf("| %-30s | %10.3e | %10.3e | %2zu/24 |\n", label.c_str(), worst_max, worst_rms, greedy_agree_min);
}

}  // namespace

TEST_CASE("decoder logits and greedy continuations match the reference") {
    std::printf("| model                          |   max|Δ|   |  rms ratio | greedy |\n");
    const model_expectation models[] = {
        {"stories260K", 2e-3, 24},         {"llama3-tiny-f16", 2e-3, 24},     {"qwen2-tiny-f16", 2e-3, 24},
        {"qwen3-tiny-f16", 2e-3, 24},      {"gpt2-tiny-f32", 2e-3, 24},       {"llama-qbase-f32", 2e-3, 24},
        {"llama-qbase-f16", 2e-3, 24},     {"llama-qbase-bf16", 6e-3, 24},    {"llama-qbase-q8_0", 3e-2, 4},
        {"llama-qbase-q4_0", 3e-2, 4},     {"llama-qbase-q4_1", 3e-2, 4},     {"llama-qbase-q5_0", 3e-2, 4},
        {"llama-qbase-q5_1", 3e-2, 4},     {"llama-qbase-q2_k", 3e-2, 4},     {"llama-qbase-q3_k_m", 3e-2, 4},
        {"llama-qbase-q4_k_m", 3e-2, 4},   {"llama-qbase-q5_k_m", 3e-2, 4},   {"llama-qbase-q6_k", 3e-2, 4},
        {"llama-qbase-q4_0", 3e-2, 4, true},     {"llama-qbase-q5_0", 3e-2, 4, true},     {"llama-qbase-q4_k_m", 3e-2, 4, true},
    };
    for (const auto& expectation : models) check_decoder(expectation);
}

#include <ember/runtime/classifier.hpp>

namespace {

// Pooled embeddings or head outputs of every golden prompt.
template <class Compute>
void check_pooled(const char* name, const Compute& compute) {
    const golden_model golden = load_golden(name);
    if (golden.model_path.empty()) return;
    auto model = ember::model::load(golden.model_path);
    REQUIRE_MESSAGE(model, (model ? "" : model.error().message));
    auto context = ember::context::create(*model, {512, 2, 0});
    REQUIRE(context);
    double worst_max = 0.0, worst_rms = 0.0;
    for (const golden_case& entry : golden.cases) {
        INFO(name << " prompt: " << entry.prompt);
        check_tokens(**model, entry);
        std::vector<float> actual = compute(**context, entry.tokens);
        REQUIRE(actual.size() == entry.logits.size());
        const difference diff = compare(actual.data(), entry.logits.data(), actual.size());
        worst_max = std::max(worst_max, diff.max_abs);
        worst_rms = std::max(worst_rms, diff.rms_ratio);
        CHECK(diff.rms_ratio <= 1e-3);  // issue 7's bound for these f32/f16 models
    }
    std::printf("| %-22s | %10.3e | %10.3e |   -    |\n", name, worst_max, worst_rms);
}

std::vector<float> head_outputs(ember::context& context, const std::vector<int32_t>& tokens, bool probabilities) {
    auto scores = ember::classify(context, tokens);
    REQUIRE_MESSAGE(scores, (scores ? "" : scores.error().message));
    if (probabilities) ember::to_probabilities(*scores);
    std::vector<float> out;
    for (const auto& entry : *scores) out.push_back(entry.score);
    return out;
}

}  // namespace

TEST_CASE("encoder embeddings and classification heads match the reference") {
    check_pooled("bert-tiny-f32", [](ember::context& context, const std::vector<int32_t>& tokens) {
        return *ember::embed(context, tokens, ember::pooling::cls);
    });
    check_pooled("bert-tiny-f32-mean", [](ember::context& context, const std::vector<int32_t>& tokens) {
        return *ember::embed(context, tokens, ember::pooling::mean);
    });
    check_pooled("bert-cls-tiny-f32", [](ember::context& context, const std::vector<int32_t>& tokens) {
        return head_outputs(context, tokens, false);
    });
    check_pooled("qwen3-cls-tiny-f16", [](ember::context& context, const std::vector<int32_t>& tokens) {
        return head_outputs(context, tokens, true);
    });
}
