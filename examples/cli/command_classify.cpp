// `ember classify -m M -p TEXT [--labels a,b,…] [--probe FILE] [--zero-shot] [--length-norm none|token|byte] [--baseline TEXT]`:
// label probabilities for a text, as one line of JSON:
//   {"method": "head", "label": "positive", "probabilities": {"negative": 0.1, "positive": 0.9}}
// The method, in order of preference:
//   --probe FILE   a linear probe saved by ember (linear_probe.hpp) over the model's embeddings;
//   head           the model's own classification head (cls.output), when it has one;
//   zero-shot      --labels scored as continuations of the text by a generative model
//                  (forced with --zero-shot even when the model has a head); the JSON then
//                  also has "log_likelihoods". Labels are comma-separated ("\," for a comma).
//                  --baseline TEXT calibrates: scores become log p(label | TEXT-prompt) minus
//                  log p(label | baseline), e.g. --baseline "Sentiment:" (see zero_shot.hpp).
// The text is tokenized like `--special`. Neither a head nor --labels nor --probe: exit 1.
#include "prompt.hpp"

#include <ember/core/json.hpp>
#include <ember/runtime/classifier.hpp>
#include <ember/runtime/linear_probe.hpp>
#include <ember/runtime/zero_shot.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace ember_cli {
namespace {

// A float as JSON with its shortest round-trip digits (0.25, not 0.25000000372529).
ember::json short_number(float value) {
    char buffer[32];
    const auto written = std::to_chars(buffer, buffer + sizeof(buffer), value);
    return ember::json(std::strtod(std::string(buffer, written.ptr).c_str(), nullptr));
}

// "a,b\,c" → {"a", "b,c"}; labels trimmed of surrounding spaces.
bool split_labels(const std::string& text, std::vector<std::string>& labels, std::string& problem) {
    std::string current;
    auto finish = [&]() {
        const size_t first = current.find_first_not_of(" \t");
        const size_t last = current.find_last_not_of(" \t");
        std::string label = first == std::string::npos ? "" : current.substr(first, last - first + 1);
        current.clear();
        if (label.empty()) {
            problem = "--labels: label " + std::to_string(labels.size()) + " is empty";
            return false;
        }
        if (std::find(labels.begin(), labels.end(), label) != labels.end()) {
            problem = "--labels: '" + label + "' is given twice";
            return false;
        }
        labels.push_back(std::move(label));
        return true;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == ',') {
            current += ',';
            ++i;
        } else if (text[i] == ',') {
            if (!finish()) return false;
        } else {
            current += text[i];
        }
    }
    return finish();
}

uint32_t context_size(size_t tokens) {
    // Room for the longest input; the model's own limit is checked by context::create.
    return static_cast<uint32_t>(std::min<size_t>(std::max<size_t>(tokens, 1), UINT32_MAX));
}

