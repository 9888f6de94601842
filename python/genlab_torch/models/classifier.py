"""Twin of src/models/classifier.h, the digit classifier (GenLab's judge).

images [B, 784] in [0, 1] (or [B, 1, 28, 28])
  conv1  Conv2d(1 -> c1, k5, s2, p2)  28 -> 14, ReLU
  conv2  Conv2d(c1 -> c2, k5, s2, p2) 14 -> 7,  ReLU
  fc1    Linear(c2*49 -> hidden), ReLU = the features (classifier-FID)
  fc2    Linear(hidden -> 10) = logits
"""
import torch.nn.functional as F
from torch import nn

from ..core import GenLabModule, register, require_int, require_kind


@register("classifier")
class Classifier(GenLabModule):
    def __init__(self, channels1=16, channels2=32, hidden=128):
        super().__init__()
        self.config = dict(channels1=channels1, channels2=channels2, hidden=hidden)
        self.conv1 = nn.Conv2d(1, channels1, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(channels1, channels2, 5, stride=2, padding=2)
        self.fc1 = nn.Linear(channels2 * 49, hidden)
        self.fc2 = nn.Linear(hidden, 10)

    @classmethod
    def from_metadata(cls, meta, source):
        require_kind(meta, ("classifier",), source)
        return cls(require_int(meta, "channels1", source, 1, 1024),
                   require_int(meta, "channels2", source, 1, 1024),
                   require_int(meta, "hidden", source, 1, 65536))

    def genlab_metadata(self):
        return {"model": "classifier", **{k: str(v) for k, v in self.config.items()}}

    def features_and_logits(self, images):
        h = F.relu(self.conv1(images.reshape(-1, 1, 28, 28)))
        h = F.relu(self.conv2(h))
        features = F.relu(self.fc1(h.flatten(1)))
        return features, self.fc2(features)

    def forward(self, images):
        return self.features_and_logits(images)[1]
