// `ember embed -m M -p TEXT -o OUT.f32 [--pooling cls|mean|last|none] [--normalize]`:
// the pooled embedding of a text (pooling from the model's metadata by default).
#include "prompt.hpp"

#include <ember/runtime/embedding.hpp>

namespace ember_cli {
namespace {

int run_embed(const std::vector<std::string>& args) {
    arguments options(args, {"--normalize"});
    if (!options.error().empty()) return fail(options.error());
    if (!options.has("-p") && !options.has("--prompt")) return fail("embed: missing -p TEXT");
    const std::string output = options.get_any({"-o", "--output"});
    if (output.empty()) return fail("embed: missing -o OUT.f32");
    const int threads = std::atoi(options.get_any({"-t", "--threads"}, "2").c_str());
    if (threads < 1) return fail("embed: -t must be >= 1");
    auto model = load_model_with_tokenizer(options.get_any({"-m", "--model"}));
    if (!model) return 1;

    ember::pooling mode = ember::default_pooling(model->config());
    const std::string pooling = options.get("--pooling");
    if (pooling == "cls") mode = ember::pooling::cls;
    else if (pooling == "mean") mode = ember::pooling::mean;
    else if (pooling == "last") mode = ember::pooling::last;
    else if (pooling == "none") mode = ember::pooling::none;
    else if (!pooling.empty()) return fail("embed: --pooling must be cls, mean, last or none");

    const std::vector<int32_t> tokens = tokenize_prompt(*model, options.get_any({"-p", "--prompt"}));
    auto context = ember::context::create(model, {static_cast<uint32_t>(std::max<size_t>(tokens.size(), 1)), threads, 0});
    if (!context) return fail(context.error().message);
    auto vector = ember::embed(**context, tokens, mode, options.has("--normalize"));
    if (!vector) return fail(vector.error().message);
    if (!write_f32(output, vector->data(), vector->size())) return 1;
    std::printf("{\"tokens\":%s,\"dimensions\":%zu}\n", json_int_list(tokens).c_str(), vector->size());
    return 0;
}

const register_command registration(
    {"embed", "embed -m MODEL -p TEXT -o OUT.f32 [--pooling cls|mean|last|none] [--normalize]   text embedding", run_embed});

}  // namespace
}  // namespace ember_cli
