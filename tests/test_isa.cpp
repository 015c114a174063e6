// The ISA tier: detected from the CPU, capped by EMBER_MAX_ISA and
// set_max_isa, never above what the CPU reports; the kernels in use are
// the tier's own.

#include <doctest/doctest.h>

#include <ember/core/isa.hpp>
#include <ember/kernels/matmul.hpp>
#include <ember/quant/dot.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {
// The CPU flags Linux reports (empty elsewhere).
std::string cpuinfo_flags() {
    std::ifstream cpuinfo("/proc/cpuinfo");
    std::string line;
    while (std::getline(cpuinfo, line))
        if (line.rfind("flags", 0) == 0) return line + " ";
    return {};
}
bool has_flag(const std::string& flags, const char* flag) { return flags.find(std::string(" ") + flag + " ") != std::string::npos; }
}  // namespace

TEST_CASE("the detected tier is what /proc/cpuinfo reports, and the active tier never exceeds it") {
    const std::string flags = cpuinfo_flags();
    const ember::isa supported = ember::supported_isa();
    MESSAGE("supported tier: " << ember::isa_name(supported) << ", active: " << ember::isa_name(ember::active_isa()));
#if defined(EMBER_ISA_X86)
    if (!flags.empty()) {
        const bool avx2 = has_flag(flags, "avx2") && has_flag(flags, "fma") && has_flag(flags, "f16c");
        const bool avx512 = avx2 && has_flag(flags, "avx512f") && has_flag(flags, "avx512bw") && has_flag(flags, "avx512vl") &&
                            has_flag(flags, "avx512dq") && has_flag(flags, "avx512_vnni");
        CHECK(supported == (avx512 ? ember::isa::avx512 : avx2 ? ember::isa::avx2 : ember::isa::generic));
        CHECK(ember::has_cpu_feature(ember::cpu_feature::avx512vbmi) == has_flag(flags, "avx512vbmi"));
        CHECK(ember::has_cpu_feature(ember::cpu_feature::avx512bf16) == has_flag(flags, "avx512_bf16"));
    }
#else
    CHECK(supported == ember::isa::generic);
#endif
    CHECK(static_cast<int>(ember::active_isa()) <= static_cast<int>(supported));
}

TEST_CASE("EMBER_MAX_ISA caps the tier; set_max_isa overrides it") {
    const char* cap = std::getenv("EMBER_MAX_ISA");
    ember::isa expected = ember::supported_isa();
    ember::isa parsed;
    if (cap && ember::parse_isa(cap, parsed) && static_cast<int>(parsed) < static_cast<int>(expected)) expected = parsed;
    CHECK(ember::active_isa() == expected);
    const ember::isa before = ember::active_isa();
    for (ember::isa tier : ember::all_isas) {
        ember::set_max_isa(tier);
        const ember::isa active = ember::active_isa();
        CHECK(static_cast<int>(active) <= static_cast<int>(tier));
        CHECK(static_cast<int>(active) <= static_cast<int>(ember::supported_isa()));
        if (static_cast<int>(tier) <= static_cast<int>(ember::supported_isa())) CHECK(active == tier);
        // the kernels come from the active tier's table
        CHECK(ember::detail::quant_kernels().tier == active);
        CHECK(ember::detail::kernel_tier().tier == active);
        CHECK(std::string(ember::vec_dot_isa()) == std::string(ember::isa_name(active)));
    }
    ember::set_max_isa(before);
    CHECK(ember::active_isa() == before);
}

TEST_CASE("tier names round-trip; an unknown name is refused") {
    for (ember::isa tier : ember::all_isas) {
        ember::isa parsed = ember::isa::avx512;
        CHECK(ember::parse_isa(ember::isa_name(tier), parsed));
        CHECK(parsed == tier);
    }
    ember::isa untouched = ember::isa::avx2;
    CHECK_FALSE(ember::parse_isa("sse9", untouched));
    CHECK(untouched == ember::isa::avx2);
}

TEST_CASE("each tier's kernel tables are built for that tier") {
    for (ember::isa tier : ember::all_isas) {
        // (a tier's code, its table's construction included, runs only on a CPU that has the tier)
        if (static_cast<int>(tier) > static_cast<int>(ember::supported_isa())) continue;
        CHECK(ember::detail::quant_kernels_of(tier).tier == tier);
        CHECK(ember::detail::kernel_tier_of(tier).tier == tier);
        // every type with a portable dot product has one in every tier
        for (ember::dtype type : {ember::dtype::q4_0, ember::dtype::q8_0, ember::dtype::q4_k, ember::dtype::q6_k})
            CHECK(static_cast<bool>(ember::detail::quant_kernels_of(tier).of(type).vec_dot));
    }
    // the repacked prompt GEMM is the avx2 and avx512 tiers'; interleaved rows the avx512 tier's only
    CHECK_FALSE(ember::detail::quant_kernels_of(ember::isa::generic).of(ember::dtype::q8_0).gemm_repacked);
    if (ember::supported_isa() != ember::isa::generic) {
        for (ember::dtype type : {ember::dtype::q8_0, ember::dtype::q4_0, ember::dtype::q5_0, ember::dtype::q4_k, ember::dtype::q6_k})
            CHECK(ember::detail::quant_kernels_of(ember::isa::avx2).of(type).gemm_repacked);
        CHECK_FALSE(ember::detail::quant_kernels_of(ember::isa::avx2).of(ember::dtype::q4_0).interleave);
    }
    if (ember::supported_isa() == ember::isa::avx512)
        CHECK(ember::detail::quant_kernels_of(ember::isa::avx512).of(ember::dtype::q4_0).interleave);
}
