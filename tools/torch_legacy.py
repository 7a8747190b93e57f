"""Read PyTorch checkpoints without torch: the legacy stream (torch.save with
_use_new_zipfile_serialization=False) and the zip format. Standard library only.

Only what VGG state dicts use: contiguous or strided tensors of float32, float64,
float16 (read as float) and uint8 storages, in dicts or OrderedDicts.
"""

import io
import pickle
import struct
import zipfile

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C

_DTYPES = {
    "FloatStorage": ("float32", "f", 4),
    "DoubleStorage": ("float64", "d", 8),
    "HalfStorage": ("float16", "e", 2),
    "ByteStorage": ("uint8", "B", 1),
}


class StorageType:
    def __init__(self, name):
        if name not in _DTYPES:
            raise ValueError("unsupported storage type torch.%s" % name)
        self.dtype, self.fmt, self.size = _DTYPES[name]


class Storage:
    def __init__(self, stype, numel):
        self.stype, self.numel, self.data = stype, numel, None


class Tensor:
    """A view (offset, shape, stride) into a storage."""

    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, list(shape), list(stride)
        self.dtype = storage.stype.dtype

    def _indices(self):
        idx = [self.offset]
        for n, s in zip(self.shape, self.stride):
            idx = [i + k * s for i in idx for k in range(n)]
        return idx

    def values(self):
        st = self.storage.stype
        allv = struct.unpack("<%d%s" % (self.storage.numel, st.fmt), self.storage.data)
        return [float(allv[i]) if st.fmt != "B" else allv[i] for i in self._indices()]

    def raw_bytes(self):
        assert self.storage.stype.fmt == "B"
        return bytes(self.storage.data[i] for i in self._indices())


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    return Tensor(storage, offset, size, stride)


class _Unpickler(pickle.Unpickler):
    def __init__(self, f, storages, loader):
        super().__init__(f)
        self.storages, self.loader = storages, loader

    def find_class(self, module, name):
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name.endswith("Storage"):
            return StorageType(name)
        if module == "collections" and name == "OrderedDict":
            import collections
            return collections.OrderedDict
        raise pickle.UnpicklingError("unexpected global %s.%s" % (module, name))

    def persistent_load(self, pid):
        if pid[0] != "storage":
            raise pickle.UnpicklingError("unexpected persistent id %r" % (pid,))
        stype, key, numel = pid[1], pid[2], pid[4] if len(pid) > 4 else None
        if key not in self.storages:
            self.storages[key] = self.loader(stype, key, numel)
        return self.storages[key]


def load(raw):
    """Legacy stream: magic, protocol, sys info, object, storage keys, raw data."""
    f = io.BytesIO(raw)
    if pickle.load(f) != LEGACY_MAGIC:
        raise ValueError("not a legacy torch.save stream")
    pickle.load(f)  # protocol version
    pickle.load(f)  # sys info
    storages = {}
    obj = _Unpickler(f, storages, lambda stype, key, numel: Storage(stype, numel)).load()
    keys = pickle.load(f)
    for key in keys:
        (numel,) = struct.unpack("<q", f.read(8))
        s = storages[key]
        s.numel = numel
        s.data = f.read(numel * s.stype.size)
        if len(s.data) != numel * s.stype.size:
            raise ValueError("truncated storage %s" % key)
    return obj


def load_zip(raw):
    """Zip format: ARCHIVE/data.pkl with storages in ARCHIVE/data/KEY."""
    z = zipfile.ZipFile(io.BytesIO(raw))
    pkl = [n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if not pkl:
        raise ValueError("no data.pkl in the archive")
    prefix = pkl[0][: -len("data.pkl")]

    def loader(stype, key, numel):
        s = Storage(stype, 0)
        s.data = z.read(prefix + "data/" + str(key))
        s.numel = len(s.data) // stype.size
        return s

    return _Unpickler(io.BytesIO(z.read(pkl[0])), {}, loader).load()
