#pragma once
// Matrix products against weight tensors of any supported type:
//
//   out[t][o] = Σ_i x[t][i] · W[o][i]     t < n_tokens, o < W.rows()
//
// The weight's rows are split into tiles spread over the thread pool. f32
// tiles are used in place; other types are dequantized one tile at a time
// into per-thread scratch, so no more than a tile of any weight is ever
// expanded. Each tile is then one Eigen product (a GEMV when n_tokens is 1).

#include "ember/core/tensor_view.hpp"
#include "ember/core/thread_pool.hpp"
#include "ember/quant/dequantize.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <vector>

namespace ember {

// Per-thread tile buffers, sized once when a context is created.
class matmul_scratch {
public:
    static constexpr size_t tile_rows = 32;

    matmul_scratch() = default;
    matmul_scratch(int n_threads, size_t max_columns)
        : columns_(max_columns), buffer_(static_cast<size_t>(n_threads) * tile_rows * max_columns) {}

    float* tile(int thread) { return buffer_.data() + static_cast<size_t>(thread) * tile_rows * columns_; }
    size_t max_columns() const { return columns_; }

private:
    size_t columns_ = 0;
    std::vector<float> buffer_;
};

namespace detail {
using row_major_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace detail

// out has n_tokens rows of `out_stride` floats; columns [0, W.rows()) are written.
inline void matmul(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                   thread_pool& pool, matmul_scratch& scratch) {
    using detail::row_major_matrix;
    const size_t columns = weight.columns();
    const size_t rows = weight.rows();
    const size_t tiles = (rows + matmul_scratch::tile_rows - 1) / matmul_scratch::tile_rows;
    const dequantize_function dequantize = dequantize_function_of(weight.type);
    Eigen::Map<const row_major_matrix> input(x, static_cast<Eigen::Index>(n_tokens), static_cast<Eigen::Index>(columns));

    pool.parallel_for(tiles, [&](size_t tile, int thread) {
        const size_t first = tile * matmul_scratch::tile_rows;
        const size_t count = std::min(matmul_scratch::tile_rows, rows - first);
        const float* tile_values;
        if (weight.type == dtype::f32) {
            tile_values = reinterpret_cast<const float*>(weight.row(first));
        } else {
            float* buffer = scratch.tile(thread);
            dequantize(weight.row(first), buffer, static_cast<int64_t>(count * columns));
            tile_values = buffer;
        }
        Eigen::Map<const row_major_matrix> tile_matrix(tile_values, static_cast<Eigen::Index>(count),
                                                       static_cast<Eigen::Index>(columns));
        Eigen::Map<row_major_matrix, 0, Eigen::OuterStride<>> output(
            out + first, static_cast<Eigen::Index>(n_tokens), static_cast<Eigen::Index>(count),
            Eigen::OuterStride<>(static_cast<Eigen::Index>(out_stride)));
        output.noalias() = input * tile_matrix.transpose();
    });
}

// out[t][o] += bias[o]
inline void add_bias(float* out, size_t n_tokens, size_t width, size_t stride, const float* bias) {
    for (size_t t = 0; t < n_tokens; ++t)
        for (size_t o = 0; o < width; ++o) out[t * stride + o] += bias[o];
}

}  // namespace ember
