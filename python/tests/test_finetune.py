"""A file trained by `genlab train` continues training in PyTorch (python/train.py --init, 2
DDP processes) and the result loads back into GenLab."""
import os

import numpy as np

from conftest import REPO, genlab, train
from genlab_torch import read_safetensors

NO_JUDGE = ("--classifier", "/nonexistent/classifier.safetensors")  # skip the metrics of genlab train


def changed_tensors(before, after):
    a, _ = read_safetensors(before)
    b, _ = read_safetensors(after)
    assert a.keys() == b.keys() and all(a[k].shape == b[k].shape for k in a)
    return [k for k in a if not np.array_equal(a[k], b[k])]


def test_gan_from_genlab_train_and_its_checkpoint(tmp):
    base, ckpt = tmp / "gan.safetensors", tmp / "gan.ckpt"
    genlab("train", "gan", "--steps", 3, "--limit", 256, "--batch", 16, "--channels", 16, "--d-channels", 8,
           "--out", base, "--checkpoint", ckpt, *NO_JUDGE)
    for init in (base, ckpt):  # generator only (fresh D) / generator + discriminator
        out = tmp / f"tuned-{os.path.basename(init)}.safetensors"
        train(2, "gan", "--init", init, "--steps", 3, "--limit", 256, "--batch", 16, "--out", out)
        assert changed_tensors(base, out)
        meta = read_safetensors(out)[1]
        assert meta["trained_with"].startswith("genlab train gan") and " && python/train.py gan" in meta["trained_with"]
        genlab("sample", "gan", "--weights", out, "--n", 4, "--out", tmp / "x.png")


def test_vae_from_genlab_train(tmp):
    base, out = tmp / "vae.safetensors", tmp / "tuned.safetensors"
    genlab("train", "vae", "--epochs", 1, "--limit", 256, "--hidden", 32, "--latent", 3, "--out", base)
    train(2, "vae", "--init", base, "--steps", 3, "--limit", 256, "--batch", 32, "--out", out)
    assert len(changed_tensors(base, out)) == 14
    assert "VAE latent 3 hidden 32" in genlab("eval", "vae", "--weights", out, "--n", 100).stdout


def test_rnn_from_genlab_train(tmp):
    corpus = tmp / "corpus.txt"
    genlab("export-corpus", "--bytes", 20000, "--out", corpus)
    base, out = tmp / "gru.safetensors", tmp / "tuned.safetensors"
    env_run = genlab  # GENLAB_CORPUS points genlab train rnn at the small text
    os.environ["GENLAB_CORPUS"] = str(corpus)
    try:
        env_run("train", "rnn", "--cell", "gru", "--hidden", 24, "--embed", 8, "--steps", 16, "--batch", 4,
                "--epochs", 0.01, "--no-baseline", "--out", base)
    finally:
        del os.environ["GENLAB_CORPUS"]
    train(2, "rnn", "--init", base, "--text", corpus, "--steps", 3, "--batch", 4, "--seq", 16, "--out", out)
    assert changed_tensors(base, out)
    assert read_safetensors(out)[1]["vocab_hex"] == read_safetensors(base)[1]["vocab_hex"]
    assert genlab("sample", "rnn", "--weights", out, "--length", 30).stdout.strip()


def test_init_of_another_model_is_refused(tmp):
    result = train(1, "gan", "--init", os.path.join(REPO, "weights", "vae16.safetensors"),
                   "--out", tmp / "x.safetensors", check=False)
    assert result.returncode != 0 and "is a vae file" in result.stderr
    result = train(1, "vae", "--init", os.path.join(REPO, "weights", "vae16.safetensors"), "--latent", 4,
                   "--out", tmp / "x.safetensors", check=False)
    assert result.returncode != 0 and "the architecture comes from --init" in result.stderr


def test_bad_options_fail_with_a_message(tmp):
    for flags, message in ((["gan", "--channels", "7"], "channels must be even"),
                           (["rnn", "--text", str(tmp / "missing.txt")], "No such file")):
        result = train(1, *flags, "--out", tmp / "x.safetensors", check=False)
        assert result.returncode == 1 and message in result.stderr and "Traceback" not in result.stderr, result.stderr
