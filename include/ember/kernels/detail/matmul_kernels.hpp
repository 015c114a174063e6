#ifndef EMBER_KERNELS_DETAIL_MATMUL_KERNELS_HPP
#define EMBER_KERNELS_DETAIL_MATMUL_KERNELS_HPP
// Matrix products against weight tensors of any supported type:
//
//   out[t][o] = Σ_i x[t][i] · W[o][i]     t < n_tokens, o < W.rows()
//
// The weight's rows are split into chunks that the thread pool's threads
// claim one at a time (a chunk is ~512 KB of weights when decoding, so a
// 150 MB output projection is ~300 claims, and a small k/v projection still
// gives every thread work).
//  - Quantized weights (Q4_0 … Q8_0, Q2_K … Q6_K) use fused dot products:
//    each activation row is quantized to 8 bits once (Q8_0, Q8_1 or Q8_K,
//    as ggml does — so results agree with the reference to float rounding)
//    and multiplied with the weight blocks directly, never dequantized.
//    One token: a dot product per row (decode: memory-bound, streams each
//    weight byte once). Several tokens: vec_dot_tile, whose register-blocked
//    micro-kernels reuse each unpacked weight block across four tokens.
//  - Float weights (f32/f16/bf16): SIMD dot products straight from the
//    mapped rows (F16C / AVX-512 conversion, AVX512-BF16 vdpbf16ps), each
//    bit for bit the decode one, so prefill equals token-by-token decoding;
//    the avx2 and avx512 tiers multiply many tokens (gemm_min_tokens on)
//    with their float GEMM instead (gemm_float.hpp: weights converted per
//    16-row group in scratch). The avx2 one still sums each product as the
//    decode dot product does (prefill = decoding, bit for bit); the avx512
//    one sums in the order of k (prefill differs from decoding by rounding).
//  - Weights with interleaved rows (load_options::use_mmap = false) decode
//    with their own GEMV; for several tokens each chunk of rows is turned
//    back into plain rows in per-thread scratch first (a few KB per 16 rows,
//    cheap beside the GEMM that follows).
//  As the reference does, f16 weights multiply activations rounded to f16
//  (with that, f16 models reproduce its logits bit for bit at the first
//  position) and bf16 weights activations rounded to bf16.

#include "ember/core/tensor_view.hpp"
#include "ember/core/thread_pool.hpp"
#include "ember/core/detail/tier_target.hpp"
#include "ember/kernels/detail/float_dot.hpp"
#include "ember/kernels/detail/gemm_float.hpp"
#include "ember/quant/dot.hpp"
#include "ember/quant/quantize.hpp"

#include <algorithm>
#include <memory>
#include <vector>

namespace ember {

namespace detail {
// Scratch that costs address space, not memory, until it is used: new T[n]
// leaves a trivial T uninitialised, and a large block comes from fresh pages
// that become resident only when written (a std::vector would write every
// element). A quantized model, say, never touches the f16-rounded inputs.
template <class T>
class untouched_buffer {
public:
    untouched_buffer() = default;
    explicit untouched_buffer(size_t n) : data_(n ? new T[n] : nullptr) {}
    T* data() const { return data_.get(); }

private:
    std::unique_ptr<T[]> data_;
};
}  // namespace detail

// Per-thread tile buffers and the quantized-activation buffer, sized once
// when a context is created: no allocation happens in a matmul.
class matmul_scratch {
public:
    static constexpr size_t tile_rows = 32;

    matmul_scratch() = default;
    matmul_scratch(int n_threads, size_t max_columns, size_t max_tokens)
        : columns_(max_columns),
          tokens_(max_tokens),
          tiles_(static_cast<size_t>(n_threads) * tile_rows * max_columns),
          // Q8_K is the widest activation format: 292 bytes per 256 values
          activations_((max_tokens * row_bytes(dtype::q8_k, round_up(max_columns, 256)) + 7) / 8),
          // + 15 tokens: the float GEMM packs tokens in tiles of 16
          rounded_inputs_((max_tokens + 15) * max_columns),
          rounded_16_(max_tokens * max_columns),
          packed_activations_(max_tokens * packed_row_bytes(max_columns) / 8) {}

