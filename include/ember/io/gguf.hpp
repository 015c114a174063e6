#pragma once
// The GGUF reader. `gguf_file::open` maps a file and validates all of it —
// header, metadata, tensor table, data offsets — before anything uses it:
// every count, length and offset in the file is untrusted, and each way a
// file can be broken gets its own error naming the cause.
//
// Layout (v2 and v3): "GGUF" u32 version, u64 tensor_count, u64 kv_count,
// kv_count × (string key, u32 type, value), tensor_count × (string name,
// u32 n_dims, u64 dims[n_dims], u32 type, u64 offset), padding to the
// alignment, then the tensor data. Strings are u64 length + bytes.

#include "ember/core/dtype.hpp"
#include "ember/core/file_mapping.hpp"
#include "ember/error.hpp"
#include "ember/io/detail/byte_cursor.hpp"
#include "ember/io/gguf_value.hpp"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ember {

inline constexpr uint32_t gguf_magic = 0x46554747;  // "GGUF" read as little-endian u32
inline constexpr uint32_t gguf_default_alignment = 32;
inline constexpr size_t gguf_max_tensor_name = 63;   // ggml's GGML_MAX_NAME - 1
inline constexpr uint32_t gguf_max_dims = 4;

struct gguf_tensor {
    std::string_view name;
    dtype type = dtype::f32;
    uint32_t n_dims = 0;
    std::array<uint64_t, 4> shape{1, 1, 1, 1};  // shape[0]: contiguous row length (ggml order)
    uint64_t n_elements = 0;
    uint64_t n_bytes = 0;
    uint64_t offset = 0;            // from the start of the data section
    const uint8_t* data = nullptr;  // inside the mapping

    uint64_t rows() const { return n_elements / shape[0]; }
};

struct gguf_metadata_entry {
    std::string_view key;
    gguf_value value;
};

class gguf_file {
public:
    // Map and validate a file.
    static result<gguf_file> open(const std::string& path);
    // Validate bytes the caller keeps alive for the life of the gguf_file.
    static result<gguf_file> parse(const uint8_t* bytes, size_t size, std::string source_name = "<memory>");

    uint32_t version() const { return version_; }
    uint32_t alignment() const { return alignment_; }
    size_t file_size() const { return size_; }
    size_t data_offset() const { return data_offset_; }
    const std::string& source_name() const { return source_name_; }

    // ---- metadata ----
    const std::vector<gguf_metadata_entry>& metadata() const { return metadata_; }
    bool contains(std::string_view key) const { return key_index_.count(key) != 0; }
    const gguf_value* find(std::string_view key) const {
        auto found = key_index_.find(key);
        return found == key_index_.end() ? nullptr : &metadata_[found->second].value;
    }

    // Required scalar: a missing key or a value of the wrong type is an error
    // naming the key and both types. T: bool, integers (any integer type that
    // fits), float/double (f32/f64), std::string_view.
    template <class T>
    result<T> get(std::string_view key) const {
        const gguf_value* value = find(key);
        if (!value) return make_error(errc::invalid_file, source_name_ + ": missing metadata key '" + std::string(key) + "'");
        return convert<T>(key, *value);
    }

    // Optional scalar: absent gives `fallback`; present but mistyped is still an error.
    template <class T>
    result<T> get_or(std::string_view key, T fallback) const {
        const gguf_value* value = find(key);
        if (!value) return fallback;
        return convert<T>(key, *value);
    }

    // Required array of scalars or strings (string_views into the file).
    template <class T>
    result<std::vector<T>> get_array(std::string_view key) const;

    // ---- tensors ----
    const std::vector<gguf_tensor>& tensors() const { return tensors_; }
    const gguf_tensor* find_tensor(std::string_view name) const {
        auto found = tensor_index_.find(name);
        return found == tensor_index_.end() ? nullptr : &tensors_[found->second];
    }

    // After a copy of a tensor's bytes was made: their pages leave the
    // resident set (file_mapping::release_pages); nothing for a file read
    // from memory.
    void release_pages(const uint8_t* begin, size_t size) const {
        if (mapping_) mapping_->release_pages(begin, size);
    }

private:
    template <class T>
    result<T> convert(std::string_view key, const gguf_value& value) const;
    result<void> parse_all();
    result<void> parse_metadata(detail::byte_cursor& cursor, uint64_t count);
    result<void> parse_value(detail::byte_cursor& cursor, std::string_view key, gguf_value& value);
    result<void> parse_tensor_infos(detail::byte_cursor& cursor, uint64_t count);
    result<void> place_tensors(size_t data_start);
    error fail(const std::string& message) const { return make_error(errc::invalid_file, source_name_ + ": " + message); }

