#pragma once
// The instruction-set tiers ember's kernels are compiled for, and the one a
// process runs. One binary, built without -march, carries every tier its
// target architecture has (kernels/, quant/: each tier's code compiled for
// its own target, see core/detail/tier_target.hpp); the CPU is asked once,
// at first use, which of them it runs (CPUID and XGETBV on x86, so a tier
// is used only where the operating system saves its registers).
//
//   ember::active_isa()               the tier in use, e.g. isa::avx2
//   ember::isa_name(ember::active_isa())   "avx2"
//   ember::set_max_isa(ember::isa::generic)   cap it (tests, benchmarks)
//
// The environment variable EMBER_MAX_ISA=generic|avx2|avx512 caps it too
// (read once); set_max_isa overrides it. A cap above what the CPU has
// changes nothing: the tier is always the lower of the two.
//
// x86-64 tiers:
//   generic  SSE2 (every x86-64) and portable code
//   avx2     AVX2 + FMA + F16C
//   avx512   AVX-512 F/BW/VL/DQ + VNNI; within it, VBMI and BF16 paths are
//            taken only where the CPU has them (has_cpu_feature)
// Other architectures have the generic tier only (for now).

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#if defined(__x86_64__) || defined(_M_X64)
#define EMBER_ISA_X86 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace ember {

enum class isa : int { generic = 0, avx2 = 1, avx512 = 2 };

inline constexpr isa all_isas[] = {isa::generic, isa::avx2, isa::avx512};

inline std::string_view isa_name(isa tier) {
    switch (tier) {
        case isa::avx2: return "avx2";
        case isa::avx512: return "avx512";
        default: return "generic";
    }
}

// The tier named `name`, or false when no tier has that name.
inline bool parse_isa(std::string_view name, isa& tier) {
    for (isa candidate : all_isas)
        if (isa_name(candidate) == name) {
            tier = candidate;
            return true;
        }
    return false;
}

// CPU features the tiers and their optional paths depend on (all false off x86).
enum class cpu_feature { avx2, fma, f16c, avx512f, avx512bw, avx512vl, avx512dq, avx512vnni, avx512vbmi, avx512bf16 };

namespace detail {

struct cpu_features {
    bool present[10] = {};
    bool has(cpu_feature f) const { return present[static_cast<int>(f)]; }
};

#if defined(EMBER_ISA_X86)
struct cpuid_registers {
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

inline cpuid_registers cpuid(uint32_t leaf, uint32_t subleaf) {
    cpuid_registers r;
#if defined(_MSC_VER) && !defined(__clang__)
    int regs[4];
    __cpuidex(regs, static_cast<int>(leaf), static_cast<int>(subleaf));
    r.eax = static_cast<uint32_t>(regs[0]), r.ebx = static_cast<uint32_t>(regs[1]);
    r.ecx = static_cast<uint32_t>(regs[2]), r.edx = static_cast<uint32_t>(regs[3]);
#else
    __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
#endif
    return r;
}

// XCR0: which register states the operating system saves on a context switch.
inline uint64_t xgetbv0() {
#if defined(_MSC_VER) && !defined(__clang__)
    return _xgetbv(0);
#else
    uint32_t low = 0, high = 0;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return (static_cast<uint64_t>(high) << 32) | low;
#endif
}
#endif

inline cpu_features detect_cpu_features() {
    cpu_features f;
#if defined(EMBER_ISA_X86)
    const uint32_t max_leaf = cpuid(0, 0).eax;
    if (max_leaf < 7) return f;
    const cpuid_registers leaf1 = cpuid(1, 0);
    const bool osxsave = (leaf1.ecx >> 27) & 1;
    if (!osxsave) return f;
    const uint64_t xcr0 = xgetbv0();
    const bool os_ymm = (xcr0 & 0x6) == 0x6;     // SSE and AVX state
    const bool os_zmm = (xcr0 & 0xe6) == 0xe6;   // plus opmask, ZMM0-15 upper halves, ZMM16-31
    const cpuid_registers leaf7 = cpuid(7, 0);
    const cpuid_registers leaf7_1 = cpuid(7, 1);
    auto set = [&](cpu_feature feature, bool value) { f.present[static_cast<int>(feature)] = value; };
    const bool avx = (leaf1.ecx >> 28) & 1;
    set(cpu_feature::fma, os_ymm && avx && ((leaf1.ecx >> 12) & 1));
    set(cpu_feature::f16c, os_ymm && avx && ((leaf1.ecx >> 29) & 1));
    set(cpu_feature::avx2, os_ymm && avx && ((leaf7.ebx >> 5) & 1));
    set(cpu_feature::avx512f, os_zmm && ((leaf7.ebx >> 16) & 1));
    set(cpu_feature::avx512dq, os_zmm && ((leaf7.ebx >> 17) & 1));
    set(cpu_feature::avx512bw, os_zmm && ((leaf7.ebx >> 30) & 1));
    set(cpu_feature::avx512vl, os_zmm && ((leaf7.ebx >> 31) & 1));
    set(cpu_feature::avx512vbmi, os_zmm && ((leaf7.ecx >> 1) & 1));
    set(cpu_feature::avx512vnni, os_zmm && ((leaf7.ecx >> 11) & 1));
    set(cpu_feature::avx512bf16, os_zmm && ((leaf7_1.eax >> 5) & 1));
#endif
    return f;
}

inline const cpu_features& host_cpu_features() {
    static const cpu_features features = detect_cpu_features();
    return features;
}

// The best tier this CPU (and its OS) can run.
inline isa detect_isa() {
    const cpu_features& f = host_cpu_features();
    const bool avx2 = f.has(cpu_feature::avx2) && f.has(cpu_feature::fma) && f.has(cpu_feature::f16c);
    const bool avx512 = avx2 && f.has(cpu_feature::avx512f) && f.has(cpu_feature::avx512bw) && f.has(cpu_feature::avx512vl) &&
                        f.has(cpu_feature::avx512dq) && f.has(cpu_feature::avx512vnni);
    return avx512 ? isa::avx512 : avx2 ? isa::avx2 : isa::generic;
}

// The cap: EMBER_MAX_ISA when set to a tier's name, else no cap. An
// unknown name caps nothing (and is reported by `ember info`'s isa line,
// which shows the tier actually chosen).
inline int initial_isa_cap() {
    isa cap = isa::avx512;
    const char* value = std::getenv("EMBER_MAX_ISA");
    if (value) parse_isa(value, cap);
    return static_cast<int>(cap);
}

inline std::atomic<int>& isa_cap() {
    static std::atomic<int> cap{initial_isa_cap()};
    return cap;
}

}  // namespace detail

// Whether the CPU (and OS) has a feature, whatever the cap.
inline bool has_cpu_feature(cpu_feature feature) { return detail::host_cpu_features().has(feature); }

// The best tier the CPU runs, ignoring the cap.
inline isa supported_isa() {
    static const isa best = detail::detect_isa();
    return best;
}

// Caps the tier for kernels chosen from now on (a model loaded before keeps
// the layout it chose, e.g. interleaved rows, which every tier can read).
inline void set_max_isa(isa cap) { detail::isa_cap().store(static_cast<int>(cap), std::memory_order_relaxed); }

// The tier in use: the lower of what the CPU runs and the cap.
inline isa active_isa() {
    const int cap = detail::isa_cap().load(std::memory_order_relaxed);
    const int best = static_cast<int>(supported_isa());
    return static_cast<isa>(cap < best ? cap : best);
}

}  // namespace ember
