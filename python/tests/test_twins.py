"""Every shipped weights file, loaded into its PyTorch twin, gives GenLab's outputs on the same
explicit inputs (raw float32 files both sides read): max abs difference <= 1e-4."""
import os

import numpy as np
import pytest
import torch

from conftest import REPO, genlab, read_f32, record_diff, shipped_files, write_f32
from genlab_torch import load_genlab, normalize_text
from genlab_torch.data import load_mnist

TOLERANCE = 1e-4
# ASCII prose plus characters GenLab normalises (curly quotes, dashes, accents, a tab, CR LF).
TEXT = ("The hacker ethic: \u201cinformation wants to be free\u201d \u2014 so said the MIT crowd.\r\n"
        "\tA kludge (see also: hack, cruft) is caf\u00e9-grade code, 100% working\u2026 mostly!\n"
        "{braces} [brackets] <angles> ~tilde~ `backquote` #hash $dollar ^caret |pipe|\n")


def latents(rows, latent, seed):
    z = np.random.default_rng(seed).standard_normal((rows, latent)).astype(np.float32)
    z[-4:] *= 3.0  # a few far from the prior: saturating units must agree too
    return z


def digit_images(tmp):
    """32 MNIST test digits and 8 uniform-noise images, [40, 784] in [0, 1]."""
    x, _ = load_mnist("test", limit=32)
    noise = np.random.default_rng(5).random((8, 784), dtype=np.float32)
    return write_f32(tmp / "images.f32", np.concatenate([x, noise]))


def worst(label, ours, theirs):
    ours = ours.detach().numpy() if isinstance(ours, torch.Tensor) else ours
    assert ours.shape == theirs.shape, f"{label}: twin {ours.shape} vs GenLab {theirs.shape}"
    diff = float(np.abs(ours - theirs).max())
    record_diff(label, diff)
    assert diff <= TOLERANCE, f"{label}: max abs diff {diff:.3g} > {TOLERANCE}"


def check_gan(path, model, tmp, name):
    z = latents(32, model.config["latent"], 1)
    write_f32(tmp / "z.f32", z)
    runs = [("", None)]
    if model.config["classes"]:
        runs = [("", torch.arange(32) % 10), ("--label 7", torch.full((32,), 7))]
    for flags, labels in runs:
        genlab("sample", model.genlab_metadata()["model"], "--weights", path, "--z", tmp / "z.f32",
               "--out", tmp / "images.f32", *flags.split())
        with torch.no_grad():
            ours = model.generator.images(torch.from_numpy(z), labels)
        worst(f"{name} images{' ' + flags if flags else ''}", ours, read_f32(tmp / "images.f32", 784))


def check_vae(path, model, tmp, name):
    z = latents(32, model.config["latent"], 2)
    genlab("sample", "vae", "--weights", path, "--z", write_f32(tmp / "z.f32", z), "--out", tmp / "decoded.f32")
    images = digit_images(tmp)
    genlab("forward", "vae", "--weights", path, "--images", images, "--out", tmp / "mu_logvar.f32")
    with torch.no_grad():
        decoded = model.decode(torch.from_numpy(z))
        mu, logvar = model.encode(torch.from_numpy(read_f32(images, 784)))
    worst(f"{name} decode", decoded, read_f32(tmp / "decoded.f32", 784))
    worst(f"{name} encode (mu, logvar)", torch.cat([mu, logvar], 1),
          read_f32(tmp / "mu_logvar.f32", 2 * model.config["latent"]))


def check_classifier(path, model, tmp, name):
    images = digit_images(tmp)
    genlab("forward", "classifier", "--weights", path, "--images", images, "--out", tmp / "logits.f32",
           "--features", tmp / "features.f32")
    with torch.no_grad():
        features, logits = model.features_and_logits(torch.from_numpy(read_f32(images, 784)))
    worst(f"{name} logits", logits, read_f32(tmp / "logits.f32", 10))
    worst(f"{name} features", features, read_f32(tmp / "features.f32", model.config["hidden"]))


