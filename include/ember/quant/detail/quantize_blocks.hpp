#pragma once
// Quantizers f32 -> blocks: ports of ggml's reference quantizers
// (ggml-quants.c `quantize_row_*_ref`, which llama-quantize uses when no
// importance matrix is given), keeping their arithmetic and its order so that
// the same input gives the same bytes.
//
// Non-finite input: ggml casts out-of-range floats to integers unguarded
// (undefined behaviour). Here every float -> int conversion is clamped
// (NaN -> 0), which agrees with ggml for all finite input. A block holding
// inf gets an inf/NaN scale (dequantizing to non-finite values); a NaN
// element is ignored by the max search and gets some in-range code. Blocks
// are independent: garbage in one never reaches its neighbours.
//
// Every function quantizes `n` elements (a multiple of the block size,
// checked by the public `quantize_row`) into n / block_size blocks.

#include "ember/quant/blocks.hpp"
#include "ember/quant/detail/common.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

EMBER_BEGIN_EXACT_FLOAT
namespace ember::detail {

// ggml's threshold below which a group counts as all zero.
inline constexpr float group_max_eps = 1e-15f;

// ---- legacy 32-element formats -----------------------------------------------

// Q8_0: d = amax / 127, q = round(x / d) (halves away from zero).
inline void quantize_q8_0(const float* x, void* destination, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    auto* block = static_cast<uint8_t*>(destination);
    for (int64_t b = 0; b < n / 32; ++b, block += 34, x += 32) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = std::fabs(x[j]) > amax ? std::fabs(x[j]) : amax;  // skips NaN
        const float d = amax / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        store_fp16(block, d);
        for (int j = 0; j < 32; ++j)
            block[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(round_away_clamped(x[j] * id, -128, 127)));
    }
}

// Q8_1: Q8_0 plus s = d * sum(q).
inline void quantize_q8_1(const float* x, void* destination, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    auto* block = static_cast<uint8_t*>(destination);
    for (int64_t b = 0; b < n / 32; ++b, block += 36, x += 32) {
        float amax = 0.0f;
        for (int j = 0; j < 32; ++j) amax = std::fabs(x[j]) > amax ? std::fabs(x[j]) : amax;
        const float d = amax / 127;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        store_fp16(block, d);
        int sum = 0;
        for (int j = 0; j < 16; ++j) {
            const int q0 = round_away_clamped(x[j] * id, -128, 127);
            const int q1 = round_away_clamped(x[j + 16] * id, -128, 127);
            block[4 + j] = static_cast<uint8_t>(static_cast<int8_t>(q0));
            block[4 + j + 16] = static_cast<uint8_t>(static_cast<int8_t>(q1));
            sum += q0 + q1;
        }
        store_fp16(block + 2, static_cast<float>(sum) * d);
    }
}

// Q4_0: d = -max/8 where max is the element of largest magnitude, so that
// element lands exactly on code 0 (-8) and the other side keeps 7 steps;
// q = trunc(x/d + 8.5) clamped to 15.
inline void quantize_q4_0(const float* x, void* destination, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    auto* block = static_cast<uint8_t*>(destination);
    for (int64_t b = 0; b < n / 32; ++b, block += 18, x += 32) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; ++j) {
            if (amax < std::fabs(x[j])) {
                amax = std::fabs(x[j]);
                max = x[j];
            }
        }
        const float d = max / -8;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        store_fp16(block, d);
        for (int j = 0; j < 16; ++j) {
            // finite input gives x*id + 8.5 in [0.5, 16.5]: the clamp to
            // [0, 15] only ever replaces ggml's MIN(15, .)
            const int q0 = truncate_clamped(x[j] * id + 8.5f, 0, 15);
            const int q1 = truncate_clamped(x[j + 16] * id + 8.5f, 0, 15);
            block[2 + j] = static_cast<uint8_t>(q0 | (q1 << 4));
        }
    }
}

