#pragma once
// The GGUF writer: serialises metadata and tensors into a GGUF v3 file. It
// writes what it is told — tests use it to craft malformed files on purpose —
// so validation belongs to the reader, not here.

#include "ember/core/dtype.hpp"
#include "ember/error.hpp"
#include "ember/io/gguf_value.hpp"

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace ember {

class gguf_writer {
public:
    struct tensor_entry {
        std::string name;
        uint32_t type_id;                // a dtype id (any u32, to craft bad files)
        std::vector<uint64_t> shape;     // ggml order: shape[0] is the row length
        std::vector<uint8_t> data;
        std::optional<uint64_t> offset;  // default: packed, aligned after the previous tensor
    };

    uint32_t version = 3;
    uint32_t alignment = gguf_default_alignment_value;  // data alignment used for layout

    // A non-default alignment must also be declared in the metadata.
    void set_alignment(uint32_t value) {
        alignment = value;
        set("general.alignment", value);
    }

    // ---- metadata ----
    template <class T>
    void set(const std::string& key, T value) {
        set_raw(key, gguf_type_of<T>(), bytes_of(value));
    }
    void set(const std::string& key, const char* text) { set(key, std::string(text)); }
    void set(const std::string& key, const std::string& text) {
        std::vector<uint8_t> payload;
        append_string(payload, text);
        set_raw(key, gguf_type::string, std::move(payload));
    }
    template <class T>
    void set_array(const std::string& key, const std::vector<T>& values) {
        std::vector<uint8_t> payload;
        append_pod(payload, static_cast<uint32_t>(gguf_type_of<T>()));
        append_pod(payload, static_cast<uint64_t>(values.size()));
        for (const T& value : values) {
            if constexpr (std::is_same_v<T, std::string>) append_string(payload, value);
            else append(payload, bytes_of(value));
        }
        set_raw(key, gguf_type::array, std::move(payload));
    }
    // Any type id and payload bytes, written verbatim after the key and type.
    void set_raw(const std::string& key, gguf_type type, std::vector<uint8_t> payload) {
        set_raw_id(key, static_cast<uint32_t>(type), std::move(payload));
    }
    void set_raw_id(const std::string& key, uint32_t type_id, std::vector<uint8_t> payload) {
        for (auto& entry : metadata_)
            if (entry.key == key) {
                entry.type_id = type_id;
                entry.payload = std::move(payload);
                return;
            }
        metadata_.push_back({key, type_id, std::move(payload)});
    }
    // Append a key even if it already exists (for crafting duplicate-key files).
    void append_raw_id(const std::string& key, uint32_t type_id, std::vector<uint8_t> payload) {
        metadata_.push_back({key, type_id, std::move(payload)});
    }

    // ---- tensors ----
    void add_tensor(tensor_entry entry) { tensors_.push_back(std::move(entry)); }
    void add_tensor(const std::string& name, dtype type, std::vector<uint64_t> shape, std::vector<uint8_t> data) {
        tensors_.push_back({name, static_cast<uint32_t>(type), std::move(shape), std::move(data), std::nullopt});
    }
    void add_f32_tensor(const std::string& name, std::vector<uint64_t> shape, const std::vector<float>& values) {
        std::vector<uint8_t> data(values.size() * sizeof(float));
        if (!values.empty()) std::memcpy(data.data(), values.data(), data.size());
        add_tensor(name, dtype::f32, std::move(shape), std::move(data));
    }

    std::vector<uint8_t> to_bytes() const {
        std::vector<uint8_t> out;
        append_pod(out, uint32_t{0x46554747});  // "GGUF"
        append_pod(out, version);
        append_pod(out, static_cast<uint64_t>(tensors_.size()));
        append_pod(out, static_cast<uint64_t>(metadata_.size()));
        for (const auto& entry : metadata_) {
            append_string(out, entry.key);
            append_pod(out, entry.type_id);
            append(out, entry.payload);
        }
        std::vector<uint64_t> offsets;
        uint64_t next = 0;
        for (const auto& tensor : tensors_) {
            const uint64_t offset = tensor.offset ? *tensor.offset : next;
            offsets.push_back(offset);
            next = align_up(offset + tensor.data.size());
            append_string(out, tensor.name);
            append_pod(out, static_cast<uint32_t>(tensor.shape.size()));
            for (uint64_t dim : tensor.shape) append_pod(out, dim);
            append_pod(out, tensor.type_id);
            append_pod(out, offset);
        }
        if (tensors_.empty()) return out;
        out.resize(align_up(out.size()), 0);
        const size_t data_start = out.size();
        for (size_t i = 0; i < tensors_.size(); ++i) {
            // Tensors without data (crafted tables pointing anywhere) take no space.
            if (tensors_[i].data.empty()) continue;
            const size_t at = data_start + static_cast<size_t>(offsets[i]);
            if (out.size() < at + tensors_[i].data.size()) out.resize(at + tensors_[i].data.size(), 0);
            std::memcpy(out.data() + at, tensors_[i].data.data(), tensors_[i].data.size());
        }
        out.resize(data_start + align_up(out.size() - data_start), 0);
        return out;
    }

    result<void> write_file(const std::string& path) const {
        const std::vector<uint8_t> bytes = to_bytes();
        std::FILE* file = std::fopen(path.c_str(), "wb");
        if (!file) return make_error(errc::io_error, path + ": cannot open for writing");
        const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
        const bool closed = std::fclose(file) == 0;
        if (!written || !closed) return make_error(errc::io_error, path + ": write failed");
        return {};
    }

    // Little-endian bytes of a scalar (public: tests build raw payloads with it).
    template <class T>
    static std::vector<uint8_t> bytes_of(T value) {
        if constexpr (std::is_same_v<T, bool>) return {static_cast<uint8_t>(value ? 1 : 0)};
        else {
            std::vector<uint8_t> out(sizeof(T));
            std::memcpy(out.data(), &value, sizeof(T));
            return out;
        }
    }

    template <class T>
    static constexpr gguf_type gguf_type_of() {
        if constexpr (std::is_same_v<T, bool>) return gguf_type::boolean;
        else if constexpr (std::is_same_v<T, uint8_t>) return gguf_type::u8;
        else if constexpr (std::is_same_v<T, int8_t>) return gguf_type::i8;
        else if constexpr (std::is_same_v<T, uint16_t>) return gguf_type::u16;
        else if constexpr (std::is_same_v<T, int16_t>) return gguf_type::i16;
        else if constexpr (std::is_same_v<T, uint32_t>) return gguf_type::u32;
        else if constexpr (std::is_same_v<T, int32_t>) return gguf_type::i32;
        else if constexpr (std::is_same_v<T, uint64_t>) return gguf_type::u64;
        else if constexpr (std::is_same_v<T, int64_t>) return gguf_type::i64;
        else if constexpr (std::is_same_v<T, float>) return gguf_type::f32;
        else if constexpr (std::is_same_v<T, double>) return gguf_type::f64;
        else if constexpr (std::is_same_v<T, std::string>) return gguf_type::string;
        else static_assert(sizeof(T) == 0, "no GGUF type for this C++ type");
    }

private:
    static constexpr uint32_t gguf_default_alignment_value = 32;
    struct metadata_entry {
        std::string key;
        uint32_t type_id;
        std::vector<uint8_t> payload;
    };

    uint64_t align_up(uint64_t n) const { return (n + alignment - 1) / alignment * alignment; }
    template <class T>
    static void append_pod(std::vector<uint8_t>& out, T value) { append(out, bytes_of(value)); }
    static void append(std::vector<uint8_t>& out, const std::vector<uint8_t>& bytes) {
        out.insert(out.end(), bytes.begin(), bytes.end());
    }
    static void append_string(std::vector<uint8_t>& out, const std::string& text) {
        append_pod(out, static_cast<uint64_t>(text.size()));
        out.insert(out.end(), text.begin(), text.end());
    }

    std::vector<metadata_entry> metadata_;
    std::vector<tensor_entry> tensors_;
};

}  // namespace ember
