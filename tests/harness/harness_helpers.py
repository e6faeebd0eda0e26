"""Submissions used only by the harness tests (registered on import, names start with "test-")."""

from __future__ import annotations

import time

import numpy as np
import torch

from react_bench.submissions import Reactions, Submission, register_submission


def fake_evaluate(preds, targets, speaker, appropriate, *, protocol="react2024", device=None, per_speaker=False,
                  **_dataset_options):
    """A tiny stand-in for ``react_bench.metrics.evaluate``, passed to ``run_submission(scorer=...)`` by the
    tests of the runner's mechanics (not of the numbers).

    FRDist here is the per-speaker mean squared error to the own listener (the first N targets), FRDiv the
    variance over samples.
    """
    preds, targets = np.asarray(preds, np.float64), np.asarray(targets, np.float64)[: len(preds)]
    dist = ((preds - targets[:, None]) ** 2).mean(axis=(1, 2, 3))  # (N,)
    div = preds.var(axis=1).mean(axis=(1, 2))  # (N,)
    out = {"FRDist": float(dist.mean()), "FRDiv": float(div.mean()), "seconds": {"FRDist": 0.0},
           "protocol": protocol, "frrea_feature_space": None}
    if per_speaker:
        out["per_speaker"] = {"FRDist": dist.tolist(), "FRDiv": div.tolist()}
    return out


@register_submission("test-wrong-shape")
class WrongShape(Submission):
    """Forgets the samples axis: returns (B, T, 25)."""

    def generate(self, batch, *, num_samples=10, generator):
        return torch.zeros(batch.batch_size, batch.num_frames, 25)


@register_submission("test-nan")
class ReturnsNaN(Submission):
    """Returns NaN reactions."""

    def generate(self, batch, *, num_samples=10, generator):
        return torch.full((batch.batch_size, num_samples, batch.num_frames, 25), float("nan"))


class CrashSwitch:
    """Makes ``test-crash`` raise after ``after`` batches while ``armed``."""

    armed = False
    after = 1
    calls = 0


@register_submission("test-crash")
class CrashAfter(Submission):
    """Random reactions; raises RuntimeError after CrashSwitch.after batches while armed (a simulated crash)."""

    def generate(self, batch, *, num_samples=10, generator):
        if CrashSwitch.armed and CrashSwitch.calls >= CrashSwitch.after:
            raise RuntimeError("simulated crash")
        CrashSwitch.calls += 1
        return torch.rand((batch.batch_size, num_samples, batch.num_frames, 25), generator=generator)


@register_submission("test-slow")
class SlowRandom(Submission):
    """Random reactions, half a second per batch (to be killed mid-run)."""

    def generate(self, batch, *, num_samples=10, generator):
        time.sleep(0.5)
        return torch.rand((batch.batch_size, num_samples, batch.num_frames, 25), generator=generator)


@register_submission("test-recorder")
class Recorder(Submission):
    """Mime online, recording every speaker chunk it receives (to check causality)."""

    seen: list = []

    def reset(self, batch_size, *, num_samples=10, generator):
        self._samples = num_samples
        Recorder.seen.append([])

    def step(self, chunk):
        Recorder.seen[-1].append(
            (chunk.start_frame, chunk.emotion.clone(), chunk.audio.clone(), chunk.indices.clone())
        )
        return Reactions(chunk.emotion.unsqueeze(1).expand(-1, self._samples, -1, -1))
