"""Writer for neural-style's weights format (``.nsw``), standard library only.

The format is specified once, in ``src/weights/format.rs``; this module mirrors
it for the converters in this folder. All numbers little-endian.

    magic        8 bytes  b"NSTYLEW\\0"
    version      u32      1
    order        u8       0 = RGB, 1 = BGR (channel order of the first layer)
    scale        f32      value of full intensity (255 or 1)
    mean         3 x f32  subtracted, in the network's channel order
    std          3 x f32  divided by, in the network's channel order
    note         u32 length + UTF-8 (provenance, licence)
    layers       u32 count, then per layer:
        name     u16 length + UTF-8 (conv1_1 ...)
        shape    4 x u32  (O, I, KH, KW)
        encoding u8       0 = f32, 1 = 8-bit codebook
        scales   u8       1 if per-filter normalisation scales follow the bias
    data, per layer in table order:
        f32:      O*I*KH*KW f32 weights
        codebook: 256 f32 centroids, then O*I*KH*KW u8 codes
        bias:     O f32
        scales:   O f32 (mean activation of each filter), if flagged
    crc32        u32      IEEE CRC-32 of every byte before it
"""

import struct
import zlib

MAGIC = b"NSTYLEW\0"
VERSION = 1
RGB, BGR = 0, 1
F32, CODEBOOK8 = 0, 1


def _str(s, width):
    b = s.encode("utf-8")
    return struct.pack("<" + width, len(b)) + b


def write(path, order, scale, mean, std, note, layers):
    """layers: list of dicts with name, shape (O,I,KH,KW), encoding, and either
    ``weights`` (list of floats) or ``table`` (256 floats) + ``codes`` (bytes);
    ``bias`` (list of floats); optional ``scales`` (list of floats)."""
    out = bytearray()
    out += MAGIC
    out += struct.pack("<I", VERSION)
    out += struct.pack("<Bf3f3f", order, scale, *mean, *std)
    out += _str(note, "I")
    out += struct.pack("<I", len(layers))
    for l in layers:
        out += _str(l["name"], "H")
        out += struct.pack("<4I", *l["shape"])
        out += struct.pack("<BB", l["encoding"], 1 if l.get("scales") is not None else 0)
    for l in layers:
        o, i, kh, kw = l["shape"]
        n = o * i * kh * kw
        if l["encoding"] == F32:
            assert len(l["weights"]) == n
            out += struct.pack("<%df" % n, *l["weights"])
        else:
            assert len(l["table"]) == 256 and len(l["codes"]) == n
            out += struct.pack("<256f", *l["table"])
            out += bytes(l["codes"])
        assert len(l["bias"]) == o
        out += struct.pack("<%df" % o, *l["bias"])
        if l.get("scales") is not None:
            out += struct.pack("<%df" % o, *l["scales"])
    out += struct.pack("<I", zlib.crc32(bytes(out)) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(out)
    return len(out)
