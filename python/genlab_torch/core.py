"""load_genlab / save_genlab and the registry of twins.

A twin is an nn.Module whose state_dict has exactly the tensor names and shapes GenLab
writes. Each one lives in its own file in genlab_torch/models/ and registers itself:

    @register("vae")
    class Vae(GenLabModule):
        @classmethod
        def from_metadata(cls, meta, source): ...   # architecture from the file's __metadata__
        def genlab_metadata(self): ...              # the keys GenLab requires on load

Every file in models/ is imported by the package, so a new model is one new file.
"""
import re

import numpy as np
import torch
from torch import nn

from .safetensors_np import read_safetensors, write_safetensors

_REGISTRY = {}  # metadata "model" value -> class


def register(*kinds):
    def add(cls):
        for kind in kinds:
            _REGISTRY[kind] = cls
        cls.kinds = kinds
        return cls
    return add


def registered_kinds():
    return sorted(_REGISTRY)


class GenLabModule(nn.Module):
    """Base of the twins: what load_genlab / save_genlab need besides nn.Module."""
    kinds = ()

    @classmethod
    def from_metadata(cls, meta, source):
        raise NotImplementedError

    def genlab_metadata(self):
        raise NotImplementedError

    def genlab_tensors(self):
        """{name: tensor} as GenLab's weights file holds them (default: the whole state_dict)."""
        return self.state_dict()

    def load_genlab_tensors(self, tensors, source):
        """Strict: every tensor present with its shape, nothing extra (as GenLab loads)."""
        load_strict(self, tensors, source)


def load_strict(module, tensors, source, allow_extra=False):
    own = module.state_dict()
    problems = [f"missing tensor {k} {list(v.shape)}" for k, v in own.items() if k not in tensors]
    problems += [f"tensor {k} has shape {list(tensors[k].shape)}, the twin expects {list(v.shape)}"
                 for k, v in own.items() if k in tensors and tuple(tensors[k].shape) != tuple(v.shape)]
    if not allow_extra:
        problems += [f"extra tensor {k} (not in the twin)" for k in tensors if k not in own]
    if problems:
        raise ValueError(f"{source}: does not match the {type(module).__name__} twin: " +
                         "; ".join(problems) + " (was the file written by another GenLab version? "
                         "the twin follows src/models/; see python/README section in README.md)")
    with torch.no_grad():
        for k, v in own.items():
            v.copy_(torch.from_numpy(np.asarray(tensors[k], dtype=np.float32)))


# --- metadata fields (all strings), with GenLab's checks (src/models/metadata_fields.h) ----------

def require_kind(meta, kinds, source):
    kind = meta.get("model")
    if kind is None:
        raise ValueError(f'{source}: no "model" field in __metadata__; not a GenLab weights file')
    if kind not in kinds:
        raise ValueError(f'{source}: this is a "{kind}" weights file, expected one of {list(kinds)}')
    if meta.get("format_version") != "1":
        raise ValueError(f'{source}: format_version is {meta.get("format_version")!r}, expected "1"')
    return kind


def require_str(meta, field, source):
    if field not in meta:
        raise ValueError(f'{source}: __metadata__ field "{field}" is missing')
    return meta[field]


def require_int(meta, field, source, lo, hi):
    text = require_str(meta, field, source)
    value = int(text) if re.fullmatch(r"\s*[+-]?[0-9]+", text) else None  # as std::stoll
    if value is None or not lo <= value <= hi:
        raise ValueError(f'{source}: __metadata__ field "{field}" is "{text}", '
                         f"expected an integer in [{lo}, {hi}]")
    return value


# --- files ---------------------------------------------------------------------------------------

def load_genlab(path):
    """A GenLab weights file -> (model, config). config is the file's __metadata__ (str -> str);
    the model's architecture comes from it, as in GenLab's loaders."""
    tensors, meta = read_safetensors(path)
    kind = meta.get("model")
    if kind not in _REGISTRY:
        raise ValueError(f'{path}: __metadata__ "model" is {kind!r}; the twins know {registered_kinds()}')
    model = _REGISTRY[kind].from_metadata(meta, path)
    model.load_genlab_tensors(tensors, path)
    return model.eval(), meta


def save_genlab(model, path, config=None, dtype="F16"):
    """Writes `model` as GenLab reads it: its tensors (F16 as shipped, or F32) and __metadata__ =
    `config` (extra str -> str fields, e.g. trained_with) overridden by the model's own
    architecture keys, so the file always describes the tensors it holds."""
    model = getattr(model, "module", model)  # DistributedDataParallel -> the model
    if dtype not in ("F16", "F32"):
        raise ValueError(f"dtype {dtype!r}: GenLab reads F16 or F32")
    np_dtype = np.float16 if dtype == "F16" else np.float32
    tensors = {k: v.detach().cpu().float().numpy().astype(np_dtype)
               for k, v in model.genlab_tensors().items()}
    meta = {str(k): str(v) for k, v in (config or {}).items()}
    meta.update(model.genlab_metadata())
    meta["format_version"] = "1"
    meta["dtype"] = dtype
    write_safetensors(path, tensors, meta)
