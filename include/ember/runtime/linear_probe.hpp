#pragma once
// A linear probe: a multinomial logistic-regression head fitted on-device on
// the embeddings of a few labelled examples — the CPU-sized counterpart of
// fine-tuning a classification head. Saved and loaded as a small GGUF file.
//
//   auto vectors = ember::embed_texts(*context, texts, {ember::pooling::mean, true});
//   auto probe = ember::linear_probe::fit(*vectors, labels);     // labels: one string per text
//   EMBER_TRY(probe->save("sentiment.probe.gguf"));
//   auto loaded = ember::linear_probe::load("sentiment.probe.gguf");
//   auto scores = loaded->predict(*ember::embed_text(*context, "great film", loaded->embedding()));
//
// The fit is deterministic: zero initial weights, full-batch L-BFGS with a
// backtracking line search, a fixed iteration budget and no randomness, all
// in double precision on one thread — the same examples give bit-identical
// weights on every run. It minimises
//     (1/n) Σ_i −log softmax(W x̂_i + b)[y_i]  +  (λ/2) ‖W‖²
// where x̂ are the features standardised to zero mean and unit variance
// (so λ means the same whatever the embedding's scale, and L-BFGS sees a
// well-conditioned problem); the standardisation is folded into W and b
// afterwards, so a saved probe is just `probe.weight` (n_classes × n_features)
// and `probe.bias`, applied to raw embeddings. The bias is not penalised.
//
// File (GGUF v3): general.architecture = "linear_probe"; probe.labels
// (string array); tensors probe.weight [ggml: n_features, n_classes] and
// probe.bias [n_classes], f32; optional probe.pooling (string) and
// probe.normalize (bool) record how the training embeddings were made, so
// predictions embed the same way. Loading validates everything: shapes,
// types, label count, finite values.
//
// A fitted or loaded probe is immutable: predict from any number of threads.

#include "ember/error.hpp"
#include "ember/io/gguf.hpp"
#include "ember/io/gguf_writer.hpp"
#include "ember/runtime/classifier.hpp"
#include "ember/runtime/embedding.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

struct probe_options {
    double l2 = 1e-2;                   // λ, on standardised features; > 0 keeps separable data bounded
    size_t max_iterations = 300;        // L-BFGS iterations (each one gradient, plus line-search steps)
    double gradient_tolerance = 1e-7;   // stop once max |∂loss| falls below this
    size_t history = 10;                // L-BFGS memory (pairs of steps and gradient changes)
};

// What a fit did: for diagnostics, not stored in the file.
struct probe_fit_report {
    size_t iterations = 0;
    double loss = 0.0;           // final objective (cross-entropy + penalty)
    double gradient_norm = 0.0;  // final max |gradient|
    bool converged = false;      // gradient tolerance reached before the budget ran out
};

class linear_probe {
public:
    static constexpr const char* architecture_name = "linear_probe";
    // Bounds for untrusted files and inputs (far beyond any embedding size).
    static constexpr size_t max_features = size_t{1} << 20;
    static constexpr size_t max_classes = size_t{1} << 16;

    // Fits on `examples` (one feature vector each, all the same length) with
    // `labels[i]` the index into `label_names` of example i. Every class
    // needs at least one example; at least two classes.
    static result<linear_probe> fit(const std::vector<std::vector<float>>& examples, const std::vector<size_t>& labels,
                                    std::vector<std::string> label_names, const probe_options& options = {});
    // Labels given by name; classes are numbered in order of first appearance.
    static result<linear_probe> fit(const std::vector<std::vector<float>>& examples, const std::vector<std::string>& labels,
                                    const probe_options& options = {});

    static result<linear_probe> load(const std::string& path);
    static result<linear_probe> from_gguf(const gguf_file& file);
    result<void> save(const std::string& path) const { return to_writer().write_file(path); }
    gguf_writer to_writer() const;

    // Class probabilities for one feature vector (length n_features()).
    result<std::vector<float>> probabilities(const float* features, size_t n) const;
    result<std::vector<float>> probabilities(const std::vector<float>& features) const {
        return probabilities(features.data(), features.size());
    }
    // Labelled probabilities, in label order.
    result<std::vector<label_score>> predict(const std::vector<float>& features) const;
    // The most probable class.
    result<size_t> predict_index(const std::vector<float>& features) const;

