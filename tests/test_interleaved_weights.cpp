// Q4_0, Q5_0, Q4_K and Q6_K weights with 8 rows interleaved (when weights are copied
// into memory, load_options::use_mmap = false; quant/detail/interleaved_rows.hpp): the layout must hold the plain rows'
// bytes exactly, the GEMV must compute the product (against double
// arithmetic) and its SIMD version equal its scalar description bit for
// bit, and every matmul path must give on interleaved weights what it gives
// on the plain ones.

#include <doctest/doctest.h>

#include <ember/kernels/matmul.hpp>
#include <ember/runtime/context.hpp>
#include <ember/quant/dequantize.hpp>
#include <ember/quant/quantize.hpp>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "random_values.hpp"

namespace {

using ember::dtype;

struct matrix {
    dtype type;
    int64_t rows, n;
    size_t row_bytes;
    std::vector<uint8_t> plain, interleaved;
};

matrix random_matrix(dtype type, int64_t rows, int64_t n, std::mt19937& rng) {
    matrix m{type, rows, n, ember::row_bytes(type, static_cast<uint64_t>(n)), {}, {}};
    m.plain.resize(m.row_bytes * static_cast<size_t>(rows));
    m.interleaved.resize(m.plain.size());
    const std::vector<float> values = ember_test::random_floats(static_cast<size_t>(rows * n), rng);
    for (int64_t r = 0; r < rows; ++r)
        ember::quantize_function_of(type)(values.data() + r * n, m.plain.data() + r * m.row_bytes, n);
    ember::detail::interleave_rows(type, m.plain.data(), m.row_bytes, rows, n, m.interleaved.data());
    return m;
}

ember::tensor_view view_of(const matrix& m, bool interleaved) {
    ember::tensor_view view;
    view.data = interleaved ? m.interleaved.data() : m.plain.data();
    view.type = m.type;
    view.shape = {static_cast<uint64_t>(m.n), static_cast<uint64_t>(m.rows), 1, 1};
    view.interleaved = interleaved;
    return view;
}

// The legacy formats' GEMVs take Q8_0 activations packed into records, the
// k-quants' plain Q8_K blocks.
bool is_legacy(dtype type) { return type == dtype::q4_0 || type == dtype::q5_0; }

// One activation row as the interleaved GEMV reads it.
std::vector<uint8_t> gemv_activation(dtype type, const std::vector<float>& x) {
    const int64_t n = static_cast<int64_t>(x.size());
    const dtype quantized = is_legacy(type) ? dtype::q8_0 : dtype::q8_k;
    std::vector<uint8_t> q8(ember::row_bytes(quantized, x.size()));
    ember::quantize_function_of(quantized)(x.data(), q8.data(), n);
    if (!is_legacy(type)) return q8;
    std::vector<uint8_t> packed(ember::detail::gemm_activation_bytes(type, n));
    ember::detail::gemm_pack_activation(type, q8.data(), n, packed.data());
    return packed;
}

const dtype interleavable[] = {dtype::q4_0, dtype::q5_0, dtype::q4_k, dtype::q6_k};

// The scalar description of a type's interleaved GEMV.
auto scalar_gemv_of(dtype type) {
    switch (type) {
        case dtype::q4_0: return ember::detail::gemv_interleaved_q4_0_scalar;
        case dtype::q5_0: return ember::detail::gemv_interleaved_q5_0_scalar;
        case dtype::q4_k: return ember::detail::gemv_interleaved_q4_k_scalar;
        default: return ember::detail::gemv_interleaved_q6_k_scalar;
    }
}

}  // namespace

TEST_CASE("interleaved rows: the layout keeps every row's bytes, and each row reads back as it was") {
    std::mt19937 rng(11);
    for (dtype type : interleavable) {
        INFO(ember::name_of(type));
        const matrix m = random_matrix(type, 24, 512, rng);
        CHECK(m.interleaved != m.plain);
        std::vector<uint8_t> back(m.plain.size());
        ember::detail::deinterleave_rows(type, m.interleaved.data(), m.rows, m.n, back.data(), m.row_bytes);
        CHECK(back == m.plain);
        for (int64_t r = 0; r < m.rows; ++r) {
            std::vector<float> expected(static_cast<size_t>(m.n)), actual(static_cast<size_t>(m.n));
            ember::dequantize_function_of(type)(m.plain.data() + r * m.row_bytes, expected.data(), m.n);
            ember::detail::dequantize_interleaved_row(type, m.interleaved.data(), m.row_bytes, r, m.n, actual.data());
            CHECK(actual == expected);
        }
    }
}

