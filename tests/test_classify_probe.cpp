// Linear probe (linear_probe.hpp): a logistic-regression head fitted on
// embeddings. Accuracy on a separable synthetic task, determinism, the GGUF
// round trip, and hostile probe files.
#include <doctest/doctest.h>
#include <ember/runtime/linear_probe.hpp>
#include <ember/runtime/random.hpp>

#include "test_data.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace ember_test;

namespace {

struct dataset {
    std::vector<std::vector<float>> features;
    std::vector<size_t> labels;
};

// Gaussian blobs: class k's centre is a random point at distance ~`spread`
// from the others, every feature has unit noise, plus a large common offset
// and per-feature scales (embeddings are rarely centred or isotropic).
dataset make_blobs(size_t n_classes, size_t d, size_t per_class, double spread, uint64_t seed, uint64_t centre_seed) {
    ember::random_generator centres_random(centre_seed), random(seed);
    auto gaussian = [](ember::random_generator& source) {  // Box–Muller
        const double u = source.next_double() + 1e-300, v = source.next_double();
        return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
    };
    std::vector<std::vector<double>> centres(n_classes, std::vector<double>(d));
    std::vector<double> scales(d);
    for (auto& centre : centres)
        for (double& value : centre) value = gaussian(centres_random) * spread / std::sqrt(2.0 * static_cast<double>(d)) * 2.0;
    for (double& scale : scales) scale = 0.1 + 3.0 * centres_random.next_double();
    dataset out;
    for (size_t i = 0; i < per_class; ++i)
        for (size_t k = 0; k < n_classes; ++k) {
            std::vector<float> row(d);
            for (size_t j = 0; j < d; ++j) row[j] = static_cast<float>(5.0 + scales[j] * (centres[k][j] + gaussian(random)));
            out.features.push_back(std::move(row));
            out.labels.push_back(k);
        }
    return out;
}

double accuracy(const ember::linear_probe& probe, const dataset& data) {
    size_t right = 0;
    for (size_t i = 0; i < data.features.size(); ++i) {
        auto predicted = probe.predict_index(data.features[i]);
        REQUIRE(predicted);
        right += *predicted == data.labels[i];
    }
    return static_cast<double>(right) / static_cast<double>(data.features.size());
}

const std::vector<std::string> three_labels = {"negative", "neutral", "positive"};

ember::linear_probe trained_probe() {
    const dataset train = make_blobs(3, 24, 12, 3.0, 1, 99);
    auto probe = ember::linear_probe::fit(train.features, train.labels, three_labels);
    REQUIRE_MESSAGE(probe, (probe ? "" : probe.error().message));
    return *probe;
}

std::string write_bytes(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = temp_path(name);
    std::FILE* file = std::fopen(path.c_str(), "wb");
    REQUIRE(file);
    if (!bytes.empty()) REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size());
    std::fclose(file);
    return path;
}

// A probe file as the writer makes it, with the given changes.
struct probe_file {
    size_t d = 4, c = 2;
    std::vector<std::string> labels = {"no", "yes"};
    bool with_labels = true, with_weight = true, with_bias = true;
    std::string architecture = "linear_probe";
    ember::dtype weight_type = ember::dtype::f32;
    std::vector<uint64_t> weight_shape, bias_shape;
    float poison = 0.0f;  // written into weight[1] when non-zero
    std::string pooling;

    std::vector<uint8_t> bytes() const {
        ember::gguf_writer writer;
        writer.set("general.architecture", architecture);
        if (with_labels) writer.set_array("probe.labels", labels);
        if (!pooling.empty()) writer.set("probe.pooling", pooling);
        std::vector<float> weight(d * c, 0.5f), bias(c, 0.25f);
        if (poison != 0.0f) weight[1] = poison;
        if (with_weight) {
            const auto shape = weight_shape.empty() ? std::vector<uint64_t>{d, c} : weight_shape;
            if (weight_type == ember::dtype::f32) writer.add_f32_tensor("probe.weight", shape, weight);
            else writer.add_tensor("probe.weight", weight_type, shape, std::vector<uint8_t>(d * c * 2, 0));
        }
        if (with_bias) writer.add_f32_tensor("probe.bias", bias_shape.empty() ? std::vector<uint64_t>{c} : bias_shape, bias);
        return writer.to_bytes();
    }
};

