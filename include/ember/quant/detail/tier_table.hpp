#ifndef EMBER_QUANT_DETAIL_TIER_TABLE_HPP
#define EMBER_QUANT_DETAIL_TIER_TABLE_HPP
// One tier's quantized kernels, per weight type: built once per process and
// tier (the first time the tier is asked for), so a matrix product looks its
// weight's kernels up once instead of asking eight functions.

#include "ember/core/detail/tier_target.hpp"
#include "ember/core/dtype.hpp"
#include "ember/quant/detail/dot_tile.hpp"
#include "ember/quant/detail/gemv_vnni.hpp"
#include "ember/quant/portable.hpp"

#include <cstddef>
#include <cstdint>

namespace ember::detail {

// The kernels of one weight type in one tier (nullptr: none for the type).
struct quant_type_kernels {
    dtype activation = dtype::f32;          // what the dot products take: vec_dot_type
    quantize_function quantize = nullptr;   // into this type (activation formats: the tier's SIMD version)
    dequantize_function dequantize = nullptr;
    vec_dot_function vec_dot = nullptr;     // one row against one quantized activation
    dot_tile_function tile = nullptr;       // rows x tokens (prefill without the repacked GEMM)
    bool gemm_repacked = false;             // the repacked prefill GEMM takes this type
    gemv_function gemv = nullptr;           // decode: many plain rows x one activation
    gemv_input gemv_input_form = gemv_input::quantized;
    gemv_function interleaved_gemv = nullptr;  // decode over 8-row interleaved groups
    gemv_input interleaved_input_form = gemv_input::quantized;
    bool interleave = false;                // loaders should interleave this type's rows
};

inline constexpr size_t dtype_slots = 40;  // dtype ids are below this

struct quant_tier_kernels {
    isa tier = isa::generic;
    quant_type_kernels types[dtype_slots];
    void (*gemm_pack_activation)(dtype weight_type, const uint8_t* quantized, int64_t n, uint8_t* packed) = nullptr;
    void (*gemm_repacked)(dtype type, const uint8_t* weights, size_t weight_stride, int64_t rows, const uint8_t* activations,
                          size_t activation_stride, int64_t tokens, int64_t n, float* out, size_t out_stride,
                          uint8_t* scratch) = nullptr;
    void (*pack_block_groups)(const uint8_t* quantized, int64_t n, uint8_t* out) = nullptr;  // where a GEMV reads block groups
    void (*interleave_rows)(dtype type, const uint8_t* rows, size_t stride, int64_t count, int64_t n, uint8_t* out) = nullptr;
    void (*deinterleave_rows)(dtype type, const uint8_t* groups, int64_t count, int64_t n, uint8_t* rows, size_t stride) = nullptr;
    void (*dequantize_interleaved_row)(dtype type, const uint8_t* data, size_t row_bytes, int64_t row, int64_t n,
                                       float* out) = nullptr;

    const quant_type_kernels& of(dtype type) const {
        static const quant_type_kernels none{};
        const auto index = static_cast<size_t>(type);
        return index < dtype_slots ? types[index] : none;
    }
};

}  // namespace ember::detail
#endif  // EMBER_QUANT_DETAIL_TIER_TABLE_HPP

#if defined(EMBER_TIER)
namespace ember::detail::EMBER_TIER {

// tier_vec_dot_of folds to a direct call for a constant type.
template <dtype Type>
inline float tier_dot(const void* weight_row, const void* activation, int64_t n) {
    return tier_vec_dot_of(Type)(weight_row, activation, n);
}

inline dot_tile_function tier_tile_of(dtype type) {
    if (const dot_tile_function simd = dot_tile_function_simd_of(type)) return simd;
    switch (type) {
        case dtype::q4_0: return dot_tile_by_rows<tier_dot<dtype::q4_0>>;
        case dtype::q4_1: return dot_tile_by_rows<tier_dot<dtype::q4_1>>;
        case dtype::q5_0: return dot_tile_by_rows<tier_dot<dtype::q5_0>>;
        case dtype::q5_1: return dot_tile_by_rows<tier_dot<dtype::q5_1>>;
        case dtype::q8_0: return dot_tile_by_rows<tier_dot<dtype::q8_0>>;
        case dtype::q2_k: return dot_tile_by_rows<tier_dot<dtype::q2_k>>;
        case dtype::q3_k: return dot_tile_by_rows<tier_dot<dtype::q3_k>>;
        case dtype::q4_k: return dot_tile_by_rows<tier_dot<dtype::q4_k>>;
        case dtype::q5_k: return dot_tile_by_rows<tier_dot<dtype::q5_k>>;
        case dtype::q6_k: return dot_tile_by_rows<tier_dot<dtype::q6_k>>;
        default: return nullptr;
    }
}

inline quant_tier_kernels make_quant_tier_kernels() {
    quant_tier_kernels table;
    table.tier = isa::EMBER_TIER;
    for (const dtype_traits& traits : dtype_table) {
        const dtype type = traits.type;
        quant_type_kernels& k = table.types[static_cast<size_t>(type)];
        k.activation = vec_dot_type(type);
        k.quantize = tier_quantize_of(type);
        k.dequantize = tier_dequantize_of(type);
        k.vec_dot = tier_vec_dot_of(type);
        k.tile = tier_tile_of(type);
        // (qualified: the portable dispatchers of the same names are found by ADL too)
        k.gemm_repacked = EMBER_TIER::has_gemm_repacked(type);
        k.gemv = EMBER_TIER::gemv_function_of(type, k.gemv_input_form);
        k.interleaved_gemv = EMBER_TIER::interleaved_gemv_function_of(type, k.interleaved_input_form);
        k.interleave = EMBER_TIER::can_interleave(type);
    }
    table.gemm_pack_activation = EMBER_TIER::gemm_pack_activation;
    table.gemm_repacked = EMBER_TIER::gemm_repacked;
#if defined(EMBER_TIER_AVX512)
    if (has_cpu_feature(cpu_feature::avx512vbmi)) table.pack_block_groups = x86::pack_block_groups;
#endif
    table.interleave_rows = EMBER_TIER::interleave_rows;
    table.deinterleave_rows = EMBER_TIER::deinterleave_rows;
    table.dequantize_interleaved_row = EMBER_TIER::dequantize_interleaved_row;
    return table;
}

inline const quant_tier_kernels& quant_tier_table() {
    static const quant_tier_kernels table = make_quant_tier_kernels();
    return table;
}

}  // namespace ember::detail::EMBER_TIER
#endif  // EMBER_TIER
