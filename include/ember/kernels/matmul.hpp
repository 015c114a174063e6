#pragma once
// Matrix products against weight tensors of any supported type, by the ISA
// tier in use (how each kind of weight is multiplied: detail/matmul_kernels.hpp):
//
//   out[t][o] = Σ_i x[t][i] · W[o][i]     t < n_tokens, o < W.rows()

#include "ember/core/tensor_view.hpp"
#include "ember/core/thread_pool.hpp"
#include "ember/kernels/detail/matmul_kernels.hpp"
#include "ember/kernels/detail/tiers.hpp"

#include <cstddef>

namespace ember {

// out has n_tokens rows of `out_stride` floats; columns [0, W.rows()) are
// written. n_tokens and W.columns() must fit the scratch's sizes.
inline void matmul(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                   thread_pool& pool, matmul_scratch& scratch) {
    detail::kernel_tier().matmul(weight, x, n_tokens, out, out_stride, pool, scratch);
}

// out_i = x · W_iᵀ for up to 8 weights sharing their input (q/k/v, gate/up).
// Decoding one token, weights whose input format agrees share one
// quantization and one dispatch over all their rows: small products (a k or
// v projection is ~100 KB) cost less than waking the pool for each.
// Otherwise, the same as one matmul per target.
inline void matmul_shared_input(const matmul_target* targets, size_t count, const float* x, size_t n_tokens,
                                thread_pool& pool, matmul_scratch& scratch) {
    detail::kernel_tier().matmul_shared_input(targets, count, x, n_tokens, pool, scratch);
}

}  // namespace ember
