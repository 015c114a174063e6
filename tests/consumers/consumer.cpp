// The smallest program a user writes: include the umbrella header, open a
// GGUF file. Built three ways (add_subdirectory, find_package, FetchContent)
// to prove ember is consumable as a package.
#include <ember/ember.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::puts("consumer: built against ember");
        return 0;
    }
    auto file = ember::gguf_file::open(argv[1]);
    if (!file) {
        std::fprintf(stderr, "%s\n", file.error().message.c_str());
        return 1;
    }
    std::printf("%zu tensors\n", file->tensors().size());
    return 0;
}
