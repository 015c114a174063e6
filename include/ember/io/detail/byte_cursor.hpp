#pragma once
// A bounds-checked little-endian reader over untrusted bytes. Every read
// checks the remaining length first, so no input can make it read outside
// [begin, end); a failed read leaves the cursor in place and reports false.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace ember::detail {

class byte_cursor {
public:
    byte_cursor(const uint8_t* begin, size_t size) : begin_(begin), position_(0), size_(size) {}

    size_t position() const { return position_; }
    size_t remaining() const { return size_ - position_; }
    const uint8_t* here() const { return begin_ + position_; }

    template <class T>
    bool read(T& value) {
        static_assert(std::is_trivially_copyable_v<T>);
        if (remaining() < sizeof(T)) return false;
        std::memcpy(&value, here(), sizeof(T));  // unaligned-safe; GGUF is little-endian
        position_ += sizeof(T);
        return true;
    }

    // A GGUF string: u64 length, then that many bytes (not NUL-terminated).
    bool read_string(std::string_view& text) {
        uint64_t length = 0;
        const size_t start = position_;
        if (!read(length)) return false;
        if (length > remaining()) {
            position_ = start;
            return false;
        }
        text = std::string_view(reinterpret_cast<const char*>(here()), static_cast<size_t>(length));
        position_ += static_cast<size_t>(length);
        return true;
    }

    bool skip(uint64_t bytes) {
        if (bytes > remaining()) return false;
        position_ += static_cast<size_t>(bytes);
        return true;
    }

    bool seek(size_t position) {
        if (position > size_) return false;
        position_ = position;
        return true;
    }

private:
    const uint8_t* begin_;
    size_t position_;
    size_t size_;
};

// a * b, or false when it overflows 64 bits.
inline bool checked_multiply(uint64_t a, uint64_t b, uint64_t& product) {
    if (a != 0 && b > UINT64_MAX / a) return false;
    product = a * b;
    return true;
}

inline bool checked_add(uint64_t a, uint64_t b, uint64_t& sum) {
    if (b > UINT64_MAX - a) return false;
    sum = a + b;
    return true;
}

}  // namespace ember::detail