    size_t n_features() const { return n_features_; }
    size_t n_classes() const { return labels_.size(); }
    const std::vector<std::string>& labels() const { return labels_; }
    const std::vector<float>& weight() const { return weight_; }  // row-major (n_classes, n_features)
    const std::vector<float>& bias() const { return bias_; }      // (n_classes)
    const probe_fit_report& report() const { return report_; }

    // How the training embeddings were made (saved with the probe).
    const embedding_options& embedding() const { return embedding_; }
    void set_embedding(const embedding_options& options) {
        embedding_.pooling_mode = options.pooling_mode;
        embedding_.normalize = options.normalize;
    }

private:
    size_t n_features_ = 0;
    std::vector<std::string> labels_;
    std::vector<float> weight_, bias_;
    embedding_options embedding_;
    probe_fit_report report_;
};

// ---------------------------------------------------------------------------

namespace detail {

// Multinomial logistic loss on standardised features X (n × d), labels y,
// parameters packed as [W row-major (c × d) | b (c)]. Returns the objective,
// writes its gradient.
class probe_objective {
public:
    probe_objective(const Eigen::MatrixXd& features, const std::vector<size_t>& labels, size_t n_classes, double l2)
        : x_(features), labels_(labels), n_classes_(n_classes), l2_(l2) {}

    size_t n_parameters() const { return n_classes_ * (static_cast<size_t>(x_.cols()) + 1); }

    double evaluate(const Eigen::VectorXd& parameters, Eigen::VectorXd& gradient) {
        const Eigen::Index n = x_.rows(), d = x_.cols(), c = static_cast<Eigen::Index>(n_classes_);
        using row_major = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        Eigen::Map<const row_major> weight(parameters.data(), c, d);
        Eigen::Map<const Eigen::VectorXd> bias(parameters.data() + c * d, c);
        scores_.noalias() = x_ * weight.transpose();  // n × c
        scores_.rowwise() += bias.transpose();
        double loss = 0.0;
        for (Eigen::Index i = 0; i < n; ++i) {
            const auto label = static_cast<Eigen::Index>(labels_[static_cast<size_t>(i)]);
            const double max_score = scores_.row(i).maxCoeff();
            const double label_score = scores_(i, label) - max_score;
            double sum = 0.0;
            for (Eigen::Index k = 0; k < c; ++k) {
                const double e = std::exp(scores_(i, k) - max_score);
                scores_(i, k) = e;  // becomes the probability below
                sum += e;
            }
            loss += std::log(sum) - label_score;  // −log softmax, without underflow
            scores_.row(i) /= sum;
            scores_(i, label) -= 1.0;  // softmax − one-hot: the score gradient
        }
        const double inverse_n = 1.0 / static_cast<double>(n);
        gradient.resize(static_cast<Eigen::Index>(n_parameters()));
        Eigen::Map<row_major> weight_gradient(gradient.data(), c, d);
        Eigen::Map<Eigen::VectorXd> bias_gradient(gradient.data() + c * d, c);
        weight_gradient.noalias() = inverse_n * (scores_.transpose() * x_);
        weight_gradient += l2_ * weight;
        bias_gradient = inverse_n * scores_.colwise().sum().transpose();
        return loss * inverse_n + 0.5 * l2_ * weight.squaredNorm();
    }

private:
    const Eigen::MatrixXd& x_;
    const std::vector<size_t>& labels_;
    size_t n_classes_;
    double l2_;
    Eigen::MatrixXd scores_;
};

// L-BFGS (Nocedal & Wright, algorithm 7.4/7.5) with an Armijo backtracking
// line search. Deterministic: fixed start, fixed step rules.
inline probe_fit_report minimize_lbfgs(probe_objective& objective, Eigen::VectorXd& x, const probe_options& options) {
    probe_fit_report report;
    Eigen::VectorXd gradient, next_gradient, direction, next_x;
    double loss = objective.evaluate(x, gradient);
    std::deque<Eigen::VectorXd> steps, changes;  // s_k = x_{k+1} − x_k, y_k = g_{k+1} − g_k
    std::deque<double> inverse_curvatures;      // 1 / (y_k · s_k)
    std::vector<double> alphas;
    for (report.iterations = 0; report.iterations < options.max_iterations; ++report.iterations) {
        report.gradient_norm = gradient.cwiseAbs().maxCoeff();
        if (report.gradient_norm <= options.gradient_tolerance) {
            report.converged = true;
            break;
        }
        // Two-loop recursion: direction = −H·g.
        direction = -gradient;
        alphas.assign(steps.size(), 0.0);
        for (size_t k = steps.size(); k-- > 0;) {
            alphas[k] = inverse_curvatures[k] * steps[k].dot(direction);
            direction -= alphas[k] * changes[k];
        }
        if (!steps.empty()) direction *= 1.0 / (inverse_curvatures.back() * changes.back().squaredNorm());
        else direction *= 1.0 / std::max(1.0, gradient.norm());  // first step: bounded length
        for (size_t k = 0; k < steps.size(); ++k) {
            const double beta = inverse_curvatures[k] * changes[k].dot(direction);
            direction += (alphas[k] - beta) * steps[k];
        }
        double slope = gradient.dot(direction);
        if (!(slope < 0.0)) {  // not a descent direction (rounding): restart from steepest descent
            steps.clear(), changes.clear(), inverse_curvatures.clear();
            direction = -gradient / std::max(1.0, gradient.norm());
            slope = gradient.dot(direction);
        }
        double step = 1.0, next_loss = loss;
        bool accepted = false;
        for (int trial = 0; trial < 50; ++trial, step *= 0.5) {
            next_x = x + step * direction;
            next_loss = objective.evaluate(next_x, next_gradient);
            if (std::isfinite(next_loss) && next_loss <= loss + 1e-4 * step * slope) {
                accepted = true;
                break;
            }
        }
        if (!accepted) break;  // no decrease representable: as good as it gets
        Eigen::VectorXd s = next_x - x, y = next_gradient - gradient;
        const double curvature = y.dot(s);
        if (curvature > 1e-12 * std::max(1.0, s.squaredNorm())) {
            if (steps.size() == options.history) {
                steps.pop_front(), changes.pop_front(), inverse_curvatures.pop_front();
            }
            steps.push_back(std::move(s));
            changes.push_back(std::move(y));
            inverse_curvatures.push_back(1.0 / curvature);
        }
        x.swap(next_x);
        gradient.swap(next_gradient);
        loss = next_loss;
    }
    report.loss = loss;
    report.gradient_norm = gradient.cwiseAbs().maxCoeff();
    if (report.gradient_norm <= options.gradient_tolerance) report.converged = true;
    return report;
}

inline bool probe_values_finite(const float* values, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (!std::isfinite(values[i])) return false;
    return true;
}

}  // namespace detail

