#pragma once
// A thin layer over xsimd for the element-wise kernels: the float batch of
// the compile-time target (AVX2 and AVX-512: 8 lanes, SSE2/NEON: 4) and the
// horizontal reductions, whose names changed across xsimd
// versions (Debian's 8.1 has `hadd`; 9+ has `reduce_add`/`reduce_max`).
//
// EMBER_KERNELS_XSIMD is defined when xsimd supports the target; every
// kernel keeps a scalar loop for the tail and for targets it does not.
// These element-wise kernels are not tiered: xsimd picks its instruction set
// from the program's own target (SSE2 in a build without -march), and the
// ISA tiers call them as shared code.

#include <xsimd/xsimd.hpp>

#include <algorithm>
#include <cstddef>

#if !defined(XSIMD_NO_SUPPORTED_ARCHITECTURE)
#define EMBER_KERNELS_XSIMD 1

namespace ember::detail::simd {

#if XSIMD_WITH_AVX512F && XSIMD_WITH_FMA3_AVX2
// 256-bit even where AVX-512 is available: GCC 12's 512-bit intrinsics that
// xsimd's exp/tanh reach (the _mm512_undefined_* pass-throughs) raise false
// -Wuninitialized warnings in sanitizer builds, and Zen 4 splits 512-bit
// operations in two halves anyway.
using float_batch = xsimd::batch<float, xsimd::fma3<xsimd::avx2>>;
#else
using float_batch = xsimd::batch<float>;
#endif
inline constexpr size_t float_lanes = float_batch::size;

inline float_batch load(const float* p) { return float_batch::load_unaligned(p); }
inline void store(float* p, const float_batch& v) { v.store_unaligned(p); }

inline float reduce_add(const float_batch& v) {
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_add(v);
#else
    return xsimd::hadd(v);
#endif
}

inline float reduce_max(const float_batch& v) {
#if XSIMD_VERSION_MAJOR >= 9
    return xsimd::reduce_max(v);
#else
    alignas(64) float lanes[float_lanes];
    v.store_aligned(lanes);
    return *std::max_element(lanes, lanes + float_lanes);
#endif
}

}  // namespace ember::detail::simd

#endif
