#pragma once
// Locating ../shared reference data from tests. Tests that need it call
// `shared_path(...)` and skip loudly (naming the missing path) when absent,
// so a fresh clone without ../shared still passes its unit tests.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace ember_test {

inline std::string shared_root() {
    if (const char* env = std::getenv("EMBER_TEST_DATA")) return env;
    return EMBER_DEFAULT_TEST_DATA;
}

inline bool file_exists(const std::string& path) {
    struct stat info;
    return ::stat(path.c_str(), &info) == 0;
}

// Full path of a file under the shared data root, or "" (with a printed
// notice) when it is missing.
inline std::string shared_path(const std::string& relative) {
    std::string path = shared_root() + "/" + relative;
    if (!file_exists(path)) {
        std::fprintf(stderr, "SKIPPED: reference data missing: %s\n", path.c_str());
        return {};
    }
    return path;
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// A scratch path for files a test writes: in the system's temporary folder,
// named per process so parallel test runs never share a file.
inline std::string temp_path(const std::string& name) {
    std::error_code ignored;
    const std::filesystem::path folder = std::filesystem::temp_directory_path(ignored);
    return (folder / ("ember_test_" + std::to_string(::getpid()) + "_" + name)).string();
}

}  // namespace ember_test
