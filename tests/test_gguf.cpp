// GGUF reader and writer: round trips of every value type, and one crafted
// file per malformed-input class, each checked for an error naming its cause;
// a valid file with a type ember cannot compute with is refused at model load.
#include <doctest/doctest.h>
#include <ember/io/gguf.hpp>
#include <ember/io/gguf_writer.hpp>

#include <ember/model/model.hpp>

#include "command_runner.hpp"
#include "test_data.hpp"
#include "tiny_model.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

using ember::gguf_file;
using ember::gguf_type;
using ember::gguf_writer;

namespace {

std::vector<uint8_t> f32_bytes(size_t count) { return std::vector<uint8_t>(count * 4, 0); }

// A small valid file using every value type, arrays and two tensors.
gguf_writer sample_writer() {
    gguf_writer writer;
    writer.set("general.architecture", "llama");
    writer.set("test.u8", uint8_t{200});
    writer.set("test.i8", int8_t{-5});
    writer.set("test.u16", uint16_t{60000});
    writer.set("test.i16", int16_t{-30000});
    writer.set("test.u32", uint32_t{4000000000u});
    writer.set("test.i32", int32_t{-7});
    writer.set("test.u64", uint64_t{1} << 40);
    writer.set("test.i64", -(int64_t{1} << 40));
    writer.set("test.f32", 0.5f);
    writer.set("test.f64", 0.25);
    writer.set("test.bool", true);
    writer.set_array<std::string>("test.strings", {"a", "", "ccc"});
    writer.set_array<int32_t>("test.i32s", {1, -2, 3});
    writer.set_array<float>("test.f32s", {1.5f, 2.5f});
    writer.add_tensor("a.weight", ember::dtype::f32, {4, 3}, f32_bytes(12));
    writer.add_tensor("b.weight", ember::dtype::q8_0, {32, 2}, std::vector<uint8_t>(68, 0));
    return writer;
}

ember::result<gguf_file> parse(const std::vector<uint8_t>& bytes) {
    return gguf_file::parse(bytes.data(), bytes.size(), "crafted.gguf");
}

// The reader must refuse the bytes with a message containing `cause`.
void check_refused(const std::vector<uint8_t>& bytes, const std::string& cause) {
    auto file = parse(bytes);
    REQUIRE_MESSAGE(!file, "expected an error containing: " << cause);
    INFO("message: " << file.error().message);
    CHECK(file.error().code == ember::errc::invalid_file);
    CHECK(file.error().message.find(cause) != std::string::npos);
    CHECK(file.error().message.find("crafted.gguf") != std::string::npos);
}

void check_tensor_refused(gguf_writer::tensor_entry entry, const std::string& cause) {
    gguf_writer writer;
    writer.add_tensor(std::move(entry));
    check_refused(writer.to_bytes(), cause);
}

template <class T>
void put(std::vector<uint8_t>& bytes, size_t at, T value) { std::memcpy(bytes.data() + at, &value, sizeof value); }

}  // namespace

TEST_CASE("round trip: every metadata value type and the tensor table") {
    const auto bytes = sample_writer().to_bytes();
    auto file = parse(bytes);
    REQUIRE_MESSAGE(file, (file ? "" : file.error().message));
    CHECK(file->version() == 3);
    CHECK(*file->get<std::string_view>("general.architecture") == "llama");
    CHECK(*file->get<uint8_t>("test.u8") == 200);
    CHECK(*file->get<int8_t>("test.i8") == -5);
    CHECK(*file->get<uint16_t>("test.u16") == 60000);
    CHECK(*file->get<int16_t>("test.i16") == -30000);
    CHECK(*file->get<uint32_t>("test.u32") == 4000000000u);
    CHECK(*file->get<int32_t>("test.i32") == -7);
    CHECK(*file->get<uint64_t>("test.u64") == (uint64_t{1} << 40));
    CHECK(*file->get<int64_t>("test.i64") == (-(int64_t{1} << 40)));
    CHECK(*file->get<float>("test.f32") == 0.5f);
    CHECK(*file->get<double>("test.f64") == 0.25);
    CHECK(*file->get<bool>("test.bool") == true);
    CHECK(*file->get<uint64_t>("test.u8") == 200);  // integers widen
    auto strings = file->get_array<std::string_view>("test.strings");
    REQUIRE(strings);
    CHECK(*strings == std::vector<std::string_view>{"a", "", "ccc"});
    CHECK(*file->get_array<int32_t>("test.i32s") == std::vector<int32_t>{1, -2, 3});
    CHECK(*file->get_array<int64_t>("test.i32s") == std::vector<int64_t>{1, -2, 3});
    CHECK(*file->get_array<float>("test.f32s") == std::vector<float>{1.5f, 2.5f});

    REQUIRE(file->tensors().size() == 2);
    const auto* b = file->find_tensor("b.weight");
    REQUIRE(b);
    CHECK(b->type == ember::dtype::q8_0);
    CHECK(b->n_elements == 64);
    CHECK(b->n_bytes == 68);
    CHECK(b->rows() == 2);
    CHECK(b->data == bytes.data() + file->data_offset() + b->offset);
    CHECK(file->find_tensor("missing") == nullptr);
}

