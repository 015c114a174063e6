#pragma once
// Seeded random inputs for the kernel tests: normal floats, and the same
// rounded to f16 bit patterns (e.g. a KV cache).

#include <ember/core/dtype.hpp>

#include <cstdint>
#include <random>
#include <vector>

namespace ember_test {

inline std::vector<float> random_floats(size_t n, std::mt19937& rng, float scale = 1.0f) {
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> values(n);
    for (float& v : values) v = normal(rng);
    return values;
}

inline std::vector<uint16_t> random_halves(size_t n, std::mt19937& rng, float scale = 1.0f) {
    std::vector<uint16_t> halves(n);
    const auto values = random_floats(n, rng, scale);
    for (size_t i = 0; i < n; ++i) halves[i] = ember::f32_to_fp16(values[i]);
    return halves;
}

}  // namespace ember_test