std::string load_error(const std::vector<uint8_t>& bytes) {
    auto file = ember::gguf_file::parse(bytes.data(), bytes.size(), "probe.gguf");
    if (!file) return file.error().message;
    auto probe = ember::linear_probe::from_gguf(*file);
    if (probe) return "";
    CHECK(probe.error().code == ember::errc::invalid_file);
    return probe.error().message;
}

}  // namespace

TEST_CASE("the probe separates a synthetic task on held-out data") {
    // Spread 3: the blobs overlap a little (a probe fitted on 36 examples gets
    // ~91% at spread 2, ~99% at 3, 100% from 4), so 95% needs a good fit.
    const dataset train = make_blobs(3, 24, 12, 3.0, 1, 99);   // 36 examples
    const dataset held_out = make_blobs(3, 24, 200, 3.0, 2, 99);  // 600, same centres, new noise
    auto probe = ember::linear_probe::fit(train.features, train.labels, three_labels);
    REQUIRE_MESSAGE(probe, (probe ? "" : probe.error().message));
    const double train_accuracy = accuracy(*probe, train), test_accuracy = accuracy(*probe, held_out);
    std::printf("probe: %zu iterations, loss %.4f, |grad| %.2e, train accuracy %.3f, held-out accuracy %.3f (600)\n",
                probe->report().iterations, probe->report().loss, probe->report().gradient_norm, train_accuracy, test_accuracy);
    CHECK(test_accuracy >= 0.95);
    CHECK(probe->report().converged);
    CHECK(probe->n_features() == 24);
    CHECK(probe->n_classes() == 3);
    CHECK(probe->labels() == three_labels);

    // probabilities: a distribution, labelled in order
    auto scores = probe->predict(held_out.features[0]);
    REQUIRE(scores);
    float total = 0.0f;
    for (const auto& score : *scores) total += score.score;
    CHECK(total == doctest::Approx(1.0f));
    CHECK((*scores)[2].label == "positive");
}

TEST_CASE("two fits of the same examples are bit-identical") {
    const ember::linear_probe first = trained_probe(), second = trained_probe();
    REQUIRE(first.weight().size() == second.weight().size());
    CHECK(std::memcmp(first.weight().data(), second.weight().data(), first.weight().size() * sizeof(float)) == 0);
    CHECK(std::memcmp(first.bias().data(), second.bias().data(), first.bias().size() * sizeof(float)) == 0);
    CHECK(first.report().iterations == second.report().iterations);
    // FNV-1a of the weights: equal across processes and builds of the same code
    uint64_t hash = 1469598103934665603ull;
    for (const auto* values : {&first.weight(), &first.bias()}) {
        const auto* bytes = reinterpret_cast<const unsigned char*>(values->data());
        for (size_t i = 0; i < values->size() * sizeof(float); ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
    }
    std::printf("probe weights FNV-1a: %016llx\n", static_cast<unsigned long long>(hash));
}

TEST_CASE("labels by name are numbered in order of first appearance") {
    const dataset train = make_blobs(2, 8, 10, 8.0, 5, 6);
    std::vector<std::string> names;
    for (size_t label : train.labels) names.push_back(label ? "spam" : "ham");
    auto probe = ember::linear_probe::fit(train.features, names);
    REQUIRE(probe);
    CHECK(probe->labels() == std::vector<std::string>{"ham", "spam"});
    CHECK(accuracy(*probe, train) >= 0.95);
}

TEST_CASE("save, load, predict: the same probabilities bit for bit") {
    ember::linear_probe probe = trained_probe();
    probe.set_embedding({ember::pooling::mean, true, false});
    const std::string path = temp_path("probe_roundtrip.gguf");
    auto saved = probe.save(path);
    REQUIRE_MESSAGE(saved, (saved ? "" : saved.error().message));
    auto loaded = ember::linear_probe::load(path);
    REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().message));
    CHECK(loaded->labels() == probe.labels());
    CHECK(loaded->n_features() == probe.n_features());
    CHECK(loaded->weight() == probe.weight());
    CHECK(loaded->bias() == probe.bias());
    REQUIRE(loaded->embedding().pooling_mode.has_value());
    CHECK(*loaded->embedding().pooling_mode == ember::pooling::mean);
    CHECK(loaded->embedding().normalize);
    const dataset samples = make_blobs(3, 24, 20, 3.0, 3, 99);
    for (const auto& features : samples.features) {
        auto before = probe.probabilities(features), after = loaded->probabilities(features);
        REQUIRE(before);
        REQUIRE(after);
        CHECK(std::memcmp(before->data(), after->data(), before->size() * sizeof(float)) == 0);
    }
    std::remove(path.c_str());

    // wrong input sizes and values are errors, not reads out of bounds
    CHECK(!loaded->probabilities(std::vector<float>(23, 0.0f)));
    CHECK(!loaded->probabilities(std::vector<float>(25, 0.0f)));
    std::vector<float> not_a_number(24, 0.0f);
    not_a_number[3] = NAN;
    CHECK(!loaded->probabilities(not_a_number));
}

