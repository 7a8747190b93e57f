#!/usr/bin/env python3
"""Write a small checkpoint with the structure of torchvision's vgg19-dcbb9e9d.pth
(zip archive, data.pkl pickling an OrderedDict of tensors rebuilt by
torch._utils._rebuild_tensor_v2 over persistent storages), without torch.

    python3 tools/make_torchvision_fixture.py OUT.pth WIDTH_DIVISOR

Channel widths are VGG19's divided by WIDTH_DIVISOR. Weight element i of conv
number L (0-based) is ((i * 7 + L) % 101 - 50) / 1000; bias element k is
(k + L) / 100. The classifier has one small tensor, as the real file has more.
"""

import collections
import pickle
import struct
import sys
import types
import zipfile

import vgg19


def _rebuild_tensor_v2(*args):
    raise AssertionError("only pickled, never called")


class FloatStorage:
    pass


# Pickle names globals by module: give these the names torch uses.
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch.FloatStorage = FloatStorage
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
_rebuild_tensor_v2.__module__ = "torch._utils"
sys.modules["torch"], sys.modules["torch._utils"] = torch, torch_utils


class StorageRef:
    def __init__(self, key, numel):
        self.key, self.numel = key, numel


class TensorRef:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, shape

    def __reduce__(self):
        stride, acc = [], 1
        for n in reversed(self.shape):
            stride.insert(0, acc)
            acc *= n
        return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), tuple(stride), False, collections.OrderedDict()))


class Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, StorageRef):
            return ("storage", FloatStorage, obj.key, "cpu", obj.numel)
        return None


def main(argv):
    out, div = argv[1], int(argv[2])
    state = collections.OrderedDict()
    blobs = {}
    c_in = 3
    for L, (idx, width) in enumerate(zip(vgg19.TORCHVISION_INDICES, vgg19.WIDTHS)):
        c_out = max(1, width // div)
        n = c_out * c_in * 9
        w = [((i * 7 + L) % 101 - 50) / 1000 for i in range(n)]
        b = [(k + L) / 100 for k in range(c_out)]
        for name, vals, shape in (("weight", w, [c_out, c_in, 3, 3]), ("bias", b, [c_out])):
            key = str(len(blobs))
            blobs[key] = struct.pack("<%df" % len(vals), *vals)
            state["features.%d.%s" % (idx, name)] = TensorRef(StorageRef(key, len(vals)), shape)
        c_in = c_out
    key = str(len(blobs))
    blobs[key] = struct.pack("<4f", 1, 2, 3, 4)
    state["classifier.0.bias"] = TensorRef(StorageRef(key, 4), [4])
    with zipfile.ZipFile(out, "w") as z:
        buf = __import__("io").BytesIO()
        Pickler(buf, protocol=2).dump(state)
        z.writestr("archive/data.pkl", buf.getvalue())
        for key, data in blobs.items():
            z.writestr("archive/data/" + key, data)
        z.writestr("archive/version", "3\n")


if __name__ == "__main__":
    main(sys.argv)
