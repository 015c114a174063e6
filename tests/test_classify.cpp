// Classification without a trained head: zero-shot scoring of label
// continuations with a generative model (zero_shot.hpp), checked against
// log-softmax sums this test computes itself from the golden logits; and the
// head path through text (classifier.hpp's classify_text).
#include <doctest/doctest.h>
#include <ember/runtime/classifier.hpp>
#include <ember/runtime/zero_shot.hpp>

#include "command_runner.hpp"
#include "golden.hpp"

#include <cmath>
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

// The reference's log p(tokens[first..last) | tokens[0..first)): each token
// scored by the golden logits of the position before it. Plain double
// arithmetic, independent of ember.
double golden_log_likelihood(const golden_case& entry, size_t n_vocab, size_t first, size_t last) {
    double sum = 0.0;
    for (size_t i = first; i < last; ++i) {
        const float* row = entry.logits.data() + (i - 1) * n_vocab;
        double max_value = row[0];
        for (size_t v = 1; v < n_vocab; ++v) max_value = std::max<double>(max_value, row[v]);
        double total = 0.0;
        for (size_t v = 0; v < n_vocab; ++v) total += std::exp(row[v] - max_value);
        sum += row[entry.tokens[i]] - max_value - std::log(total);
    }
    return sum;
}

// rms of the golden logits: the scale the README's rms-ratio bound is relative to.
double golden_rms(const golden_case& entry) {
    double sum = 0.0;
    for (float value : entry.logits) sum += static_cast<double>(value) * value;
    return std::sqrt(sum / static_cast<double>(entry.logits.size()));
}

// The logits agree to rms(Δ) ≤ 2e-3·rms(logits) (README, f32/f16); one
// token's log-softmax moves by Δ_token − Σ p·Δ, a few rms(Δ). Allow 5× the
// rms bound per token (≈0.1 for stories260K, whose logits have rms ≈ 10;
// ≈0.01 for llama-qbase, rms ≈ 1).
double tolerance_per_token(const golden_case& entry) { return 5 * 2e-3 * golden_rms(entry); }

}  // namespace

TEST_CASE("zero-shot log-likelihoods equal log-softmax sums of the golden logits") {
    for (const char* name : {"stories260K", "llama-qbase-f32", "llama-qbase-f16"}) {
        const golden_model golden = load_golden(name);
        if (golden.model_path.empty()) return;
        auto model = load_model(golden.model_path);
        auto context = ember::context::create(model, {256, 2, 0});
        REQUIRE(context);
        double worst_per_token = 0.0;
        size_t checked = 0;
        for (const golden_case& entry : golden.cases) {
            REQUIRE(entry.all_positions);
            const size_t n = entry.tokens.size();
            const double per_token_tolerance = tolerance_per_token(entry);
            // Split the golden tokens into prompt | continuation at several
            // points; score several continuations of each prompt in one call
            // (the whole rest, its first token, its first three tokens).
            for (size_t split = 1; split < n; split += std::max<size_t>(1, n / 7)) {
                INFO(name << " prompt: " << entry.prompt << " split " << split);
                const std::vector<int32_t> prompt(entry.tokens.begin(), entry.tokens.begin() + static_cast<std::ptrdiff_t>(split));
                std::vector<size_t> ends = {n, split + 1, std::min(n, split + 3)};
                std::vector<std::vector<int32_t>> continuations;
                for (size_t end : ends)
                    continuations.emplace_back(entry.tokens.begin() + static_cast<std::ptrdiff_t>(split),
                                               entry.tokens.begin() + static_cast<std::ptrdiff_t>(end));
                const size_t evaluated_before = (*context)->n_evaluated();
                auto scores = ember::continuation_log_likelihoods(**context, prompt, continuations);
                REQUIRE_MESSAGE(scores, (scores ? "" : scores.error().message));
                REQUIRE(scores->size() == ends.size());
                CHECK((*context)->n_past() == split);  // the prompt is left in the context
                // the prompt evaluated once; of each continuation, all tokens
                // but the last (whose logits score nothing)
                size_t expected_evaluations = split;
                for (const auto& continuation : continuations) expected_evaluations += continuation.size() - 1;
                CHECK((*context)->n_evaluated() - evaluated_before == expected_evaluations);
                for (size_t c = 0; c < ends.size(); ++c) {
                    const double expected = golden_log_likelihood(entry, golden.n_vocab, split, ends[c]);
                    const double length = static_cast<double>(ends[c] - split);
                    const double delta = std::fabs((*scores)[c] - expected);
                    CHECK(delta <= per_token_tolerance * length);
                    worst_per_token = std::max(worst_per_token, delta / length);
                    ++checked;
                }
                // Probabilities are the softmax of these sums.
                std::vector<ember::zero_shot_score> as_labels(ends.size());
                double max_expected = -INFINITY, total = 0.0;
                std::vector<double> expected(ends.size());
                for (size_t c = 0; c < ends.size(); ++c) {
                    as_labels[c].score = (*scores)[c];
                    expected[c] = golden_log_likelihood(entry, golden.n_vocab, split, ends[c]);
                    max_expected = std::max(max_expected, expected[c]);
                }
                ember::zero_shot_probabilities(as_labels);
                for (double value : expected) total += std::exp(value - max_expected);
                for (size_t c = 0; c < ends.size(); ++c)
                    CHECK(as_labels[c].probability ==
                          doctest::Approx(std::exp(expected[c] - max_expected) / total).epsilon(0.02));
            }
        }
        std::printf("zero-shot %-16s %3zu continuations, worst |Δ log-likelihood| per token %.3e\n", name, checked,
                    worst_per_token);
    }
}

