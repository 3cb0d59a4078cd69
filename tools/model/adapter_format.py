"""ONNX Runtime LoRA adapter files (`.onnx_adapter`): a FlatBuffer, file identifier "TORT".

Schema (onnxruntime/lora/adapter_format/adapter_schema.fbs, format_version 1):
  table Parameter { name:string; dims:[int64]; data_type:TensorDataType(int32, ONNX numbers);
                    raw_data:[uint8] (force_align: 8); }
  table Adapter   { format_version:int; adapter_version:int; model_version:int;
                    parameters:[Parameter]; }
  root_type Adapter; file_identifier "TORT";

Written with Debian's python3-flatbuffers when present, otherwise by the small hand-written
builder below (both produce the same layout rules: little-endian, vectors of raw_data and dims
8-byte aligned). `read_adapter` parses either.
"""
import struct

import numpy as np

FORMAT_VERSION = 1
IDENTIFIER = b"TORT"
ONNX_DTYPES = {np.dtype(np.float32): 1, np.dtype(np.uint8): 2, np.dtype(np.int8): 3,
               np.dtype(np.int32): 6, np.dtype(np.int64): 7, np.dtype(np.float16): 10,
               np.dtype(np.float64): 11}
NP_DTYPES = {v: k for k, v in ONNX_DTYPES.items()}


def _le_bytes(arr):
    a = np.ascontiguousarray(arr)
    return a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()


def write_adapter(path, params, adapter_version=1, model_version=1, use_library=None):
    """params: ordered dict name -> numpy array."""
    data = build_adapter(params, adapter_version, model_version, use_library)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def build_adapter(params, adapter_version=1, model_version=1, use_library=None):
    if use_library is None:
        try:
            import flatbuffers  # noqa: F401
            use_library = True
        except ImportError:
            use_library = False
    if use_library:
        return _build_with_flatbuffers(params, adapter_version, model_version)
    return _build_by_hand(params, adapter_version, model_version)


def _build_with_flatbuffers(params, adapter_version, model_version):
    import flatbuffers
    b = flatbuffers.Builder(1024)
    offs = []
    for name, arr in params.items():
        arr = np.asarray(arr)
        raw = _le_bytes(arr)
        # raw_data: [uint8] with force_align 8
        b.StartVector(1, len(raw), 8)
        b.head = b.head - len(raw)
        b.Bytes[b.head:b.head + len(raw)] = raw
        raw_off = b.EndVector(len(raw))
        b.StartVector(8, arr.ndim, 8)
        for d in reversed(arr.shape):
            b.PrependInt64(int(d))
        dims_off = b.EndVector(arr.ndim)
        name_off = b.CreateString(name)
        b.StartObject(4)
        b.PrependUOffsetTRelativeSlot(0, name_off, 0)
        b.PrependUOffsetTRelativeSlot(1, dims_off, 0)
        b.PrependInt32Slot(2, ONNX_DTYPES[arr.dtype], 0)
        b.PrependUOffsetTRelativeSlot(3, raw_off, 0)
        offs.append(b.EndObject())
    b.StartVector(4, len(offs), 4)
    for o in reversed(offs):
        b.PrependUOffsetTRelative(o)
    vec = b.EndVector(len(offs))
    b.StartObject(4)
    b.PrependInt32Slot(0, FORMAT_VERSION, 0)
    b.PrependInt32Slot(1, adapter_version, 0)
    b.PrependInt32Slot(2, model_version, 0)
    b.PrependUOffsetTRelativeSlot(3, vec, 0)
    root = b.EndObject()
    b.Finish(root, file_identifier=IDENTIFIER)
    return bytes(b.Output())


