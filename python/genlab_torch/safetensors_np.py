"""safetensors read/write on numpy (Debian 12 has no `safetensors` package; with the pip
package installed, its reader and writer are used instead).

Format: u64 little-endian header length N, N bytes of JSON {"__metadata__": {str: str},
name: {"dtype", "shape", "data_offsets": [begin, end]}}, then the raw little-endian row-major
data; offsets are relative to the data section. Written as GenLab writes (byte for byte):
tensors in name order, sorted compact JSON keys, header space-padded to a multiple of 8.
"""
import json
import struct

import numpy as np

try:  # the reference implementation, when present (pip install safetensors)
    from safetensors import safe_open as _safe_open
    from safetensors.numpy import save_file as _save_file
except ImportError:
    _safe_open = None

_DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64,
           "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}
_NAMES = {np.dtype(v): k for k, v in _DTYPES.items()}
_MAX_HEADER = 100_000_000


class SafetensorsError(ValueError):
    pass


def _no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate key in {keys}")
    return dict(pairs)


def read_safetensors(path):
    """-> (tensors {name: np.ndarray}, metadata {str: str}). Checks what GenLab checks."""
    if _safe_open is not None:
        with _safe_open(path, "np") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise SafetensorsError(f"{path}: {len(data)} bytes, too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if n > _MAX_HEADER or 8 + n > len(data):
        raise SafetensorsError(f"{path}: header length {n} does not fit the file ({len(data)} bytes)")
    try:
        header = json.loads(data[8:8 + n], object_pairs_hook=_no_duplicates)
        metadata = header.pop("__metadata__", None) or {}
        entries = sorted((info["data_offsets"][0], name, info) for name, info in header.items())
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise SafetensorsError(f"{path}: not a valid safetensors header ({e!r})") from None
    body, tensors, end = data[8 + n:], {}, 0
    for _, name, info in entries:
        if info.get("dtype") not in _DTYPES:
            raise SafetensorsError(f"{path}: tensor {name} has dtype {info.get('dtype')}, not readable here")
        begin, stop = info["data_offsets"]
        dtype = np.dtype(_DTYPES[info["dtype"]]).newbyteorder("<")
        if begin != end or stop > len(body) or stop - begin != int(np.prod(info["shape"])) * dtype.itemsize:
            raise SafetensorsError(f"{path}: tensor {name}: data_offsets {info['data_offsets']} do not "
                                   f"follow on from {end}, match shape {info['shape']} or fit the "
                                   f"{len(body)}-byte data section")
        tensors[name] = np.frombuffer(body, dtype, count=int(np.prod(info["shape"])),
                                      offset=begin).reshape(info["shape"]).copy()
        end = stop
    if end != len(body):
        raise SafetensorsError(f"{path}: data section is {len(body)} bytes, the tensors cover {end}")
    return tensors, {str(k): str(v) for k, v in metadata.items()}


def write_safetensors(path, tensors, metadata):
    """tensors {name: np.ndarray (F32/F16/...)}, metadata {str: str}."""
    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    metadata = {str(k): str(v) for k, v in metadata.items()}
    if _safe_open is not None:
        _save_file(tensors, path, metadata=metadata)
        return
    header, offset = {"__metadata__": metadata}, 0
    for name in sorted(tensors):
        t = tensors[name]
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
    text = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()  # as nlohmann::json
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for name in sorted(tensors):
            f.write(tensors[name].astype(tensors[name].dtype.newbyteorder("<"), copy=False).tobytes())
