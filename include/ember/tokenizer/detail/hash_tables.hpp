#pragma once
// Open-addressing hash tables for the two lookups on the tokenizer's hot
// path: token text → id (every piece, every BPE/SPM candidate) and a pair of
// ids → merge (every BPE merge step). Both are built once per vocabulary and
// then only read, so they need no deletion and can stay flat and cache-dense.

#include <cstddef>
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
// each slot holds an id and 32 bits of the text's hash, so a probe touches
// the token string only when the hash bits agree. The token strings must
// outlive the index and stay in place (the tokenizer keeps both in one
// heap-allocated, immutable state).
class token_text_index {
public:
    void build(const std::vector<std::string>& texts) {
        texts_ = &texts;
        slots_.assign(table_capacity_for(texts.size()), slot{0, -1});
        mask_ = slots_.size() - 1;
        for (size_t id = 0; id < texts.size(); ++id) {
            const std::string& text = texts[id];
            const uint64_t hash = hash_bytes(text.data(), text.size());
            size_t index = hash & mask_;
            bool duplicate = false;
            while (slots_[index].id >= 0) {
                if (slots_[index].fingerprint == fingerprint_of(hash) &&
                    (*texts_)[static_cast<size_t>(slots_[index].id)] == text) {
                    duplicate = true;
                    break;
                }
                index = (index + 1) & mask_;
            }
            if (!duplicate) slots_[index] = slot{fingerprint_of(hash), static_cast<int32_t>(id)};
        }
    }

    int32_t find(std::string_view text) const {
        if (slots_.empty()) return -1;
        const uint64_t hash = hash_bytes(text.data(), text.size());
        const uint32_t fingerprint = fingerprint_of(hash);
        for (size_t index = hash & mask_;; index = (index + 1) & mask_) {
            const slot& entry = slots_[index];
            if (entry.id < 0) return -1;
            if (entry.fingerprint != fingerprint) continue;
            const std::string& candidate = (*texts_)[static_cast<size_t>(entry.id)];
            if (candidate.size() == text.size() && std::memcmp(candidate.data(), text.data(), text.size()) == 0)
                return entry.id;
        }
    }

private:
    struct slot {
        uint32_t fingerprint;
        int32_t id;  // -1: empty
    };
    static uint32_t fingerprint_of(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
    const std::vector<std::string>* texts_ = nullptr;
    std::vector<slot> slots_;
    size_t mask_ = 0;
};

// (left id, right id) → (rank, merged id) for byte-level BPE. Key and value
// share a 16-byte slot so a lookup costs one cache line: on a 150 000-merge
// vocabulary the table is megabytes, and these lookups are most of BPE's time.
class merge_index {
public:
    struct merge {
        int32_t rank = -1;  // -1: no such merge
        int32_t result = -1;
    };

    void reserve(size_t count) {
        size_t capacity = 16;
        while (capacity < count + count / 2) capacity *= 2;  // load factor < 2/3
        slots_.assign(capacity, slot{empty_key, {}});
        mask_ = capacity - 1;
    }

    // A later entry for the same pair replaces the earlier one, as Hugging
    // Face's merge map (built by collecting into a hash map) does.
    void insert(int32_t left, int32_t right, merge value) {
        const uint64_t key = make_key(left, right);
        size_t index = mix(key) & mask_;
        while (slots_[index].key != empty_key && slots_[index].key != key) index = (index + 1) & mask_;
        slots_[index] = slot{key, value};
    }

    merge find(int32_t left, int32_t right) const {
        if (slots_.empty()) return {};
        const uint64_t key = make_key(left, right);
        for (size_t index = mix(key) & mask_;; index = (index + 1) & mask_) {
            const slot& entry = slots_[index];
            if (entry.key == key) return entry.value;
            if (entry.key == empty_key) return {};
        }
    }

private:
    static constexpr uint64_t empty_key = ~0ull;
    struct slot {
        uint64_t key;
        merge value;
    };
    static uint64_t make_key(int32_t left, int32_t right) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    }
    static uint64_t mix(uint64_t key) {
        key ^= key >> 33;
        key *= 0xFF51AFD7ED558CCDull;
        key ^= key >> 33;
        return key;
    }
    std::vector<slot> slots_;
    size_t mask_ = 0;
};

// A per-call memo of piece text → ids. Natural text repeats its words, and
// merging a word costs far more than hashing it. Direct-mapped (a colliding
// piece replaces the old one), so it never grows beyond its slots plus the
// arenas holding what was stored; only worth building for longer inputs.
class piece_cache {
public:
    static constexpr size_t slot_count = 2048;
    static constexpr size_t max_piece_bytes = 64;

    bool enabled() const { return !slots_.empty(); }
    void enable() { slots_.assign(slot_count, entry{}); }

    // Append the cached ids of `piece` to `out`; false when not cached.
    bool lookup(std::string_view piece, std::vector<int32_t>& out) const {
        if (slots_.empty() || piece.size() > max_piece_bytes) return false;
        const uint64_t hash = hash_bytes(piece.data(), piece.size());
        const entry& e = slots_[hash & (slot_count - 1)];
        if (e.hash != hash || e.text_length != piece.size() ||
            std::memcmp(texts_.data() + e.text_offset, piece.data(), piece.size()) != 0)
            return false;
        out.insert(out.end(), ids_.begin() + e.ids_offset, ids_.begin() + e.ids_offset + e.ids_count);
        return true;
    }

    // Remember that `piece` encodes as ids[first, end).
    void store(std::string_view piece, const std::vector<int32_t>& ids, size_t first) {
        if (slots_.empty() || piece.size() > max_piece_bytes) return;
        const uint64_t hash = hash_bytes(piece.data(), piece.size());
        entry& e = slots_[hash & (slot_count - 1)];
        e.hash = hash;
        e.text_offset = texts_.size();
        e.text_length = piece.size();
        e.ids_offset = ids_.size();
        e.ids_count = ids.size() - first;
        texts_.append(piece.data(), piece.size());
        ids_.insert(ids_.end(), ids.begin() + static_cast<std::ptrdiff_t>(first), ids.end());
    }

private:
    struct entry {
        uint64_t hash = 0;
        size_t text_offset = 0, text_length = SIZE_MAX;  // SIZE_MAX: empty
        size_t ids_offset = 0, ids_count = 0;
    };
    std::vector<entry> slots_;
    std::string texts_;
    std::vector<int32_t> ids_;
};

}  // namespace ember::detail
