// Sentiment classification three ways, on the CPU:
//   1. the model's own classification head (a GGUF with cls.output, e.g. a
//      BERT or Qwen3 sequence classifier),
//   2. zero-shot: ask a generative model which label it would write next,
//   3. a linear probe: fit a small logistic-regression head on the
//      embeddings of a few labelled examples, save it, load it, predict.
//
//   usage: example_sentiment [-m MODEL.gguf] [--head CLASSIFIER.gguf] [TEXT …]
//
// The default model is ember's kjv-tiny (a 3.7M-parameter model of the King
// James Bible), so the examples are verses of joy and of sorrow. A model
// that small has no notion of sentiment to draw on zero-shot; the probe,
// which learns from examples, is the approach that works at this size.
// (The classifier GGUFs in ember's test data have random weights: --head
// with them shows the mechanics, not a judgement.)
#include <ember/runtime/classifier.hpp>
#include <ember/runtime/linear_probe.hpp>
#include <ember/runtime/zero_shot.hpp>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace {

struct example {
    const char* text;
    const char* label;
};

// Labelled examples to fit the probe on ...
const example training[] = {
    {"Blessed are the meek: for they shall inherit the earth.", "joy"},
    {"Rejoice in the Lord alway: and again I say, Rejoice.", "joy"},
    {"O give thanks unto the LORD; for he is good.", "joy"},
    {"Thou hast turned for me my mourning into dancing.", "joy"},
    {"Make a joyful noise unto the LORD, all ye lands.", "joy"},
    {"The LORD is my shepherd; I shall not want.", "joy"},
    {"This is the day which the LORD hath made; we will rejoice and be glad in it.", "joy"},
    {"And they sang praises with gladness, and bowed their heads and worshipped.", "joy"},
    {"My God, my God, why hast thou forsaken me?", "sorrow"},
    {"And there shall be weeping and gnashing of teeth.", "sorrow"},
    {"By the rivers of Babylon, there we sat down, yea, we wept.", "sorrow"},
    {"Woe unto thee, for thy sin is great and thy house is desolate.", "sorrow"},
    {"My tears have been my meat day and night.", "sorrow"},
    {"Cursed is the ground for thy sake; in sorrow shalt thou eat of it.", "sorrow"},
    {"And the people mourned, and lifted up their voice, and wept.", "sorrow"},
    {"The enemy hath persecuted my soul; he hath smitten my life down to the ground.", "sorrow"},
};

// ... and examples it never saw, to measure it.
const example held_out[] = {
    {"Sing unto the LORD a new song, for he hath done marvellous things.", "joy"},
    {"Let the righteous be glad; let them rejoice before God.", "joy"},
    {"Thou wilt shew me the path of life: in thy presence is fulness of joy.", "joy"},
    {"I am weary with my groaning; all the night make I my bed to swim.", "sorrow"},
    {"Then Job arose, and rent his mantle, and fell down upon the ground.", "sorrow"},
    {"Mine eye is consumed because of grief; it waxeth old because of all mine enemies.", "sorrow"},
};

std::string default_model() {
    const char* candidates[] = {"models/kjv-tiny.gguf", EMBER_DEFAULT_MODEL};
    for (const char* path : candidates)
        if (std::FILE* file = std::fopen(path, "rb")) {
            std::fclose(file);
            return path;
        }
    return candidates[0];
}

void print_scores(const std::string& text, const std::vector<std::string>& labels, const std::vector<float>& probabilities) {
    std::printf("  %-62.62s", text.c_str());
    for (size_t i = 0; i < labels.size(); ++i) std::printf("  %s %.2f", labels[i].c_str(), probabilities[i]);
    std::printf("\n");
}

// 1. A classification head stored in the model file.
void with_head(const std::shared_ptr<const ember::model>& model, const std::vector<std::string>& texts) {
    auto context = ember::context::create(model, {512, 2, 0});
    if (!context) return (void)std::printf("  %s\n", context.error().message.c_str());
    for (const std::string& text : texts) {
        auto scores = ember::classify_text(**context, text);  // probabilities, in the head's label order
        if (!scores) return (void)std::printf("  %s\n", scores.error().message.c_str());
        std::vector<std::string> labels;
        std::vector<float> probabilities;
        for (const auto& score : *scores) labels.push_back(score.label), probabilities.push_back(score.score);
        print_scores(text, labels, probabilities);
    }
}

// 2. Zero-shot: which label does the model find likelier after the verse?
void zero_shot(ember::context& context, const std::vector<std::string>& texts, const std::vector<std::string>& truth) {
    const std::vector<std::string> labels = {"joy", "sorrow"};
    ember::zero_shot_options options;
    // Calibrate: subtract each label's likelihood after the template alone,
    // so a label the model likes everywhere does not win everywhere.
    options.baseline_prompt = "This verse speaketh of";
    size_t right = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
        auto scores = ember::zero_shot_classify(context, texts[i] + "\nThis verse speaketh of", labels, options);
        if (!scores) return (void)std::printf("  %s\n", scores.error().message.c_str());
        print_scores(texts[i], labels, {(*scores)[0].probability, (*scores)[1].probability});
        const size_t best = (*scores)[0].probability >= (*scores)[1].probability ? 0 : 1;
        if (i < truth.size()) right += labels[best] == truth[i];
    }
    if (!truth.empty()) std::printf("  held-out accuracy: %zu/%zu\n", right, truth.size());
}