TEST_CASE("typed lookups: required form names the key and both types; optional form") {
    const auto bytes = sample_writer().to_bytes();
    auto file = parse(bytes);
    REQUIRE(file);
    auto missing = file->get<uint32_t>("llama.block_count");
    REQUIRE(!missing);
    CHECK(missing.error().message.find("missing metadata key 'llama.block_count'") != std::string::npos);

    auto mistyped = file->get<uint32_t>("general.architecture");
    REQUIRE(!mistyped);
    CHECK(mistyped.error().message.find("'general.architecture': expected integer, found string") != std::string::npos);

    auto negative = file->get<uint32_t>("test.i32");
    REQUIRE(!negative);
    CHECK(negative.error().message.find("expected integer in range, found i32") != std::string::npos);
    CHECK(!file->get<uint8_t>("test.u16"));  // 60000 does not fit
    CHECK(!file->get<float>("test.u32"));
    CHECK(!file->get<bool>("test.u8"));
    auto not_array = file->get_array<int32_t>("test.u8");
    REQUIRE(!not_array);
    CHECK(not_array.error().message.find("expected array of integer, found u8") != std::string::npos);
    CHECK(!file->get_array<std::string_view>("test.i32s"));

    CHECK(*file->get_or<uint32_t>("llama.block_count", 7) == 7);
    CHECK(*file->get_or<uint32_t>("test.u8", 7) == 200);
    CHECK(!file->get_or<uint32_t>("general.architecture", 7));  // present but mistyped
}

TEST_CASE("GGUF v2 is read; other versions and bad magic are refused") {
    gguf_writer writer = sample_writer();
    writer.version = 2;
    CHECK(parse(writer.to_bytes()));

    auto bytes = sample_writer().to_bytes();
    put<uint32_t>(bytes, 4, 1);
    check_refused(bytes, "unsupported GGUF version 1");
    put<uint32_t>(bytes, 4, 4);
    check_refused(bytes, "unsupported GGUF version 4");
    put<uint32_t>(bytes, 4, 0x03000000u);
    check_refused(bytes, "big-endian");
    bytes = sample_writer().to_bytes();
    bytes[0] = 'X';
    check_refused(bytes, "bad magic");
}

TEST_CASE("a file truncated anywhere before the end of its tensor data is refused") {
    const auto bytes = sample_writer().to_bytes();
    auto full = parse(bytes);
    REQUIRE(full);
    const auto& last = full->tensors().back();
    const size_t data_end = full->data_offset() + last.offset + last.n_bytes;
    for (size_t length = 0; length < data_end; ++length) {
        std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length));
        auto file = parse(prefix);
        CHECK_MESSAGE(!file, "prefix of " << length << " bytes was accepted");
        if (!file) {
            const auto& message = file.error().message;
            CHECK_MESSAGE((message.find("truncated") != std::string::npos ||
                           message.find("past the end") != std::string::npos ||
                           message.find("larger than the file") != std::string::npos ||
                           message.find("smaller than") != std::string::npos),
                          message);
        }
    }
}

