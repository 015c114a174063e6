// (no include guard: included once per tier by quant/detail/tiers.hpp, in
// dependency order; each header contributes only its EMBER_TIER section)
#include "ember/quant/detail/dot_simd.hpp"
#include "ember/quant/detail/quantize_simd.hpp"
#include "ember/quant/detail/dequantize_simd.hpp"
#include "ember/quant/detail/dot_tile.hpp"
#include "ember/quant/detail/gemv_vnni.hpp"
#include "ember/quant/detail/gemm_repacked.hpp"
#include "ember/quant/detail/interleaved_rows.hpp"
#include "ember/quant/detail/tier_table.hpp"
