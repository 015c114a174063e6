#pragma once
// GGUF metadata values: the 13 value types and a view of one value (scalar,
// string or array) pointing into the file's bytes.

#include "ember/error.hpp"

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ember {

enum class gguf_type : uint32_t {
    u8 = 0, i8 = 1, u16 = 2, i16 = 3, u32 = 4, i32 = 5, f32 = 6, boolean = 7,
    string = 8, array = 9, u64 = 10, i64 = 11, f64 = 12,
};

inline constexpr uint32_t gguf_type_count = 13;

inline const char* to_string(gguf_type type) {
    static const char* const names[] = {"u8", "i8", "u16", "i16", "u32", "i32", "f32",
                                        "bool", "string", "array", "u64", "i64", "f64"};
    const auto index = static_cast<uint32_t>(type);
    return index < gguf_type_count ? names[index] : "unknown";
}

// Bytes of one scalar of the type; 0 for string and array (variable size).
inline size_t gguf_scalar_size(gguf_type type) {
    switch (type) {
        case gguf_type::u8: case gguf_type::i8: case gguf_type::boolean: return 1;
        case gguf_type::u16: case gguf_type::i16: return 2;
        case gguf_type::u32: case gguf_type::i32: case gguf_type::f32: return 4;
        case gguf_type::u64: case gguf_type::i64: case gguf_type::f64: return 8;
        case gguf_type::string: case gguf_type::array: return 0;
    }
    return 0;
}

inline bool is_integer(gguf_type type) {
    switch (type) {
        case gguf_type::u8: case gguf_type::i8: case gguf_type::u16: case gguf_type::i16:
        case gguf_type::u32: case gguf_type::i32: case gguf_type::u64: case gguf_type::i64: return true;
        default: return false;
    }
}

// One metadata value. Scalars and array elements stay in the file's bytes
// (`payload`); strings and string arrays are views into the same bytes.
struct gguf_value {
    gguf_type type = gguf_type::u8;
    gguf_type element_type = gguf_type::u8;   // arrays only
    uint64_t count = 1;                       // element count (arrays), else 1
    const uint8_t* payload = nullptr;         // first scalar byte / first array element
    std::string_view text;                    // strings
    std::vector<std::string_view> texts;      // arrays of strings

    bool is_array() const { return type == gguf_type::array; }
    // The type of the scalar(s): the element type for arrays.
    gguf_type scalar_type() const { return is_array() ? element_type : type; }
};

namespace detail {

// Read the i-th scalar of a value as T: integers convert when the value fits
// T, floats from f32/f64, bool from bool. False (with a reason) otherwise.
template <class T>
bool convert_scalar(gguf_type type, const uint8_t* bytes, T& out, std::string& reason) {
    auto load = [&](auto sample) {
        decltype(sample) value;
        std::memcpy(&value, bytes, sizeof(value));
        return value;
    };
    if constexpr (std::is_same_v<T, bool>) {
        if (type != gguf_type::boolean) return reason = "bool", false;
        out = load(uint8_t{}) != 0;
        return true;
    } else if constexpr (std::is_integral_v<T>) {
        if (!is_integer(type)) return reason = "integer", false;
        bool negative = false;
        uint64_t magnitude = 0;
        int64_t signed_value = 0;
        switch (type) {
            case gguf_type::u8: magnitude = load(uint8_t{}); break;
            case gguf_type::u16: magnitude = load(uint16_t{}); break;
            case gguf_type::u32: magnitude = load(uint32_t{}); break;
            case gguf_type::u64: magnitude = load(uint64_t{}); break;
            case gguf_type::i8: signed_value = load(int8_t{}); break;
            case gguf_type::i16: signed_value = load(int16_t{}); break;
            case gguf_type::i32: signed_value = load(int32_t{}); break;
            case gguf_type::i64: signed_value = load(int64_t{}); break;
            default: break;
        }
        if (type == gguf_type::i8 || type == gguf_type::i16 || type == gguf_type::i32 || type == gguf_type::i64) {
            negative = signed_value < 0;
            magnitude = negative ? 0 : static_cast<uint64_t>(signed_value);
        }
        if (negative) {
            if (!std::is_signed_v<T> || signed_value < static_cast<int64_t>(std::numeric_limits<T>::min()))
                return reason = "integer in range", false;
            out = static_cast<T>(signed_value);
            return true;
        }
        if (magnitude > static_cast<uint64_t>(std::numeric_limits<T>::max())) return reason = "integer in range", false;
        out = static_cast<T>(magnitude);
        return true;
    } else if constexpr (std::is_floating_point_v<T>) {
        if (type == gguf_type::f32) out = static_cast<T>(load(float{}));
        else if (type == gguf_type::f64) out = static_cast<T>(load(double{}));
        else return reason = "float", false;
        return true;
    } else {
        static_assert(sizeof(T) == 0, "unsupported metadata type");
    }
}

}  // namespace detail
}  // namespace ember