TEST_CASE("text zero-shot: label tokens and scores follow the golden tokenization") {
    const golden_model golden = load_golden("stories260K");
    if (golden.model_path.empty()) return;
    auto model = load_model(golden.model_path);
    auto context = ember::context::create(model, {256, 2, 0});
    REQUIRE(context);
    const golden_case& entry = golden.cases[3];  // "Once upon a time, there was a little robot who wanted ..."
    const std::string prompt = "Once upon a time, there was a little";
    REQUIRE(entry.prompt.rfind(prompt + " robot who wanted", 0) == 0);
    const ember::tokenizer& vocabulary = model->tokenizer();
    const size_t split = vocabulary.encode(prompt, {true, true}).size();
    const size_t end = vocabulary.encode(prompt + " robot who wanted", {true, true}).size();
    REQUIRE(std::vector<int32_t>(entry.tokens.begin(), entry.tokens.begin() + static_cast<std::ptrdiff_t>(end)) ==
            vocabulary.encode(prompt + " robot who wanted", {true, true}));
    const double expected = golden_log_likelihood(entry, golden.n_vocab, split, end);
    const size_t robot_end = vocabulary.encode(prompt + " robot", {true, true}).size();
    const double expected_robot = golden_log_likelihood(entry, golden.n_vocab, split, robot_end);
    const std::vector<int32_t> golden_label(entry.tokens.begin() + static_cast<std::ptrdiff_t>(split),
                                            entry.tokens.begin() + static_cast<std::ptrdiff_t>(end));
    REQUIRE(golden_label.size() >= 2);  // a multi-token label

    // The same label three ways: a space added by default, the prompt's
    // trailing space moved into it, and written with its space.
    struct variant {
        std::string prompt, label;
    } variants[] = {{prompt, "robot who wanted"}, {prompt + " ", "robot who wanted"}, {prompt, " robot who wanted"}};
    for (const auto& form : variants) {
        INFO("prompt '" << form.prompt << "' label '" << form.label << "'");
        auto scores = ember::zero_shot_classify(**context, form.prompt, {form.label, "dog"});
        REQUIRE_MESSAGE(scores, (scores ? "" : scores.error().message));
        REQUIRE(scores->size() == 2);
        const auto& robot = (*scores)[0];
        CHECK(robot.label == form.label);
        CHECK(robot.tokens == golden_label);
        CHECK(std::fabs(robot.log_likelihood - expected) <= tolerance_per_token(entry) * golden_label.size());
        CHECK(robot.score == robot.log_likelihood);  // no length normalisation by default
        CHECK((*scores)[0].probability + (*scores)[1].probability == doctest::Approx(1.0f));
        CHECK((*context)->n_past() == split);
    }
    // Length normalisation divides the same sum.
    ember::zero_shot_options per_token;
    per_token.normalization = ember::length_normalization::per_token;
    auto normalized = ember::zero_shot_classify(**context, prompt, {"robot who wanted", "robot"}, per_token);
    REQUIRE(normalized);
    CHECK((*normalized)[0].score == doctest::Approx((*normalized)[0].log_likelihood / golden_label.size()));
    CHECK(std::fabs((*normalized)[1].log_likelihood - expected_robot) <= tolerance_per_token(entry) * (robot_end - split));  // " robot": a golden prefix
    ember::zero_shot_options per_byte;
    per_byte.normalization = ember::length_normalization::per_byte;
    auto by_bytes = ember::zero_shot_classify(**context, prompt, {"robot"}, per_byte);
    REQUIRE(by_bytes);
    CHECK((*by_bytes)[0].score == doctest::Approx((*by_bytes)[0].log_likelihood / 6.0));  // " robot"
    CHECK((*by_bytes)[0].probability == 1.0f);
}

