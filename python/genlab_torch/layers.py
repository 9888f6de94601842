"""Layers GenLab has in a form stock torch.nn does not state_dict the same way."""
from torch import nn


class BatchNorm2d(nn.BatchNorm2d):
    """nn.BatchNorm2d without the num_batches_tracked buffer: GenLab's files hold weight, bias,
    running_mean and running_var only (momentum is fixed at 0.1, so the count is never used).
    Same statistics as GenLab: normalise with the biased batch variance, track the unbiased one."""

    def __init__(self, channels):
        super().__init__(channels, eps=1e-5, momentum=0.1)
        self.num_batches_tracked = None  # a None buffer is left out of state_dict

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # _NormBase would add a default num_batches_tracked for old checkpoints; skip it.
        nn.Module._load_from_state_dict(self, state_dict, prefix, *args, **kwargs)
