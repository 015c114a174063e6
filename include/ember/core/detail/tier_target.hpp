#pragma once
// How a tier's code is compiled for its own target inside headers that a
// program compiles for the baseline (no -march): the tier drivers
// (quant/detail/tiers.hpp, kernels/detail/tiers.hpp) include each tiered
// header once per tier, between EMBER_TARGET_BEGIN_<TIER> and
// EMBER_TARGET_END, with
//   EMBER_TIER          the tier's namespace name (generic, avx2, avx512):
//                       its code lives in ember::detail::EMBER_TIER, so no
//                       inline function of one tier is ever merged with
//                       another tier's copy (distinct symbols: ODR-safe);
//   EMBER_TIER_AVX2     defined in the avx2 and avx512 passes;
//   EMBER_TIER_AVX512   defined in the avx512 pass.
// These are the only ISA feature macros kernels test: never the compiler's
// __AVX2__ & co., which describe the whole program's target, not the tier's.
// Everything a tier calls outside its namespace (std, Eigen, xsimd, the
// portable helpers) is defined before the first pass, so it keeps the
// baseline target and no tier's instructions reach shared code.
//
// GCC: a target pragma region; clang: the target attribute pushed onto every
// function in the region (lambdas and templates included); MSVC compiles
// any intrinsic anywhere and needs neither.

#include "ember/core/isa.hpp"

#if defined(EMBER_ISA_X86)
// GCC 12 reports its own AVX-512 headers' `__m512 __Y = __Y;` (the
// _mm512_undefined_* pass-throughs) as maybe-uninitialized wherever a tier
// inlines them: a false positive, silenced for those headers' lines only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <immintrin.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif

#define EMBER_TARGET_FEATURES_AVX2 "avx2,fma,f16c"
#define EMBER_TARGET_FEATURES_AVX512 "avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"

#if defined(__clang__)
#define EMBER_TARGET_BEGIN_AVX2 \
    _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c\"))), apply_to = function)")
#define EMBER_TARGET_BEGIN_AVX512                                                                                     \
    _Pragma("clang attribute push(__attribute__((target(\"avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni\"))), apply_to = function)")
#define EMBER_TARGET_END _Pragma("clang attribute pop")
#elif defined(__GNUC__)
#define EMBER_TARGET_BEGIN_AVX2 _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma,f16c\")")
#define EMBER_TARGET_BEGIN_AVX512 \
    _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni\")")
#define EMBER_TARGET_END _Pragma("GCC pop_options")
#else
#define EMBER_TARGET_BEGIN_AVX2
#define EMBER_TARGET_BEGIN_AVX512
#define EMBER_TARGET_END
#endif

// Functions of the avx512 tier that need more than its baseline, called only
// where has_cpu_feature says the CPU has it.
#if defined(__GNUC__) || defined(__clang__)
#define EMBER_TARGET_AVX512_VBMI __attribute__((target(EMBER_TARGET_FEATURES_AVX512 ",avx512vbmi")))
#define EMBER_TARGET_AVX512_BF16 __attribute__((target(EMBER_TARGET_FEATURES_AVX512 ",avx512bf16")))
#else
#define EMBER_TARGET_AVX512_VBMI
#define EMBER_TARGET_AVX512_BF16
#endif