def _build_by_hand(params, adapter_version, model_version):
    """Front-to-back layout: every uoffset points forward, as FlatBuffers requires."""
    buf = bytearray()

    def align(n, pad_to_mod=0):
        while len(buf) % n != pad_to_mod:
            buf.append(0)

    def u32_at(pos, val):
        struct.pack_into("<I", buf, pos, val)

    # header: root offset + identifier
    buf += b"\0\0\0\0" + IDENTIFIER
    # Adapter vtable: 4 fields
    align(2)
    vt = len(buf)
    buf += struct.pack("<HHHHHH", 4 + 2 * 4, 4 + 4 * 4, 4, 8, 12, 16)
    align(4)
    tbl = len(buf)
    u32_at(0, tbl)
    buf += struct.pack("<i", tbl - vt)
    buf += struct.pack("<iii", FORMAT_VERSION, adapter_version, model_version)
    params_field = len(buf)
    buf += b"\0\0\0\0"
    # parameters vector
    align(4)
    vec = len(buf)
    u32_at(params_field, vec - params_field)
    n = len(params)
    buf += struct.pack("<I", n)
    slots = []
    for _ in range(n):
        slots.append(len(buf))
        buf += b"\0\0\0\0"
    for slot, (name, arr) in zip(slots, params.items()):
        arr = np.asarray(arr)
        align(2)
        pvt = len(buf)
        buf += struct.pack("<HHHHHH", 4 + 2 * 4, 4 + 4 * 4, 4, 8, 12, 16)
        align(4)
        pt = len(buf)
        u32_at(slot, pt - slot)
        buf += struct.pack("<i", pt - pvt)
        f_name, f_dims = pt + 4, pt + 8
        buf += b"\0\0\0\0\0\0\0\0"
        buf += struct.pack("<i", ONNX_DTYPES[arr.dtype])
        f_raw = pt + 16
        buf += b"\0\0\0\0"
        # name string
        align(4)
        u32_at(f_name, len(buf) - f_name)
        nb = name.encode("utf-8")
        buf += struct.pack("<I", len(nb)) + nb + b"\0"
        # dims: length at 4 mod 8 so the int64s are 8-aligned
        align(8, 4)
        u32_at(f_dims, len(buf) - f_dims)
        buf += struct.pack("<I", arr.ndim) + struct.pack("<%dq" % arr.ndim, *arr.shape)
        align(8, 4)
        u32_at(f_raw, len(buf) - f_raw)
        raw = _le_bytes(arr)
        buf += struct.pack("<I", len(raw)) + raw
    align(8)
    return bytes(buf)


def read_adapter(path_or_bytes):
    """-> (header dict, {name: numpy array}). A minimal FlatBuffer reader for this schema."""
    if isinstance(path_or_bytes, (bytes, bytearray)):
        buf = bytes(path_or_bytes)
    else:
        with open(path_or_bytes, "rb") as f:
            buf = f.read()
    if len(buf) < 8 or buf[4:8] != IDENTIFIER:
        raise ValueError("not an onnx_adapter file (identifier TORT missing)")

    def u32(p):
        return struct.unpack_from("<I", buf, p)[0]

    def table_fields(t):
        vt = t - struct.unpack_from("<i", buf, t)[0]
        vlen = struct.unpack_from("<H", buf, vt)[0]
        nf = (vlen - 4) // 2
        return [struct.unpack_from("<H", buf, vt + 4 + 2 * i)[0] for i in range(nf)]

    def field(t, fo, i):
        return t + fo[i] if i < len(fo) and fo[i] else None

    root = u32(0)
    fo = table_fields(root)
    hdr = {}
    for i, k in enumerate(["format_version", "adapter_version", "model_version"]):
        p = field(root, fo, i)
        hdr[k] = struct.unpack_from("<i", buf, p)[0] if p else 0
    out = {}
    p = field(root, fo, 3)
    if p:
        vec = p + u32(p)
        for j in range(u32(vec)):
            slot = vec + 4 + 4 * j
            t = slot + u32(slot)
            pf = table_fields(t)
            pn = field(t, pf, 0)
            s = pn + u32(pn)
            name = buf[s + 4:s + 4 + u32(s)].decode("utf-8")
            pd = field(t, pf, 1)
            dims = []
            if pd:
                dv = pd + u32(pd)
                dims = list(struct.unpack_from("<%dq" % u32(dv), buf, dv + 4))
            pdt = field(t, pf, 2)
            dt = struct.unpack_from("<i", buf, pdt)[0] if pdt else 0
            pr = field(t, pf, 3)
            rv = pr + u32(pr)
            if (rv + 4) % 8:
                raise ValueError(f"{name}: raw_data not 8-byte aligned")
            raw = buf[rv + 4:rv + 4 + u32(rv)]
            out[name] = np.frombuffer(raw, dtype=NP_DTYPES[dt].newbyteorder("<")).reshape(dims)
    return hdr, out
