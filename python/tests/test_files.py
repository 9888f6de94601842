"""The numpy safetensors reader/writer and load_genlab/save_genlab on their own."""
import os

import numpy as np
import pytest
import torch

from conftest import REPO, genlab, shipped_files
from genlab_torch import Vae, load_genlab, read_safetensors, save_genlab, write_safetensors
from genlab_torch import safetensors_np


@pytest.mark.parametrize("file", [f for f, _ in shipped_files()])
def test_rewriting_a_shipped_file_reproduces_it(file, tmp):
    """Read and written back: byte for byte what GenLab wrote (numpy writer) and the same
    tensors through the twin (load_genlab -> save_genlab keeps every value of an F16 file)."""
    path = os.path.join(REPO, "weights", file)
    tensors, meta = read_safetensors(path)
    write_safetensors(tmp / "copy.safetensors", tensors, meta)
    if safetensors_np._safe_open is None:
        assert (tmp / "copy.safetensors").read_bytes() == open(path, "rb").read()
    model, config = load_genlab(path)
    save_genlab(model, tmp / "twin.safetensors", config)
    again, meta2 = read_safetensors(tmp / "twin.safetensors")
    assert again.keys() == tensors.keys()
    assert all(np.array_equal(again[k], tensors[k]) for k in tensors)
    assert {k: v for k, v in meta2.items() if k != "dtype"} == {k: v for k, v in meta.items() if k != "dtype"}
    genlab("inspect", tmp / "twin.safetensors")


def test_f32_and_shapes_round_trip(tmp):
    model = Vae(latent=3, hidden=8, layers=1)
    save_genlab(model, tmp / "v.safetensors", {"note": "x"}, dtype="F32")
    back, meta = load_genlab(tmp / "v.safetensors")
    assert meta["note"] == "x" and meta["dtype"] == "F32" and meta["latent"] == "3"
    for (k, a), (k2, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert k == k2 and torch.equal(a, b)
    assert "vae" in genlab("inspect", tmp / "v.safetensors").stdout


def test_bad_files_fail_with_a_message(tmp):
    good = open(os.path.join(REPO, "weights", "vae2.safetensors"), "rb").read()
    cases = {"truncated": good[:-10], "short": good[:5], "bad header": good[:8] + b"[" + good[9:],
             "huge header": (2 ** 40).to_bytes(8, "little") + good[8:]}
    for name, data in cases.items():
        (tmp / "bad.safetensors").write_bytes(data)
        with pytest.raises(ValueError, match="bad.safetensors"):
            load_genlab(tmp / "bad.safetensors")
    tensors, meta = read_safetensors(os.path.join(REPO, "weights", "vae2.safetensors"))
    write_safetensors(tmp / "other.safetensors", tensors, {**meta, "model": "transformer"})  # no twin of that kind
    with pytest.raises(ValueError, match="the twins know"):
        load_genlab(tmp / "other.safetensors")
    write_safetensors(tmp / "shape.safetensors", {**tensors, "fc_mu.bias": np.zeros(3, np.float16)}, meta)
    with pytest.raises(ValueError, match="fc_mu.bias has shape"):
        load_genlab(tmp / "shape.safetensors")
    write_safetensors(tmp / "field.safetensors", tensors, {**meta, "hidden": "12x"})
    with pytest.raises(ValueError, match='"hidden" is "12x"'):
        load_genlab(tmp / "field.safetensors")
