#pragma once
// Byte layouts of the block formats, for code that builds or reads blocks
// directly (kernels, tests). All multi-byte fields are little-endian; fp16
// is IEEE binary16. Weight blocks are read from files at any alignment, so
// ember addresses their fields by byte offset (below) rather than through
// structs; the activation blocks, which ember itself allocates and fills,
// are plain structs.
//
//   type   bytes  layout (offset: field)
//   Q4_0    18    0: fp16 d | 2: u8 qs[16]
//   Q4_1    20    0: fp16 d | 2: fp16 m | 4: u8 qs[16]
//   Q5_0    22    0: fp16 d | 2: u8 qh[4] | 6: u8 qs[16]
//   Q5_1    24    0: fp16 d | 2: fp16 m | 4: u8 qh[4] | 8: u8 qs[16]
//   Q8_0    34    0: fp16 d | 2: i8 qs[32]
//   Q8_1    36    0: fp16 d | 2: fp16 s (= d * sum(qs)) | 4: i8 qs[32]
//   Q2_K    84    0: u8 scales[16] | 16: u8 qs[64] | 80: fp16 d | 82: fp16 dmin
//   Q3_K   110    0: u8 hmask[32] | 32: u8 qs[64] | 96: u8 scales[12] | 108: fp16 d
//   Q4_K   144    0: fp16 d | 2: fp16 dmin | 4: u8 scales[12] | 16: u8 qs[128]
//   Q5_K   176    0: fp16 d | 2: fp16 dmin | 4: u8 scales[12] | 16: u8 qh[32] | 48: u8 qs[128]
//   Q6_K   210    0: u8 ql[128] | 128: u8 qh[64] | 192: i8 scales[16] | 208: fp16 d
//   Q8_K   292    0: f32 d | 4: i8 qs[256] | 260: i16 bsums[16]

#include <cstdint>

namespace ember {

// Activations of the legacy formats' dot products (32 elements).
struct block_q8_0 {
    uint16_t d;      // fp16 scale
    int8_t qs[32];   // x ~= d * qs
};
static_assert(sizeof(block_q8_0) == 34, "Q8_0 block layout");

// Q8_0 plus d * sum(qs), which lets Q4_1/Q5_1 apply their min in one product.
struct block_q8_1 {
    uint16_t d;      // fp16 scale
    uint16_t s;      // fp16 d * sum(qs)
    int8_t qs[32];
};
static_assert(sizeof(block_q8_1) == 36, "Q8_1 block layout");

// Activations of the k-quant dot products (256 elements): an f32 scale and
// the sums of each 16 quants, which the formats with a min (Q2_K/Q4_K/Q5_K)
// multiply by their per-sub-block mins.
struct block_q8_k {
    float d;
    int8_t qs[256];
    int16_t bsums[16];
};
static_assert(sizeof(block_q8_k) == 292, "Q8_K block layout");

}  // namespace ember
