// `ember info -m M`: metadata, hyperparameters and the tensor table of a GGUF
// file; exit 1 with a one-line reason when the file is invalid.
#include "command.hpp"

#include <ember/core/isa.hpp>
#include <ember/io/gguf.hpp>
#include <ember/model/model_config.hpp>

#include <cinttypes>
#include <cstring>
#include <string>

namespace ember_cli {
namespace {

// A metadata value as one line of text; long arrays are elided.
std::string describe(const ember::gguf_value& value) {
    using ember::gguf_type;
    auto scalar = [](gguf_type type, const uint8_t* bytes) -> std::string {
        char buffer[64];
        auto load = [&](auto sample) { decltype(sample) v; std::memcpy(&v, bytes, sizeof v); return v; };
        switch (type) {
            case gguf_type::u8: return std::to_string(load(uint8_t{}));
            case gguf_type::i8: return std::to_string(load(int8_t{}));
            case gguf_type::u16: return std::to_string(load(uint16_t{}));
            case gguf_type::i16: return std::to_string(load(int16_t{}));
            case gguf_type::u32: return std::to_string(load(uint32_t{}));
            case gguf_type::i32: return std::to_string(load(int32_t{}));
            case gguf_type::u64: return std::to_string(load(uint64_t{}));
            case gguf_type::i64: return std::to_string(load(int64_t{}));
            case gguf_type::f32: std::snprintf(buffer, sizeof buffer, "%g", load(float{})); return buffer;
            case gguf_type::f64: std::snprintf(buffer, sizeof buffer, "%g", load(double{})); return buffer;
            case gguf_type::boolean: return load(uint8_t{}) ? "true" : "false";
            default: return "?";
        }
    };
    auto quoted = [](std::string_view text) {
        std::string out = "\"";
        for (char c : text.substr(0, 80)) {
            if (c == '\n') out += "\\n";
            else if (c == '"') out += "\\\"";
            else if (static_cast<unsigned char>(c) < 0x20) out += '?';
            else out += c;
        }
        return out + (text.size() > 80 ? "\"… (" + std::to_string(text.size()) + " bytes)" : "\"");
    };
    if (value.type == gguf_type::string) return quoted(value.text);
    if (!value.is_array()) return scalar(value.type, value.payload);
    constexpr uint64_t shown = 6;
    std::string out = std::string("[") + ember::to_string(value.element_type) + " × " + std::to_string(value.count) + "] ";
    const size_t stride = ember::gguf_scalar_size(value.element_type);
    for (uint64_t i = 0; i < value.count && i < shown; ++i) {
        if (i) out += ", ";
        out += value.element_type == gguf_type::string ? quoted(value.texts[i]) : scalar(value.element_type, value.payload + i * stride);
    }
    if (value.count > shown) out += ", …";
    return out;
}

// The hyperparameters ember reads from the metadata, as it understood them;
// or why it cannot (a vocabulary-only file, an unsupported architecture).
void print_hyperparameters(const ember::gguf_file& file) {
    auto parsed = ember::model_config::from_gguf(file);
    if (!parsed) {
        std::printf("\nhyperparameters: none (%s)\n", parsed.error().message.c_str());
        return;
    }
    const ember::model_config& c = *parsed;
    static const char* const rope_names[] = {"none (learned positions)", "NORM (adjacent pairs)", "NEOX (split halves)"};
    static const char* const pooling_names[] = {"none", "mean", "cls", "last", "rank"};
    std::printf("\nhyperparameters (%s):\n", c.arch_name.c_str());
    std::printf("  vocabulary %u, trained context %u, %s\n", c.n_vocab, c.n_ctx_train, c.causal ? "causal decoder" : "encoder");
    std::printf("  layers %u, embedding %u, feed-forward %u\n", c.n_layer, c.n_embd, c.n_ff);
    std::printf("  attention heads %u (key/value heads %u), head dimension %u\n", c.n_head, c.n_head_kv, c.head_dim);
    std::printf("  norm %s, epsilon %g\n", c.norm == ember::norm_kind::rms ? "RMSNorm" : "LayerNorm", double(c.norm_eps));
    std::printf("  rope %s", rope_names[static_cast<int>(c.rope)]);
    if (c.rope != ember::rope_style::none)
        std::printf(", %u dimensions, base %g, frequency scale %g", c.rope_dim, double(c.rope_theta), double(c.rope_freq_scale));
    std::printf("\n  pooling %s", pooling_names[static_cast<int>(c.pooling_type)]);
    for (size_t i = 0; i < c.class_labels.size(); ++i) std::printf("%s%s", i ? ", " : "; labels ", c.class_labels[i].c_str());
    std::printf("\n");
}

int run_info(const std::vector<std::string>& args) {
    arguments options(args, {});
    if (!options.error().empty()) return fail(options.error());
    const std::string path = options.get_any({"-m", "--model"});
    if (path.empty()) return fail("info: missing -m MODEL");
    auto file = ember::gguf_file::open(path);
    if (!file) return fail(file.error().message);

    std::printf("file: %s\nsize: %zu bytes\nGGUF version: %u\nalignment: %u\n", path.c_str(), file->file_size(),
                file->version(), file->alignment());
    // the kernels' ISA tier on this CPU (under EMBER_MAX_ISA, if set)
    std::printf("isa: %s\n", std::string(ember::isa_name(ember::active_isa())).c_str());
    std::printf("\nmetadata (%zu keys):\n", file->metadata().size());
    for (const auto& entry : file->metadata())
        std::printf("  %-48.*s %s\n", static_cast<int>(entry.key.size()), entry.key.data(), describe(entry.value).c_str());

    print_hyperparameters(*file);

    uint64_t total_bytes = 0, total_elements = 0;
    std::printf("\ntensors (%zu):\n  %-40s %-8s %-28s %12s\n", file->tensors().size(), "name", "type", "shape", "bytes");
    for (const auto& tensor : file->tensors()) {
        std::string shape;
        for (uint32_t d = 0; d < tensor.n_dims; ++d) shape += (d ? " x " : "") + std::to_string(tensor.shape[d]);
        std::printf("  %-40.*s %-8s %-28s %12" PRIu64 "\n", static_cast<int>(tensor.name.size()), tensor.name.data(),
                    std::string(ember::name_of(tensor.type)).c_str(), shape.c_str(), tensor.n_bytes);
        total_bytes += tensor.n_bytes;
        total_elements += tensor.n_elements;
    }
    std::printf("\ntotal: %" PRIu64 " parameters, %" PRIu64 " bytes of tensor data\n", total_elements, total_bytes);
    return 0;
}

const register_command registration({"info", "info -m MODEL                 metadata and tensor table of a GGUF file", run_info});

}  // namespace
}  // namespace ember_cli
