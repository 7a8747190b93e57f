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


def read(path):
    """Parses a ``.nsw`` file (checking its CRC). Returns a dict with the input
    convention (order, scale, mean, std), the note and the layers; each layer has
    name, shape, bias, scales (or None) and either ``weights`` (floats) or
    ``table`` + ``codes`` (bytes): ``dequantise(layer)`` gives the floats."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise ValueError("%s: not a neural-style weights file" % path)
    if struct.unpack_from("<I", data, len(data) - 4)[0] != zlib.crc32(data[:-4]) & 0xFFFFFFFF:
        raise ValueError("%s: checksum mismatch" % path)
    pos = 8
    (version,) = struct.unpack_from("<I", data, pos)
    pos += 4
    if version != VERSION:
        raise ValueError("%s: version %d" % (path, version))
    order, scale, *rest = struct.unpack_from("<Bf3f3f", data, pos)
    pos += struct.calcsize("<Bf3f3f")
    mean, std = rest[:3], rest[3:]
    (n,) = struct.unpack_from("<I", data, pos)
    pos += 4
    note = data[pos:pos + n].decode("utf-8")
    pos += n
    (count,) = struct.unpack_from("<I", data, pos)
    pos += 4
    layers = []
    for _ in range(count):
        (n,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos:pos + n].decode("utf-8")
        pos += n
        shape = struct.unpack_from("<4I", data, pos)
        pos += 16
        encoding, has_scales = struct.unpack_from("<BB", data, pos)
        pos += 2
        layers.append({"name": name, "shape": shape, "encoding": encoding, "has_scales": has_scales})
    for l in layers:
        o, i, kh, kw = l["shape"]
        n = o * i * kh * kw
        if l["encoding"] == F32:
            l["weights"] = struct.unpack_from("<%df" % n, data, pos)
            pos += 4 * n
        else:
            l["table"] = struct.unpack_from("<256f", data, pos)
            pos += 1024
            l["codes"] = data[pos:pos + n]
            pos += n
        l["bias"] = struct.unpack_from("<%df" % o, data, pos)
        pos += 4 * o
        l["scales"] = None
        if l.pop("has_scales"):
            l["scales"] = struct.unpack_from("<%df" % o, data, pos)
            pos += 4 * o
    return {"order": order, "scale": scale, "mean": mean, "std": std, "note": note, "layers": layers}


def dequantise(layer):
    """The layer's weights as floats, row-major (O, I, KH, KW)."""
    if layer["encoding"] == F32:
        return list(layer["weights"])
    table = layer["table"]
    return [table[c] for c in layer["codes"]]