    float* tile(int thread) { return tiles_.data() + static_cast<size_t>(thread) * tile_rows * columns_; }
    // 8-byte aligned storage for n_tokens rows of quantized activations.
    uint8_t* activations() { return reinterpret_cast<uint8_t*>(activations_.data()); }
    // Room for n_tokens input rows rounded to a lower precision, as floats.
    float* rounded_inputs() { return rounded_inputs_.data(); }
    // Room for n_tokens input rows as 16-bit patterns (bf16 weights).
    uint16_t* rounded_inputs_16() { return rounded_16_.data(); }
    // Room for n_tokens activation rows packed for the repacked GEMM, and
    // the bytes one such row takes at most.
    uint8_t* packed_activations() { return reinterpret_cast<uint8_t*>(packed_activations_.data()); }
    // Per-thread scratch of tile_rows * max_columns * 4 bytes.
    uint8_t* thread_bytes(int thread) { return reinterpret_cast<uint8_t*>(tile(thread)); }
    static size_t packed_row_bytes(size_t columns) {
        // the widest packed format: the decode GEMVs' block groups, 256
        // bytes per 128 values and a partial group (the GEMM's records take
        // at most 1.5 bytes per value)
        return (2 * columns + 256 + 63) / 64 * 64;
    }
    size_t max_columns() const { return columns_; }
    size_t max_tokens() const { return tokens_; }

private:
    static size_t round_up(size_t n, size_t multiple) { return (n + multiple - 1) / multiple * multiple; }
    size_t columns_ = 0, tokens_ = 0;
    detail::untouched_buffer<float> tiles_;
    detail::untouched_buffer<uint64_t> activations_;
    detail::untouched_buffer<float> rounded_inputs_;
    detail::untouched_buffer<uint16_t> rounded_16_;
    detail::untouched_buffer<uint64_t> packed_activations_;
};

namespace detail {
// From this many tokens on, quantized products go through the tile kernels
// (from repacked_min_tokens on through the repacked GEMM, where the tier
// and type have one) and float products through the avx2 / avx512 tiers'
// GEMM.
inline constexpr size_t tile_min_tokens = 2;
inline constexpr size_t repacked_min_tokens = 8;
inline constexpr size_t gemm_min_tokens = 8;

inline size_t round_up_8(size_t n) { return (n + 7) / 8 * 8; }

// Rows per claimed chunk: a multiple of 8 when decoding (interleaved rows
// come in groups of 8) and of 16 otherwise (the repacked GEMM's row group).
// Decoding streams weights: ~512 KB per chunk lets the hardware prefetcher
// run at full speed within a chunk (measured on qwen2.5-0.5b, 2 threads:
// 64 KB chunks gave 42 tok/s on Q8_0 and 63 on Q4_0, 256-512 KB 50-58 and
// 70-74), while leaving at least 4 chunks per thread to balance a busy
// machine. Prefill is compute-bound: up to 64 rows x all tokens per chunk.
inline size_t rows_per_chunk(size_t rows, size_t row_bytes, size_t n_tokens, int n_threads) {
    const size_t threads = static_cast<size_t>(n_threads);
    if (n_tokens < tile_min_tokens) {
        size_t chunk = std::max<size_t>(4, (size_t(512) << 10) / std::max<size_t>(row_bytes, 1));
        chunk = std::min(chunk, (rows + 4 * threads - 1) / (4 * threads));
        return round_up_8(std::max<size_t>(chunk, 1));
    }
    // multiples of 16: the repacked GEMM's row group
    const size_t chunk = std::min<size_t>(64, (rows + 8 * threads - 1) / (8 * threads));
    return (std::max<size_t>(chunk, 1) + 15) / 16 * 16;
}

// Decoding's chunks of one weight: full-size chunks, then the last
// threads × chunk rows in quarter-size pieces, so the threads finish a
// matmul together instead of one idling while another streams a whole last
// chunk (a decode step is ~100 such matmuls).
struct decode_chunks {
    size_t rows = 0, chunk = 1, small = 8, head_rows = 0;