TEST_CASE("counts and lengths larger than the remaining bytes are refused before use") {
    auto bytes = sample_writer().to_bytes();
    put<uint64_t>(bytes, 8, uint64_t{1} << 60);
    check_refused(bytes, "tensor count 1152921504606846976 is larger than the file can hold");

    bytes = sample_writer().to_bytes();
    put<uint64_t>(bytes, 16, uint64_t{1} << 60);
    check_refused(bytes, "metadata count 1152921504606846976 is larger than the file can hold");

    bytes = sample_writer().to_bytes();
    put<uint64_t>(bytes, 24, uint64_t{1} << 62);  // length of the first key
    check_refused(bytes, "truncated in metadata entry 0 (key)");

    gguf_writer writer;
    std::vector<uint8_t> huge_string = gguf_writer::bytes_of(uint64_t{1} << 50);
    writer.set_raw("k", gguf_type::string, huge_string);
    check_refused(writer.to_bytes(), "string longer than the file");

    gguf_writer arrays;
    std::vector<uint8_t> payload = gguf_writer::bytes_of(uint32_t(gguf_type::u32));
    auto count = gguf_writer::bytes_of(uint64_t{1} << 61);
    payload.insert(payload.end(), count.begin(), count.end());
    arrays.set_raw("k", gguf_type::array, payload);
    check_refused(arrays.to_bytes(), "array count 2305843009213693952 is larger than the file can hold");

    gguf_writer string_arrays;
    payload = gguf_writer::bytes_of(uint32_t(gguf_type::string));
    payload.insert(payload.end(), count.begin(), count.end());
    string_arrays.set_raw("k", gguf_type::array, payload);
    check_refused(string_arrays.to_bytes(), "larger than the file can hold");

    // one element whose own length is larger than the file
    gguf_writer long_element;
    payload = gguf_writer::bytes_of(uint32_t(gguf_type::string));
    auto one = gguf_writer::bytes_of(uint64_t{1});
    auto huge = gguf_writer::bytes_of(uint64_t{1} << 62);
    payload.insert(payload.end(), one.begin(), one.end());
    payload.insert(payload.end(), huge.begin(), huge.end());
    long_element.set_raw("k", gguf_type::array, payload);
    check_refused(long_element.to_bytes(), "truncated in metadata key 'k' (string array element)");

    // a tensor name's length (the first field after the 24-byte header when there is no metadata)
    gguf_writer tensor_name;
    tensor_name.add_tensor("t", ember::dtype::f32, {4}, f32_bytes(4));
    bytes = tensor_name.to_bytes();
    put<uint64_t>(bytes, 24, uint64_t{1} << 62);
    check_refused(bytes, "truncated in tensor 0 (name)");
}

TEST_CASE("unknown value types, nested arrays and duplicate keys are refused") {
    gguf_writer unknown;
    unknown.set_raw_id("k", 13, {0});
    check_refused(unknown.to_bytes(), "metadata key 'k' has unknown value type 13");

    gguf_writer unknown_element;
    std::vector<uint8_t> payload = gguf_writer::bytes_of(uint32_t{99});
    auto count = gguf_writer::bytes_of(uint64_t{0});
    payload.insert(payload.end(), count.begin(), count.end());
    unknown_element.set_raw("k", gguf_type::array, payload);
    check_refused(unknown_element.to_bytes(), "unknown array element type 99");

    gguf_writer nested;
    payload = gguf_writer::bytes_of(uint32_t(gguf_type::array));
    payload.insert(payload.end(), count.begin(), count.end());
    nested.set_raw("k", gguf_type::array, payload);
    check_refused(nested.to_bytes(), "nested array");

    gguf_writer duplicate;
    duplicate.set("k", uint32_t{1});
    duplicate.append_raw_id("k", uint32_t(gguf_type::u32), gguf_writer::bytes_of(uint32_t{2}));
    check_refused(duplicate.to_bytes(), "duplicate metadata key 'k'");
}

TEST_CASE("general.alignment: zero, not a power of two, or not u32 is refused; others are honoured") {
    for (uint32_t bad : {0u, 3u, 48u}) {
        gguf_writer writer;
        writer.set("general.alignment", bad);
        check_refused(writer.to_bytes(), "general.alignment " + std::to_string(bad) + " is not a power of two");
    }
    gguf_writer wide;
    wide.set("general.alignment", uint64_t{32});
    check_refused(wide.to_bytes(), "general.alignment must be u32, found u64");

    gguf_writer writer;
    writer.set_alignment(64);
    writer.add_tensor("t", ember::dtype::f32, {3}, f32_bytes(3));
    writer.add_tensor("u", ember::dtype::f32, {5}, f32_bytes(5));
    auto bytes = writer.to_bytes();
    auto file = parse(bytes);
    REQUIRE(file);
    CHECK(file->alignment() == 64);
    CHECK(file->data_offset() % 64 == 0);
    CHECK(file->find_tensor("u")->offset == 64);
}

