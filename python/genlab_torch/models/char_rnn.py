"""Twin of src/models/char_rnn.h: embedding -> LSTM or GRU (1..4 layers) -> Linear.

ids [T, B] -> embed [T, B, E] -> rnn (nn.LSTM / nn.GRU: weight_ih_l0 [G*H, E], gate order
i,f,g,o / r,z,n as GenLab) -> fc Linear(H -> V) = next-character logits [T, B, V].
The vocabulary travels in the metadata ("vocab_hex", two hex digits a character, and "vocab").
Dropout (training only, GenLab's placement): on the embedding, between layers and on the fc input.
"""
import torch
from torch import nn

from ..core import GenLabModule, register, require_int, require_kind, require_str
from ..text import Vocab


@register("char_rnn")
class CharRnn(GenLabModule):
    def __init__(self, vocab, cell="lstm", embed=32, hidden=240, layers=1, dropout=0.0):
        super().__init__()
        if cell not in ("lstm", "gru"):
            raise ValueError(f'cell "{cell}": expected "lstm" or "gru"')
        self.vocab = vocab if isinstance(vocab, Vocab) else Vocab(vocab)
        self.config = dict(cell=cell, embed=embed, hidden=hidden, layers=layers)
        self.embed = nn.Embedding(len(self.vocab), embed)
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(embed, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.fc = nn.Linear(hidden, len(self.vocab))
        self.drop = nn.Dropout(dropout)
        if cell == "lstm":  # GenLab's init: forget-gate bias 1 (rows [H, 2H) of bias_ih)
            with torch.no_grad():
                for l in range(layers):
                    getattr(self.rnn, f"bias_ih_l{l}")[hidden:2 * hidden] = 1.0

    @classmethod
    def from_metadata(cls, meta, source):
        require_kind(meta, ("char_rnn",), source)
        if "vocab_hex" in meta:
            try:
                chars = bytes.fromhex(meta["vocab_hex"]).decode("ascii")
            except ValueError:
                raise ValueError(f'{source}: __metadata__ "vocab_hex" is not hex-encoded ASCII') from None
        else:
            chars = require_str(meta, "vocab", source)
        vocab = Vocab(chars, source)
        size = require_int(meta, "vocab_size", source, 1, 256)
        if size != len(vocab):
            raise ValueError(f"{source}: the stored vocabulary has {len(vocab)} characters but "
                             f"vocab_size is {size}")
        return cls(vocab, require_str(meta, "cell", source),
                   require_int(meta, "embed", source, 1, 4096),
                   require_int(meta, "hidden", source, 1, 8192),
                   require_int(meta, "layers", source, 1, 4))

    def genlab_metadata(self):
        c = self.config
        return {"model": "char_rnn", "cell": c["cell"], "vocab_size": str(len(self.vocab)),
                "embed": str(c["embed"]), "hidden": str(c["hidden"]), "layers": str(c["layers"]),
                "vocab_hex": self.vocab.chars.encode("ascii").hex(), "vocab": self.vocab.chars}

    def forward(self, ids, state=None):
        """ids [T, B] -> (logits [T, B, V], state); state carries across calls (None = zeros)."""
        h, state = self.rnn(self.drop(self.embed(ids)), state)
        return self.fc(self.drop(h)), state