TEST_CASE("calibration subtracts each label's log-likelihood under the baseline prompt") {
    const std::string path = shared_path("models/stories260K.gguf");
    if (path.empty()) return;
    auto model = load_model(path);
    auto context = ember::context::create(model, {128, 1, 0});
    REQUIRE(context);
    const std::vector<std::string> labels = {"happy", "sad", "angry"};
    const std::string prompt = "Tom lost his ball. He was", baseline = "He was";
    auto plain = ember::zero_shot_classify(**context, prompt, labels);
    auto base = ember::zero_shot_classify(**context, baseline, labels);
    ember::zero_shot_options options;
    options.baseline_prompt = baseline;
    auto calibrated = ember::zero_shot_classify(**context, prompt, labels, options);
    REQUIRE(plain);
    REQUIRE(base);
    REQUIRE(calibrated);
    CHECK((*context)->n_past() == model->tokenizer().encode(prompt, {true, true}).size());  // the prompt, not the baseline
    double max_score = -INFINITY, total = 0.0;
    for (size_t i = 0; i < labels.size(); ++i) {
        CHECK((*calibrated)[i].log_likelihood == doctest::Approx((*plain)[i].log_likelihood).epsilon(1e-9));
        CHECK((*calibrated)[i].baseline_log_likelihood == doctest::Approx((*base)[i].log_likelihood).epsilon(1e-9));
        CHECK((*calibrated)[i].score == doctest::Approx((*plain)[i].log_likelihood - (*base)[i].log_likelihood).epsilon(1e-9));
        max_score = std::max(max_score, (*calibrated)[i].score);
    }
    for (const auto& entry : *calibrated) total += std::exp(entry.score - max_score);
    for (const auto& entry : *calibrated) CHECK(entry.probability == doctest::Approx(std::exp(entry.score - max_score) / total));
    options.baseline_prompt = std::string(300, 'x');  // too long for the context: the error says where
    auto refused = ember::zero_shot_classify(**context, prompt, labels, options);
    REQUIRE(!refused);
    CHECK(refused.error().message.find("baseline") != std::string::npos);
}

TEST_CASE("a label that merges into the prompt's last token is scored as log p(prompt+label) - log p(prompt)") {
    const std::string path = shared_path("models/stories260K.gguf");
    if (path.empty()) return;
    auto model = load_model(path);
    auto context = ember::context::create(model, {128, 1, 0});
    REQUIRE(context);
    const ember::tokenizer& vocabulary = model->tokenizer();
    // "...a li" + "ttle": the prompt's tokens end in a piece that "a little"
    // tokenizes differently.
    const std::string prompt = "Once upon a time, there was a li", label = "ttle";
    const std::vector<int32_t> prompt_tokens = vocabulary.encode(prompt, {true, true});
    const std::vector<int32_t> whole = vocabulary.encode(prompt + label, {true, true});
    size_t keep = 0;
    while (keep < prompt_tokens.size() && keep < whole.size() && whole[keep] == prompt_tokens[keep]) ++keep;
    REQUIRE(keep < prompt_tokens.size());  // the tokenizations do part before the prompt ends

    ember::zero_shot_options options;
    options.space_before_label = false;
    auto scores = ember::zero_shot_classify(**context, prompt, {label, "on", "ttle"}, options);
    REQUIRE_MESSAGE(scores, (scores ? "" : scores.error().message));
    CHECK((*scores)[0].tokens == std::vector<int32_t>(whole.begin() + static_cast<std::ptrdiff_t>(keep), whole.end()));
    CHECK((*scores)[0].log_likelihood == doctest::Approx((*scores)[2].log_likelihood));  // same label twice
    CHECK((*context)->n_past() == prompt_tokens.size());

    // The same quantity through the token-level path (checked against the
    // goldens above): log p(whole[keep:] | whole[:keep]) − log p(prompt[keep:] | prompt[:keep]).
    const std::vector<int32_t> shared(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(keep));
    auto with_label = ember::continuation_log_likelihoods(
        **context, shared, {std::vector<int32_t>(whole.begin() + static_cast<std::ptrdiff_t>(keep), whole.end())});
    auto prompt_only = ember::continuation_log_likelihoods(
        **context, shared, {std::vector<int32_t>(prompt_tokens.begin() + static_cast<std::ptrdiff_t>(keep), prompt_tokens.end())});
    REQUIRE(with_label);
    REQUIRE(prompt_only);
    CHECK((*scores)[0].log_likelihood == doctest::Approx((*with_label)[0] - (*prompt_only)[0]).epsilon(1e-4));
}

