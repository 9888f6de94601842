"""python/train.py in 2 DDP processes (gloo, CPU) for a few steps per model: the file it writes
passes `genlab inspect`, `genlab sample` (or eval) uses it, and GenLab and the twin agree on it."""
import numpy as np
import pytest
import torch

from conftest import genlab, read_f32, record_diff, train, write_f32
from genlab_torch import load_genlab

SYNCED = "parameters identical on all 2 processes"


def trained(tmp, model, *flags):
    out = tmp / f"{model}.safetensors"
    result = train(2, model, "--out", out, *flags)
    assert SYNCED in result.stderr, result.stderr
    info = genlab("inspect", out).stdout
    assert "F16" in info and "python/train.py" in info, info
    return out, result.stderr


@pytest.mark.parametrize("model", ["gan", "cgan"])
def test_gan(model, tmp):
    out, log = trained(tmp, model, "--steps", 4, "--limit", 256, "--batch", 16, "--channels", 16,
                       "--d-channels", 8, "--latent", 8)
    assert "step 4/4" in log
    genlab("sample", model, "--weights", out, "--n", 8, "--out", tmp / "grid.png")
    twin, config = load_genlab(out)
    assert config["channels"] == "16" and config["latent"] == "8" and config["ema_decay"] == "0.999"
    z = np.random.default_rng(3).standard_normal((10, 8)).astype(np.float32)
    genlab("sample", model, "--weights", out, "--z", write_f32(tmp / "z.f32", z), "--out", tmp / "x.f32")
    labels = torch.arange(10) if model == "cgan" else None
    with torch.no_grad():
        ours = twin.generator.images(torch.from_numpy(z), labels).numpy()
    diff = np.abs(ours - read_f32(tmp / "x.f32", 784)).max()
    record_diff(f"DDP-trained {model} images", diff)
    assert diff <= 1e-4


def test_vae(tmp):
    out, log = trained(tmp, "vae", "--steps", 4, "--limit", 256, "--batch", 32, "--hidden", 32,
                       "--latent", 4)
    assert "test -ELBO" in log
    genlab("sample", "vae", "--weights", out, "--n", 8, "--out", tmp / "samples.png")
    assert "VAE latent 4 hidden 32 layers 2" in genlab("eval", "vae", "--weights", out, "--n", 100).stdout


def test_classifier(tmp):
    out, _ = trained(tmp, "classifier", "--steps", 30, "--limit", 2048, "--batch", 32)
    result = genlab("eval", "classifier", "--weights", out, "--n", 1000).stdout
    accuracy = float(result.split("accuracy")[1].split()[0])
    assert accuracy > 0.5, result  # 30 steps of 64 images already learn most digits


def test_rnn(tmp):
    genlab("export-corpus", "--bytes", 20000, "--out", tmp / "corpus.txt")
    out, log = trained(tmp, "rnn", "--text", tmp / "corpus.txt", "--steps", 4, "--batch", 4, "--seq", 16,
                       "--hidden", 32, "--embed", 8, "--cell", "gru")
    assert "validation" in log
    text = genlab("sample", "rnn", "--weights", out, "--length", 40, "--prime", "The ").stdout
    assert text.startswith("The ") and len(text) >= 44


def test_a_failing_rank_stops_the_run(tmp):
    result = train(2, "gan", "--out", tmp / "x.safetensors", "--limit", 10, "--batch", 16, check=False)
    assert result.returncode != 0
    assert "fewer than one global batch" in result.stderr
    assert not (tmp / "x.safetensors").exists()