inline result<linear_probe> linear_probe::fit(const std::vector<std::vector<float>>& examples, const std::vector<size_t>& labels,
                                              std::vector<std::string> label_names, const probe_options& options) {
    const auto invalid = [](const std::string& message) { return make_error(errc::invalid_argument, "probe: " + message); };
    if (examples.empty()) return invalid("no examples");
    if (labels.size() != examples.size())
        return invalid(std::to_string(examples.size()) + " examples but " + std::to_string(labels.size()) + " labels");
    if (label_names.size() < 2) return invalid("needs at least two classes, got " + std::to_string(label_names.size()));
    if (label_names.size() > max_classes) return invalid("more than " + std::to_string(max_classes) + " classes");
    const size_t d = examples[0].size();
    if (d == 0) return invalid("example 0 has no features");
    if (d > max_features) return invalid("more than " + std::to_string(max_features) + " features");
    if (!(options.l2 >= 0.0) || !std::isfinite(options.l2)) return invalid("l2 must be a finite number >= 0");
    if (!(options.gradient_tolerance >= 0.0)) return invalid("gradient_tolerance must be >= 0");
    if (options.history == 0) return invalid("history must be >= 1");
    std::vector<size_t> per_class(label_names.size(), 0);
    for (size_t i = 0; i < examples.size(); ++i) {
        if (examples[i].size() != d)
            return invalid("example " + std::to_string(i) + " has " + std::to_string(examples[i].size()) +
                           " features, example 0 has " + std::to_string(d));
        if (!detail::probe_values_finite(examples[i].data(), d)) return invalid("example " + std::to_string(i) + " has a NaN or infinite feature");
        if (labels[i] >= label_names.size())
            return invalid("example " + std::to_string(i) + " has label " + std::to_string(labels[i]) + ", but there are " +
                           std::to_string(label_names.size()) + " classes");
        ++per_class[labels[i]];
    }
    for (size_t k = 0; k < per_class.size(); ++k)
        if (per_class[k] == 0) return invalid("class '" + label_names[k] + "' has no examples");

    // Standardise: x̂ = (x − μ) / σ per feature; constant features get σ = 1.
    const size_t n = examples.size();
    Eigen::MatrixXd x(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < d; ++j) x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = examples[i][j];
    const Eigen::RowVectorXd mean = x.colwise().mean();
    x.rowwise() -= mean;
    Eigen::RowVectorXd scale = (x.colwise().squaredNorm() / static_cast<double>(n)).cwiseSqrt();
    for (Eigen::Index j = 0; j < scale.size(); ++j)
        if (!(scale(j) > 1e-12 * (1.0 + std::fabs(mean(j))))) scale(j) = 1.0;
    x.array().rowwise() /= scale.array();

    const size_t c = label_names.size();
    detail::probe_objective objective(x, labels, c, options.l2);
    Eigen::VectorXd parameters = Eigen::VectorXd::Zero(static_cast<Eigen::Index>(objective.n_parameters()));
    linear_probe probe;
    probe.report_ = detail::minimize_lbfgs(objective, parameters, options);
    if (!parameters.allFinite()) return invalid("the fit diverged (non-finite weights); increase l2");

    // Fold the standardisation in: W = Ŵ / σ, b = b̂ − W μ.
    probe.n_features_ = d;
    probe.labels_ = std::move(label_names);
    probe.weight_.resize(c * d);
    probe.bias_.resize(c);
    for (size_t k = 0; k < c; ++k) {
        double shift = 0.0;
        for (size_t j = 0; j < d; ++j) {
            const double w = parameters(static_cast<Eigen::Index>(k * d + j)) / scale(static_cast<Eigen::Index>(j));
            probe.weight_[k * d + j] = static_cast<float>(w);
            shift += w * mean(static_cast<Eigen::Index>(j));
        }
        probe.bias_[k] = static_cast<float>(parameters(static_cast<Eigen::Index>(c * d + k)) - shift);
    }
    if (!detail::probe_values_finite(probe.weight_.data(), probe.weight_.size()) || !detail::probe_values_finite(probe.bias_.data(), c))
        return invalid("the fitted weights overflow f32; increase l2");
    return probe;
}

