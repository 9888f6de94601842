"""Twin of src/models/diffusion.h: latent flow matching (rectified flow) over a VAE's latents.

  x_t = (1 - t) x0 + t x1,  x0 = normalised VAE latent, x1 ~ N(0, I);  v(x_t, t, c) ~ x1 - x0
  h0 = [x_t | time_features(t) | label_embed[c]] -> (Linear -> SiLU) x layers -> Linear -> v
label_embed has classes + 1 rows; row `classes` is the null label (classifier-free guidance).
Buffers latent_mean, latent_std [Z] map normalised coordinates to the VAE's latents.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..core import GenLabModule, register, require_int, require_kind


def time_features(t, count):
    """t [B] -> [B, count]: sin | cos of 1000 t 10000^(-k / (count/2)), in double as GenLab."""
    half = count // 2
    k = torch.arange(half, dtype=torch.float64)
    a = 1000.0 * t.double()[:, None] * torch.pow(torch.tensor(10000.0, dtype=torch.float64), -k / half)
    return torch.cat([torch.sin(a), torch.cos(a)], 1).float()


@register("diffusion")
class Diffusion(GenLabModule):
    def __init__(self, latent=16, hidden=256, layers=3, time_features=32, classes=10, label_embed=32):
        super().__init__()
        self.config = dict(latent=latent, hidden=hidden, layers=layers, time_features=time_features,
                           classes=classes, label_embed=label_embed)
        width = latent + time_features + (label_embed if classes > 0 else 0)
        if classes > 0:
            self.label_embed = nn.Embedding(classes + 1, label_embed)
        mods = []
        for i in range(layers):
            mods += [nn.Linear(width if i == 0 else hidden, hidden), nn.SiLU()]
        mods.append(nn.Linear(hidden, latent))
        self.net = nn.Sequential(*mods)  # net.0, net.2, ..., net.{2*layers}
        self.register_buffer("latent_mean", torch.zeros(latent))
        self.register_buffer("latent_std", torch.ones(latent))

    @classmethod
    def from_metadata(cls, meta, source):
        require_kind(meta, ("diffusion",), source)
        t = require_int(meta, "time_features", source, 2, 1024)
        if t % 2:
            raise ValueError(f"{source}: time_features = {t}, expected an even number")
        return cls(require_int(meta, "latent", source, 1, 1024), require_int(meta, "hidden", source, 1, 8192),
                   require_int(meta, "layers", source, 1, 8), t, require_int(meta, "classes", source, 0, 1000),
                   require_int(meta, "label_embed", source, 0, 1024))

    def genlab_metadata(self):
        return {"model": "diffusion",
                "objective": "flow matching (rectified flow), velocity prediction, x_t = (1-t) x0 + t noise",
                **{k: str(v) for k, v in self.config.items()}}

    @property
    def null_label(self):
        return self.config["classes"]

    def forward(self, x, t, labels=None):
        """x [B, Z] normalised, t [B], labels [B] in 0..classes -> velocity [B, Z]."""
        parts = [x, time_features(t, self.config["time_features"])]
        if self.config["classes"] > 0:
            if labels is None:
                labels = torch.full((x.shape[0],), self.null_label, dtype=torch.long)
            parts.append(self.label_embed(labels.long()))
        return self.net(torch.cat(parts, 1))

    def loss(self, x0, x1, t, labels=None):
        """GenLab's flow-matching loss: mean over B*Z of (v(x_t, t, c) - (x1 - x0))^2."""
        xt = (1 - t[:, None]) * x0 + t[:, None] * x1
        return F.mse_loss(self(xt, t, labels), x1 - x0)

    @torch.no_grad()
    def sample(self, noise, labels=None, steps=20, sampler="heun", guidance=1.0):
        """noise [N, Z] -> VAE latents [N, Z] (t from 1 to 0 in `steps` Euler or Heun steps)."""
        guided = labels is not None and self.config["classes"] > 0 and guidance != 1.0
        null = torch.full((noise.shape[0],), self.null_label, dtype=torch.long)

        def velocity(x, t):
            tt = torch.full((x.shape[0],), t)
            v = self(x, tt, labels)
            if guided:
                u = self(x, tt, null)
                keep = (labels == self.null_label)[:, None]
                v = torch.where(keep, v, u + guidance * (v - u))
            return v

        x = noise.clone()
        for i in range(steps):
            t = float(torch.tensor(1.0 - i / steps, dtype=torch.float32))
            t_next = float(torch.tensor(1.0 - (i + 1) / steps, dtype=torch.float32))
            dt = t_next - t
            v1 = velocity(x, t)
            if sampler == "euler":
                x = x + dt * v1
            else:
                x = x + 0.5 * dt * (v1 + velocity(x + dt * v1, t_next))
        return x * self.latent_std + self.latent_mean