def check_char_rnn(path, model, tmp, name):
    (tmp / "text.txt").write_bytes(TEXT.encode())
    genlab("forward", "rnn", "--weights", path, "--text", tmp / "text.txt", "--out", tmp / "logits.f32")
    ids = torch.tensor(model.vocab.encode_user_text(TEXT))
    assert len(ids) == len(normalize_text(TEXT))
    with torch.no_grad():
        logits, _ = model(ids[:, None])  # [T, 1, V], from the zero state
    worst(f"{name} logits over {len(ids)} characters", logits[:, 0], read_f32(tmp / "logits.f32", len(model.vocab)))


def check_diffusion(path, model, tmp, name):
    """The denoiser's velocity on explicit (x, t, label) and whole sampling runs (Euler and Heun,
    unconditional and guided) from explicit noise, through the VAE the file names."""
    latent = model.config["latent"]
    x = latents(48, latent, 3)
    t = np.linspace(0, 1, 48, dtype=np.float32)[:, None]
    labels = (np.arange(48) % (model.config["classes"] + 1)).astype(np.float32)[:, None]
    genlab("forward", "diffusion", "--weights", path, "--x", write_f32(tmp / "x.f32", x), "--t",
           write_f32(tmp / "t.f32", t), "--labels", write_f32(tmp / "labels.f32", labels), "--out", tmp / "v.f32")
    with torch.no_grad():
        v = model(torch.from_numpy(x), torch.from_numpy(t[:, 0]), torch.from_numpy(labels[:, 0]).long())
    worst(f"{name} velocity", v, read_f32(tmp / "v.f32", latent))
    noise = np.random.default_rng(4).standard_normal((16, latent)).astype(np.float32)
    vae = os.path.join(REPO, "weights", "vae16.safetensors" if latent == 16 else "vae2.safetensors")
    for flags, labels_t, steps, sampler, g in [("", None, 8, "euler", 1.0),
                                               ("--label 7 --guidance 2.5", torch.full((16,), 7), 6, "heun", 2.5)]:
        genlab("sample", "diffusion", "--weights", path, "--vae", vae, "--z", write_f32(tmp / "z.f32", noise),
               "--steps", str(steps), "--sampler", sampler, *flags.split(), "--out", tmp / "img.f32",
               "--latents-out", tmp / "lat.f32")
        ours = model.sample(torch.from_numpy(noise), labels_t, steps=steps, sampler=sampler, guidance=g)
        worst(f"{name} sampled latents ({sampler} {steps}{' ' + flags if flags else ''})", ours,
              read_f32(tmp / "lat.f32", latent))


CHECKS = {"diffusion": check_diffusion, "gan": check_gan, "cgan": check_gan, "vae": check_vae, "classifier": check_classifier,
          "char_rnn": check_char_rnn}


@pytest.mark.parametrize("file,kind", shipped_files())
def test_shipped_file_matches_genlab(file, kind, tmp):
    if kind not in CHECKS:
        pytest.fail(f"weights/{file} is a {kind!r} model and has no PyTorch twin check yet "
                    "(add genlab_torch/models/<model>.py and a check here)")
    path = os.path.join(REPO, "weights", file)
    model, config = load_genlab(path)
    assert config["model"] == kind
    CHECKS[kind](path, model, tmp, file)


def test_normalize_text_matches_genlab_encoding(tmp):
    """The twin's text normalisation feeds the model the ids GenLab does: greedy text from the
    same prime is the same, character for character."""
    path = os.path.join(REPO, "weights", "char_lstm.safetensors")
    model, _ = load_genlab(path)
    prime = "\u201cQuoted\u201d \u2014 na\u00efve\tresume: "
    out = genlab("sample", "rnn", "--weights", path, "--prime", prime, "--temperature", "0",
                 "--length", "80").stdout
    generated = out[len(prime):].rstrip("\n")  # genlab prints the prime as given, then the text
    with torch.no_grad():
        logits, state = model(torch.tensor(model.vocab.encode_user_text(prime))[:, None])
        chars = []
        for _ in range(80):
            nxt = int(logits[-1, 0].argmax())
            chars.append(model.vocab.chars[nxt])
            logits, state = model(torch.tensor([[nxt]]), state)
    assert "".join(chars) == generated