inline result<linear_probe> linear_probe::fit(const std::vector<std::vector<float>>& examples,
                                              const std::vector<std::string>& labels, const probe_options& options) {
    std::vector<std::string> names;
    std::vector<size_t> indices;
    indices.reserve(labels.size());
    for (const std::string& label : labels) {
        size_t index = std::find(names.begin(), names.end(), label) - names.begin();
        if (index == names.size()) names.push_back(label);
        indices.push_back(index);
    }
    return fit(examples, indices, std::move(names), options);
}

inline result<std::vector<float>> linear_probe::probabilities(const float* features, size_t n) const {
    if (n != n_features_)
        return make_error(errc::invalid_argument, "probe: expects " + std::to_string(n_features_) + " features, got " +
                                                      std::to_string(n));
    if (!detail::probe_values_finite(features, n)) return make_error(errc::invalid_argument, "probe: a feature is NaN or infinite");
    const size_t c = labels_.size();
    std::vector<double> scores(c);
    for (size_t k = 0; k < c; ++k) {
        double sum = bias_[k];
        const float* row = weight_.data() + k * n_features_;
        for (size_t j = 0; j < n; ++j) sum += static_cast<double>(row[j]) * features[j];
        scores[k] = sum;
    }
    const double max_score = *std::max_element(scores.begin(), scores.end());
    double total = 0.0;
    for (double& score : scores) total += (score = std::exp(score - max_score));
    std::vector<float> out(c);
    for (size_t k = 0; k < c; ++k) out[k] = static_cast<float>(scores[k] / total);
    return out;
}

inline result<std::vector<label_score>> linear_probe::predict(const std::vector<float>& features) const {
    EMBER_TRY_ASSIGN(std::vector<float> probabilities_of, probabilities(features));
    std::vector<label_score> out;
    out.reserve(labels_.size());
    for (size_t k = 0; k < labels_.size(); ++k) out.push_back({labels_[k], probabilities_of[k]});
    return out;
}

inline result<size_t> linear_probe::predict_index(const std::vector<float>& features) const {
    EMBER_TRY_ASSIGN(std::vector<float> probabilities_of, probabilities(features));
    return static_cast<size_t>(std::max_element(probabilities_of.begin(), probabilities_of.end()) - probabilities_of.begin());
}