TEST_CASE("fit refuses unusable training data") {
    const dataset train = make_blobs(2, 4, 3, 4.0, 1, 2);
    const std::vector<std::string> two = {"a", "b"};
    auto message = [](const ember::result<ember::linear_probe>& fitted) {
        REQUIRE(!fitted);
        CHECK(fitted.error().code == ember::errc::invalid_argument);
        return fitted.error().message;
    };
    CHECK(message(ember::linear_probe::fit({}, std::vector<size_t>{}, two)).find("no examples") != std::string::npos);
    CHECK(message(ember::linear_probe::fit(train.features, std::vector<size_t>{0, 1}, two)).find("labels") != std::string::npos);
    CHECK(message(ember::linear_probe::fit(train.features, train.labels, {"only"})).find("two classes") != std::string::npos);
    auto ragged = train.features;
    ragged[2].push_back(1.0f);
    CHECK(message(ember::linear_probe::fit(ragged, train.labels, two)).find("example 2") != std::string::npos);
    auto infinite = train.features;
    infinite[1][0] = INFINITY;
    CHECK(message(ember::linear_probe::fit(infinite, train.labels, two)).find("infinite") != std::string::npos);
    auto out_of_range = train.labels;
    out_of_range[0] = 7;
    CHECK(message(ember::linear_probe::fit(train.features, out_of_range, two)).find("label 7") != std::string::npos);
    CHECK(message(ember::linear_probe::fit(train.features, train.labels, {"a", "b", "c"})).find("'c' has no examples") !=
          std::string::npos);
    std::vector<std::vector<float>> empty_rows(2);
    CHECK(message(ember::linear_probe::fit(empty_rows, std::vector<size_t>{0, 1}, two)).find("no features") != std::string::npos);
    ember::probe_options negative;
    negative.l2 = -1.0;
    CHECK(message(ember::linear_probe::fit(train.features, train.labels, two, negative)).find("l2") != std::string::npos);

    // Constant features and duplicated examples are fine (nothing to divide by zero).
    std::vector<std::vector<float>> constant = {{1, 2, 0}, {1, 2, 1}, {1, 2, 0}, {1, 2, 1}};
    auto fitted = ember::linear_probe::fit(constant, std::vector<size_t>{0, 1, 0, 1}, two);
    REQUIRE(fitted);
    CHECK(*fitted->predict_index({1, 2, 1}) == 1);
    CHECK(*fitted->predict_index({1, 2, 0}) == 0);
}