// Q5_0: Q4_0 with a fifth bit: d = max / -16, q = x/d + 16.5 truncated to
// [0, 31]; low nibbles packed as Q4_0's, fifth bits in the 32-bit qh
// (bit j: element j). What llama-quantize falls back to for Q4_K tensors
// whose rows are not a multiple of 256 (e.g. Qwen2.5-0.5B's 896 columns).
inline void quantize_q5_0(const float* x, void* destination, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    auto* block = static_cast<uint8_t*>(destination);
    for (int64_t b = 0; b < n / 32; ++b, block += 22, x += 32) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < 32; ++j) {
            if (amax < std::fabs(x[j])) {
                amax = std::fabs(x[j]);
                max = x[j];
            }
        }
        const float d = max / -16;
        const float id = d != 0.0f ? 1.0f / d : 0.0f;
        store_fp16(block, d);
        uint32_t high_bits = 0;
        for (int j = 0; j < 16; ++j) {
            // finite input gives x*id + 16.5 in [0.5, 32.5]: the clamp to
            // [0, 31] only ever replaces ggml's MIN(31, .)
            const int q0 = truncate_clamped(x[j] * id + 16.5f, 0, 31);
            const int q1 = truncate_clamped(x[j + 16] * id + 16.5f, 0, 31);
            block[6 + j] = static_cast<uint8_t>((q0 & 0x0F) | ((q1 & 0x0F) << 4));
            high_bits |= static_cast<uint32_t>((q0 >> 4) & 1) << j;
            high_bits |= static_cast<uint32_t>((q1 >> 4) & 1) << (j + 16);
        }
        for (int i = 0; i < 4; ++i) block[2 + i] = static_cast<uint8_t>(high_bits >> (8 * i));
    }
}

// ---- k-quant helpers -----------------------------------------------------------