    decode_chunks() = default;
    decode_chunks(size_t rows_, size_t chunk_, int n_threads) : rows(rows_), chunk(chunk_) {
        small = std::max<size_t>(8, round_up_8(chunk / 4));
        const size_t tail = std::min(rows, static_cast<size_t>(n_threads) * chunk);
        head_rows = (rows - tail) / chunk * chunk;
    }
    size_t count() const { return head_rows / chunk + (rows - head_rows + small - 1) / small; }
    size_t first(size_t task) const {
        const size_t head_chunks = head_rows / chunk;
        return task < head_chunks ? task * chunk : head_rows + (task - head_chunks) * small;
    }
    size_t last(size_t task) const { return std::min(rows, first(task) + (task < head_rows / chunk ? chunk : small)); }
};

// Runs body(first_row, last_row, thread) over chunks of rows.
template <class Body>
inline void for_row_chunks(thread_pool& pool, size_t rows, size_t chunk, const Body& body) {
    const size_t chunks = (rows + chunk - 1) / chunk;
    pool.parallel_for(chunks, [&](size_t index, int thread) {
        const size_t first = index * chunk;
        body(first, std::min(rows, first + chunk), thread);
    });
}

// Applies `transform(token)` to every token row: inline for a few tokens
// (cheaper than waking the pool), else spread over the pool.
template <class Transform>
inline void for_tokens(thread_pool& pool, size_t n_tokens, const Transform& transform) {
    if (n_tokens < 8) {
        for (size_t t = 0; t < n_tokens; ++t) transform(t);
        return;
    }
    const size_t per_task = 4;
    pool.parallel_for((n_tokens + per_task - 1) / per_task, [&](size_t task, int) {
        for (size_t t = task * per_task; t < std::min(n_tokens, (task + 1) * per_task); ++t) transform(t);
    });
}

}  // namespace detail

// One of several products of the same input.
struct matmul_target {
    const tensor_view* weight;
    float* out;         // n_tokens rows of out_stride floats
    size_t out_stride;
};


// out[t][o] += bias[o]
inline void add_bias(float* out, size_t n_tokens, size_t width, size_t stride, const float* bias) {
    for (size_t t = 0; t < n_tokens; ++t)
        for (size_t o = 0; o < width; ++o) out[t * stride + o] += bias[o];
}

}  // namespace ember
#endif  // EMBER_KERNELS_DETAIL_MATMUL_KERNELS_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

// Decoding (one token): the work on a range of one weight's rows, with the
// input already prepared for the weight's type (quantized and maybe packed,
// or rounded). Shared by matmul and matmul_shared_input.
struct decode_rows {
    const tensor_view* weight = nullptr;
    float* out = nullptr;
    gemv_function gemv = nullptr;     // quantized, with a GEMV in this tier
    vec_dot_function dot = nullptr;   // quantized, without
    const uint8_t* input = nullptr;   // the quantized (or packed) activation
    const float* floats = nullptr;    // f32 / f16 weights: the (f16-rounded) activation
    const uint16_t* bf16 = nullptr;   // bf16 weights: the activation as bf16

    void operator()(size_t first, size_t last) const {
        const size_t stride = weight->row_bytes();
        const size_t columns = weight->columns();
        const int64_t n = static_cast<int64_t>(columns);
        if (gemv) return gemv(weight->row(first), stride, static_cast<int64_t>(last - first), input, n, out + first);
        const uint8_t* row = weight->row(first);
        if (dot) {
            for (size_t r = first; r < last; ++r, row += stride) out[r] = dot(row, input, n);
        } else if (bf16) {
            for (size_t r = first; r < last; ++r, row += stride) out[r] = dot_bf16_row(row, bf16, columns);
        } else if (weight->type == dtype::f16) {
            for (size_t r = first; r < last; ++r, row += stride) out[r] = dot_f16_row(row, floats, columns);
        } else {
            for (size_t r = first; r < last; ++r, row += stride) out[r] = dot_f32_row(row, floats, columns);
        }
    }
};

// The GEMV for a weight (its type and layout) in this tier, or nullptr,
// and the activation it reads.
inline gemv_function gemv_for(const tensor_view& weight, gemv_input& input) {
    const quant_type_kernels& kernels = quant_tier_table().of(weight.type);
    input = weight.interleaved ? kernels.interleaved_input_form : kernels.gemv_input_form;
    return weight.interleaved ? kernels.interleaved_gemv : kernels.gemv;
}

// Whether decode_rows handles the weight: quantized with a dot product, or
// f32/f16/bf16 — and, if its rows are interleaved, this tier has their
// GEMV (otherwise they take the prompt path, which turns them back).
inline bool decodable(const tensor_view& weight) {
    if (weight.interleaved && !quant_tier_table().of(weight.type).interleaved_gemv) return false;
    return has_vec_dot(weight.type) || weight.type == dtype::f32 || weight.type == dtype::f16 || weight.type == dtype::bf16;
}

