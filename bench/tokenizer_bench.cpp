// tokenizer_bench: encoding and decoding throughput (MB/s of UTF-8 text) of
// each tokenizer family on English prose, Chinese prose and source code.
//
//   build-x/bench/tokenizer_bench [--data DIR] [--mb 2] [--chunk 4096]
//
// DIR is the shared reference data (default: $EMBER_TEST_DATA, else ../shared
// beside the repository). Each corpus is about `mb` megabytes, encoded in
// chunks of `chunk` bytes (cut at line ends) the way a program feeds
// documents; the best of three runs is printed, in thread CPU time (load
// time is wall time). Single-threaded.
//
// Corpora: English is the King James Bible when the `bible` program
// (Debian bible-kjv) is installed, else a built-in passage repeated; code is
// ember's own headers; Chinese is a built-in set of passages, repeated — so
// its figures flatter the per-call piece cache (repeated words are merged
// once per call), which real Chinese text would hit less often.

#include <ember/io/gguf.hpp>
#include <ember/tokenizer/tokenizer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char* const english_prose =
    "The lighthouse keeper had not spoken to anyone in eleven days when the supply boat finally rounded the point. "
    "He watched it from the gallery, a grey shape that grew a mast, then a wheelhouse, then a man waving both arms "
    "as if the island might have forgotten what people looked like.\n"
    "\"You're late,\" he called down, though he knew the weather had kept them in harbour since Tuesday. "
    "The boatman laughed, tossed a rope, and asked whether the lamp had behaved itself. It hadn't: twice the "
    "clockwork had stopped in the small hours, and twice he'd climbed the 112 steps to wind it by hand.\n"
    "They unloaded paraffin, flour, three crates of tinned fish, a sack of letters and a newspaper that was already "
    "a week old. Prices had risen again; the council was arguing about the harbour wall; somebody's prize-winning "
    "marrow weighed 14.5 kilograms. None of it seemed quite real from out here, where the only news that mattered "
    "was the barometer and the colour of the sky at dusk.\n"
    "After the boat left he sorted the letters by date, made tea, and read them in order, slowly, the way you eat "
    "the last biscuit in the tin. His sister wrote that the children were well, that the roof still leaked, and "
    "that she didn't understand why anyone would choose to live on a rock in the sea. He wasn't sure he understood "
    "it either, but he knew he would stay another winter.\n";

const char* const chinese_prose =
    "晋太元中，武陵人捕鱼为业。缘溪行，忘路之远近。忽逢桃花林，夹岸数百步，中无杂树，芳草鲜美，落英缤纷。"
    "渔人甚异之，复前行，欲穷其林。林尽水源，便得一山，山有小口，仿佛若有光。便舍船，从口入。\n"
    "今天早上下了一场小雨，空气特别清新。我们决定去公园散步，顺便看看新开的花。公园里的人不多，"
    "几位老人在打太极拳，孩子们在草地上追逐嬉戏。湖边的柳树已经发芽了，远远看去一片嫩绿。\n"
    "人工智能技术的快速发展正在改变我们的生活方式。从语音助手到自动驾驶，从医疗诊断到金融分析，"
    "越来越多的领域开始应用机器学习模型。然而，如何保证这些系统的安全性和可靠性，仍然是一个重要的课题。\n"
    "会议将于2026年3月15日在北京举行，预计有超过500名代表参加。会议议程包括主题演讲、分组讨论和技术展示，"
    "欢迎各界人士报名参加。如有疑问，请联系组委会。\n";

const char* const code_fallback =
    "template <class T>\nresult<std::vector<T>> gguf_file::get_array(std::string_view key) const {\n"
    "    const gguf_value* value = find(key);\n    if (!value) return make_error(errc::invalid_file, \"missing\");\n"
    "    for (size_t i = 0; i < out.size(); ++i) {\n        out[i] = static_cast<T>(value->payload[i * stride]);\n    }\n"
    "    return out;\n}\n";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::string repeat_to(const std::string& seed, size_t bytes) {
    std::string out;
    out.reserve(bytes + seed.size());
    while (out.size() < bytes) out += seed;
    return out;
}

