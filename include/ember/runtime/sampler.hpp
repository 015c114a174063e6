#pragma once
// Choosing the next token from a row of logits: a sampler chain.
//
// A chain is plain data — a list of stages applied in order to the
// candidate set, then one draw from what is left:
//
//   ember::sampler_chain chain;
//   chain.stages = {ember::sampling::penalties{64, 1.1f},
//                   ember::sampling::top_k{40},
//                   ember::sampling::top_p{0.95f},
//                   ember::sampling::temperature{0.8f}};
//   chain.seed = 42;
//   auto sampler = ember::sampler::create(chain, context->n_vocab());
//   int32_t token = sampler->sample(context->logits());   // also remembers it
//
// or, with llama.cpp-style knobs, `ember::sampler_settings{...}.chain()`.
//
// Stage semantics follow llama.cpp's samplers (top-p keeps the smallest
// most-probable prefix whose mass reaches p, min-p keeps tokens with
// p ≥ min_p · p_max, typical-p keeps tokens whose surprise is nearest the
// entropy until their mass exceeds p, the repeat penalty divides positive
// logits and multiplies negative ones). A temperature ≤ 0 means greedy.
//
// Reproducibility: draws use ember's own random_generator (random.hpp), all
// orderings are total (ties broken by token id) and every algorithm here is
// ember's own, so the same logits, seed and chain pick the same tokens with
// any standard library. (The logits themselves can differ in the last bits
// between CPUs; that is the model's business, not the sampler's.)
//
// Allocation: the candidate buffer, penalty windows and bias tables are
// allocated once by create(); sample() and accept() never allocate.

#include "ember/error.hpp"
#include "ember/runtime/random.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <variant>
#include <vector>

namespace ember {

struct token_candidate {
    int32_t id;
    float logit;
    float probability;  // of the kept set, after apply(); 0 in between stages
};

// The stages. Defaults disable nothing by surprise: each is what its name
// says with a commonly used value.
namespace sampling {

// Keep only the most likely token.
struct greedy {};

// Divide logits by `value`; ≤ 0 keeps only the most likely token (greedy).
struct temperature {
    float value = 1.0f;
};

// Keep the k most likely tokens; k ≤ 0 keeps all.
struct top_k {
    int32_t k = 40;
};

// Keep the smallest set of most likely tokens whose probability reaches p
// (at least min_keep); p ≥ 1 keeps all.
struct top_p {
    float p = 0.95f;
    size_t min_keep = 1;
};

// Keep tokens at least p times as likely as the most likely one (at least
// min_keep); p ≤ 0 keeps all.
struct min_p {
    float p = 0.05f;
    size_t min_keep = 1;
};

// Locally typical sampling (Meister et al. 2022): order tokens by how far
// their surprise −log p is from the entropy, keep them until their mass
// exceeds p (at least min_keep); p ≥ 1 keeps all.
struct typical_p {
    float p = 1.0f;
    size_t min_keep = 1;
};

// Penalise tokens seen among the last `last_n` accepted tokens (the prompt
// and what was generated): a seen token's logit is divided by `repeat` when
// positive and multiplied by it when negative, then reduced by
// count·frequency + presence. last_n = 0 disables.
struct penalties {
    int32_t last_n = 64;
    float repeat = 1.0f;
    float frequency = 0.0f;
    float presence = 0.0f;
};

// Added to one token's logit; −infinity bans the token.
struct token_bias {
    int32_t token;
    float bias;
};

struct logit_bias {
    std::vector<token_bias> biases;
};

}  // namespace sampling

using sampler_stage = std::variant<sampling::greedy, sampling::temperature, sampling::top_k, sampling::top_p,
                                   sampling::min_p, sampling::typical_p, sampling::penalties, sampling::logit_bias>;

struct sampler_chain {
    std::vector<sampler_stage> stages;  // empty: sample from the model's full distribution
    uint64_t seed = random_generator::default_seed;
};

// The familiar knobs (llama.cpp's names and defaults), turned into a chain in
// llama.cpp's default order: logit bias, penalties, top-k, typical-p, top-p,
// min-p, temperature.
struct sampler_settings {
    float temperature = 0.8f;  // ≤ 0: greedy (after bias and penalties; the filters are then moot)
    int32_t top_k = 40;        // ≤ 0: off
    float top_p = 0.95f;       // 1: off
    float min_p = 0.05f;       // 0: off
    float typical_p = 1.0f;    // 1: off
    float repeat_penalty = 1.0f;  // 1: off
    int32_t repeat_last_n = 64;   // window of the three penalties; 0: off
    float frequency_penalty = 0.0f;
    float presence_penalty = 0.0f;
    std::vector<sampling::token_bias> logit_bias;
    uint64_t seed = random_generator::default_seed;