// The input format a weight's decode product reads: weights with the same
// key can share one prepared input.
inline int decode_input_key(const tensor_view& weight) {
    if (has_vec_dot(weight.type)) {
        gemv_input input = gemv_input::quantized;
        if (!gemv_for(weight, input)) input = gemv_input::quantized;
        return 16 * static_cast<int>(vec_dot_type(weight.type)) + static_cast<int>(input);
    }
    return -1 - static_cast<int>(weight.type);
}

// Prepares x (one token) for `weight` in the scratch and returns the row job.
inline decode_rows prepare_decode(const tensor_view& weight, const float* x, float* out, matmul_scratch& scratch) {
    decode_rows job;
    job.weight = &weight;
    job.out = out;
    const size_t columns = weight.columns();
    if (has_vec_dot(weight.type)) {
        const quant_tier_kernels& quant = quant_tier_table();
        uint8_t* activations = scratch.activations();
        quant.of(vec_dot_type(weight.type)).quantize(x, activations, static_cast<int64_t>(columns));
        gemv_input input = gemv_input::quantized;
        job.gemv = gemv_for(weight, input);
        job.input = activations;
        if (job.gemv && input != gemv_input::quantized) {
            job.input = scratch.packed_activations();
            if (input == gemv_input::records)
                gemm_pack_activation(weight.type, activations, static_cast<int64_t>(columns), scratch.packed_activations());
            else
                quant.pack_block_groups(activations, static_cast<int64_t>(columns), scratch.packed_activations());
        }
        if (!job.gemv) job.dot = quant.of(weight.type).vec_dot;
    } else if (weight.type == dtype::bf16) {
        round_to_bf16(x, scratch.rounded_inputs_16(), columns);
        job.bf16 = scratch.rounded_inputs_16();
    } else if (weight.type == dtype::f16) {
        round_to_f16(x, scratch.rounded_inputs(), columns);
        job.floats = scratch.rounded_inputs();
    } else {
        job.floats = x;
    }
    return job;
}

// Rows [first, last) of a weight as plain rows: in place, or (interleaved
// weights; first and last multiples of 8) turned back into plain rows in the
// thread's scratch, after the repacked GEMM's own scratch. The thread's
// scratch (128 bytes per column) holds both: ~20 bytes per column for the
// GEMM, at most 0.82 per column and row (Q6_K) for at most 64 rows.
inline const uint8_t* plain_rows(const tensor_view& weight, size_t first, size_t last, matmul_scratch& scratch, int thread) {
    if (!weight.interleaved) return weight.row(first);
    const int64_t n = static_cast<int64_t>(weight.columns());
    uint8_t* rows = scratch.thread_bytes(thread) + (gemm_scratch_bytes(weight.type, n) + 63) / 64 * 64;
    deinterleave_rows(weight.type, weight.row(first), static_cast<int64_t>(last - first), n, rows, weight.row_bytes());
    return rows;
}

// Fused path: quantize activations once, then integer dot products. Single
// tokens go to prepare_decode instead (see matmul).
inline void matmul_quantized(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                             thread_pool& pool, matmul_scratch& scratch) {
    const size_t columns = weight.columns(), rows = weight.rows(), weight_stride = weight.row_bytes();
    const dtype activation_type = vec_dot_type(weight.type);
    const size_t activation_row = row_bytes(activation_type, columns);
    const quant_tier_kernels& quant = quant_tier_table();
    const quantize_function quantize = quant.of(activation_type).quantize;
    uint8_t* activations = scratch.activations();
    for_tokens(pool, n_tokens, [&](size_t t) {
        quantize(x + t * columns, activations + t * activation_row, static_cast<int64_t>(columns));
    });
    const size_t chunk = rows_per_chunk(rows, weight_stride, n_tokens, pool.size());
    const int64_t n = static_cast<int64_t>(columns);
    if (n_tokens >= repacked_min_tokens && quant.of(weight.type).gemm_repacked) {
        // quantize_row's blocks repacked per token (while still in cache)
        uint8_t* packed = scratch.packed_activations();
        const size_t packed_row = gemm_activation_bytes(weight.type, n);
        for_tokens(pool, n_tokens, [&](size_t t) {
            gemm_pack_activation(weight.type, activations + t * activation_row, n, packed + t * packed_row);
        });
        for_row_chunks(pool, rows, chunk, [&](size_t first, size_t last, int thread) {
            gemm_repacked(weight.type, plain_rows(weight, first, last, scratch, thread), weight_stride,
                          static_cast<int64_t>(last - first), packed, packed_row, static_cast<int64_t>(n_tokens), n, out + first,
                          out_stride, scratch.thread_bytes(thread));
        });
        return;
    }
    const dot_tile_function tile = quant.of(weight.type).tile;
    for_row_chunks(pool, rows, chunk, [&](size_t first, size_t last, int thread) {
        tile(plain_rows(weight, first, last, scratch, thread), weight_stride, static_cast<int64_t>(last - first), activations,
             activation_row, static_cast<int64_t>(n_tokens), n, out + first, out_stride);
    });
}

