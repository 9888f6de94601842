"""PyTorch twins of GenLab's models: the same tensor names, shapes and metadata as the files
GenLab writes, so a model trained here (python/train.py, DDP) opens in the page and a file
trained by `genlab train` continues training here.

    from genlab_torch import load_genlab, save_genlab
    gan, config = load_genlab("weights/gan.safetensors")   # Gan, the file's __metadata__
    images = gan.generator.images(torch.randn(16, gan.config["latent"]))  # [16, 784] in [0, 1]
    save_genlab(gan, "gan2.safetensors", {"trained_with": "..."})          # F16, as shipped
"""
from . import models  # noqa: F401  (imports every twin, which registers itself)
from .core import GenLabModule, load_genlab, register, registered_kinds, save_genlab
from .models.char_rnn import CharRnn
from .models.classifier import Classifier
from .models.gan import Discriminator, Gan, Generator
from .models.vae import Vae
from .safetensors_np import read_safetensors, write_safetensors
from .text import Vocab, normalize_text

__all__ = ["load_genlab", "save_genlab", "register", "registered_kinds", "GenLabModule",
           "Classifier", "Gan", "Generator", "Discriminator", "Vae", "CharRnn", "Vocab",
           "normalize_text", "read_safetensors", "write_safetensors"]
