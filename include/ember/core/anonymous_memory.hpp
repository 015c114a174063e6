#pragma once
// A large block of writable memory taken straight from the OS, 2 MB aligned
// and, on Linux, marked for transparent huge pages: a copy of hundreds of MB
// of weights then costs a few hundred page faults instead of one per 4 KB
// (measured on qwen2.5-0.5b Q4_0: most of interleaving's load time), and
// streaming it while decoding walks fewer TLB entries. Pages become
// resident when first written.

#include <cstddef>
#include <cstdint>
#include <utility>

#if defined(_WIN32)
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>
#else
#include <sys/mman.h>
#endif

namespace ember {

class anonymous_memory {
public:
    anonymous_memory() = default;
    anonymous_memory(const anonymous_memory&) = delete;
    anonymous_memory& operator=(const anonymous_memory&) = delete;
    anonymous_memory(anonymous_memory&& other) noexcept { swap(other); }
    anonymous_memory& operator=(anonymous_memory&& other) noexcept {
        anonymous_memory moved(std::move(other));
        swap(moved);
        return *this;
    }
    ~anonymous_memory() { release(); }

    // `bytes` of memory, or an empty object (data() == nullptr) when the OS
    // refuses.
    static anonymous_memory allocate(size_t bytes) {
        anonymous_memory memory;
        if (bytes == 0) return memory;
        const size_t mapped = bytes + huge_page;
#if defined(_WIN32)
        void* base = VirtualAlloc(nullptr, mapped, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
        if (!base) return memory;
#else
        void* base = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (base == MAP_FAILED) return memory;
#endif
        memory.base_ = base;
        memory.mapped_ = mapped;
        const uintptr_t address = reinterpret_cast<uintptr_t>(base);
        memory.data_ = reinterpret_cast<uint8_t*>((address + huge_page - 1) / huge_page * huge_page);
#if defined(MADV_HUGEPAGE)
        ::madvise(memory.data_, bytes / huge_page * huge_page, MADV_HUGEPAGE);  // advice only: ignore failure
#endif
        return memory;
    }

    uint8_t* data() const { return data_; }

private:
    static constexpr size_t huge_page = size_t(2) << 20;

    void swap(anonymous_memory& other) noexcept {
        std::swap(base_, other.base_);
        std::swap(mapped_, other.mapped_);
        std::swap(data_, other.data_);
    }
    void release() {
        if (!base_) return;
#if defined(_WIN32)
        VirtualFree(base_, 0, MEM_RELEASE);
#else
        ::munmap(base_, mapped_);
#endif
        base_ = nullptr;
        data_ = nullptr;
    }

    void* base_ = nullptr;
    size_t mapped_ = 0;
    uint8_t* data_ = nullptr;
};

}  // namespace ember