// Float weights, few tokens (generic tier: any number; avx2 / avx512: below
// gemm_min_tokens, or columns the GEMM does not take): each
// (row, token) product is bit for bit the decode one (dot_*_row), so a
// prompt's logits equal token-by-token decoding's. Three tokens per pass
// over a row where the tier batches them (their activations stay in L1, a
// chunk's rows in L2).
inline void matmul_float_rows(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                              thread_pool& pool, matmul_scratch& scratch) {
    const size_t columns = weight.columns(), rows = weight.rows(), weight_stride = weight.row_bytes();
    const size_t chunk = rows_per_chunk(rows, weight_stride, n_tokens, pool.size());
    if (weight.type == dtype::bf16) {
        uint16_t* rounded = scratch.rounded_inputs_16();
        round_to_bf16(x, rounded, n_tokens * columns);
        for_row_chunks(pool, rows, chunk, [&](size_t first, size_t last, int) {
            for (size_t t = 0; t < n_tokens; t += 3)
                for (size_t r = first; r < last; ++r)
                    dot_bf16_row_tokens(weight.row(r), rounded + t * columns, columns, std::min<size_t>(3, n_tokens - t), columns,
                                        out + t * out_stride + r, out_stride);
        });
        return;
    }
    if (weight.type == dtype::f16) {
        float* rounded = scratch.rounded_inputs();
        round_to_f16(x, rounded, n_tokens * columns);
        x = rounded;
    }
    const auto dot = weight.type == dtype::f16 ? dot_f16_row_tokens : dot_f32_row_tokens;
    for_row_chunks(pool, rows, chunk, [&](size_t first, size_t last, int) {
        for (size_t t = 0; t < n_tokens; t += 3)
            for (size_t r = first; r < last; ++r)
                dot(weight.row(r), x + t * columns, columns, std::min<size_t>(3, n_tokens - t), columns, out + t * out_stride + r, out_stride);
    });
}

#if defined(EMBER_TIER_AVX2)
// Float weights, many tokens, AVX2 / AVX-512 (gemm_float.hpp): activations
// packed (and rounded) once in tiles of 16 tokens, then 16-row groups of
// weights packed per task.
inline void matmul_float_packed(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                                thread_pool& pool, matmul_scratch& scratch) {
    const size_t columns = weight.columns(), rows = weight.rows();
    const activation_rounding rounding = weight.type == dtype::f16    ? activation_rounding::f16
                                         : weight.type == dtype::bf16 ? activation_rounding::bf16
                                                                      : activation_rounding::none;
    float* packed = scratch.rounded_inputs();
    const size_t tiles = (n_tokens + float_gemm_block - 1) / float_gemm_block;
    pool.parallel_for(tiles, [&](size_t tile, int) {
        float_gemm_pack_tokens(x, n_tokens, columns, rounding, tile, tile + 1, packed);
    });
    const size_t chunk = rows_per_chunk(rows, weight.row_bytes(), n_tokens, pool.size());
    for_row_chunks(pool, rows, chunk, [&](size_t first, size_t last, int thread) {
        float_gemm(weight.type, weight.row(first), weight.row_bytes(), last - first, packed, n_tokens, columns, out + first,
                   out_stride, scratch.tile(thread));
    });
}
#endif

// Any other dequantizable weight (loading refuses types ember cannot
// compute with, so this is a safety net): each row to floats in the thread's
// scratch, then f32 dot products.
inline void matmul_dequantized_rows(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                                    thread_pool& pool, matmul_scratch& scratch) {
    const size_t columns = weight.columns(), rows = weight.rows();
    const dequantize_function dequantize = tier_dequantize_of(weight.type);
    if (!dequantize) return;
    for_row_chunks(pool, rows, rows_per_chunk(rows, weight.row_bytes(), n_tokens, pool.size()), [&](size_t first, size_t last, int thread) {
        float* row = scratch.tile(thread);
        for (size_t r = first; r < last; ++r) {
            dequantize(weight.row(r), row, static_cast<int64_t>(columns));
            for (size_t t = 0; t < n_tokens; ++t)
                out[t * out_stride + r] = dot_f32_row(reinterpret_cast<const uint8_t*>(row), x + t * columns, columns);
        }
    });
}