    sampler_chain chain() const {
        sampler_chain result;
        result.seed = seed;
        if (!logit_bias.empty()) result.stages.push_back(sampling::logit_bias{logit_bias});
        if (repeat_last_n != 0 && (repeat_penalty != 1.0f || frequency_penalty != 0.0f || presence_penalty != 0.0f))
            result.stages.push_back(sampling::penalties{repeat_last_n, repeat_penalty, frequency_penalty, presence_penalty});
        if (temperature <= 0.0f) {
            result.stages.push_back(sampling::greedy{});
            return result;
        }
        if (top_k > 0) result.stages.push_back(sampling::top_k{top_k});
        // (Out-of-range values still make a stage, so that create() reports them.)
        if (typical_p != 1.0f) result.stages.push_back(sampling::typical_p{typical_p});
        if (top_p != 1.0f) result.stages.push_back(sampling::top_p{top_p});
        if (min_p != 0.0f) result.stages.push_back(sampling::min_p{min_p});
        if (temperature != 1.0f) result.stages.push_back(sampling::temperature{temperature});
        return result;
    }
};

// The kept candidates after apply(); valid until the sampler is next used.
struct candidate_span {
    const token_candidate* data = nullptr;
    size_t size = 0;
    const token_candidate* begin() const { return data; }
    const token_candidate* end() const { return data + size; }
    const token_candidate& operator[](size_t i) const { return data[i]; }
};

class sampler {
public:
    static result<sampler> create(sampler_chain chain, size_t n_vocab);
    static result<sampler> create(const sampler_settings& settings, size_t n_vocab) {
        return create(settings.chain(), n_vocab);
    }

    // Runs the stages on one row of n_vocab logits and returns the kept
    // candidates with their probabilities (summing to 1). Non-finite logits
    // are tolerated: NaN counts as −infinity.
    candidate_span apply(const float* logits);

    // apply(), one draw (no random number is used when one candidate is
    // left), then accept() of the chosen token.
    int32_t sample(const float* logits) {
        apply(logits);
        const int32_t token = select();
        accept(token);
        return token;
    }

    // Records a token in the penalty windows (prompt tokens too, so the
    // penalties see the whole recent text). Ids outside the vocabulary are
    // ignored.
    void accept(int32_t token);

    // Forgets the penalty history and restarts the random sequence from the
    // chain's seed (or a new one).
    void reset() { reset(chain_.seed); }
    void reset(uint64_t seed) {
        chain_.seed = seed;
        random_.reseed(seed);
        clear_history();
    }
    // Forgets the penalty history only; the random sequence continues.
    void clear_history();

    const sampler_chain& chain() const { return chain_; }
    size_t n_vocab() const { return n_vocab_; }

private:
    // A penalties stage's memory: the last tokens in a ring, and how often
    // each id occurs among them.
    struct penalty_window {
        std::vector<int32_t> ring;
        size_t next = 0, filled = 0;
        std::vector<int32_t> counts;  // per id
    };
    struct stage_state {
        penalty_window window;        // penalties stages
        std::vector<float> bias;      // logit_bias stages: per id
    };

    sampler(sampler_chain chain, size_t n_vocab);