    std::shared_ptr<file_mapping> mapping_;  // shared so copies of the file stay valid
    const uint8_t* bytes_ = nullptr;
    size_t size_ = 0;
    std::string source_name_;
    uint32_t version_ = 0;
    uint32_t alignment_ = gguf_default_alignment;
    size_t data_offset_ = 0;
    std::vector<gguf_metadata_entry> metadata_;
    std::unordered_map<std::string_view, size_t> key_index_;
    std::vector<gguf_tensor> tensors_;
    std::unordered_map<std::string_view, size_t> tensor_index_;
};

// ---------------------------------------------------------------------------

inline result<gguf_file> gguf_file::open(const std::string& path) {
    auto mapping = file_mapping::open(path);
    if (!mapping) return mapping.error();
    auto shared = std::make_shared<file_mapping>(std::move(mapping).value());
    auto file = parse(shared->data(), shared->size(), path);
    if (!file) return file.error();
    file->mapping_ = std::move(shared);
    return file;
}

inline result<gguf_file> gguf_file::parse(const uint8_t* bytes, size_t size, std::string source_name) {
    gguf_file file;
    file.bytes_ = bytes;
    file.size_ = size;
    file.source_name_ = std::move(source_name);
    EMBER_TRY(file.parse_all());
    return file;
}

inline result<void> gguf_file::parse_all() {
    detail::byte_cursor cursor(bytes_, size_);
    uint32_t magic = 0;
    if (!cursor.read(magic)) return fail("truncated: file is smaller than the GGUF header");
    if (magic != gguf_magic) return fail("bad magic: not a GGUF file");
    if (!cursor.read(version_)) return fail("truncated in the header (version)");
    if (version_ == 0x03000000u || version_ == 0x02000000u)
        return fail("big-endian GGUF files are not supported");
    if (version_ != 2 && version_ != 3)
        return fail("unsupported GGUF version " + std::to_string(version_) + " (expected 2 or 3)");
    uint64_t tensor_count = 0, metadata_count = 0;
    if (!cursor.read(tensor_count) || !cursor.read(metadata_count))
        return fail("truncated in the header (counts)");

    // Each entry needs at least its fixed-size fields, so a count larger
    // than the remaining bytes allow is a lie; reject it before reserving.
    constexpr uint64_t min_metadata_entry = 8 + 4 + 1;   // key length, type, 1-byte value
    constexpr uint64_t min_tensor_info = 8 + 1 + 4 + 8 + 4 + 8;  // name, 1-char name, n_dims, dim, type, offset
    if (metadata_count > cursor.remaining() / min_metadata_entry)
        return fail("metadata count " + std::to_string(metadata_count) + " is larger than the file can hold");
    if (tensor_count > cursor.remaining() / min_tensor_info)
        return fail("tensor count " + std::to_string(tensor_count) + " is larger than the file can hold");

    EMBER_TRY(parse_metadata(cursor, metadata_count));
    if (tensor_count > cursor.remaining() / min_tensor_info)
        return fail("tensor count " + std::to_string(tensor_count) + " is larger than the file can hold");
    EMBER_TRY(parse_tensor_infos(cursor, tensor_count));

    // The data section starts at the next multiple of the alignment.
    const size_t info_end = cursor.position();
    const size_t padding = (alignment_ - info_end % alignment_) % alignment_;
    if (tensors_.empty()) {
        data_offset_ = info_end + padding > size_ ? size_ : info_end + padding;
        return {};
    }
    if (padding > size_ - info_end) return fail("truncated before the tensor data section");
    return place_tensors(info_end + padding);
}