TEST_CASE("zero-shot refuses what it cannot score, with the reason") {
    const std::string stories = shared_path("models/stories260K.gguf");
    const std::string bert = shared_path("models/bert-tiny-f32.gguf");
    const std::string qwen = shared_path("models/qwen3-tiny-f16.gguf");
    if (stories.empty() || bert.empty() || qwen.empty()) return;
    auto model = load_model(stories);
    auto context = ember::context::create(model, {32, 1, 0});
    REQUIRE(context);

    auto no_labels = ember::zero_shot_classify(**context, "Hi", {});
    REQUIRE(!no_labels);
    CHECK(no_labels.error().message.find("no candidate labels") != std::string::npos);
    auto empty_label = ember::zero_shot_classify(**context, "Hi", {"yes", ""});
    REQUIRE(!empty_label);
    CHECK(empty_label.error().message.find("label 1 is empty") != std::string::npos);

    std::string long_text;
    for (int i = 0; i < 40; ++i) long_text += " once upon a time";
    auto long_label = ember::zero_shot_classify(**context, "Hi", {"yes", long_text});
    REQUIRE(!long_label);
    CHECK(long_label.error().code == ember::errc::context_full);
    CHECK(long_label.error().message.find("label 1") != std::string::npos);
    auto long_prompt = ember::zero_shot_classify(**context, long_text, {"yes"});
    REQUIRE(!long_prompt);
    CHECK(long_prompt.error().code == ember::errc::context_full);

    // The token-level API checks its inputs too.
    CHECK(!ember::continuation_log_likelihoods(**context, {}, {{5}}));
    CHECK(!ember::continuation_log_likelihoods(**context, {1}, {}));
    CHECK(!ember::continuation_log_likelihoods(**context, {1}, {{5}, {}}));
    auto bad_id = ember::continuation_log_likelihoods(**context, {1}, {{5, 1 << 30}});
    REQUIRE(!bad_id);
    CHECK(bad_id.error().code == ember::errc::out_of_range);
    auto bad_prompt_id = ember::continuation_log_likelihoods(**context, {1, -3}, {{5}});
    CHECK(!bad_prompt_id);
    // After a failure the context is still usable.
    auto after = ember::zero_shot_classify(**context, "Hi", {"yes", "no"});
    CHECK(after);

    // An encoder cannot continue a text.
    auto encoder = load_model(bert);
    auto encoder_context = ember::context::create(encoder, {32, 1, 0});
    REQUIRE(encoder_context);
    auto refused = ember::zero_shot_classify(**encoder_context, "Hi", {"yes", "no"});
    REQUIRE(!refused);
    CHECK(refused.error().message.find("generative") != std::string::npos);

    // Qwen adds no BOS: an empty prompt has nothing to score the label after.
    auto qwen_model = load_model(qwen);
    auto qwen_context = ember::context::create(qwen_model, {32, 1, 0});
    REQUIRE(qwen_context);
    if (!qwen_model->tokenizer().add_bos_by_default()) {
        auto empty_prompt = ember::zero_shot_classify(**qwen_context, "", {"yes", "no"});
        REQUIRE(!empty_prompt);
        CHECK(empty_prompt.error().message.find("prompt") != std::string::npos);
    }
    // Stories adds BOS: an empty prompt scores the labels as openings.
    auto opening = ember::zero_shot_classify(**context, "", {"Once", "Zebra"});
    REQUIRE(opening);
    CHECK((*opening)[0].probability > (*opening)[1].probability);
}