// ggml's make_qx_quants: symmetric quantization of n values to [-nmax, nmax-1]
// (stored +nmax in L), choosing the scale by weighted least squares over 19
// candidate inverse scales around -nmax/max. rmse_type 1 weighs by x^2.
// Returns the scale; 0 for an all-zero group.
inline float make_qx_quants(int n, int nmax, const float* x, int8_t* L, int rmse_type, const float* quant_weights) {
    EMBER_EXACT_FLOAT_SCOPE
    float max = 0, amax = 0;
    for (int i = 0; i < n; ++i) {
        const float ax = std::fabs(x[i]);
        if (ax > amax) {
            amax = ax;
            max = x[i];
        }
    }
    if (amax < group_max_eps) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        return 0.0f;
    }
    auto clamp_level = [nmax](int l) { return l < -nmax ? -nmax : (l > nmax - 1 ? nmax - 1 : l); };
    float iscale = static_cast<float>(-nmax) / max;
    if (rmse_type == 0) {
        for (int i = 0; i < n; ++i) L[i] = static_cast<int8_t>(nmax + clamp_level(nearest_int(iscale * x[i])));
        return 1 / iscale;
    }
    bool return_early = false;
    if (rmse_type < 0) {
        rmse_type = -rmse_type;
        return_early = true;
    }
    auto weight = [&](int i) {
        return quant_weights ? quant_weights[i]
               : rmse_type == 1 ? x[i] * x[i]
               : rmse_type == 2 ? 1.0f
               : rmse_type == 3 ? std::fabs(x[i])
                                : std::sqrt(std::fabs(x[i]));
    };
    float sumlx = 0, suml2 = 0;
    for (int i = 0; i < n; ++i) {
        const int l = clamp_level(nearest_int(iscale * x[i]));
        L[i] = static_cast<int8_t>(l + nmax);
        const float w = weight(i);
        sumlx += w * x[i] * static_cast<float>(l);
        suml2 += w * static_cast<float>(l) * static_cast<float>(l);
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    if (return_early) return suml2 > 0 ? 0.5f * (scale + 1 / iscale) : 1 / iscale;
    float best = scale * sumlx;
    for (int step = -9; step <= 9; ++step) {
        if (step == 0) continue;
        iscale = -(static_cast<float>(nmax) + 0.1f * static_cast<float>(step)) / max;
        sumlx = suml2 = 0;
        for (int i = 0; i < n; ++i) {
            const int l = clamp_level(nearest_int(iscale * x[i]));
            const float w = weight(i);
            sumlx += w * x[i] * static_cast<float>(l);
            suml2 += w * static_cast<float>(l) * static_cast<float>(l);
        }
        if (suml2 > 0 && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; ++i)
                L[i] = static_cast<int8_t>(nmax + clamp_level(nearest_int(iscale * x[i])));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

// ggml's make_qkx2_quants: asymmetric quantization x ~= scale * L - the_min
// with L in [0, nmax], min <= 0 pinned so zero stays representable; tries
// nstep+1 inverse scales (rmin + rdelta*i + nmax) / (max - min), solving the
// weighted least-squares scale and min for each, and keeps the best.
inline float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L, float* the_min,
                              uint8_t* Laux, float rmin, float rdelta, int nstep, bool use_mad) {
    EMBER_EXACT_FLOAT_SCOPE
    EMBER_EXACT_FLOAT_SCOPE
    float min = x[0], max = x[0];
    float sum_w = weights[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; ++i) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        const float w = weights[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0) min = 0;
    if (max == min) {
        for (int i = 0; i < n; ++i) L[i] = 0;
        *the_min = -min;
        return 0.0f;
    }
    auto clamp_level = [nmax](int l) { return l < 0 ? 0 : (l > nmax ? nmax : l); };
    float iscale = static_cast<float>(nmax) / (max - min);
    float scale = 1 / iscale;
    float best_error = 0;
    for (int i = 0; i < n; ++i) {
        const int l = nearest_int(iscale * (x[i] - min));
        L[i] = static_cast<uint8_t>(clamp_level(l));
        float diff = scale * static_cast<float>(L[i]) + min - x[i];
        diff = use_mad ? std::fabs(diff) : diff * diff;
        best_error += weights[i] * diff;
    }
    if (nstep < 1) {
        *the_min = -min;
        return scale;
    }
    for (int step = 0; step <= nstep; ++step) {
        iscale = (rmin + rdelta * static_cast<float>(step) + static_cast<float>(nmax)) / (max - min);
        float sum_l = 0, sum_l2 = 0, sum_xl = 0;
        for (int i = 0; i < n; ++i) {
            const int l = clamp_level(nearest_int(iscale * (x[i] - min)));
            Laux[i] = static_cast<uint8_t>(l);
            const float w = weights[i];
            sum_l += w * static_cast<float>(l);
            sum_l2 += w * static_cast<float>(l) * static_cast<float>(l);
            sum_xl += w * static_cast<float>(l) * x[i];
        }
        const float D = sum_w * sum_l2 - sum_l * sum_l;
        if (D > 0) {
            float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
            float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
            if (this_min > 0) {
                this_min = 0;
                this_scale = sum_xl / sum_l2;
            }
            float cur_error = 0;
            for (int i = 0; i < n; ++i) {
                float diff = this_scale * static_cast<float>(Laux[i]) + this_min - x[i];
                diff = use_mad ? std::fabs(diff) : diff * diff;
                cur_error += weights[i] * diff;
            }
            if (cur_error < best_error) {
                for (int i = 0; i < n; ++i) L[i] = Laux[i];
                best_error = cur_error;
                scale = this_scale;
                min = this_min;
            }
        }
    }
    *the_min = -min;
    return scale;
}

// ---- k-quants --------------------------------------------------------------------

// Q4_K: per 32-element sub-block a (scale, min) by make_qkx2_quants weighted
// by rms + |x|; the 8 scales and 8 mins are then quantized to 6 bits against
// the block's largest, and the values re-quantized with the stored scales.
inline void quantize_q4_k(const float* x, void* destination, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    auto* block = static_cast<uint8_t*>(destination);
    uint8_t L[qk_k];
    uint8_t Laux[32];
    float weights[32];
    float mins[8];
    float scales[8];
    for (int64_t b = 0; b < n / qk_k; ++b, block += 144, x += qk_k) {
        float max_scale = 0, max_min = 0;
        for (int j = 0; j < 8; ++j) {
            float sum_x2 = 0;
            for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
            const float av_x = std::sqrt(sum_x2 / 32);
            for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
            scales[j] = make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.0f, 0.1f, 20,
                                         false);
            if (scales[j] > max_scale) max_scale = scales[j];
            if (mins[j] > max_min) max_min = mins[j];
        }
        uint8_t* packed = block + 4;
        std::memset(packed, 0, 12);
        const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
        const float inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
        for (int j = 0; j < 8; ++j) {
            // ggml stores nearest_int into a uint8_t (mod 256), then caps at 63
            uint8_t ls = static_cast<uint8_t>(nearest_int(inv_scale * scales[j]));
            uint8_t lm = static_cast<uint8_t>(nearest_int(inv_min * mins[j]));
            if (ls > 63) ls = 63;
            if (lm > 63) lm = 63;
            if (j < 4) {
                packed[j] = ls;
                packed[j + 4] = lm;
            } else {
                packed[j + 4] = static_cast<uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
                packed[j - 4] |= static_cast<uint8_t>((ls >> 4) << 6);
                packed[j] |= static_cast<uint8_t>((lm >> 4) << 6);
            }
        }
        store_fp16(block, max_scale / 63.0f);
        store_fp16(block + 2, max_min / 63.0f);
        const float d_stored = load_fp16(block);
        const float dmin_stored = load_fp16(block + 2);
        for (int j = 0; j < 8; ++j) {
            uint8_t sc, m;
            scale_min_k4(j, packed, sc, m);
            const float d = d_stored * static_cast<float>(sc);
            if (d == 0.0f) continue;
            const float dm = dmin_stored * static_cast<float>(m);
            for (int ii = 0; ii < 32; ++ii) {
                const int l = nearest_int((x[32 * j + ii] + dm) / d);
                L[32 * j + ii] = static_cast<uint8_t>(l < 0 ? 0 : (l > 15 ? 15 : l));
            }
        }
        uint8_t* q = block + 16;
        for (int j = 0; j < qk_k; j += 64, q += 32)
            for (int l = 0; l < 32; ++l) q[l] = static_cast<uint8_t>(L[j + l] | (L[j + l + 32] << 4));
    }
}

