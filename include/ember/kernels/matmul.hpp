#pragma once
// Matrix products against weight tensors of any supported type:
//
//   out[t][o] = Σ_i x[t][i] · W[o][i]     t < n_tokens, o < W.rows()
//
// The weight's rows are split into tiles spread over the thread pool.
//  - Quantized weights (Q4_0 … Q8_0, Q2_K … Q6_K) use fused dot products:
//    each activation row is quantized to 8 bits once (Q8_0, Q8_1 or Q8_K,
//    as ggml does — so results agree with the reference to float rounding)
//    and multiplied with the weight blocks directly, never dequantized.
//  - Float weights: f32 tiles are used in place; f16/bf16 tiles are
//    converted into per-thread scratch, so no more than a tile of any weight
//    is ever expanded. Each tile is then one Eigen product. For f16 weights
//    the activations are rounded to f16 first, as the reference (and ggml's
//    f16 dot product) does: with that, f16 models reproduce the reference's
//    logits bit for bit.

#include "ember/core/tensor_view.hpp"
#include "ember/core/thread_pool.hpp"
#include "ember/quant/dequantize.hpp"
#include "ember/quant/dot.hpp"
#include "ember/quant/quantize.hpp"

#include <Eigen/Core>

#include <algorithm>
#include <vector>

namespace ember {

// Per-thread tile buffers and the quantized-activation buffer, sized once
// when a context is created: no allocation happens in a matmul.
class matmul_scratch {
public:
    static constexpr size_t tile_rows = 32;

    matmul_scratch() = default;
    matmul_scratch(int n_threads, size_t max_columns, size_t max_tokens)
        : columns_(max_columns),
          tiles_(static_cast<size_t>(n_threads) * tile_rows * max_columns),
          // Q8_K is the widest activation format: 292 bytes per 256 values
          activations_((max_tokens * row_bytes(dtype::q8_k, round_up(max_columns, 256)) + 7) / 8),
          rounded_inputs_(max_tokens * max_columns) {}

    float* tile(int thread) { return tiles_.data() + static_cast<size_t>(thread) * tile_rows * columns_; }
    // 8-byte aligned storage for n_tokens rows of quantized activations.
    uint8_t* activations() { return reinterpret_cast<uint8_t*>(activations_.data()); }
    size_t activation_bytes() const { return activations_.size() * 8; }
    // Room for n_tokens input rows rounded to a lower precision.
    float* rounded_inputs() { return rounded_inputs_.data(); }

private:
    static size_t round_up(size_t n, size_t multiple) { return (n + multiple - 1) / multiple * multiple; }
    size_t columns_ = 0;
    std::vector<float> tiles_;
    std::vector<uint64_t> activations_;
    std::vector<float> rounded_inputs_;
};

namespace detail {
using row_major_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Fused path: quantize activations once, then integer dot products per row.
inline void matmul_quantized(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                             thread_pool& pool, matmul_scratch& scratch) {
    const size_t columns = weight.columns(), rows = weight.rows();
    const dtype activation_type = vec_dot_type(weight.type);
    const size_t activation_row = row_bytes(activation_type, columns);
    const quantize_function quantize = quantize_function_of(activation_type);
    const vec_dot_function dot = vec_dot_function_of(weight.type);
    uint8_t* activations = scratch.activations();
    pool.parallel_for(n_tokens, [&](size_t t, int) {
        quantize(x + t * columns, activations + t * activation_row, static_cast<int64_t>(columns));
    });
    const size_t tiles = (rows + matmul_scratch::tile_rows - 1) / matmul_scratch::tile_rows;
    pool.parallel_for(tiles, [&](size_t tile, int) {
        const size_t first = tile * matmul_scratch::tile_rows;
        const size_t last = std::min(rows, first + matmul_scratch::tile_rows);
        for (size_t row = first; row < last; ++row) {
            const uint8_t* weights = weight.row(row);
            for (size_t t = 0; t < n_tokens; ++t)
                out[t * out_stride + row] = dot(weights, activations + t * activation_row, static_cast<int64_t>(columns));
        }
    });
}

// Float path: Eigen products over tiles (f32 in place, f16/bf16 converted).
inline void matmul_float(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                         thread_pool& pool, matmul_scratch& scratch) {
    const size_t columns = weight.columns();
    const size_t rows = weight.rows();
    const size_t tiles = (rows + matmul_scratch::tile_rows - 1) / matmul_scratch::tile_rows;
    const dequantize_function dequantize = dequantize_function_of(weight.type);
    if (weight.type == dtype::f16) {
        float* rounded = scratch.rounded_inputs();
        for (size_t i = 0; i < n_tokens * columns; ++i) rounded[i] = fp16_to_f32(f32_to_fp16(x[i]));
        x = rounded;
    }
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

}  // namespace detail

// out has n_tokens rows of `out_stride` floats; columns [0, W.rows()) are
// written. n_tokens and W.columns() must fit the scratch's sizes.
inline void matmul(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                   thread_pool& pool, matmul_scratch& scratch) {
    if (has_vec_dot(weight.type)) detail::matmul_quantized(weight, x, n_tokens, out, out_stride, pool, scratch);
    else detail::matmul_float(weight, x, n_tokens, out, out_stride, pool, scratch);
}

// out[t][o] += bias[o]
inline void add_bias(float* out, size_t n_tokens, size_t width, size_t stride, const float* bias) {
    for (size_t t = 0; t < n_tokens; ++t)
        for (size_t o = 0; o < width; ++o) out[t * stride + o] += bias[o];
}

}  // namespace ember
