#pragma once
// The quantized kernels of every ISA tier, and the table of the tier in use.
// Each tiered header is read once for its portable part, then once per tier
// inside that tier's target region (core/detail/tier_target.hpp).

#include "ember/core/detail/tier_target.hpp"
#include "ember/core/isa.hpp"
#include "ember/quant/detail/dequantize_simd.hpp"
#include "ember/quant/detail/dot_simd.hpp"
#include "ember/quant/detail/dot_tile.hpp"
#include "ember/quant/detail/gemm_repacked.hpp"
#include "ember/quant/detail/gemv_vnni.hpp"
#include "ember/quant/detail/interleaved_rows.hpp"
#include "ember/quant/detail/quantize_simd.hpp"
#include "ember/quant/detail/tier_table.hpp"

#define EMBER_TIER_CONTENTS "ember/quant/detail/tier_contents.hpp"
#include "ember/core/detail/tier_passes.hpp"

namespace ember::detail {

inline const quant_tier_kernels& quant_kernels_of(isa tier) {
    switch (tier) {
#if defined(EMBER_ISA_X86)
        case isa::avx512: return avx512::quant_tier_table();
        case isa::avx2: return avx2::quant_tier_table();
#endif
        default: return generic::quant_tier_table();
    }
}

// The quantized kernels of the tier in use (active_isa()).
inline const quant_tier_kernels& quant_kernels() { return quant_kernels_of(active_isa()); }

// The tier in use's versions of kernels that tests and loaders call by name.
inline bool can_interleave(dtype type) { return quant_kernels().of(type).interleave; }
inline void interleave_rows(dtype type, const uint8_t* rows, size_t stride, int64_t count, int64_t n, uint8_t* out) {
    quant_kernels().interleave_rows(type, rows, stride, count, n, out);
}
inline void deinterleave_rows(dtype type, const uint8_t* groups, int64_t count, int64_t n, uint8_t* rows, size_t stride) {
    quant_kernels().deinterleave_rows(type, groups, count, n, rows, stride);
}
inline void dequantize_interleaved_row(dtype type, const uint8_t* data, size_t row_bytes, int64_t row, int64_t n, float* out) {
    quant_kernels().dequantize_interleaved_row(type, data, row_bytes, row, n, out);
}
inline gemv_function interleaved_gemv_function_of(dtype type, gemv_input& input) {
    const quant_type_kernels& k = quant_kernels().of(type);
    input = k.interleaved_input_form;
    return k.interleaved_gemv;
}
inline bool has_gemm_repacked(dtype type) { return quant_kernels().of(type).gemm_repacked; }
inline void gemm_pack_activation(dtype weight_type, const uint8_t* quantized, int64_t n, uint8_t* packed) {
    quant_kernels().gemm_pack_activation(weight_type, quantized, n, packed);
}
inline void gemm_repacked(dtype type, const uint8_t* weights, size_t weight_stride, int64_t rows, const uint8_t* activations,
                          size_t activation_stride, int64_t tokens, int64_t n, float* out, size_t out_stride, uint8_t* scratch) {
    quant_kernels().gemm_repacked(type, weights, weight_stride, rows, activations, activation_stride, tokens, n, out, out_stride,
                                  scratch);
}

}  // namespace ember::detail
