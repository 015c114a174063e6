// (no include guard: included once per tier by kernels/detail/tiers.hpp, in
// dependency order; each header contributes only its EMBER_TIER section)
#include "ember/kernels/detail/float_dot.hpp"
#include "ember/kernels/detail/reference_math.hpp"
#include "ember/kernels/detail/gemm_float.hpp"
#include "ember/kernels/detail/activation_kernels.hpp"
#include "ember/kernels/detail/attention_kernels.hpp"
#include "ember/kernels/detail/attention_tiled_kernels.hpp"
#include "ember/kernels/detail/matmul_kernels.hpp"
#include "ember/kernels/detail/kernel_table.hpp"