inline gguf_writer linear_probe::to_writer() const {
    gguf_writer writer;
    writer.set("general.architecture", std::string(architecture_name));
    writer.set("general.name", std::string("linear probe"));
    writer.set_array("probe.labels", labels_);
    if (embedding_.pooling_mode) writer.set("probe.pooling", std::string(to_string(*embedding_.pooling_mode)));
    writer.set("probe.normalize", embedding_.normalize);
    writer.add_f32_tensor("probe.weight", {n_features_, labels_.size()}, weight_);
    writer.add_f32_tensor("probe.bias", {labels_.size()}, bias_);
    return writer;
}

inline result<linear_probe> linear_probe::load(const std::string& path) {
    EMBER_TRY_ASSIGN(gguf_file file, gguf_file::open(path));
    return from_gguf(file);
}

inline result<linear_probe> linear_probe::from_gguf(const gguf_file& file) {
    const auto invalid = [&](const std::string& message) {
        return make_error(errc::invalid_file, file.source_name() + ": " + message);
    };
    EMBER_TRY_ASSIGN(std::string_view architecture, file.get_or<std::string_view>("general.architecture", ""));
    if (architecture != architecture_name)
        return invalid("not a linear probe (general.architecture is '" + std::string(architecture) + "', expected '" +
                       architecture_name + "')");
    EMBER_TRY_ASSIGN(std::vector<std::string_view> labels, file.get_array<std::string_view>("probe.labels"));
    if (labels.size() < 2 || labels.size() > max_classes)
        return invalid("probe.labels has " + std::to_string(labels.size()) + " labels (expected 2.." +
                       std::to_string(max_classes) + ")");

    const gguf_tensor* weight = file.find_tensor("probe.weight");
    const gguf_tensor* bias = file.find_tensor("probe.bias");
    if (!weight) return invalid("missing tensor 'probe.weight'");
    if (!bias) return invalid("missing tensor 'probe.bias'");
    if (weight->type != dtype::f32) return invalid("probe.weight must be f32");
    if (bias->type != dtype::f32) return invalid("probe.bias must be f32");
    if (weight->n_dims != 2 || weight->shape[1] != labels.size() || weight->shape[0] == 0 || weight->shape[0] > max_features)
        return invalid("probe.weight has shape [" + std::to_string(weight->shape[0]) + ", " + std::to_string(weight->shape[1]) +
                       "], expected [n_features (1.." + std::to_string(max_features) + "), " + std::to_string(labels.size()) +
                       " labels]");
    if (bias->n_dims != 1 || bias->n_elements != labels.size())
        return invalid("probe.bias has " + std::to_string(bias->n_elements) + " elements, expected " +
                       std::to_string(labels.size()) + " (one per label)");
    if (weight->n_bytes != weight->n_elements * sizeof(float) || bias->n_bytes != bias->n_elements * sizeof(float))
        return invalid("probe tensor sizes are inconsistent");

    linear_probe probe;
    probe.n_features_ = static_cast<size_t>(weight->shape[0]);
    for (std::string_view label : labels) probe.labels_.emplace_back(label);
    probe.weight_.resize(static_cast<size_t>(weight->n_elements));
    probe.bias_.resize(static_cast<size_t>(bias->n_elements));
    // memcpy: a file parsed from memory need not be f32-aligned.
    std::memcpy(probe.weight_.data(), weight->data, probe.weight_.size() * sizeof(float));
    std::memcpy(probe.bias_.data(), bias->data, probe.bias_.size() * sizeof(float));
    if (!detail::probe_values_finite(probe.weight_.data(), probe.weight_.size())) return invalid("probe.weight has NaN or infinite values");
    if (!detail::probe_values_finite(probe.bias_.data(), probe.bias_.size())) return invalid("probe.bias has NaN or infinite values");

    EMBER_TRY_ASSIGN(std::string_view pooling_name, file.get_or<std::string_view>("probe.pooling", ""));
    if (!pooling_name.empty()) {
        auto mode = parse_pooling(pooling_name);
        if (!mode) return invalid("probe.pooling: " + mode.error().message);
        probe.embedding_.pooling_mode = *mode;
    }
    EMBER_TRY_ASSIGN(probe.embedding_.normalize, file.get_or<bool>("probe.normalize", false));
    return probe;
}

}  // namespace ember