TEST_CASE("malformed probe files are refused with the reason") {
    probe_file good;
    CHECK(load_error(good.bytes()).empty());

    CHECK(load_error({'n', 'o', 't', ' ', 'g', 'g', 'u', 'f'}).find("magic") != std::string::npos);
    std::vector<uint8_t> truncated = good.bytes();
    truncated.resize(truncated.size() / 2);
    CHECK(!load_error(truncated).empty());

    probe_file model = good;
    model.architecture = "llama";
    CHECK(load_error(model.bytes()).find("not a linear probe") != std::string::npos);
    probe_file no_labels = good;
    no_labels.with_labels = false;
    CHECK(load_error(no_labels.bytes()).find("probe.labels") != std::string::npos);
    probe_file one_label = good;
    one_label.labels = {"only"};
    one_label.c = 1;
    CHECK(load_error(one_label.bytes()).find("1 labels") != std::string::npos);
    probe_file no_weight = good;
    no_weight.with_weight = false;
    CHECK(load_error(no_weight.bytes()).find("probe.weight") != std::string::npos);
    probe_file no_bias = good;
    no_bias.with_bias = false;
    CHECK(load_error(no_bias.bytes()).find("probe.bias") != std::string::npos);
    probe_file half = good;
    half.weight_type = ember::dtype::f16;
    CHECK(load_error(half.bytes()).find("f32") != std::string::npos);
    probe_file more_labels = good;  // 3 labels, weight has 2 rows
    more_labels.labels = {"a", "b", "c"};
    more_labels.weight_shape = {4, 2};
    more_labels.bias_shape = {2};
    CHECK(load_error(more_labels.bytes()).find("shape") != std::string::npos);
    probe_file flat = good;  // the weight as one row
    flat.weight_shape = {8};
    CHECK(load_error(flat.bytes()).find("shape") != std::string::npos);
    probe_file short_bias = good;
    short_bias.bias_shape = {1};
    CHECK(load_error(short_bias.bytes()).find("probe.bias") != std::string::npos);
    probe_file not_finite = good;
    not_finite.poison = NAN;
    CHECK(load_error(not_finite.bytes()).find("NaN") != std::string::npos);
    probe_file bad_pooling = good;
    bad_pooling.pooling = "average";
    CHECK(load_error(bad_pooling.bytes()).find("probe.pooling") != std::string::npos);
    ember::gguf_writer integer_labels;
    integer_labels.set("general.architecture", std::string("linear_probe"));
    integer_labels.set_array<int32_t>("probe.labels", {1, 2});
    CHECK(load_error(integer_labels.to_bytes()).find("probe.labels") != std::string::npos);

    auto missing = ember::linear_probe::load(temp_path("no_such_probe.gguf"));
    REQUIRE(!missing);
    CHECK(missing.error().code == ember::errc::io_error);
    const std::string empty = write_bytes("empty_probe.gguf", {});
    CHECK(!ember::linear_probe::load(empty));
    std::remove(empty.c_str());
}

TEST_CASE("every single-byte corruption of a probe file loads cleanly or fails cleanly") {
    probe_file good;
    good.pooling = "mean";
    const std::vector<uint8_t> original = good.bytes();
    size_t refused = 0, loaded = 0;
    for (size_t at = 0; at < original.size(); ++at)
        for (uint8_t value : {uint8_t{0x00}, uint8_t{0xff}, uint8_t{0x7f}, static_cast<uint8_t>(original[at] ^ 0x01)}) {
            std::vector<uint8_t> bytes = original;
            if (bytes[at] == value) continue;
            bytes[at] = value;
            auto file = ember::gguf_file::parse(bytes.data(), bytes.size(), "fuzz");
            if (!file) { ++refused; continue; }
            auto probe = ember::linear_probe::from_gguf(*file);
            if (!probe) { ++refused; continue; }
            ++loaded;  // a changed weight or label text is still a valid probe: it must work
            REQUIRE(probe->n_classes() >= 2);
            auto probabilities = probe->probabilities(std::vector<float>(probe->n_features(), 1.0f));
            REQUIRE(probabilities);
            float total = 0.0f;
            for (float p : *probabilities) total += p;
            CHECK(total == doctest::Approx(1.0f).epsilon(1e-4));
        }
    std::printf("probe file corruption: %zu refused, %zu still valid\n", refused, loaded);
    CHECK(refused > 0);
}

TEST_CASE("a probe on real embeddings: bert-tiny texts, fitted and reloaded") {
    const std::string path = shared_path("models/bert-tiny-f32.gguf");
    if (path.empty()) return;
    auto model = ember::model::load(path);
    REQUIRE(model);
    auto context = ember::context::create(*model, {64, 1, 0});
    REQUIRE(context);
    const std::vector<std::string> texts = {"a wonderful film", "great acting",   "loved every minute", "superb and moving",
                                            "a dreadful film",  "terrible acting", "hated every minute", "dull and lifeless"};
    const std::vector<std::string> labels = {"positive", "positive", "positive", "positive",
                                             "negative", "negative", "negative", "negative"};
    const ember::embedding_options options{ember::pooling::mean, true, false};
    auto vectors = ember::embed_texts(**context, texts, options);
    REQUIRE(vectors);
    auto probe = ember::linear_probe::fit(*vectors, labels);
    REQUIRE(probe);
    probe->set_embedding(options);
    // 8 examples in n_embd (64) dimensions are separable: the training set is fitted.
    CHECK(probe->n_features() == (*model)->config().n_embd);
    for (size_t i = 0; i < texts.size(); ++i) CHECK(probe->labels()[*probe->predict_index((*vectors)[i])] == labels[i]);
    // A probe for another embedding size is refused at predict time.
    CHECK(!probe->probabilities(std::vector<float>(probe->n_features() + 1, 0.0f)));
}