// 3. A linear probe fitted on embeddings of the training examples.
void probe(ember::context& context, const std::vector<std::string>& texts, const std::vector<std::string>& truth) {
    ember::embedding_options embedding;
    embedding.pooling_mode = ember::pooling::mean;  // a decoder's mean state sees every token of the verse
    embedding.normalize = true;
    std::vector<std::string> train_texts, train_labels;
    for (const example& entry : training) train_texts.push_back(entry.text), train_labels.push_back(entry.label);
    auto vectors = ember::embed_texts(context, train_texts, embedding);
    if (!vectors) return (void)std::printf("  %s\n", vectors.error().message.c_str());

    auto fitted = ember::linear_probe::fit(*vectors, train_labels);
    if (!fitted) return (void)std::printf("  %s\n", fitted.error().message.c_str());
    fitted->set_embedding(embedding);  // saved with the probe, so predictions embed the same way
    std::printf("  fitted on %zu examples: %zu L-BFGS iterations, loss %.4f\n", train_texts.size(),
                fitted->report().iterations, fitted->report().loss);
    std::error_code no_temp;
    const std::string path = (std::filesystem::temp_directory_path(no_temp) / "sentiment.probe.gguf").string();
    if (auto saved = fitted->save(path); !saved) return (void)std::printf("  %s\n", saved.error().message.c_str());
    auto loaded = ember::linear_probe::load(path);  // what an application would do at startup
    if (!loaded) return (void)std::printf("  %s\n", loaded.error().message.c_str());
    std::printf("  saved and reloaded %s\n", path.c_str());

    size_t right = 0;
    for (size_t i = 0; i < texts.size(); ++i) {
        auto vector = ember::embed_text(context, texts[i], loaded->embedding());
        if (!vector) return (void)std::printf("  %s\n", vector.error().message.c_str());
        auto probabilities = loaded->probabilities(*vector);
        if (!probabilities) return (void)std::printf("  %s\n", probabilities.error().message.c_str());
        print_scores(texts[i], loaded->labels(), *probabilities);
        const size_t best = static_cast<size_t>(std::max_element(probabilities->begin(), probabilities->end()) - probabilities->begin());
        if (i < truth.size()) right += loaded->labels()[best] == truth[i];
    }
    if (!truth.empty()) std::printf("  held-out accuracy: %zu/%zu\n", right, truth.size());
}

}  // namespace

int main(int argc, char** argv) {
    std::string model_path = default_model(), head_path;
    std::vector<std::string> texts;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "-m") && i + 1 < argc) model_path = argv[++i];
        else if (!std::strcmp(argv[i], "--head") && i + 1 < argc) head_path = argv[++i];
        else if (argv[i][0] == '-') return std::fprintf(stderr, "usage: %s [-m MODEL.gguf] [--head CLASSIFIER.gguf] [TEXT ...]\n", argv[0]), 1;
        else texts.push_back(argv[i]);
    }
    // Without texts of your own: the held-out verses, with their labels for an accuracy figure.
    std::vector<std::string> truth;
    if (texts.empty())
        for (const example& entry : held_out) texts.push_back(entry.text), truth.push_back(entry.label);

    auto model = ember::model::load(model_path);
    if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
    if (!(*model)->has_tokenizer()) return std::fprintf(stderr, "%s: no tokenizer\n", model_path.c_str()), 1;
    std::printf("model: %s\n", model_path.c_str());

    std::printf("\n1. The model's classification head\n");
    if (ember::has_classifier_head(**model)) {
        with_head(*model, texts);
    } else if (!head_path.empty()) {
        auto head_model = ember::model::load(head_path);
        if (!head_model) return std::fprintf(stderr, "%s\n", head_model.error().message.c_str()), 1;
        if (!ember::has_classifier_head(**head_model)) std::printf("  %s has no classification head either\n", head_path.c_str());
        else std::printf("  (from %s)\n", head_path.c_str()), with_head(*head_model, texts);
    } else {
        std::printf("  this model has none (pass --head with a sequence-classification GGUF)\n");
    }

    auto context = ember::context::create(*model, {256, 2, 0});
    if (!context) return std::fprintf(stderr, "%s\n", context.error().message.c_str()), 1;

    std::printf("\n2. Zero-shot (calibrated label likelihoods)\n");
    if ((*model)->config().causal) zero_shot(**context, texts, truth);
    else std::printf("  needs a generative model; this one is an encoder\n");

    std::printf("\n3. Linear probe on %s-pooled embeddings\n", "mean");
    probe(**context, texts, truth);
    return 0;
}
