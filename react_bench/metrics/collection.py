"""``ReactMetrics``: accumulate generated reactions batch by batch, compute the metrics once.

torchmetrics-style (``update`` / ``compute`` / ``sync`` / ``reset``). FRDvs and FRRea compare all
speakers with each other and FRCorr/FRDist need the whole target set, so no metric can be reduced
batch by batch: the state is the batches themselves (``(B, G, T, 25)`` each) and the sample index of
every row; ``compute`` puts them back in sample order and calls ``evaluate`` once. The targets and the
appropriateness matrix are fixed at construction.
"""

from __future__ import annotations

from typing import Any

import torch

from react_bench.errors import BadInputError
from react_bench.metrics.checks import (
    MetricInputs,
    as_tensor,
    check_appropriate,
    check_preds,
    check_same_frames,
    check_sequences,
    check_speaker,
)
from react_bench.metrics.evaluate import evaluate_checked, selected_specs
from react_bench.metrics.protocols import REACT2024, check_protocol

__all__ = ["ReactMetrics"]


class ReactMetrics:
    """Accumulating REACT metrics for a runner that generates speakers in batches (or on several processes).

    Args:
        targets: ``(M, T, 25)`` real listener reactions of the split.
        appropriate: ``(N, M)`` appropriateness matrix of the split.
        protocol, device, rea: as in ``evaluate``.

    >>> import torch
    >>> g = torch.Generator().manual_seed(0)
    >>> targets, speaker = torch.rand(3, 60, 25, generator=g), torch.rand(3, 60, 25, generator=g)
    >>> metric = ReactMetrics(targets, torch.eye(3), rea=False)
    >>> metric.update(targets[:2, None], speaker[:2], [0, 1])
    >>> metric.update(targets[2:, None], speaker[2:], [2])
    >>> round(metric.compute()["FRCorr"], 6)
    1.0
    """

    def __init__(self, targets: Any, appropriate: Any, *, protocol: str = REACT2024, device=None, rea: bool = True) -> None:
        self.protocol = check_protocol(protocol)
        self.device = device
        self.rea = rea
        self.targets = check_sequences(targets, "targets", device=device, dtype=torch.float64)
        self.num_speakers = as_tensor(appropriate, "appropriate").shape[0]
        self.appropriate = check_appropriate(appropriate, self.num_speakers, self.targets.shape[0], device=self.targets.device)
        self.reset()

    def reset(self) -> None:
        """Forget every stored batch."""
        self._preds: list[torch.Tensor] = []
        self._speaker: list[torch.Tensor] = []
        self._indices: list[torch.Tensor] = []

    def update(self, preds: Any, speaker: Any, indices: Any) -> None:
        """Store one batch.

        Args:
            preds: ``(B, G, T, 25)`` generations of B speaker samples.
            speaker: ``(B, T, 25)`` their speaker sequences.
            indices: ``(B,)`` their sample indices in ``[0, N)`` (the split's order).
        """
        p = check_preds(preds, device=self.targets.device, dtype=torch.float64)
        check_same_frames(p, "preds", self.targets, "targets")
        s = check_speaker(speaker, p)
        idx = torch.as_tensor(indices, dtype=torch.int64).flatten().to(p.device)
        if p.shape[0] != idx.numel():
            raise BadInputError(
                f"update needs one index per row of preds; got preds {tuple(p.shape)} and {idx.numel()} indices."
            )
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.num_speakers):
            raise BadInputError(f"indices must lie in [0, {self.num_speakers}); got {idx.tolist()}.")
        self._preds.append(p)
        self._speaker.append(s)
        self._indices.append(idx)

    def sync(self) -> None:
        """Gather every process's batches into every process (``torch.distributed``); no-op when not
        initialised or with one process."""
        if not (torch.distributed.is_available() and torch.distributed.is_initialized()):
            return
        world = torch.distributed.get_world_size()
        if world == 1:
            return
        local = self._stacked()
        gathered: list[Any] = [None] * world
        # Batch sizes differ between processes: all_gather_object handles that (the state is CPU-pickled).
        torch.distributed.all_gather_object(gathered, tuple(x.cpu() for x in local))
        self.reset()
        for preds, speaker, idx in gathered:
            if idx.numel():
                self._preds.append(preds.to(self.targets.device))
                self._speaker.append(speaker.to(self.targets.device))
                self._indices.append(idx.to(self.targets.device))

    def _stacked(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if not self._indices:
            empty = torch.empty(0, dtype=torch.int64)
            return torch.empty(0), torch.empty(0), empty
        return torch.cat(self._preds), torch.cat(self._speaker), torch.cat(self._indices)

    def compute(self, *, per_speaker: bool = False) -> dict:
        """``evaluate`` on every stored batch, in sample order; needs each of the N samples exactly once."""
        preds, speaker, idx = self._stacked()
        counts = torch.bincount(idx.cpu(), minlength=self.num_speakers)
        if idx.numel() == 0 or bool((counts != 1).any()):
            missing = int((counts == 0).sum())
            repeated = int((counts > 1).sum())
            raise BadInputError(
                f"compute needs every one of the {self.num_speakers} samples exactly once; {missing} missing, "
                f"{repeated} given more than once. Call sync() first when running on several processes."
            )
        order = torch.argsort(idx)
        # Every batch was validated by update and the targets and matrix at construction: no second check.
        inputs = MetricInputs(preds=preds[order], targets=self.targets, speaker=speaker[order],
                              appropriate=self.appropriate)
        return evaluate_checked(inputs, selected_specs(self.protocol, None), protocol=self.protocol,
                                rea=self.rea, per_speaker=per_speaker)