inline result<void> gguf_file::parse_metadata(detail::byte_cursor& cursor, uint64_t count) {
    metadata_.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
        gguf_metadata_entry entry;
        if (!cursor.read_string(entry.key))
            return fail("truncated in metadata entry " + std::to_string(i) + " (key)");
        if (key_index_.count(entry.key)) return fail("duplicate metadata key '" + std::string(entry.key) + "'");
        EMBER_TRY(parse_value(cursor, entry.key, entry.value));
        key_index_.emplace(entry.key, metadata_.size());
        metadata_.push_back(std::move(entry));
    }
    if (const gguf_value* alignment = find("general.alignment")) {
        if (alignment->type != gguf_type::u32)
            return fail("general.alignment must be u32, found " + std::string(to_string(alignment->type)));
        uint32_t value = 0;
        std::memcpy(&value, alignment->payload, 4);
        if (value == 0 || (value & (value - 1)) != 0)
            return fail("general.alignment " + std::to_string(value) + " is not a power of two");
        alignment_ = value;
    }
    return {};
}

inline result<void> gguf_file::parse_value(detail::byte_cursor& cursor, std::string_view key, gguf_value& value) {
    const std::string where = "metadata key '" + std::string(key) + "'";
    uint32_t type_id = 0;
    if (!cursor.read(type_id)) return fail("truncated in " + where + " (type)");
    if (type_id >= gguf_type_count) return fail(where + " has unknown value type " + std::to_string(type_id));
    value.type = static_cast<gguf_type>(type_id);

    if (value.type == gguf_type::string) {
        if (!cursor.read_string(value.text)) return fail("truncated in " + where + " (string longer than the file)");
        return {};
    }
    if (value.type != gguf_type::array) {
        value.payload = cursor.here();
        if (!cursor.skip(gguf_scalar_size(value.type))) return fail("truncated in " + where + " (value)");
        return {};
    }

    uint32_t element_id = 0;
    if (!cursor.read(element_id) || !cursor.read(value.count)) return fail("truncated in " + where + " (array header)");
    if (element_id == static_cast<uint32_t>(gguf_type::array)) return fail(where + " is a nested array (not allowed)");
    if (element_id >= gguf_type_count) return fail(where + " has unknown array element type " + std::to_string(element_id));
    value.element_type = static_cast<gguf_type>(element_id);
    value.payload = cursor.here();

    if (value.element_type == gguf_type::string) {
        // each string needs at least its 8-byte length
        if (value.count > cursor.remaining() / 8)
            return fail(where + ": array count " + std::to_string(value.count) + " is larger than the file can hold");
        value.texts.resize(static_cast<size_t>(value.count));
        for (auto& text : value.texts)
            if (!cursor.read_string(text)) return fail("truncated in " + where + " (string array element)");
        return {};
    }
    const size_t element_size = gguf_scalar_size(value.element_type);
    if (value.count > cursor.remaining() / element_size)
        return fail(where + ": array count " + std::to_string(value.count) + " is larger than the file can hold");
    cursor.skip(value.count * element_size);
    return {};
}

inline result<void> gguf_file::parse_tensor_infos(detail::byte_cursor& cursor, uint64_t count) {
    tensors_.reserve(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
        gguf_tensor tensor;
        const std::string where = "tensor " + std::to_string(i);
        if (!cursor.read_string(tensor.name)) return fail("truncated in " + where + " (name)");
        if (tensor.name.empty()) return fail(where + " has an empty name");
        if (tensor.name.size() > gguf_max_tensor_name)
            return fail(where + " name is " + std::to_string(tensor.name.size()) + " bytes (at most " +
                        std::to_string(gguf_max_tensor_name) + ")");
        const std::string named = "tensor '" + std::string(tensor.name) + "'";
        if (tensor_index_.count(tensor.name)) return fail("duplicate tensor name '" + std::string(tensor.name) + "'");

        if (!cursor.read(tensor.n_dims)) return fail("truncated in " + named + " (dimension count)");
        if (tensor.n_dims == 0 || tensor.n_dims > gguf_max_dims)
            return fail(named + " has " + std::to_string(tensor.n_dims) + " dimensions (1 to 4 allowed)");
        uint64_t elements = 1;
        for (uint32_t d = 0; d < tensor.n_dims; ++d) {
            if (!cursor.read(tensor.shape[d])) return fail("truncated in " + named + " (shape)");
            if (tensor.shape[d] == 0) return fail(named + " has a zero dimension");
            // ggml stores element counts as int64: stay below 2^63
            if (!detail::checked_multiply(elements, tensor.shape[d], elements) || elements > uint64_t(INT64_MAX))
                return fail(named + ": element count overflows 64 bits");
        }
        tensor.n_elements = elements;

        uint32_t type_id = 0;
        if (!cursor.read(type_id)) return fail("truncated in " + named + " (type)");
        const dtype_traits* traits = find_dtype(type_id);
        if (!traits) return fail(named + " has unknown tensor type " + std::to_string(type_id));
        tensor.type = traits->type;
        if (tensor.shape[0] % traits->block_size != 0)
            return fail(named + ": first dimension " + std::to_string(tensor.shape[0]) +
                        " is not a multiple of the " + std::string(traits->name) + " block size " +
                        std::to_string(traits->block_size));
        if (!detail::checked_multiply(elements / traits->block_size, traits->block_bytes, tensor.n_bytes) ||
            tensor.n_bytes > uint64_t(INT64_MAX))
            return fail(named + ": byte size overflows 64 bits");

        if (!cursor.read(tensor.offset)) return fail("truncated in " + named + " (data offset)");
        tensor_index_.emplace(tensor.name, tensors_.size());
        tensors_.push_back(tensor);
    }
    return {};
}

