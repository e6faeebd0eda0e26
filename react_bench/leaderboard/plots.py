"""Leaderboard plots (matplotlib, Agg, PNG): reaction curves per submission, appropriateness vs diversity."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from react_bench.constants import EMOTION_COLUMNS, FPS

CURVE_CHANNELS = ("Valence", "Arousal", "AU6", "AU12", "AU1")
"""Channels drawn in the reaction-curve plots: affect plus the smile AUs the listeners mimic."""


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display; set before pyplot is imported
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path) -> Path:
    """Lay out ``fig``, write it to ``path`` as a PNG (folders made as needed), close it."""
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_reaction_curves(record: dict, real_listener: np.ndarray | None, out: Path, *, speaker: int = 0,
                         generations: int = 3) -> Path:
    """PNG of ``generations`` generated reactions of one speaker sample vs the real listener ``(T, 25)``."""
    plt = _pyplot()
    preds = np.load(Path(record["_path"]) / record["predictions"]["emotion"], mmap_mode="r")  # (N, S, T, 25)
    name = record["submission"]["name"]
    T = preds.shape[2]
    t = np.arange(T) / FPS
    fig, axes = plt.subplots(len(CURVE_CHANNELS), 1, figsize=(9, 1.8 * len(CURVE_CHANNELS)), sharex=True)
    for ax, channel in zip(axes, CURVE_CHANNELS):
        c = EMOTION_COLUMNS.index(channel)
        for g in range(min(generations, preds.shape[1])):
            ax.plot(t, preds[speaker, g, :, c], lw=0.8, alpha=0.8, label=f"generated #{g}")
        if real_listener is not None:
            ax.plot(t, real_listener[:, c], color="black", lw=1.2, label="real listener")
        ax.set_ylabel(channel)
    axes[0].legend(loc="upper right", fontsize=7, ncol=4)
    axes[-1].set_xlabel("time (s)")
    fig.suptitle(f"{name} ({record['track']}, {record['split']}): speaker sample {speaker}")
    return _save(plt, fig, Path(out) / f"curves_{record['track']}_{name}.png")


def plot_appropriateness_vs_diversity(records: list[dict], out: Path, *, track: str,
                                      appropriateness: str = "FRCorr") -> Path:
    """PNG scatter of ``appropriateness`` (FRCorr or FRDist) against FRDiv, one point per submission."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for i, record in enumerate(records):
        metrics = record["metrics"]
        if appropriateness not in metrics or "FRDiv" not in metrics:
            continue
        x, y = metrics[appropriateness]["value"], metrics["FRDiv"]["value"]
        ax.scatter([x], [y])
        # Staggered labels: baselines often share a point (FRDiv 0 for MeanSeq, MeanFr, Mime, GT).
        ax.annotate(record["submission"]["name"], (x, y), textcoords="offset points",
                    xytext=(4, 4 + 9 * (i % 3)), fontsize=8)
    arrow = "↑" if appropriateness == "FRCorr" else "↓"
    ax.set_xlabel(f"{appropriateness} {arrow} (appropriateness)")
    ax.set_ylabel("FRDiv ↑ (diversity)")
    ax.set_title(f"Appropriateness vs diversity ({track} track)")
    ax.margins(0.15)  # room for the labels
    ax.grid(alpha=0.3)
    return _save(plt, fig, Path(out) / f"appropriateness_vs_diversity_{track}.png")


def plot_leaderboard(records: list[dict], out: Path, *, track: str, speaker: int = 0) -> list[Path]:
    """Every plot for the runs ``records`` of one track; the real listener comes from each run's dataset.
    A record whose predictions file is not beside it gets no curves."""
    paths = [plot_appropriateness_vs_diversity(records, out, track=track)]
    listeners: dict[tuple[str, str], np.ndarray | None] = {}
    for record in records:
        if not (Path(record["_path"]) / record.get("predictions", {}).get("emotion", "predictions.npy")).is_file():
            continue  # a record scored elsewhere (react-bench evaluate) or moved: no curves to draw
        key = (record["dataset"]["root"], record["split"])
        if key not in listeners:
            listeners[key] = _real_listener(*key, speaker=speaker)
        paths.append(plot_reaction_curves(record, listeners[key], out, speaker=speaker))
    return paths


def _real_listener(root: str, split: str, *, speaker: int) -> np.ndarray | None:
    """The real listener ``(T, 25)`` of sample ``speaker``; None (curve omitted) when the dataset is gone."""
    if not Path(root).is_dir():
        return None
    from react_bench.data.layout import open_dataset

    return np.asarray(open_dataset(root, split).emotion("listener")[speaker])
