"""``ReactMetrics``: accumulate generated reactions batch by batch, compute the metrics once.

torchmetrics-style (``update`` / ``compute`` / ``sync`` / ``reset``). FRDvs and FRRea compare all
speakers with each other and FRCorr/FRDist need the whole target set, so no metric can be reduced
batch by batch: the state is the batches themselves (``(B, G, T, 25)`` each) and the sample index of
every row. On one process ``compute`` puts them back in sample order and runs ``evaluate``'s kernels
once; on several it runs the distributed evaluate (``react_bench.metrics.distributed``) on each
rank's own batches. The targets and the appropriateness matrix are fixed at construction.
"""

from __future__ import annotations

from typing import Any

import torch

from react_bench import distributed as pg
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
from react_bench.metrics.evaluate import evaluate_checked, scoring_fields, selected_specs
from react_bench.metrics.protocols import REACT2024, check_protocol

__all__ = ["ReactMetrics"]


class ReactMetrics:
    """Accumulating REACT metrics for a runner that generates speakers in batches (or on several processes).

    The contract on several processes (an initialised ``torch.distributed`` group, world > 1):

    - every rank builds the metric with the same ``targets``, ``appropriate`` and options, and
      passes to ``update`` only the batches it generated; the ranks' indices must together be a disjoint
      cover of ``0..N-1`` (any split: round-robin batches, contiguous blocks, uneven, a rank with none);
    - ``compute`` is collective (every rank calls it) and returns the same dict on every rank, equal
      to ``evaluate`` of the whole set; ``sync`` is collective too and only checks the cover;
    - predictions never leave their rank: what crosses is an ``(N,)`` count of indices, the sizes,
      the FRDvs / FRRea sufficient statistics (``(G, T, 25)``, ``(G,)``, ``(75,)``, ``(75, 75)``) and
      the per-speaker results ``(N, P)`` with their indices.

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
        self._generations: int | None = None  # G of the stored batches (None before the first)

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
        if self._generations is not None and p.shape[1] != self._generations:
            raise BadInputError(
                f"every batch needs the same number of generations G; got {p.shape[1]} after {self._generations}."
            )
        self._generations = p.shape[1]
        self._preds.append(p)
        self._speaker.append(s)
        self._indices.append(idx)

    def sync(self) -> None:
        """Check that the ranks' indices are a disjoint cover of ``0..N-1`` (collective; the same error
        on every rank). Nothing is gathered: each rank keeps its batches and ``compute`` scores them
        where they are. A no-op without a process group of more than one process."""
        if pg.is_distributed():
            self._check_cover(self._stacked()[2])

    def _stacked(self, generations: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """preds ``(n, G, T, C)``, speaker ``(n, T, C)``, indices ``(n,)`` of the stored batches;
        with none, empty tensors of the right shape (``generations`` G) so a rank can still score."""
        if not self._indices:
            _, frames, c = self.targets.shape
            preds = self.targets.new_zeros((0, generations, frames, c))
            empty = torch.empty(0, dtype=torch.int64, device=self.targets.device)
            return preds, self.targets.new_zeros((0, frames, c)), empty
        return torch.cat(self._preds), torch.cat(self._speaker), torch.cat(self._indices)

    def _check_cover(self, idx: torch.Tensor) -> None:
        """Every sample exactly once over all ranks (the counts are all-reduced when distributed)."""
        counts = pg.all_reduce(torch.bincount(idx.cpu(), minlength=self.num_speakers))
        if bool((counts != 1).any()):
            missing = int((counts == 0).sum())
            repeated = int((counts > 1).sum())
            where = " over all ranks" if pg.is_distributed() else ""
            raise BadInputError(
                f"compute needs every one of the {self.num_speakers} samples exactly once{where}; {missing} missing, "
                f"{repeated} given more than once. On several processes update each sample on exactly one rank."
            )

    def _agreed_generations(self) -> int:
        """G, checked to be the same on every rank that holds batches (collective when distributed)."""
        local = torch.tensor([[self._generations or 0, self.num_speakers, *self.targets.shape]], dtype=torch.int64)
        every = pg.all_gather_rows(local)  # (world, 5): G (0: no batches), N, M, T, C per rank
        held = sorted({int(g) for g in every[:, 0] if int(g) > 0})
        if len(held) > 1 or bool((every[:, 1:] != every[:1, 1:]).any()):
            raise BadInputError(
                f"the ranks disagree on the sizes (G, N, M, T, C) = {every.tolist()} (G 0: no batches); build "
                f"ReactMetrics with the same targets and matrix everywhere and generate the same G on every rank."
            )
        return held[0] if held else 1

    def compute(self, *, per_speaker: bool = False) -> dict:
        """The metrics of all N samples: ``evaluate`` of the stored batches in sample order on one
        process; on several, collective, each rank scoring its own batches (class docstring)."""
        specs = selected_specs(self.protocol, None)
        if pg.is_distributed():
            from react_bench.metrics.distributed import evaluate_shard  # imports evaluate, like this module

            preds, speaker, idx = self._stacked(self._agreed_generations())
            self._check_cover(idx)
            order = torch.argsort(idx)
            inputs = MetricInputs(preds=preds[order], targets=self.targets, speaker=speaker[order],
                                  appropriate=self.appropriate[idx[order]])
            result = evaluate_shard(inputs, idx[order], specs, num_speakers=self.num_speakers,
                                    protocol=self.protocol, rea=self.rea, per_speaker=per_speaker)
            return {**result, **scoring_fields(inputs, None)}
        preds, speaker, idx = self._stacked()
        self._check_cover(idx)
        order = torch.argsort(idx)
        # Every batch was validated by update and the targets and matrix at construction: no second check.
        inputs = MetricInputs(preds=preds[order], targets=self.targets, speaker=speaker[order],
                              appropriate=self.appropriate)
        result = evaluate_checked(inputs, specs, protocol=self.protocol, rea=self.rea, per_speaker=per_speaker)
        return {**result, **scoring_fields(inputs, None)}  # the same record fields as evaluate's