    int32_t select();
    void normalize();  // probabilities of the kept set
    void clamp(token_candidate& candidate) const {
        // NaN → −inf; +inf → the largest float, so softmax never sees inf − inf.
        if (!(candidate.logit >= -std::numeric_limits<float>::max()))
            candidate.logit = -std::numeric_limits<float>::infinity();
        else if (candidate.logit > std::numeric_limits<float>::max())
            candidate.logit = std::numeric_limits<float>::max();
    }
    // Makes the first `count` candidates the largest, in order; `done` of
    // them already are.
    void sort_prefix(size_t done, size_t count);
    float max_logit() const;
    // Stores exp(logit − max) in each kept candidate's `probability` and
    // returns their sum (in double: 150k small terms).
    double exponentiate(float max);

    void apply_stage(const sampling::greedy&);
    void apply_stage(const sampling::temperature&);
    void apply_stage(const sampling::top_k&);
    void apply_stage(const sampling::top_p&);
    void apply_stage(const sampling::min_p&);
    void apply_stage(const sampling::typical_p&);
    void apply_penalties(const sampling::penalties&, const penalty_window&);
    void apply_bias(const std::vector<float>& bias);

    sampler_chain chain_;
    size_t n_vocab_;
    std::vector<token_candidate> candidates_;  // n_vocab, allocated once
    size_t size_ = 0;                          // the kept set is candidates_[0, size_)
    bool sorted_ = false;                      // kept set ordered by logit, descending
    std::vector<stage_state> states_;          // one per stage
    random_generator random_;
};

namespace detail {

// The total order every sort uses: higher logit first, then lower id — so
// ties resolve identically on every standard library.
inline bool more_likely(const token_candidate& a, const token_candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

}  // namespace detail

// ---------------------------------------------------------------------------

inline result<sampler> sampler::create(sampler_chain chain, size_t n_vocab) {
    if (n_vocab == 0 || n_vocab > static_cast<size_t>(std::numeric_limits<int32_t>::max()))
        return make_error(errc::invalid_argument, "sampler: n_vocab " + std::to_string(n_vocab) + " is not usable");
    constexpr int32_t longest_window = 1 << 20;
    auto probability = [](const char* stage, float p) -> result<void> {
        if (!(p >= 0.0f && p <= 1.0f)) {
            char value[32];
            std::snprintf(value, sizeof value, "%g", static_cast<double>(p));
            return make_error(errc::invalid_argument, std::string("sampler: ") + stage + " must be in [0, 1], got " + value);
        }
        return {};
    };
    for (const sampler_stage& stage : chain.stages) {
        if (auto* t = std::get_if<sampling::temperature>(&stage)) {
            if (!std::isfinite(t->value)) return make_error(errc::invalid_argument, "sampler: temperature is not finite");
        } else if (auto* s = std::get_if<sampling::top_p>(&stage)) {
            EMBER_TRY(probability("top-p", s->p));
        } else if (auto* s = std::get_if<sampling::min_p>(&stage)) {
            EMBER_TRY(probability("min-p", s->p));
        } else if (auto* s = std::get_if<sampling::typical_p>(&stage)) {
            EMBER_TRY(probability("typical-p", s->p));
        } else if (auto* s = std::get_if<sampling::penalties>(&stage)) {
            if (s->last_n < 0 || s->last_n > longest_window)
                return make_error(errc::invalid_argument, "sampler: penalty window last_n must be in [0, " +
                                                              std::to_string(longest_window) + "], got " + std::to_string(s->last_n));
            if (!(s->repeat > 0.0f) || !std::isfinite(s->repeat))
                return make_error(errc::invalid_argument, "sampler: repeat penalty must be a positive number, got " + std::to_string(s->repeat));
            if (!std::isfinite(s->frequency) || !std::isfinite(s->presence))
                return make_error(errc::invalid_argument, "sampler: frequency and presence penalties must be finite");
        } else if (auto* s = std::get_if<sampling::logit_bias>(&stage)) {
            for (const sampling::token_bias& entry : s->biases) {
                if (entry.token < 0 || static_cast<size_t>(entry.token) >= n_vocab)
                    return make_error(errc::out_of_range, "sampler: logit bias for token " + std::to_string(entry.token) +
                                                              ", outside the vocabulary (" + std::to_string(n_vocab) + ")");
                if (std::isnan(entry.bias) || entry.bias == std::numeric_limits<float>::infinity())
                    return make_error(errc::invalid_argument, "sampler: logit bias for token " + std::to_string(entry.token) +
                                                                  " must be a number or -infinity");
            }
        }
    }
    return sampler(std::move(chain), n_vocab);
}

inline sampler::sampler(sampler_chain chain, size_t n_vocab)
    : chain_(std::move(chain)), n_vocab_(n_vocab), candidates_(n_vocab), states_(chain_.stages.size()), random_(chain_.seed) {
    for (size_t i = 0; i < chain_.stages.size(); ++i) {
        if (auto* s = std::get_if<sampling::penalties>(&chain_.stages[i])) {
            if (s->last_n > 0) {
                states_[i].window.ring.assign(static_cast<size_t>(s->last_n), 0);
                states_[i].window.counts.assign(n_vocab, 0);
            }
        } else if (auto* s = std::get_if<sampling::logit_bias>(&chain_.stages[i])) {
            states_[i].bias.assign(n_vocab, 0.0f);
            for (const sampling::token_bias& entry : s->biases) states_[i].bias[static_cast<size_t>(entry.token)] += entry.bias;
        }
    }
}

inline void sampler::clear_history() {
    for (stage_state& state : states_) {
        penalty_window& window = state.window;
        window.next = window.filled = 0;
        std::fill(window.counts.begin(), window.counts.end(), 0);
    }
}

inline void sampler::accept(int32_t token) {
    if (token < 0 || static_cast<size_t>(token) >= n_vocab_) return;
    for (stage_state& state : states_) {
        penalty_window& window = state.window;
        if (window.ring.empty()) continue;
        if (window.filled == window.ring.size()) --window.counts[static_cast<size_t>(window.ring[window.next])];
        else ++window.filled;
        window.ring[window.next] = token;
        ++window.counts[static_cast<size_t>(token)];
        window.next = (window.next + 1) % window.ring.size();
    }
}

inline candidate_span sampler::apply(const float* logits) {
    size_t first_stage = 0;
    if (!chain_.stages.empty() && std::holds_alternative<sampling::greedy>(chain_.stages[0])) {
        // Plain greedy: one scan for the first maximum (NaN never wins),
        // without filling the candidate buffer.
        size_t best = 0;
        for (size_t i = 1; i < n_vocab_; ++i)
            if (logits[i] > logits[best] || (std::isnan(logits[best]) && !std::isnan(logits[i]))) best = i;
        candidates_[0] = {static_cast<int32_t>(best), logits[best], 0.0f};
        clamp(candidates_[0]);
        size_ = 1;
        sorted_ = true;
        first_stage = 1;
    } else {
        for (size_t i = 0; i < n_vocab_; ++i) {
            candidates_[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
            clamp(candidates_[i]);
        }
        size_ = n_vocab_;
        sorted_ = false;
    }
    for (size_t i = first_stage; i < chain_.stages.size(); ++i) {
        const sampler_stage& stage = chain_.stages[i];
        if (auto* s = std::get_if<sampling::penalties>(&stage)) apply_penalties(*s, states_[i].window);
        else if (std::holds_alternative<sampling::logit_bias>(stage)) apply_bias(states_[i].bias);
        else std::visit([this](const auto& s) {
                 if constexpr (!std::is_same_v<std::decay_t<decltype(s)>, sampling::penalties> &&
                               !std::is_same_v<std::decay_t<decltype(s)>, sampling::logit_bias>)
                     apply_stage(s);
             }, stage);
    }
    normalize();
    return candidate_span{candidates_.data(), size_};
}

inline float sampler::max_logit() const {
    float max = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < size_; ++i) max = std::max(max, candidates_[i].logit);
    return max;
}

inline double sampler::exponentiate(float max) {
    double sum = 0.0;
    for (size_t i = 0; i < size_; ++i) {
        const float weight = std::exp(candidates_[i].logit - max);  // in (0, 1]; 0 for −inf
        candidates_[i].probability = weight;
        sum += weight;
    }
    return sum;
}

inline void sampler::normalize() {
    const float max = max_logit();
    if (max == -std::numeric_limits<float>::infinity()) {  // everything banned: no preference left
        for (size_t i = 0; i < size_; ++i) candidates_[i].probability = 1.0f / static_cast<float>(size_);
        return;
    }
    const double sum = exponentiate(max);
    for (size_t i = 0; i < size_; ++i)
        candidates_[i].probability = static_cast<float>(candidates_[i].probability / sum);
}

inline int32_t sampler::select() {
    if (size_ == 1) return candidates_[0].id;
    double total = 0.0;
    for (size_t i = 0; i < size_; ++i) total += candidates_[i].probability;
    // Inverse-CDF over the kept set in its current (deterministic) order.
    const double target = random_.next_double() * total;
    double cumulative = 0.0;
    size_t last_possible = 0;
    for (size_t i = 0; i < size_; ++i) {
        if (candidates_[i].probability <= 0.0f) continue;
        cumulative += candidates_[i].probability;
        last_possible = i;
        if (target < cumulative) return candidates_[i].id;
    }
    return candidates_[last_possible].id;  // rounding left target at the very top
}

inline void sampler::sort_prefix(size_t done, size_t count) {
    if (count <= done) return;
    auto first = candidates_.begin();
    std::partial_sort(first + static_cast<std::ptrdiff_t>(done), first + static_cast<std::ptrdiff_t>(count),
                      first + static_cast<std::ptrdiff_t>(size_), detail::more_likely);
}

inline void sampler::apply_stage(const sampling::greedy&) {
    size_t best = 0;
    for (size_t i = 1; i < size_; ++i)
        if (detail::more_likely(candidates_[i], candidates_[best])) best = i;
    candidates_[0] = candidates_[best];
    size_ = 1;
    sorted_ = true;
}

inline void sampler::apply_stage(const sampling::temperature& stage) {
    if (stage.value <= 0.0f) return apply_stage(sampling::greedy{});
    if (stage.value == 1.0f) return;
    // Dividing by a positive number keeps the order (sorted_ stays valid).
    for (size_t i = 0; i < size_; ++i) {
        candidates_[i].logit /= stage.value;
        clamp(candidates_[i]);
    }
}

inline void sampler::apply_stage(const sampling::top_k& stage) {
    if (stage.k <= 0 || static_cast<size_t>(stage.k) >= size_) return;
    const size_t k = static_cast<size_t>(stage.k);
    if (!sorted_) sort_prefix(0, k);
    size_ = k;
    sorted_ = true;
}

inline void sampler::apply_stage(const sampling::top_p& stage) {
    if (stage.p >= 1.0f || size_ <= 1) return;
    const size_t min_keep = std::max<size_t>(stage.min_keep, 1);
    const float max = max_logit();
    if (max == -std::numeric_limits<float>::infinity()) return;
    const double sum = exponentiate(max);
    // Sort lazily: a peaked distribution reaches p within a few tokens, so
    // sorting a 150k vocabulary completely would be wasted work.
    size_t sorted_count = sorted_ ? size_ : 0;
    double cumulative = 0.0;
    for (size_t i = 0; i < size_; ++i) {
        if (i == sorted_count) {
            const size_t grown = std::min(size_, std::max<size_t>(64, sorted_count * 4));
            sort_prefix(sorted_count, grown);
            sorted_count = grown;
        }
        cumulative += candidates_[i].probability / sum;
        if (cumulative >= stage.p && i + 1 >= min_keep) {
            size_ = i + 1;
            break;
        }
    }
    sorted_ = sorted_count >= size_;
}

inline void sampler::apply_stage(const sampling::min_p& stage) {
    if (stage.p <= 0.0f || size_ <= 1) return;
    const size_t min_keep = std::max<size_t>(stage.min_keep, 1);
    // p_i ≥ p · p_max  ⇔  logit_i ≥ max + log p: no softmax needed.
    const double threshold = static_cast<double>(max_logit()) + std::log(static_cast<double>(stage.p));
    size_t kept = 0;
    for (size_t i = 0; i < size_; ++i)
        if (static_cast<double>(candidates_[i].logit) >= threshold) ++kept;
    if (kept < min_keep) {
        if (!sorted_) sort_prefix(0, std::min(min_keep, size_));
        size_ = std::min(min_keep, size_);
        sorted_ = true;
        return;
    }
    // Stable compaction: the survivors keep their order (and sortedness).
    size_t write = 0;
    for (size_t i = 0; i < size_; ++i)
        if (static_cast<double>(candidates_[i].logit) >= threshold) candidates_[write++] = candidates_[i];
    size_ = write;
}

inline void sampler::apply_stage(const sampling::typical_p& stage) {
    if (stage.p >= 1.0f || size_ <= 1) return;
    const size_t min_keep = std::max<size_t>(stage.min_keep, 1);
    const float max = max_logit();
    if (max == -std::numeric_limits<float>::infinity()) return;
    const double sum = exponentiate(max);
    const double log_sum = std::log(sum);
    // entropy = −Σ p log p, with p = weight / Σ and log p = logit − max − log Σ
    double entropy = 0.0;
    for (size_t i = 0; i < size_; ++i) {
        if (candidates_[i].probability == 0.0f) continue;
        const double log_p = static_cast<double>(candidates_[i].logit - max) - log_sum;
        entropy -= candidates_[i].probability / sum * log_p;
    }
    // The `probability` field holds each token's distance from typical
    // surprise while sorting; it is recomputed by normalize() at the end.
    for (size_t i = 0; i < size_; ++i) {
        const double log_p = static_cast<double>(candidates_[i].logit - max) - log_sum;
        candidates_[i].probability = static_cast<float>(std::fabs(-log_p - entropy));  // inf for banned tokens
    }
    auto more_typical = [](const token_candidate& a, const token_candidate& b) {
        if (a.probability != b.probability) return a.probability < b.probability;
        return detail::more_likely(a, b);
    };
    // Sorted lazily, as in top-p: the mass usually reaches p long before
    // the tail of the vocabulary.
    auto first = candidates_.begin();
    size_t sorted_count = 0;
    double cumulative = 0.0;
    for (size_t i = 0; i < size_; ++i) {
        if (i == sorted_count) {
            const size_t grown = std::min(size_, std::max<size_t>(64, sorted_count * 4));
            std::partial_sort(first + static_cast<std::ptrdiff_t>(sorted_count), first + static_cast<std::ptrdiff_t>(grown),
                              first + static_cast<std::ptrdiff_t>(size_), more_typical);
            sorted_count = grown;
        }
        cumulative += std::exp(candidates_[i].logit - max) / sum;
        if (cumulative > stage.p && i + 1 >= min_keep) {
            size_ = i + 1;
            break;
        }
    }
    for (size_t i = 0; i < size_; ++i) candidates_[i].probability = 0.0f;
    sorted_ = false;
}

inline void sampler::apply_penalties(const sampling::penalties& stage, const penalty_window& window) {
    if (window.filled == 0) return;
    if (stage.repeat == 1.0f && stage.frequency == 0.0f && stage.presence == 0.0f) return;
    for (size_t i = 0; i < size_; ++i) {
        token_candidate& candidate = candidates_[i];
        const int32_t count = window.counts[static_cast<size_t>(candidate.id)];
        if (count == 0) continue;
        if (candidate.logit <= 0.0f) candidate.logit *= stage.repeat;
        else candidate.logit /= stage.repeat;
        candidate.logit -= static_cast<float>(count) * stage.frequency + stage.presence;
        clamp(candidate);
    }
    sorted_ = false;
}

inline void sampler::apply_bias(const std::vector<float>& bias) {
    for (size_t i = 0; i < size_; ++i) {
        token_candidate& candidate = candidates_[i];
        candidate.logit += bias[static_cast<size_t>(candidate.id)];
        clamp(candidate);
    }
    sorted_ = false;
}

}  // namespace ember
