#pragma once
// Numerically stable softmax in place: subtract the max before exp.

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ember {

inline void softmax(float* x, size_t n) {
    if (n == 0) return;
    const float max_value = *std::max_element(x, x + n);
    double sum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - max_value);
        sum += x[i];
    }
    const float inverse = static_cast<float>(1.0 / sum);
    for (size_t i = 0; i < n; ++i) x[i] *= inverse;
}

}  // namespace ember