// out has n_tokens rows of `out_stride` floats; columns [0, W.rows()) are
// written. n_tokens and W.columns() must fit the scratch's sizes.
inline void tier_matmul(const tensor_view& weight, const float* x, size_t n_tokens, float* out, size_t out_stride,
                   thread_pool& pool, matmul_scratch& scratch) {
    if (n_tokens == 1 && decodable(weight)) {
        const decode_rows job = prepare_decode(weight, x, out, scratch);
        const decode_chunks chunks(weight.rows(), rows_per_chunk(weight.rows(), weight.row_bytes(), 1, pool.size()),
                                           pool.size());
        pool.parallel_for(chunks.count(), [&](size_t task, int) { job(chunks.first(task), chunks.last(task)); });
        return;
    }
    if (has_vec_dot(weight.type)) {
        matmul_quantized(weight, x, n_tokens, out, out_stride, pool, scratch);
        return;
    }
    const bool float_weights = weight.type == dtype::f32 || weight.type == dtype::f16 || weight.type == dtype::bf16;
    if (!float_weights) return matmul_dequantized_rows(weight, x, n_tokens, out, out_stride, pool, scratch);
#if defined(EMBER_TIER_AVX2)
    if (n_tokens >= gemm_min_tokens && weight.columns() % float_gemm_columns == 0)
        return matmul_float_packed(weight, x, n_tokens, out, out_stride, pool, scratch);
#endif
    matmul_float_rows(weight, x, n_tokens, out, out_stride, pool, scratch);
}


// out_i = x · W_iᵀ for up to 8 weights sharing their input (q/k/v, gate/up).
// Decoding one token, weights whose input format agrees share one
// quantization and one dispatch over all their rows: small products (a k or
// v projection is ~100 KB) cost less than waking the pool for each.
// Otherwise, the same as one matmul per target.
inline void tier_matmul_shared_input(const matmul_target* targets, size_t count, const float* x, size_t n_tokens,
                                thread_pool& pool, matmul_scratch& scratch) {
    constexpr size_t max_targets = 8;
    bool fused = n_tokens == 1 && count >= 1 && count <= max_targets;
    for (size_t i = 0; fused && i < count; ++i)
        fused = decodable(*targets[i].weight) &&
                decode_input_key(*targets[i].weight) == decode_input_key(*targets[0].weight) &&
                targets[i].weight->columns() == targets[0].weight->columns();
    if (!fused) {
        for (size_t i = 0; i < count; ++i)
            tier_matmul(*targets[i].weight, x, n_tokens, targets[i].out, targets[i].out_stride, pool, scratch);
        return;
    }
    decode_rows jobs[max_targets];
    decode_chunks chunks[max_targets];
    size_t first_task[max_targets + 1];
    jobs[0] = prepare_decode(*targets[0].weight, x, targets[0].out, scratch);
    first_task[0] = 0;
    for (size_t i = 0; i < count; ++i) {
        const tensor_view& weight = *targets[i].weight;
        if (i > 0) {  // same input format: reuse the prepared input, swap in this weight's kernels
            gemv_input input{};
            jobs[i] = jobs[0];
            jobs[i].weight = &weight;
            jobs[i].out = targets[i].out;
            jobs[i].gemv = has_vec_dot(weight.type) ? gemv_for(weight, input) : nullptr;
            jobs[i].dot = has_vec_dot(weight.type) && !jobs[i].gemv ? quant_tier_table().of(weight.type).vec_dot : nullptr;
        }
        // only the last weight's end is where threads wait for each other
        chunks[i] = decode_chunks(weight.rows(), rows_per_chunk(weight.rows(), weight.row_bytes(), 1, pool.size()),
                                          i + 1 == count ? pool.size() : 0);
        first_task[i + 1] = first_task[i] + chunks[i].count();
    }
    pool.parallel_for(first_task[count], [&](size_t task, int) {
        size_t i = 0;
        while (task >= first_task[i + 1]) ++i;
        jobs[i](chunks[i].first(task - first_task[i]), chunks[i].last(task - first_task[i]));
    });
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
