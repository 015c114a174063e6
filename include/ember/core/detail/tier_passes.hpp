// (no include guard: a module's tier driver defines EMBER_TIER_CONTENTS, the
// header that lists its tiered headers, and includes this once)
// Reads EMBER_TIER_CONTENTS once per ISA tier, each time inside that tier's
// target region with EMBER_TIER (and EMBER_TIER_AVX2 / EMBER_TIER_AVX512)
// defined; see tier_target.hpp.

#include "ember/core/detail/tier_target.hpp"

#if !defined(EMBER_TIER_CONTENTS)
#error "ember: define EMBER_TIER_CONTENTS before including tier_passes.hpp"
#endif
#if defined(EMBER_TIER) || defined(EMBER_TIER_AVX2) || defined(EMBER_TIER_AVX512)
#error "ember: a tier pass is already open"
#endif

#define EMBER_TIER generic
#include EMBER_TIER_CONTENTS
#undef EMBER_TIER

#if defined(EMBER_ISA_X86)
#define EMBER_TIER_AVX2 1
#define EMBER_TIER avx2
EMBER_TARGET_BEGIN_AVX2
#include EMBER_TIER_CONTENTS
EMBER_TARGET_END
#undef EMBER_TIER

#define EMBER_TIER_AVX512 1
#define EMBER_TIER avx512
EMBER_TARGET_BEGIN_AVX512
#include EMBER_TIER_CONTENTS
EMBER_TARGET_END
#undef EMBER_TIER
#undef EMBER_TIER_AVX512
#undef EMBER_TIER_AVX2
#endif

#undef EMBER_TIER_CONTENTS