TEST_CASE("tensor names: empty, over-long or duplicate are refused") {
    check_tensor_refused({"", 0, {4}, f32_bytes(4), {}}, "tensor 0 has an empty name");
    check_tensor_refused({std::string(64, 'x'), 0, {4}, f32_bytes(4), {}}, "name is 64 bytes (at most 63)");
    gguf_writer ok;
    ok.add_tensor(std::string(63, 'x'), ember::dtype::f32, {4}, f32_bytes(4));
    CHECK(parse(ok.to_bytes()));

    gguf_writer duplicate;
    duplicate.add_tensor("t", ember::dtype::f32, {4}, f32_bytes(4));
    duplicate.add_tensor("t", ember::dtype::f32, {4}, f32_bytes(4));
    check_refused(duplicate.to_bytes(), "duplicate tensor name 't'");
}

TEST_CASE("tensor shapes: too many dimensions, zero, overflowing counts and sizes are refused") {
    check_tensor_refused({"t", 0, {1, 1, 1, 1, 1}, f32_bytes(1), {}}, "tensor 't' has 5 dimensions (1 to 4 allowed)");
    check_tensor_refused({"t", 0, {}, f32_bytes(1), {}}, "tensor 't' has 0 dimensions");
    check_tensor_refused({"t", 0, {4, 0}, {}, {}}, "tensor 't' has a zero dimension");
    check_tensor_refused({"t", 0, {uint64_t{1} << 32, uint64_t{1} << 32}, {}, {}}, "element count overflows 64 bits");
    check_tensor_refused({"t", 0, {uint64_t{1} << 31, uint64_t{1} << 31}, {}, {}}, "byte size overflows 64 bits");
    // just below the element limit but the byte size must still be bounded by the file
    check_tensor_refused({"t", 0, {uint64_t{1} << 30, 4}, {}, {}}, "extends past the end of the file");
}

TEST_CASE("tensor types: unknown ids refused; first dimension must fit the block size") {
    check_tensor_refused({"t", 4, {32}, std::vector<uint8_t>(18), {}}, "tensor 't' has unknown tensor type 4");
    check_tensor_refused({"t", 1000, {32}, std::vector<uint8_t>(18), {}}, "unknown tensor type 1000");
    check_tensor_refused({"t", uint32_t(ember::dtype::q4_0), {33}, std::vector<uint8_t>(36), {}},
                         "first dimension 33 is not a multiple of the q4_0 block size 32");
    check_tensor_refused({"t", uint32_t(ember::dtype::q4_k), {128, 2}, std::vector<uint8_t>(144), {}},
                         "not a multiple of the q4_k block size 256");
    // a known type ember cannot compute with is still a valid file
    gguf_writer iq;
    iq.add_tensor("t", ember::dtype::iq4_nl, {32}, std::vector<uint8_t>(18));
    CHECK(parse(iq.to_bytes()));
}

TEST_CASE("types ember reads but cannot compute with: loading a model names the tensor") {
    // IQ*/TQ*/MXFP4 tensors are valid GGUF (`ember info` lists them); the model
    // loader refuses them with an "unsupported type" error naming the tensor.
    for (ember::dtype type : {ember::dtype::iq4_nl, ember::dtype::mxfp4}) {
        auto bytes = ember_test::tiny_model_writer({}).to_bytes();
        // retype blk.0.ffn_up.weight (f32, 32 x 64) in the tensor table: after the
        // name come n_dims (u32), two dimensions (u64) and the type (u32); the
        // smaller byte size still fits the f32 data the writer laid out
        const std::string name = "blk.0.ffn_up.weight";
        auto at = std::search(bytes.begin(), bytes.end(), name.begin(), name.end());
        REQUIRE(at != bytes.end());
        put<uint32_t>(bytes, static_cast<size_t>(at - bytes.begin()) + name.size() + 4 + 2 * 8, uint32_t(type));
        auto file = parse(bytes);
        REQUIRE_MESSAGE(file, (file ? "" : file.error().message));
        REQUIRE(file->find_tensor(name));
        CHECK(file->find_tensor(name)->type == type);
        auto model = ember::model::from_file(std::move(file).value());
        REQUIRE(!model);
        INFO("message: " << model.error().message);
        CHECK(model.error().code == ember::errc::unsupported);
        CHECK(model.error().message.find("tensor '" + name + "' has unsupported type " +
                                         std::string(ember::name_of(type))) != std::string::npos);
    }
}

