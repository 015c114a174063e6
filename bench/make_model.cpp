// make_model SHAPE TYPE OUT.gguf — write a random-weight model of a real
// shape (qwen2.5-0.5b, qwen3-0.6b, llama3.2-1b) in a weight type
// (f32, f16, bf16, q8_0, q4_0, q4_k_m), for `ember bench`.
#include "real_shapes.hpp"

#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: make_model SHAPE TYPE OUT.gguf\n  shapes:");
        for (const auto& shape : ember_bench::real_shapes) std::fprintf(stderr, " %s", shape.name);
        std::fprintf(stderr, "\n  types: f32 f16 bf16 q8_0 q4_0 q4_k_m\n");
        return 1;
    }
    const ember_bench::real_shape* shape = ember_bench::find_shape(argv[1]);
    if (!shape) return std::fprintf(stderr, "make_model: unknown shape '%s'\n", argv[1]), 1;
    if (!ember_bench::known_file_type(argv[2])) return std::fprintf(stderr, "make_model: unknown type '%s'\n", argv[2]), 1;
    auto written = ember_bench::make_model(*shape, argv[2]).write_file(argv[3]);
    if (!written) return std::fprintf(stderr, "make_model: %s\n", written.error().message.c_str()), 1;
    std::printf("wrote %s (%s, %s)\n", argv[3], shape->name, argv[2]);
    return 0;
}
