#pragma once
// A read-only memory mapping of a whole file. Model weights are used in place
// from the mapping: loading costs no copies, and the OS shares the pages
// between processes and contexts.

#include "ember/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#if defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#else
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace ember {

class file_mapping {
public:
    file_mapping() = default;
    file_mapping(const file_mapping&) = delete;
    file_mapping& operator=(const file_mapping&) = delete;
    file_mapping(file_mapping&& other) noexcept { swap(other); }
    file_mapping& operator=(file_mapping&& other) noexcept {
        file_mapping moved(std::move(other));
        swap(moved);
        return *this;
    }
    ~file_mapping() { release(); }

    static result<file_mapping> open(const std::string& path);

    const uint8_t* data() const { return data_; }
    size_t size() const { return size_; }

    // Takes the whole pages of [begin, begin + size) (inside the mapping)
    // out of this process's resident set, after a copy of them was made: the
    // mapping stays valid (a later read pages them in again from the page
    // cache). A no-op on Windows.
    void release_pages(const uint8_t* begin, size_t size) const;

private:
    void swap(file_mapping& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
#if defined(_WIN32)
        std::swap(mapping_handle_, other.mapping_handle_);
#endif
    }
    void release();

    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
#if defined(_WIN32)
    HANDLE mapping_handle_ = nullptr;
#endif
};

#if defined(_WIN32)
inline result<file_mapping> file_mapping::open(const std::string& path) {
    HANDLE file = CreateFileA(path.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                              FILE_ATTRIBUTE_NORMAL, nullptr);
    if (file == INVALID_HANDLE_VALUE) return make_error(errc::io_error, path + ": cannot open file");
    LARGE_INTEGER size;
    if (!GetFileSizeEx(file, &size)) {
        CloseHandle(file);
        return make_error(errc::io_error, path + ": cannot read file size");
    }
    file_mapping mapping;
    mapping.size_ = static_cast<size_t>(size.QuadPart);
    if (mapping.size_ == 0) {  // CreateFileMapping refuses empty files; an empty view is fine
        CloseHandle(file);
        return mapping;
    }
    mapping.mapping_handle_ = CreateFileMappingA(file, nullptr, PAGE_READONLY, 0, 0, nullptr);
    CloseHandle(file);
    if (!mapping.mapping_handle_) return make_error(errc::io_error, path + ": cannot map file");
    mapping.data_ = static_cast<const uint8_t*>(MapViewOfFile(mapping.mapping_handle_, FILE_MAP_READ, 0, 0, 0));
    if (!mapping.data_) return make_error(errc::io_error, path + ": cannot map file");
    return mapping;
}

inline void file_mapping::release_pages(const uint8_t*, size_t) const {}

inline void file_mapping::release() {
    if (data_) UnmapViewOfFile(data_);
    if (mapping_handle_) CloseHandle(mapping_handle_);
    data_ = nullptr;
    mapping_handle_ = nullptr;
    size_ = 0;
}
#else
inline result<file_mapping> file_mapping::open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error(errc::io_error, path + ": " + std::strerror(errno));
    struct stat info;
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return make_error(errc::io_error, path + ": not a regular file");
    }
    file_mapping mapping;
    mapping.size_ = static_cast<size_t>(info.st_size);
    if (mapping.size_ > 0) {  // mmap of length 0 fails; an empty file maps to nothing
        void* address = ::mmap(nullptr, mapping.size_, PROT_READ, MAP_SHARED, fd, 0);
        if (address == MAP_FAILED) {
            const int saved = errno;
            ::close(fd);
            return make_error(errc::io_error, path + ": mmap failed: " + std::strerror(saved));
        }
        mapping.data_ = static_cast<const uint8_t*>(address);
    }
    ::close(fd);  // the mapping keeps the file alive
    return mapping;
}

inline void file_mapping::release_pages(const uint8_t* begin, size_t size) const {
    if (!data_ || begin < data_ || size > size_ || static_cast<size_t>(begin - data_) > size_ - size) return;
    const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t first = (reinterpret_cast<uintptr_t>(begin) + page - 1) / page * page;
    const uintptr_t last = (reinterpret_cast<uintptr_t>(begin) + size) / page * page;
    if (last > first) ::madvise(reinterpret_cast<void*>(first), last - first, MADV_DONTNEED);
}

inline void file_mapping::release() {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    data_ = nullptr;
    size_ = 0;
}
#endif

}  // namespace ember
