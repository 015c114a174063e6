#pragma once
// Running the `ember` command from tests: the binary built next to the
// tests (build/ember for build/tests/test_x), and one command's exit code,
// stdout and stderr.

#include "test_data.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace ember_test {

// build/ember, next to the tests directory; "" (after SKIPPED) when not built.
inline std::string ember_binary() {
    char self[4096];
    const ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (length <= 0) return {};
    std::string path(self, static_cast<size_t>(length));
    path = path.substr(0, path.rfind('/'));             // build/tests
    path = path.substr(0, path.rfind('/')) + "/ember";  // build/ember
    if (!file_exists(path)) {
        std::fprintf(stderr, "SKIPPED: %s not built\n", path.c_str());
        return {};
    }
    return path;
}

struct command_output {
    int exit_code = -1;  // -1: killed by a signal, or not started
    std::string out, err;
};

// Runs a shell command line, capturing stdout and stderr.
inline command_output run_command(const std::string& command) {
    const std::string error_path = temp_path("command_stderr.txt");
    command_output result;
    FILE* pipe = ::popen((command + " 2>'" + error_path + "'").c_str(), "r");
    if (!pipe) return result;
    char buffer[4096];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.out.append(buffer, got);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.err = read_text(error_path);
    std::remove(error_path.c_str());
    return result;
}

}  // namespace ember_test