// Chunks of about `size` bytes, cut after a newline so no character is split.
std::vector<std::string_view> chunks_of(const std::string& text, size_t size) {
    std::vector<std::string_view> chunks;
    for (size_t start = 0; start < text.size();) {
        size_t end = std::min(text.size(), start + size);
        const size_t newline = text.find('\n', end);
        end = newline == std::string::npos ? text.size() : newline + 1;
        chunks.push_back(std::string_view(text).substr(start, end - start));
        start = end;
    }
    return chunks;
}

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU time of this thread: on a shared, busy machine wall time mostly
// measures the other processes.
double thread_cpu_seconds() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir;
    if (const char* env = std::getenv("EMBER_TEST_DATA")) data_dir = env;
    const std::string source_dir = std::string(__FILE__).substr(0, std::string(__FILE__).rfind("/bench/"));
    if (data_dir.empty()) data_dir = source_dir + "/../shared";
    double megabytes = 2;
    size_t chunk = 4096;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--data") data_dir = argv[i + 1];
        else if (flag == "--mb") megabytes = std::atof(argv[i + 1]);
        else if (flag == "--chunk") chunk = static_cast<size_t>(std::atol(argv[i + 1]));
        else {
            std::fprintf(stderr, "usage: tokenizer_bench [--data DIR] [--mb 2] [--chunk 4096]\n");
            return 1;
        }
    }
    const auto bytes = static_cast<size_t>(megabytes * 1e6);

    // Code: ember's own headers (C++ with comments; the generated Unicode
    // tables left out), else a built-in snippet.
    std::string code;
    std::error_code ignored;
    std::vector<std::string> headers;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(source_dir + "/include/ember", ignored))
        if (entry.path().extension() == ".hpp" && entry.path().filename() != "unicode_tables.hpp")
            headers.push_back(entry.path().string());
    std::sort(headers.begin(), headers.end());
    for (const std::string& header : headers) code += read_file(header);
    if (code.empty()) code = code_fallback;

    // English: the King James Bible, one verse per line.
    std::string english;
    if (FILE* pipe = ::popen("bible -f 'Genesis 1:1-Revelation 22:21' 2>/dev/null", "r")) {
        char buffer[65536];
        size_t got;
        while (english.size() < bytes && (got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) english.append(buffer, got);
        ::pclose(pipe);
    }
    const char* english_name = english.size() >= bytes / 2 ? "english (KJV)" : "english (repeated)";
    if (english.size() < bytes / 2) english = english_prose;

    const std::pair<const char*, std::string> corpora[] = {
        {english_name, repeat_to(english, bytes)},
        {"chinese", repeat_to(chinese_prose, bytes)},
        {"code", repeat_to(code, bytes)},
    };
    const std::pair<const char*, const char*> models[] = {
        {"llama3 (bpe)", "models/llama3-tiny-f16.gguf"},
        {"qwen2 (bpe+nfc)", "models/qwen2-tiny-f16.gguf"},
        {"gpt-2 (bpe)", "tokenizer/ggml-vocab-gpt-2.gguf"},
        {"llama-spm (spm)", "tokenizer/ggml-vocab-llama-spm.gguf"},
        {"bert-bge (wordpiece)", "tokenizer/ggml-vocab-bert-bge.gguf"},
    };

    std::printf("corpus sizes: %.2f MB each, chunks of ~%zu bytes, best of 3\n", megabytes, chunk);
    std::printf("%-22s %8s %-18s %10s %10s %12s %12s\n", "vocabulary", "load ms", "corpus", "tokens", "bytes/tok",
                "encode MB/s", "decode MB/s");
    for (const auto& [name, relative] : models) {
        const std::string path = data_dir + "/" + relative;
        const double load_start = now_seconds();
        auto file = ember::gguf_file::open(path);
        if (!file) {
            std::printf("%-22s skipped: %s\n", name, file.error().message.c_str());
            continue;
        }
        auto tok = ember::tokenizer::from_gguf(*file);
        if (!tok) {
            std::printf("%-22s failed: %s\n", name, tok.error().message.c_str());
            continue;
        }
        const double load_ms = (now_seconds() - load_start) * 1e3;
        for (const auto& [corpus_name, text] : corpora) {
            const auto pieces = chunks_of(text, chunk);
            double best_encode = 1e30, best_decode = 1e30;
            size_t n_tokens = 0;
            std::vector<std::vector<int32_t>> encoded(pieces.size());
            for (int run = 0; run < 3; ++run) {
                double start = thread_cpu_seconds();
                n_tokens = 0;
                for (size_t i = 0; i < pieces.size(); ++i) {
                    encoded[i].clear();
                    tok->encode(pieces[i], encoded[i]);
                    n_tokens += encoded[i].size();
                }
                best_encode = std::min(best_encode, thread_cpu_seconds() - start);
                start = thread_cpu_seconds();
                size_t decoded_bytes = 0;
                for (const auto& ids : encoded) decoded_bytes += tok->decode(ids).size();
                best_decode = std::min(best_decode, thread_cpu_seconds() - start);
                if (decoded_bytes == 0) std::printf("(nothing decoded)\n");
            }
            const double megabytes_in = static_cast<double>(text.size()) / 1e6;
            std::printf("%-22s %8.0f %-18s %10zu %10.2f %12.1f %12.1f\n", name, load_ms, corpus_name, n_tokens,
                        static_cast<double>(text.size()) / static_cast<double>(std::max<size_t>(n_tokens, 1)),
                        megabytes_in / best_encode, megabytes_in / best_decode);
        }
    }
    return 0;
}
