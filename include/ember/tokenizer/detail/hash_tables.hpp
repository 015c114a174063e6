#pragma once
// Open-addressing hash tables for the two lookups on the tokenizer's hot
// path: token text → id (every piece, every BPE/SPM candidate) and a pair of
// ids → merge (every BPE merge step). Both are built once per vocabulary and
// then only read, so they need no deletion and can stay flat and cache-dense.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace ember::detail {

// A fast, well-mixing 64-bit hash of a short byte string (tokens are
// rarely longer than a few dozen bytes).
inline uint64_t hash_bytes(const char* data, size_t size) {
    constexpr uint64_t multiplier = 0x9E3779B97F4A7C15ull;
    uint64_t hash = 0x243F6A8885A308D3ull ^ (size * multiplier);
    while (size >= 8) {
        uint64_t word;
        std::memcpy(&word, data, 8);
        hash = (hash ^ word) * multiplier;
        hash ^= hash >> 29;
        data += 8;
        size -= 8;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, data, size);
    hash = (hash ^ tail) * multiplier;
    hash ^= hash >> 32;
    hash *= 0xD6E8FEB86659FD93ull;
    hash ^= hash >> 32;
    return hash;
}

inline size_t table_capacity_for(size_t count) {
    size_t capacity = 16;
    while (capacity < count * 2) capacity *= 2;  // load factor ≤ 1/2 keeps probes short
    return capacity;
}

// Maps token text to the id of its first occurrence. Keys are not stored:
// the table holds ids and compares against the token strings it was built
// from, which must outlive it and stay in place (the tokenizer keeps both in
// one heap-allocated, immutable state).
class token_text_index {
public:
    void build(const std::vector<std::string>& texts) {
        texts_ = &texts;
        slots_.assign(table_capacity_for(texts.size()), -1);
        mask_ = slots_.size() - 1;
        for (size_t id = 0; id < texts.size(); ++id) {
            const std::string& text = texts[id];
            size_t slot = hash_bytes(text.data(), text.size()) & mask_;
            bool duplicate = false;
            while (slots_[slot] >= 0) {
                if ((*texts_)[static_cast<size_t>(slots_[slot])] == text) { duplicate = true; break; }
                slot = (slot + 1) & mask_;
            }
            if (!duplicate) slots_[slot] = static_cast<int32_t>(id);
        }
    }

    int32_t find(std::string_view text) const {
        if (slots_.empty()) return -1;
        size_t slot = hash_bytes(text.data(), text.size()) & mask_;
        for (;;) {
            const int32_t id = slots_[slot];
            if (id < 0) return -1;
            const std::string& candidate = (*texts_)[static_cast<size_t>(id)];
            if (candidate.size() == text.size() && std::memcmp(candidate.data(), text.data(), text.size()) == 0)
                return id;
            slot = (slot + 1) & mask_;
        }
    }

private:
    const std::vector<std::string>* texts_ = nullptr;
    std::vector<int32_t> slots_;
    size_t mask_ = 0;
};

// (left id, right id) → (rank, merged id) for byte-level BPE.
class merge_index {
public:
    struct merge {
        int32_t rank = -1;  // -1: no such merge
        int32_t result = -1;
    };

    void reserve(size_t count) {
        keys_.assign(table_capacity_for(count), empty_key);
        values_.assign(keys_.size(), merge{});
        mask_ = keys_.size() - 1;
    }

    // A later entry for the same pair replaces the earlier one, as Hugging
    // Face's merge map (built by collecting into a hash map) does.
    void insert(int32_t left, int32_t right, merge value) {
        const uint64_t key = make_key(left, right);
        size_t slot = mix(key) & mask_;
        while (keys_[slot] != empty_key && keys_[slot] != key) slot = (slot + 1) & mask_;
        keys_[slot] = key;
        values_[slot] = value;
    }

    merge find(int32_t left, int32_t right) const {
        if (keys_.empty()) return {};
        const uint64_t key = make_key(left, right);
        size_t slot = mix(key) & mask_;
        for (;;) {
            const uint64_t stored = keys_[slot];
            if (stored == key) return values_[slot];
            if (stored == empty_key) return {};
            slot = (slot + 1) & mask_;
        }
    }

private:
    static constexpr uint64_t empty_key = ~0ull;
    static uint64_t make_key(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }
    static uint64_t mix(uint64_t key) {
        key ^= key >> 33;
        key *= 0xFF51AFD7ED558CCDull;
        key ^= key >> 33;
        return key;
    }
    std::vector<uint64_t> keys_;
    std::vector<merge> values_;
    size_t mask_ = 0;
};

}  // namespace ember::detail