int print_result(const char* method, const std::vector<std::string>& labels, const std::vector<float>& probabilities,
                 const std::vector<double>* log_likelihoods) {
    ember::json out = ember::json::object();
    out.set("method", method);
    const size_t best = static_cast<size_t>(std::max_element(probabilities.begin(), probabilities.end()) - probabilities.begin());
    out.set("label", labels[best]);
    ember::json table = ember::json::object();
    for (size_t i = 0; i < labels.size(); ++i) table.set(labels[i], short_number(probabilities[i]));
    out.set("probabilities", table);
    if (log_likelihoods) {
        ember::json sums = ember::json::object();
        for (size_t i = 0; i < labels.size(); ++i) sums.set(labels[i], (*log_likelihoods)[i]);
        out.set("log_likelihoods", sums);
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
}

int run_classify(const std::vector<std::string>& args) {
    arguments options(args, {"--zero-shot"});
    if (!options.error().empty()) return fail(options.error());
    if (!options.has("-p") && !options.has("--prompt")) return fail("classify: missing -p TEXT");
    const std::string text = options.get_any({"-p", "--prompt"});
    const int threads = std::atoi(options.get_any({"-t", "--threads"}, "2").c_str());
    if (threads < 1 || threads > 512) return fail("classify: -t must be 1..512");
    std::vector<std::string> labels;
    if (options.has("--labels")) {
        std::string problem;
        if (!split_labels(options.get("--labels"), labels, problem)) return fail("classify: " + problem);
        if (labels.size() < 2) return fail("classify: --labels needs at least two labels");
    }
    ember::zero_shot_options zero_shot;
    const std::string normalization = options.get("--length-norm", "none");
    if (normalization == "token") zero_shot.normalization = ember::length_normalization::per_token;
    else if (normalization == "byte") zero_shot.normalization = ember::length_normalization::per_byte;
    else if (normalization != "none") return fail("classify: --length-norm must be none, token or byte");
    if (options.has("--baseline")) zero_shot.baseline_prompt = options.get("--baseline");

    auto model = load_model_with_tokenizer(options.get_any({"-m", "--model"}));
    if (!model) return 1;

    if (options.has("--probe")) {
        auto probe = ember::linear_probe::load(options.get("--probe"));
        if (!probe) return fail(probe.error().message);
        if (text.empty()) return fail("classify: the text is empty");
        const std::vector<int32_t> tokens = tokenize_prompt(*model, text);
        auto context = ember::context::create(model, {context_size(tokens.size()), threads, 0});
        if (!context) return fail(context.error().message);
        const ember::embedding_options& embedding = probe->embedding();
        const ember::pooling mode = embedding.pooling_mode ? *embedding.pooling_mode : ember::default_pooling(model->config());
        auto vector = ember::embed(**context, tokens, mode, embedding.normalize);
        if (!vector) return fail(vector.error().message);
        auto probabilities = probe->probabilities(*vector);
        if (!probabilities) return fail(options.get("--probe") + ": " + probabilities.error().message);
        return print_result("probe", probe->labels(), *probabilities, nullptr);
    }

    if (ember::has_classifier_head(*model) && !options.has("--zero-shot")) {
        if (text.empty()) return fail("classify: the text is empty");
        const std::vector<int32_t> tokens = tokenize_prompt(*model, text);
        auto context = ember::context::create(model, {context_size(tokens.size()), threads, 0});
        if (!context) return fail(context.error().message);
        auto scores = ember::classify(**context, tokens);
        if (!scores) return fail(scores.error().message);
        ember::to_probabilities(*scores);
        std::vector<std::string> names;
        std::vector<float> probabilities;
        for (const auto& score : *scores) names.push_back(score.label), probabilities.push_back(score.score);
        return print_result("head", names, probabilities, nullptr);
    }

    if (labels.empty())
        return fail(model->file().source_name() +
                    ": the model has no classification head; give --labels a,b,… (zero-shot) or --probe FILE");
    // Size the context for the prompt and its longest label (plus the space between).
    size_t longest = 0;
    for (const std::string& label : labels) {
        longest = std::max(longest, tokenize_prompt(*model, text + " " + label).size());
        if (zero_shot.baseline_prompt)
            longest = std::max(longest, tokenize_prompt(*model, *zero_shot.baseline_prompt + " " + label).size());
    }
    auto context = ember::context::create(model, {context_size(longest + 1), threads, 0});
    if (!context) return fail(context.error().message);
    auto scores = ember::zero_shot_classify(**context, text, labels, zero_shot);
    if (!scores) return fail(scores.error().message);
    std::vector<float> probabilities;
    std::vector<double> log_likelihoods;
    for (const auto& score : *scores) probabilities.push_back(score.probability), log_likelihoods.push_back(score.log_likelihood);
    return print_result("zero-shot", labels, probabilities, &log_likelihoods);
}

const register_command registration(
    {"classify",
     "classify -m MODEL -p TEXT [--labels a,b,…] [--probe FILE] [--zero-shot] [--length-norm none|token|byte] [--baseline TEXT]   label probabilities (JSON)",
     run_classify});

}  // namespace
}  // namespace ember_cli
