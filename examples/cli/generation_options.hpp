#pragma once
// The options `ember run` and `ember chat` share, with llama.cpp's names:
// threads, context size, token budget, and the sampler settings with their
// seed. --repeat-last-n is each command's own (run takes -1 for "the whole
// context", which it knows only once the context exists).
#include "command.hpp"

#include <ember/runtime/sampler.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace ember_cli {

// Numeric option values; `error` names the first bad one, prefixed with the
// command ("run: --temp expects a number, got 'x'").
struct number_parser {
    const arguments& options;
    std::string command;
    std::string error;

    double real(const char* name, double fallback) {
        if (!options.has(name)) return fallback;
        const std::string text = options.get(name);
        char* end = nullptr;
        errno = 0;
        const double value = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value)) {
            if (error.empty()) error = command + ": " + name + " expects a number, got '" + text + "'";
            return fallback;
        }
        return value;
    }
    int64_t integer(std::initializer_list<const char*> names, int64_t fallback, int64_t low, int64_t high) {
        for (const char* name : names) {
            if (!options.has(name)) continue;
            const std::string text = options.get(name);
            char* end = nullptr;
            errno = 0;
            const long long value = std::strtoll(text.c_str(), &end, 10);
            if (text.empty() || *end != '\0' || errno == ERANGE || value < low || value > high) {
                if (error.empty())
                    error = command + ": " + name + " expects an integer in [" + std::to_string(low) + ", " +
                            std::to_string(high) + "], got '" + text + "'";
                return fallback;
            }
            return value;
        }
        return fallback;
    }
    // --seed / -s: any 64-bit value, or -1 (absent too) for a fresh seed each run, as in llama.cpp.
    uint64_t seed() {
        const char* name = options.has("--seed") ? "--seed" : "-s";
        const std::string text = options.get(name, "-1");
        if (text == "-1") {
            std::random_device device;
            return (static_cast<uint64_t>(device()) << 32) ^ device() ^
                   static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
        }
        char* end = nullptr;
        errno = 0;
        const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
        if ((text.empty() || text[0] == '-' || *end != '\0' || errno == ERANGE) && error.empty())
            error = command + ": " + name + " expects a non-negative integer (or -1), got '" + text + "'";
        return value;
    }
    // -l / --logit-bias TOKEN(+|-)BIAS, repeatable, in llama.cpp's form:
    // "15043+1", "15043-1.5", "15043-inf" (never this token). The library
    // checks the token against the vocabulary.
    std::vector<ember::sampling::token_bias> logit_biases() {
        std::vector<ember::sampling::token_bias> biases;
        for (const char* name : {"-l", "--logit-bias"})
            for (const std::string& text : options.get_all(name)) {
                char* end = nullptr;
                errno = 0;
                const long long token = std::strtoll(text.c_str(), &end, 10);
                const bool signed_bias = end != text.c_str() && (*end == '+' || *end == '-');
                const double bias = signed_bias ? std::strtod(end, &end) : 0.0;
                if (!std::isdigit(static_cast<unsigned char>(text[0])) || !signed_bias || *end != '\0' || errno == ERANGE ||
                    token > INT32_MAX || std::isnan(bias) || bias == HUGE_VAL) {
                    if (error.empty())
                        error = command + ": " + name + " expects TOKEN_ID+BIAS or TOKEN_ID-BIAS (e.g. 15043+1, 15043-inf), got '" +
                                text + "'";
                    continue;
                }
                biases.push_back({static_cast<int32_t>(token), static_cast<float>(bias)});
            }
        return biases;
    }
};

struct generation_settings {
    int threads = 1;
    uint32_t n_ctx = 0;       // 0: the model's training context, at most 4096
    int64_t max_tokens = -1;  // -1: until the model ends or the context is full
    ember::sampler_settings sampling;
};

// Reads the shared options into `settings`; on a bad value, parse.error says which.
inline generation_settings parse_generation_settings(number_parser& parse) {
    generation_settings settings;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    settings.threads = static_cast<int>(parse.integer({"-t", "--threads"}, std::min(4u, cores), 1, 512));
    settings.n_ctx = static_cast<uint32_t>(parse.integer({"-c", "--ctx-size"}, 0, 0, 1 << 20));
    settings.max_tokens = parse.integer({"-n", "--n-predict"}, -1, -1, INT64_MAX);
    ember::sampler_settings& sampling = settings.sampling;
    sampling.temperature = static_cast<float>(parse.real("--temp", sampling.temperature));
    sampling.top_k = static_cast<int32_t>(parse.integer({"--top-k"}, sampling.top_k, 0, INT32_MAX));
    sampling.top_p = static_cast<float>(parse.real("--top-p", sampling.top_p));
    sampling.min_p = static_cast<float>(parse.real("--min-p", sampling.min_p));
    sampling.typical_p = static_cast<float>(parse.real("--typical", sampling.typical_p));
    sampling.repeat_penalty = static_cast<float>(parse.real("--repeat-penalty", sampling.repeat_penalty));
    sampling.presence_penalty = static_cast<float>(parse.real("--presence-penalty", sampling.presence_penalty));
    sampling.frequency_penalty = static_cast<float>(parse.real("--frequency-penalty", sampling.frequency_penalty));
    sampling.logit_bias = parse.logit_biases();
    sampling.seed = parse.seed();
    return settings;
}

}  // namespace ember_cli