// Q6_K: per 16-element sub-block a signed scale by make_qx_quants (x^2
// weights); scales quantized to int8 against the largest in magnitude (which
// maps to -128 and is then capped at 127), values re-quantized to [-32, 31].
inline void quantize_q6_k(const float* x, void* destination, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    auto* block = static_cast<uint8_t*>(destination);
    int8_t L[qk_k];
    float scales[16];
    for (int64_t b = 0; b < n / qk_k; ++b, block += 210, x += qk_k) {
        float max_scale = 0, max_abs_scale = 0;
        for (int sub = 0; sub < 16; ++sub) {
            const float scale = make_qx_quants(16, 32, x + 16 * sub, L + 16 * sub, 1, nullptr);
            scales[sub] = scale;
            const float abs_scale = std::fabs(scale);
            if (abs_scale > max_abs_scale) {
                max_abs_scale = abs_scale;
                max_scale = scale;
            }
        }
        if (max_abs_scale < group_max_eps) {
            std::memset(block, 0, 210);
            continue;
        }
        const float iscale = -128.0f / max_scale;
        store_fp16(block + 208, 1 / iscale);
        int8_t* block_scales = reinterpret_cast<int8_t*>(block + 192);  // char-type access, no aliasing issue
        for (int sub = 0; sub < 16; ++sub) {
            const int l = nearest_int(iscale * scales[sub]);
            block_scales[sub] = static_cast<int8_t>(l < 127 ? l : 127);
        }
        const float d_stored = load_fp16(block + 208);
        for (int j = 0; j < 16; ++j) {
            const float d = d_stored * static_cast<float>(block_scales[j]);
            if (d == 0.0f) continue;
            for (int ii = 0; ii < 16; ++ii) {
                const int l = nearest_int(x[16 * j + ii] / d);
                L[16 * j + ii] = static_cast<int8_t>((l < -32 ? -32 : (l > 31 ? 31 : l)) + 32);
            }
        }
        uint8_t* ql = block;
        uint8_t* qh = block + 128;
        for (int j = 0; j < qk_k; j += 128, ql += 64, qh += 32) {
            for (int l = 0; l < 32; ++l) {
                const int q1 = L[j + l] & 0xF;
                const int q2 = L[j + l + 32] & 0xF;
                const int q3 = L[j + l + 64] & 0xF;
                const int q4 = L[j + l + 96] & 0xF;
                ql[l] = static_cast<uint8_t>(q1 | (q3 << 4));
                ql[l + 32] = static_cast<uint8_t>(q2 | (q4 << 4));
                qh[l] = static_cast<uint8_t>(((L[j + l] >> 4) & 3) | (((L[j + l + 32] >> 4) & 3) << 2) |
                                             (((L[j + l + 64] >> 4) & 3) << 4) | (((L[j + l + 96] >> 4) & 3) << 6));
            }
        }
    }
}

// Q8_K (activations of the k-quant dot products): the element of largest
// magnitude maps to -127 (ggml: "-128 would make the IQ2 AVX paths awkward"),
// q = nearest(x * -127/max), plus the sum of every 16 quants.
inline void quantize_q8_k(const float* x, void* destination, int64_t n) {
    EMBER_EXACT_FLOAT_SCOPE
    auto* out = static_cast<block_q8_k*>(destination);
    for (int64_t b = 0; b < n / qk_k; ++b, ++out, x += qk_k) {
        float max = 0, amax = 0;
        for (int j = 0; j < qk_k; ++j) {
            const float ax = std::fabs(x[j]);
            if (ax > amax) {
                amax = ax;
                max = x[j];
            }
        }
        if (amax == 0.0f) {
            std::memset(out, 0, sizeof(block_q8_k));
            continue;
        }
        const float iscale = -127.0f / max;
        for (int j = 0; j < qk_k; ++j) {
            const int v = nearest_int(iscale * x[j]);
            out->qs[j] = static_cast<int8_t>(v < 127 ? v : 127);
        }
        for (int j = 0; j < qk_k / 16; ++j) {
            int sum = 0;
            for (int ii = 0; ii < 16; ++ii) sum += out->qs[16 * j + ii];
            out->bsums[j] = static_cast<int16_t>(sum);
        }
        out->d = 1 / iscale;
    }
}

}  // namespace ember::detail
EMBER_END_EXACT_FLOAT