TEST_CASE("interleaved GEMVs: compute the product, and the SIMD kernels equal the scalar ones bit for bit") {
    std::mt19937 rng(12);
    for (dtype type : interleavable) {
        INFO(ember::name_of(type));
        const matrix m = random_matrix(type, 40, 1024, rng);
        const std::vector<float> x = ember_test::random_floats(static_cast<size_t>(m.n), rng);
        const std::vector<uint8_t> activation = gemv_activation(type, x);

        std::vector<float> scalar(static_cast<size_t>(m.rows));
        scalar_gemv_of(type)(m.interleaved.data(), m.rows, activation.data(), m.n, scalar.data());
        // against double arithmetic on the dequantized weights and 8-bit activation
        const dtype quantized = is_legacy(type) ? dtype::q8_0 : dtype::q8_k;
        std::vector<uint8_t> q8(ember::row_bytes(quantized, x.size()));
        ember::quantize_function_of(quantized)(x.data(), q8.data(), m.n);
        std::vector<float> a(static_cast<size_t>(m.n)), w(static_cast<size_t>(m.n));
        if (quantized == dtype::q8_0) {
            ember::dequantize_function_of(quantized)(q8.data(), a.data(), m.n);
        } else {  // Q8_K has no dequantizer: d · q
            const auto* blocks = reinterpret_cast<const ember::block_q8_k*>(q8.data());
            for (int64_t i = 0; i < m.n; ++i) a[i] = blocks[i / 256].d * blocks[i / 256].qs[i % 256];
        }
        for (int64_t r = 0; r < m.rows; ++r) {
            ember::dequantize_function_of(type)(m.plain.data() + r * m.row_bytes, w.data(), m.n);
            double exact = 0.0, magnitude = 0.0;
            for (int64_t i = 0; i < m.n; ++i) {
                exact += double(w[i]) * a[i];
                magnitude += std::fabs(double(w[i]) * a[i]);
            }
            CHECK(std::fabs(scalar[r] - exact) <= 1e-5 * magnitude);
        }
        auto input = ember::detail::gemv_input::quantized;
        if (const auto gemv = ember::detail::interleaved_gemv_function_of(type, input)) {  // the avx512 tier
            std::vector<float> vector(static_cast<size_t>(m.rows));
            gemv(m.interleaved.data(), 0, m.rows, activation.data(), m.n, vector.data());
            CHECK((input == ember::detail::gemv_input::records) == is_legacy(type));
            CHECK(std::memcmp(vector.data(), scalar.data(), scalar.size() * sizeof(float)) == 0);
        }
    }
}

TEST_CASE("matmul on interleaved weights: the plain weights' results for 1, 3 and 40 tokens") {
    std::mt19937 rng(13);
    ember::thread_pool pool(2);
    for (dtype type : interleavable) {
        const matrix m = random_matrix(type, 96, 512, rng);
        for (size_t tokens : {size_t(1), size_t(3), size_t(40)}) {
            INFO(ember::name_of(type) << ", tokens: " << tokens);
            const std::vector<float> x = ember_test::random_floats(tokens * static_cast<size_t>(m.n), rng);
            ember::matmul_scratch scratch(2, static_cast<size_t>(m.n), tokens);
            std::vector<float> plain(tokens * static_cast<size_t>(m.rows)), interleaved(plain.size());
            ember::matmul(view_of(m, false), x.data(), tokens, plain.data(), static_cast<size_t>(m.rows), pool, scratch);
            ember::matmul(view_of(m, true), x.data(), tokens, interleaved.data(), static_cast<size_t>(m.rows), pool, scratch);
            if (tokens > 1) {  // the same kernels on rows turned back into plain ones
                CHECK(interleaved == plain);
            } else {  // the interleaved GEMV sums in another order
                for (size_t i = 0; i < plain.size(); ++i) CHECK(interleaved[i] == doctest::Approx(plain[i]).epsilon(1e-4).scale(1.0));
            }
        }
    }
}

