#pragma once
// ember reports every fallible operation through `result<T>`: a value or an
// `error` (a code plus a message naming the cause). Nothing in ember throws,
// so the library builds and behaves the same with -fno-exceptions.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ember {

enum class errc {
    io_error,           // the operating system refused (open, stat, mmap)
    invalid_file,       // a file's bytes break its format's rules
    unsupported,        // well-formed, but ember does not implement it
    invalid_argument,   // the caller passed something unusable
    out_of_range,       // an index or id beyond its bounds
    context_full,       // the KV cache has no room for more tokens
    template_error,     // a chat template failed or refused
    cancelled,          // a callback asked to stop
};

inline const char* to_string(errc code) {
    switch (code) {
        case errc::io_error: return "io error";
        case errc::invalid_file: return "invalid file";
        case errc::unsupported: return "unsupported";
        case errc::invalid_argument: return "invalid argument";
        case errc::out_of_range: return "out of range";
        case errc::context_full: return "context full";
        case errc::template_error: return "template error";
        case errc::cancelled: return "cancelled";
    }
    return "unknown error";
}

struct error {
    errc code;
    std::string message;
};

inline error make_error(errc code, std::string message) { return error{code, std::move(message)}; }

// Inside `result`, the member function error() hides the struct's name.
using error_info = error;

// A value of type T, or the error that prevented it. Accessing the value of
// a failed result is a programming error (asserted), never a recoverable one.
template <class T>
class [[nodiscard]] result {
public:
    result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    result(error_info failure) : state_(std::in_place_index<1>, std::move(failure)) {}

    bool has_value() const { return state_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & { assert(has_value()); return *std::get_if<0>(&state_); }
    const T& value() const& { assert(has_value()); return *std::get_if<0>(&state_); }
    T&& value() && { assert(has_value()); return std::move(*std::get_if<0>(&state_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const error_info& error() const { assert(!has_value()); return *std::get_if<1>(&state_); }

private:
    std::variant<T, error_info> state_;
};

template <>
class [[nodiscard]] result<void> {
public:
    result() = default;
    result(error_info failure) : failure_(std::move(failure)), failed_(true) {}

    bool has_value() const { return !failed_; }
    explicit operator bool() const { return has_value(); }
    void value() const { assert(has_value()); }
    const error_info& error() const { assert(failed_); return failure_; }

private:
    error_info failure_{errc::invalid_argument, {}};
    bool failed_ = false;
};

}  // namespace ember

// Propagate a failed result from the enclosing function (which must itself
// return a result). `EMBER_TRY(expr)` for result<void>-like checks;
// `EMBER_TRY_ASSIGN(var, expr)` binds the value on success.
#define EMBER_TRY(expr)                                              \
    do {                                                             \
        auto&& ember_try_result_ = (expr);                           \
        if (!ember_try_result_) return ember_try_result_.error();    \
    } while (0)

#define EMBER_CONCAT_IMPL(a, b) a##b
#define EMBER_CONCAT(a, b) EMBER_CONCAT_IMPL(a, b)
#define EMBER_TRY_ASSIGN(var, expr) EMBER_TRY_ASSIGN_IMPL(var, expr, EMBER_CONCAT(ember_try_, __LINE__))
#define EMBER_TRY_ASSIGN_IMPL(var, expr, tmp)                        \
    auto tmp = (expr);                                               \
    if (!tmp) return tmp.error();                                    \
    var = std::move(tmp).value()