inline result<void> gguf_file::place_tensors(size_t data_start) {
    data_offset_ = data_start;
    const uint64_t data_size = size_ - data_start;
    uint64_t previous_end = 0;
    for (auto& tensor : tensors_) {
        const std::string named = "tensor '" + std::string(tensor.name) + "'";
        if (tensor.offset % alignment_ != 0)
            return fail(named + ": data offset " + std::to_string(tensor.offset) + " is not a multiple of the alignment " +
                        std::to_string(alignment_));
        if (tensor.offset < previous_end)
            return fail(named + ": data offset " + std::to_string(tensor.offset) +
                        " overlaps the previous tensor (offsets must increase)");
        uint64_t end = 0;
        if (!detail::checked_add(tensor.offset, tensor.n_bytes, end) || end > data_size)
            return fail(named + ": data (offset " + std::to_string(tensor.offset) + ", " + std::to_string(tensor.n_bytes) +
                        " bytes) extends past the end of the file");
        tensor.data = bytes_ + data_start + tensor.offset;
        previous_end = end;
    }
    return {};
}

template <class T>
result<T> gguf_file::convert(std::string_view key, const gguf_value& value) const {
    auto mistyped = [&](const std::string& expected) {
        return make_error(errc::invalid_file, source_name_ + ": metadata key '" + std::string(key) + "': expected " +
                                                  expected + ", found " + to_string(value.type) +
                                                  (value.is_array() ? std::string(" of ") + to_string(value.element_type) : ""));
    };
    if constexpr (std::is_same_v<T, std::string_view>) {
        if (value.type != gguf_type::string) return mistyped("string");
        return value.text;
    } else {
        if (value.is_array() || value.type == gguf_type::string) return mistyped(std::is_same_v<T, bool> ? "bool" : std::is_integral_v<T> ? "integer" : "float");
        T out{};
        std::string expected;
        if (!detail::convert_scalar(value.type, value.payload, out, expected)) return mistyped(expected);
        return out;
    }
}

template <class T>
result<std::vector<T>> gguf_file::get_array(std::string_view key) const {
    const gguf_value* value = find(key);
    if (!value) return make_error(errc::invalid_file, source_name_ + ": missing metadata key '" + std::string(key) + "'");
    auto mistyped = [&](const std::string& expected) {
        return make_error(errc::invalid_file, source_name_ + ": metadata key '" + std::string(key) + "': expected array of " +
                                                  expected + ", found " + to_string(value->type) +
                                                  (value->is_array() ? std::string(" of ") + to_string(value->element_type) : ""));
    };
    if constexpr (std::is_same_v<T, std::string_view>) {
        if (!value->is_array() || value->element_type != gguf_type::string) return mistyped("string");
        return value->texts;
    } else {
        if (!value->is_array() || value->element_type == gguf_type::string) return mistyped(std::is_integral_v<T> ? "integer" : "float");
        std::vector<T> out(static_cast<size_t>(value->count));
        const size_t stride = gguf_scalar_size(value->element_type);
        std::string expected;
        for (size_t i = 0; i < out.size(); ++i)
            if (!detail::convert_scalar(value->element_type, value->payload + i * stride, out[i], expected))
                return mistyped(expected + " (element " + std::to_string(i) + ")");
        return out;
    }
}

}  // namespace ember
