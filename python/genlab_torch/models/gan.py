"""Twin of src/models/gan.h: the DCGAN and the class-conditional cGAN (projection D).

B = batch, L = latent, K = classes (0 = GAN, 10 = cGAN), C = channels, D = d_channels,
P = d_pack. All of them come from the file's __metadata__, as in GenLab's loader.
Generator ("generator.*"):
  [z ++ one_hot(label)] [B, L+K] -> fc Linear(L+K -> C*49) -> view [B, C, 7, 7]
  -> bn0, ReLU -> deconv1 ConvTranspose2d(C -> C/2, k4, s2, p1) 14x14 -> bn1, ReLU
  -> deconv2 ConvTranspose2d(C/2 -> 1, k4, s2, p1) 28x28 -> tanh; images = (tanh + 1) / 2
Discriminator ("discriminator.*"), images in [-1, 1]; P consecutive images form one input of
P channels (PacGAN):
  conv1 Conv2d(P -> D, k4, s2, p1), LeakyReLU(0.2) -> conv2 Conv2d(D -> 2D, k4, s2, p1),
  LeakyReLU(0.2) = h [B/P, 2D*49] -> fc Linear(2D*49 -> 1) = logit; K > 0: logit += <embed[label], h>
A GenLab weights file holds the generator only (the discriminator starts fresh, as in GenLab);
a GenLab checkpoint (--checkpoint) also holds the discriminator, which is then loaded too.
"""
import torch
import torch.nn.functional as F
from torch import nn

from ..core import GenLabModule, load_strict, register, require_int, require_kind
from ..layers import BatchNorm2d


class Generator(nn.Module):
    def __init__(self, latent=64, classes=0, channels=64):
        super().__init__()
        self.latent, self.classes, self.channels = latent, classes, channels
        self.fc = nn.Linear(latent + classes, channels * 49)
        self.bn0 = BatchNorm2d(channels)
        self.deconv1 = nn.ConvTranspose2d(channels, channels // 2, 4, stride=2, padding=1)
        self.bn1 = BatchNorm2d(channels // 2)
        self.deconv2 = nn.ConvTranspose2d(channels // 2, 1, 4, stride=2, padding=1)

    def forward(self, z, labels=None):
        """z [B, L], labels [B] (cGAN) -> tanh output [B, 1, 28, 28] in [-1, 1]."""
        if self.classes:
            if labels is None:
                raise ValueError("a cGAN generator needs one label per sample")
            z = torch.cat([z, F.one_hot(labels.long(), self.classes).to(z.dtype)], 1)
        elif labels is not None:
            raise ValueError("this GAN is unconditional; pass no labels")
        h = F.relu(self.bn0(self.fc(z).view(-1, self.channels, 7, 7)))
        h = F.relu(self.bn1(self.deconv1(h)))
        return torch.tanh(self.deconv2(h))

    def images(self, z, labels=None):
        """[B, 784] in [0, 1], what `genlab sample` writes."""
        return ((self(z, labels) + 1) * 0.5).flatten(1)


class Discriminator(nn.Module):
    def __init__(self, classes=0, d_channels=16, d_pack=1):
        super().__init__()
        self.classes, self.pack = classes, d_pack
        self.conv1 = nn.Conv2d(d_pack, d_channels, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(d_channels, 2 * d_channels, 4, stride=2, padding=1)
        self.fc = nn.Linear(2 * d_channels * 49, 1)
        if classes:
            self.embed = nn.Embedding(classes, 2 * d_channels * 49)

    def forward(self, x, labels=None):
        """x [B, 784] or [B, 1, 28, 28] in [-1, 1] -> (logits [B/P, 1], h [B/P, 2D*49])."""
        h = F.leaky_relu(self.conv1(x.reshape(-1, self.pack, 28, 28)), 0.2)
        h = F.leaky_relu(self.conv2(h), 0.2).flatten(1)
        logits = self.fc(h)
        if self.classes:
            logits = logits + (self.embed(labels.long()) * h).sum(1, keepdim=True)
        return logits, h


@register("gan", "cgan")
class Gan(GenLabModule):
    def __init__(self, latent=64, classes=0, channels=64, d_channels=16, d_pack=1):
        super().__init__()
        for bad, what in ((classes not in (0, 10), f"classes must be 0 (GAN) or 10 (cGAN), got {classes}"),
                          (channels < 2 or channels % 2, f"channels must be even and >= 2, got {channels}"),
                          (d_pack > 1 and classes, "d_pack > 1 (PacGAN) is for the unconditional GAN only")):
            if bad:
                raise ValueError("gan: " + what)  # GenLab's gan_init checks
        self.config = dict(latent=latent, classes=classes, channels=channels,
                           d_channels=d_channels, d_pack=d_pack)
        self.generator = Generator(latent, classes, channels)
        self.discriminator = Discriminator(classes, d_channels, d_pack)
        dcgan_init(self)

    @classmethod
    def from_metadata(cls, meta, source):
        kind = require_kind(meta, ("gan", "cgan"), source)
        config = dict(latent=require_int(meta, "latent", source, 1, 4096),
                      classes=require_int(meta, "classes", source, 0, 10),
                      channels=require_int(meta, "channels", source, 2, 4096),
                      d_channels=require_int(meta, "d_channels", source, 1, 4096))
        if "d_pack" in meta:
            config["d_pack"] = require_int(meta, "d_pack", source, 1, 16)
        if (kind == "cgan") != (config["classes"] == 10) or config["classes"] not in (0, 10):
            raise ValueError(f'{source}: model "{kind}" with classes = {config["classes"]} '
                             "(expected gan with 0 or cgan with 10)")
        return cls(**config)

    def genlab_metadata(self):
        c = self.config
        meta = {"model": "cgan" if c["classes"] else "gan",
                **{k: str(c[k]) for k in ("latent", "classes", "channels", "d_channels")}}
        if c["d_pack"] > 1:
            meta["d_pack"] = str(c["d_pack"])
        return meta

    def genlab_tensors(self):
        """What GenLab ships: the generator only."""
        return {"generator." + k: v for k, v in self.generator.state_dict().items()}

    def load_genlab_tensors(self, tensors, source):
        def part(prefix):
            return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
        load_strict(self.generator, part("generator."), source)
        if part("discriminator."):  # a GenLab checkpoint (its optimiser/EMA tensors are ignored)
            load_strict(self.discriminator, part("discriminator."), source)

    def forward(self, z, labels=None):
        return self.generator.images(z, labels)


def dcgan_init(gan):
    """GenLab's initialisation: conv/linear weights N(0, 0.02), biases 0, BatchNorm weight
    N(1, 0.02); the projection embedding N(0, 0.02)."""
    for m in gan.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
