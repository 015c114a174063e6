#pragma once
// ember's random numbers, specified bit for bit so that the same seed and
// the same sampler settings draw the same tokens on every platform and
// standard library. (std::mt19937 is portable but std::*_distribution is
// not: libstdc++, libc++ and MSVC turn the same engine output into
// different floats.)
//
//   ember::random_generator random(42);
//   uint64_t bits = random.next();          // xoshiro256**
//   double u = random.next_double();        // [0, 1), 53 bits
//
// The engine is xoshiro256** 1.0 (Blackman & Vigna), seeded by expanding one
// 64-bit seed through splitmix64 — the seeding its authors recommend.

#include <cstdint>

namespace ember {

// splitmix64: advances `state` and returns the next output. Used to turn a
// single seed into a well-mixed 256-bit xoshiro state.
inline constexpr uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

class random_generator {
public:
    static constexpr uint64_t default_seed = 0x454d424552ull;  // "EMBER"

    explicit constexpr random_generator(uint64_t seed = default_seed) { reseed(seed); }

    constexpr void reseed(uint64_t seed) {
        uint64_t mixer = seed;
        for (uint64_t& word : state_) word = splitmix64(mixer);
        // splitmix64 never yields four zero words, xoshiro's one bad state,
        // but a directly set state could; see set_state.
    }

    // The raw engine state, for tests against the reference vectors and for
    // saving/restoring a generator. An all-zero state is replaced by the
    // default seed's (xoshiro would output zeros forever).
    constexpr void set_state(uint64_t s0, uint64_t s1, uint64_t s2, uint64_t s3) {
        if ((s0 | s1 | s2 | s3) == 0) return reseed(default_seed);
        state_[0] = s0, state_[1] = s1, state_[2] = s2, state_[3] = s3;
    }

    // xoshiro256** 1.0: 64 uniformly distributed bits.
    constexpr uint64_t next() {
        const uint64_t result = rotate_left(state_[1] * 5, 7) * 9;
        const uint64_t shifted = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= shifted;
        state_[3] = rotate_left(state_[3], 45);
        return result;
    }

    // Uniform in [0, 1) from the top 24 bits: every value is exactly
    // representable, so the conversion involves no rounding anywhere.
    constexpr float next_float() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }

    // Uniform in [0, 1) from the top 53 bits (exact in a double). Sampling
    // uses this: a 150k-token vocabulary has probabilities far below 2^-24.
    constexpr double next_double() { return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0); }

private:
    static constexpr uint64_t rotate_left(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

    uint64_t state_[4] = {};
};

}  // namespace ember
