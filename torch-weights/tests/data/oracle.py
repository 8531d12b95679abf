# Independent oracle (no torch): names, dtypes, shapes and an FNV-1a 64 hash of each tensor's
# contiguous little-endian bytes, for the fixture files.
import json, pickle, struct, sys, zipfile, collections

def fnv(b):
    h = 0xcbf29ce484222325
    for x in b:
        h ^= x
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h

ES = {"FloatStorage": ("f32", 4), "HalfStorage": ("f16", 2), "LongStorage": ("i64", 8), "DoubleStorage": ("f64", 8)}

class T:
    def __init__(s, storage, off, size, stride): s.storage, s.off, s.size, s.stride = storage, off, tuple(size), tuple(stride)

def rebuild(storage, off, size, stride, *a): return T(storage, off, size, stride)

class U(pickle.Unpickler):
    def __init__(s, f, z, prefix): super().__init__(f); s.z, s.prefix = z, prefix
    def find_class(s, m, n):
        if (m, n) == ("torch._utils", "_rebuild_tensor_v2"): return rebuild
        if (m, n) == ("collections", "OrderedDict"): return collections.OrderedDict
        if m == "torch": return n
        raise Exception(f"{m}.{n}")
    def persistent_load(s, pid):
        _, st, key, loc, numel = pid
        return (ES[st], s.z.read(f"{s.prefix}data/{key}"))

def gather(t):
    (name, es), data = t.storage
    n = 1
    for d in t.size: n *= d
    out = bytearray()
    idx = [0]*len(t.size)
    for _ in range(n):
        p = t.off + sum(i*s for i, s in zip(idx, t.stride))
        out += data[p*es:(p+1)*es]
        for a in reversed(range(len(idx))):
            idx[a] += 1
            if idx[a] < t.size[a]: break
            idx[a] = 0
    return name, bytes(out)

def pt(path, key=None):
    z = zipfile.ZipFile(path)
    pkl = [n for n in z.namelist() if n.endswith("data.pkl")][0]
    obj = U(z.open(pkl), z, pkl[:-8]).load()
    if key: obj = obj[key]
    res = []
    for k, t in obj.items():
        dt, b = gather(t)
        res.append({"name": k, "dtype": dt, "shape": list(t.size), "fnv": fnv(b)})
    return res

def st(paths):
    res = []
    for path in paths:
        d = open(path, "rb").read()
        n = struct.unpack("<Q", d[:8])[0]
        h = json.loads(d[8:8+n])
        h.pop("__metadata__", None)
        for k, v in sorted(h.items(), key=lambda kv: kv[1]["data_offsets"][0]):
            b, e = v["data_offsets"]
            res.append({"name": k, "dtype": v["dtype"].lower(), "shape": v["shape"], "fnv": fnv(d[8+n+b:8+n+e])})
    return res

F = "/work/shared/fixtures/"
out = {
  "simple_cnn/model.pt": pt(F+"simple_cnn/model.pt"),
  "simple_cnn/checkpoint_dataparallel.pt": pt(F+"simple_cnn/checkpoint_dataparallel.pt", "model_state_dict"),
  "simple_cnn/model.safetensors": st([F+"simple_cnn/model.safetensors"]),
  "mobilenet_v2/model.pt": pt(F+"mobilenet_v2/model.pt"),
  "resnet18/model.safetensors.index.json": st([F+f"resnet18/model-0000{i}-of-00003.safetensors" for i in (1,2,3)]),
  "tiny_bert/model.safetensors": st([F+"tiny_bert/model.safetensors"]),
}
json.dump(out, open(sys.argv[1], "w"), indent=0)
for k, v in out.items(): print(k, len(v))
