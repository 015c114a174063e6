"""Minimal GGUF v3 writer and reader (little-endian), enough for f32/f16 tensors.

Layout: magic "GGUF", u32 version, u64 tensor_count, u64 kv_count, the key/value pairs, the
tensor infos (name, u32 n_dims, u64 dims with dims[0] the contiguous length, u32 ggml type,
u64 offset into the data section), padding to `general.alignment`, then the tensor data, each
tensor starting at a multiple of the alignment.
"""

import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
ALIGNMENT = 32

# value types
U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
_SCALAR_FORMAT = {U8: "<B", I8: "<b", U16: "<H", I16: "<h", U32: "<I", I32: "<i",
                  F32: "<f", BOOL: "<?", U64: "<Q", I64: "<q", F64: "<d"}

# ggml tensor types used here
GGML_F32, GGML_F16 = 0, 1
_NUMPY_OF_GGML = {GGML_F32: np.float32, GGML_F16: np.float16}


def _string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _value(value_type, value):
    if value_type == STRING:
        return _string(value)
    if value_type == ARRAY:
        element_type, items = value
        out = struct.pack("<IQ", element_type, len(items))
        if element_type == STRING:
            return out + b"".join(_string(s) for s in items)
        return out + b"".join(struct.pack(_SCALAR_FORMAT[element_type], v) for v in items)
    return struct.pack(_SCALAR_FORMAT[value_type], value)


def write_gguf(path, metadata, tensors):
    """metadata: list of (key, value_type, value) — arrays are (ARRAY, (element_type, list)).
    tensors: list of (name, numpy array in C order, ggml type). The numpy shape is reversed to
    get the ggml dims, so a torch Linear weight (out, in) becomes ggml [in, out] as-is."""
    blobs = []
    header = bytearray()
    header += GGUF_MAGIC + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, value_type, value in metadata:
        header += _string(key) + struct.pack("<I", value_type) + _value(value_type, value)
    offset = 0
    for name, array, ggml_type in tensors:
        data = np.ascontiguousarray(array, dtype=_NUMPY_OF_GGML[ggml_type]).tobytes()
        dims = list(reversed(array.shape))
        header += _string(name) + struct.pack("<I", len(dims))
        header += b"".join(struct.pack("<Q", d) for d in dims)
        header += struct.pack("<IQ", ggml_type, offset)
        blobs.append((offset, data))
        offset += len(data)
        offset = (offset + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
    header += b"\0" * ((-len(header)) % ALIGNMENT)
    with open(path, "wb") as f:
        f.write(header)
        data_start = len(header)
        for tensor_offset, data in blobs:
            f.seek(data_start + tensor_offset)
            f.write(data)
        f.write(b"\0" * ((-f.tell()) % ALIGNMENT))


class _Cursor:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, fmt):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise ValueError("GGUF truncated at byte %d" % self.pos)
        v = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += size
        return v[0] if len(v) == 1 else v

    def string(self):
        n = self.take("<Q")
        if self.pos + n > len(self.buf):
            raise ValueError("GGUF string runs past the end of the file")
        s = bytes(self.buf[self.pos : self.pos + n]).decode("utf-8")
        self.pos += n
        return s

    def value(self, value_type):
        if value_type == STRING:
            return self.string()
        if value_type == ARRAY:
            element_type, count = self.take("<I"), self.take("<Q")
            return [self.value(element_type) for _ in range(count)]
        return self.take(_SCALAR_FORMAT[value_type])


def read_gguf(path):
    """Returns (metadata dict, {name: numpy array with numpy shape = reversed ggml dims})."""
    with open(path, "rb") as f:
        buf = f.read()
    c = _Cursor(buf)
    if buf[:4] != GGUF_MAGIC:
        raise ValueError("not a GGUF file")
    c.pos = 4
    version, n_tensors, n_kv = c.take("<I"), c.take("<Q"), c.take("<Q")
    if version != 3:
        raise ValueError("GGUF version %d, expected 3" % version)
    metadata = {}
    for _ in range(n_kv):
        key = c.string()
        metadata[key] = c.value(c.take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = c.string()
        n_dims = c.take("<I")
        dims = [c.take("<Q") for _ in range(n_dims)]
        ggml_type, offset = c.take("<I"), c.take("<Q")
        infos.append((name, dims, ggml_type, offset))
    alignment = metadata.get("general.alignment", ALIGNMENT)
    data_start = (c.pos + alignment - 1) // alignment * alignment
    tensors = {}
    for name, dims, ggml_type, offset in infos:
        dtype = np.dtype(_NUMPY_OF_GGML[ggml_type])
        count = int(np.prod(dims))
        start = data_start + offset
        if offset % alignment or start + count * dtype.itemsize > len(buf):
            raise ValueError("tensor %s misaligned or out of bounds" % name)
        tensors[name] = np.frombuffer(buf, dtype=dtype, count=count, offset=start).reshape(
            list(reversed(dims)))
    return metadata, tensors