TEST_CASE("tensor data offsets: misaligned, overlapping, out of order or past the end are refused") {
    check_tensor_refused({"t", 0, {4}, f32_bytes(4), uint64_t{4}}, "data offset 4 is not a multiple of the alignment 32");
    check_tensor_refused({"t", 0, {4}, {}, uint64_t{1} << 40}, "extends past the end of the file");
    check_tensor_refused({"t", 0, {4}, {}, UINT64_MAX - 31}, "extends past the end of the file");

    gguf_writer overlapping;
    overlapping.add_tensor({"a", 0, {16}, f32_bytes(16), uint64_t{0}});
    overlapping.add_tensor({"b", 0, {16}, f32_bytes(16), uint64_t{32}});
    check_refused(overlapping.to_bytes(), "tensor 'b': data offset 32 overlaps the previous tensor");

    gguf_writer out_of_order;
    out_of_order.add_tensor({"a", 0, {4}, f32_bytes(4), uint64_t{64}});
    out_of_order.add_tensor({"b", 0, {4}, f32_bytes(4), uint64_t{0}});
    check_refused(out_of_order.to_bytes(), "tensor 'b': data offset 0 overlaps the previous tensor");
}

TEST_CASE("random corruption never crashes the reader") {
    const auto original = sample_writer().to_bytes();
    std::mt19937 random(1234);
    int accepted = 0;
    for (int trial = 0; trial < 20000; ++trial) {
        auto bytes = original;
        const int flips = 1 + static_cast<int>(random() % 4);
        for (int f = 0; f < flips; ++f) bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
        bytes.resize(bytes.size() - random() % 16);
        auto file = parse(bytes);
        if (!file) continue;
        ++accepted;
        // whatever was accepted must be safe to walk
        for (const auto& tensor : file->tensors()) {
            REQUIRE(tensor.data >= bytes.data());
            REQUIRE(tensor.data + tensor.n_bytes <= bytes.data() + bytes.size());
        }
    }
    MESSAGE("corrupted files accepted (benign flips): " << accepted << " of 20000");
}

TEST_CASE("open: missing file and non-GGUF file give clear errors") {
    auto missing = gguf_file::open("/nonexistent/model.gguf");
    REQUIRE(!missing);
    CHECK(missing.error().code == ember::errc::io_error);
    CHECK(missing.error().message.find("/nonexistent/model.gguf") != std::string::npos);

    const std::string path = ember_test::temp_path("empty.gguf");
    { std::FILE* f = std::fopen(path.c_str(), "wb"); std::fclose(f); }
    auto empty = gguf_file::open(path);
    REQUIRE(!empty);
    CHECK(empty.error().message.find("smaller than the GGUF header") != std::string::npos);
    std::remove(path.c_str());
}

TEST_CASE("every shared model and vocabulary file is read, by the reader and by ember info") {
    const std::string binary = ember_test::ember_binary();
    size_t read = 0;
    for (const char* folder : {"models", "tokenizer"}) {
        const std::string directory = ember_test::shared_path(folder);
        if (directory.empty()) return;
        std::vector<std::string> paths;
        for (const auto& entry : std::filesystem::directory_iterator(directory))
            if (entry.path().extension() == ".gguf") paths.push_back(entry.path().string());
        std::sort(paths.begin(), paths.end());
        CHECK(!paths.empty());
        for (const std::string& path : paths) {
            CAPTURE(path);
            auto file = gguf_file::open(path);
            CHECK_MESSAGE(file, (file ? "" : file.error().message));
            if (file) CHECK(file->get<std::string_view>("general.architecture"));
            if (binary.empty()) continue;
            const ember_test::command_output info = ember_test::run_command(binary + " info -m '" + path + "'");
            CHECK(info.exit_code == 0);
            CHECK(info.err.empty());
            CHECK(info.out.find("\nmetadata (") != std::string::npos);
            CHECK(info.out.find("\ntensors (") != std::string::npos);
            // models: the hyperparameters as ember parsed them; vocabulary-only files: why there are none
            if (std::string(folder) == "models") CHECK(info.out.find("\nhyperparameters (") != std::string::npos);
            else CHECK(info.out.find("\nhyperparameters: none (") != std::string::npos);
            ++read;
        }
    }
    MESSAGE("ember info read ", read, " files");
    if (binary.empty()) return;
    // an invalid file: one line naming the cause, exit 1
    const std::string truncated = ember_test::temp_path("info_truncated.gguf");
    std::vector<uint8_t> bytes = sample_writer().to_bytes();
    bytes.resize(bytes.size() / 2);
    std::ofstream(truncated, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    const ember_test::command_output refused = ember_test::run_command(binary + " info -m '" + truncated + "'");
    CHECK(refused.exit_code == 1);
    CHECK(refused.out.empty());
    CHECK(std::count(refused.err.begin(), refused.err.end(), '\n') == 1);
    CHECK(refused.err.find("truncated") != std::string::npos);
    std::remove(truncated.c_str());
}
