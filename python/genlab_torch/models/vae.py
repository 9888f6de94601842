"""Twin of src/models/vae.h, the MLP VAE.

  encoder: x [B, 784] -> (Linear -> ReLU) x layers -> fc_mu, fc_logvar [B, Z]
  decoder: z [B, Z]   -> (Linear -> ReLU) x layers -> Linear -> logits [B, 784]
  p(x|z) = Bernoulli(sigmoid(logits)) on the [0, 1] intensities.
Loss (GenLab's): per-sample negative ELBO in nats, sum over pixels of BCE + KL, batch mean.
"""
import torch
import torch.nn.functional as F
from torch import nn

from ..core import GenLabModule, register, require_int, require_kind


def _mlp(sizes, last_relu):
    layers = []
    for i in range(len(sizes) - 1):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.ReLU()]
    return nn.Sequential(*(layers if last_relu else layers[:-1]))


@register("vae")
class Vae(GenLabModule):
    def __init__(self, latent=16, hidden=192, layers=2, image_size=784):
        super().__init__()
        self.config = dict(latent=latent, hidden=hidden, layers=layers, image_size=image_size)
        self.encoder = _mlp([image_size] + [hidden] * layers, last_relu=True)  # encoder.0, .2, ...
        self.fc_mu = nn.Linear(hidden, latent)
        self.fc_logvar = nn.Linear(hidden, latent)
        self.decoder = _mlp([latent] + [hidden] * layers + [image_size], last_relu=False)

    @classmethod
    def from_metadata(cls, meta, source):
        require_kind(meta, ("vae",), source)
        return cls(require_int(meta, "latent", source, 1, 1024),
                   require_int(meta, "hidden", source, 1, 8192),
                   require_int(meta, "layers", source, 1, 8),
                   require_int(meta, "image_size", source, 1, 1 << 20))

    def genlab_metadata(self):
        return {"model": "vae", "likelihood": "bernoulli on [0,1] intensities",
                **{k: str(v) for k, v in self.config.items()}}

    def encode(self, images):
        h = self.encoder(images.flatten(1))
        return self.fc_mu(h), self.fc_logvar(h)

    def decode_logits(self, z):
        return self.decoder(z)

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def forward(self, images, eps):
        """-> (loss, recon, kl), per-sample nats averaged over the batch; eps [B, Z] ~ N(0, I)."""
        x = images.flatten(1)
        mu, logvar = self.encode(x)
        logits = self.decoder(mu + torch.exp(0.5 * logvar) * eps)
        recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / x.shape[0]
        kl = -0.5 * torch.sum(1 + logvar - mu.square() - logvar.exp()) / x.shape[0]
        return recon + kl, recon, kl