TEST_CASE("classify_text gives the head's reference probabilities from text") {
    const golden_model golden = load_golden("qwen3-cls-tiny-f16");
    if (golden.model_path.empty()) return;
    auto model = load_model(golden.model_path);
    auto context = ember::context::create(model, {256, 2, 0});
    REQUIRE(context);
    CHECK(ember::head_labels(*model) == std::vector<std::string>{"negative", "neutral", "positive"});
    for (const golden_case& entry : golden.cases) {
        INFO(entry.prompt);
        auto scores = ember::classify_text(**context, entry.prompt);
        REQUIRE_MESSAGE(scores, (scores ? "" : scores.error().message));
        REQUIRE(scores->size() == entry.logits.size());
        std::vector<float> probabilities;
        for (const auto& score : *scores) probabilities.push_back(score.score);
        CHECK(compare(probabilities.data(), entry.logits.data(), probabilities.size()).rms_ratio <= 1e-3);
        const size_t best = static_cast<size_t>(std::max_element(entry.logits.begin(), entry.logits.end()) - entry.logits.begin());
        CHECK(ember::top_label(*scores) == best);
    }
    auto empty = ember::classify_text(**context, "");
    CHECK(!empty);
    const std::string plain = shared_path("models/stories260K.gguf");
    if (plain.empty()) return;
    auto no_head_model = load_model(plain);
    auto no_head_context = ember::context::create(no_head_model, {32, 1, 0});
    REQUIRE(no_head_context);
    auto no_head = ember::classify_text(**no_head_context, "Hi");
    REQUIRE(!no_head);
    CHECK(no_head.error().message.find("no classification head") != std::string::npos);
    CHECK(ember::head_labels(*no_head_model).empty());
}

TEST_CASE("ember classify prints the library's probabilities: a head, zero-shot labels, and refuses neither") {
    const std::string binary = ember_test::ember_binary();
    const std::string head_path = ember_test::shared_path("models/bert-cls-tiny-f32.gguf");
    const std::string decoder_path = ember_test::shared_path("models/stories260K.gguf");
    if (binary.empty() || head_path.empty() || decoder_path.empty()) return;
    auto printed = [](const ember_test::command_output& run) {
        REQUIRE(run.exit_code == 0);
        auto parsed = ember::json::parse(run.out);
        REQUIRE(parsed);
        return *parsed;
    };
    // the model's head
    {
        const ember::json result = printed(ember_test::run_command(binary + " classify -t 1 -m '" + head_path + "' -p 'a great movie'"));
        auto model = load_model(head_path);
        auto context = ember::context::create(model, {512, 1, 0});
        REQUIRE(context);
        auto expected = ember::classify_text(**context, "a great movie", /*parse_special=*/true);
        REQUIRE(expected);
        CHECK(result["method"].as_string() == "head");
        for (const ember::label_score& score : *expected)
            CHECK(result["probabilities"][score.label].as_number() == doctest::Approx(score.score).epsilon(1e-6));
    }
    // zero-shot over --labels with a generative model
    {
        const ember::json result =
            printed(ember_test::run_command(binary + " classify -t 1 -m '" + decoder_path + "' -p 'The story was' --labels 'happy,sad'"));
        auto model = load_model(decoder_path);
        auto context = ember::context::create(model, {512, 1, 0});
        REQUIRE(context);
        ember::zero_shot_options options;
        options.parse_special = true;
        auto expected = ember::zero_shot_classify(**context, "The story was", {"happy", "sad"}, options);
        REQUIRE(expected);
        CHECK(result["method"].as_string() == "zero-shot");
        for (const ember::zero_shot_score& score : *expected) {
            CHECK(result["probabilities"][score.label].as_number() == doctest::Approx(score.probability).epsilon(1e-6));
            CHECK(result["log_likelihoods"][score.label].as_number() == doctest::Approx(score.log_likelihood).epsilon(1e-9));
        }
    }
    // no head, no labels: one line, exit 1
    const ember_test::command_output refused = ember_test::run_command(binary + " classify -m '" + decoder_path + "' -p 'x'");
    CHECK(refused.exit_code == 1);
    CHECK(refused.out.empty());
    CHECK(refused.err.find("no classification head") != std::string::npos);
}