TEST_CASE("a model loaded without mmap: its weights are copied (Q4_0 and Q6_K interleaved), and the forward pass agrees") {
    const char* root = std::getenv("EMBER_TEST_DATA");
    const std::string models = std::string(root ? root : EMBER_DEFAULT_TEST_DATA) + "/models/";
    auto plain = ember::model::load(models + "llama-qbase-q4_0.gguf");
    if (!plain) {
        WARN_MESSAGE(false, "skipped: " << plain.error().message);
        return;
    }
    auto interleaved = ember::model::load(models + "llama-qbase-q4_0.gguf", {false});
    REQUIRE(interleaved);
    const ember::model& copied = **interleaved;
    auto in_file = [&](const char* name) { return copied.file().find_tensor(name)->data; };
    // each copied tensor holds the file's rows: as they are, or interleaved
    auto holds_file_rows = [](const ember::tensor_view& copy, const uint8_t* file_rows) {
        const size_t bytes = copy.rows() * copy.row_bytes();
        if (!copy.interleaved) return std::memcmp(copy.data, file_rows, bytes) == 0;
        std::vector<uint8_t> rows(bytes);
        ember::detail::deinterleave_rows(copy.type, copy.data, static_cast<int64_t>(copy.rows()), static_cast<int64_t>(copy.columns()),
                                         rows.data(), copy.row_bytes());
        return std::memcmp(rows.data(), file_rows, bytes) == 0;
    };
    const ember::tensor_view& ffn_up = copied.weights().layers[0].ffn_up;
    CHECK(ffn_up.interleaved == ember::detail::can_interleave(dtype::q4_0));
    CHECK(ffn_up.data != in_file("blk.0.ffn_up.weight"));
    CHECK(holds_file_rows(ffn_up, in_file("blk.0.ffn_up.weight")));
    // the output is Q6_K here; the untied token embeddings stay in the file
    const ember::tensor_view& output = copied.weights().output;
    CHECK(output.interleaved == ember::detail::can_interleave(dtype::q6_k));
    CHECK(output.data != in_file("output.weight"));
    CHECK(holds_file_rows(output, in_file("output.weight")));
    CHECK(copied.weights().token_embedding.data == in_file("token_embd.weight"));
    // a type without an interleaved GEMV is copied as it is
    auto q4_1 = ember::model::load(models + "llama-qbase-q4_1.gguf", {false});
    REQUIRE(q4_1);
    const ember::tensor_view& q4_1_up = (*q4_1)->weights().layers[0].ffn_up;
    CHECK_FALSE(q4_1_up.interleaved);
    CHECK(q4_1_up.data != (*q4_1)->file().find_tensor("blk.0.ffn_up.weight")->data);
    CHECK(holds_file_rows(q4_1_up, (*q4_1)->file().find_tensor("blk.0.ffn_up.weight")->data));

    auto a = ember::context::create(*plain, {64, 2, 0});
    auto b = ember::context::create(*interleaved, {64, 2, 0});
    REQUIRE((a && b));
    std::vector<int32_t> prompt;
    for (int32_t t = 0; t < 20; ++t) prompt.push_back((t * 37 + 5) % 512);
    // logits at every position: the output projection too multiplies 20
    // tokens (for the last position alone it would be a GEMV)
    REQUIRE((*a)->evaluate(prompt, ember::logits_for::all));
    REQUIRE((*b)->evaluate(prompt, ember::logits_for::all));
    const size_t n_vocab = (*a)->n_vocab();
    // a prompt runs the same kernels on the rows turned back: the same logits
    CHECK(std::memcmp((*a)->logits(0), (*b)->logits(0), prompt.size() * n_vocab * sizeof(float)) == 0);
    for (int32_t step = 0; step < 4; ++step) {  // decoding sums in another order: close
        REQUIRE((*a)->evaluate({step + 7}));
        REQUIRE((*b)->evaluate({step + 7}));
        double difference = 0.0, norm = 0.0;
        for (size_t i = 0; i < n_vocab; ++i) {
            difference += std::pow(double((*a)->logits()[i]) - (*b)->logits()[i], 2);
            norm += std::pow(double((*a)->logits()[i]), 2);
        }
        CHECK(std::sqrt(difference / norm) < 1e-2);
    }
}
