"""The two scoring protocols, and what a result says it follows.

``"react2024"`` reproduces the official REACT2024 evaluation bit for bit, quirks included.
``"corrected"`` fixes the quirks (see ``docs/metrics.md`` for the table of differences).
Every result records which one produced it, and (``scoring_block``) its frame rate, FRSyn's lag
range, the padding left out and, on MARS data, which parts follow the official REACT2025/2026 code.
"""

from __future__ import annotations

from react_bench.errors import BadInputError

REACT2024 = "react2024"
CORRECTED = "corrected"
PROTOCOLS = (REACT2024, CORRECTED)


def check_protocol(protocol: str) -> str:
    """Return ``protocol`` if it is known; ValueError naming the choices otherwise."""
    if protocol not in PROTOCOLS:
        raise BadInputError(f"protocol must be one of {', '.join(map(repr, PROTOCOLS))}; got {protocol!r}.")
    return protocol


# --- what a result on each data layout follows --------------------------------------------------

MARS_FOLLOWS_OFFICIAL = (
    "speaker/listener pairing by stem within a session (dataset/react_2025.py, ReactionDataset)",
    "750-frame windows from frame 0, the last one zero-padded (trainer/motion_diffusion.py, Trainer.test)",
    "padded frames are not scored (Trainer.test keeps [:, :clip_length] before compute_metrics)",
    "session appropriateness; on the test split the own listener plus 9 drawn clips, seed recorded",
    ("the metric formulas and quirks of the react2024 protocol, FRSyn on generation 0 "
     "(framework/metrics/TLCC.py, compute_TLCC)"),
)
"""Parts of a MARS-layout result that follow the official REACT2025/2026 code (docs/real-data.md)."""

MARS_REACT_BENCH_CHOICES = (
    ("windows are scored against windows; the official test scores whole clips against targets that a "
     "learned emotion autoencoder (framework/modules/post_processor.py) resampled to the speaker's length"),
    "sample order sorted by (role, session number, stem); the official order is os.walk's",
    "FRRea on react-bench's emotion feature space (1 s = 25-frame windows); the official one renders frames",
    "the REACT2024 metric set; the 2025/2026 baselines report FRC, FRD, TLCC, S-MSE and FRVar",
)
"""Parts of a MARS-layout result that are react-bench's own choices."""


def tlcc_lag_source(protocol: str, fps: float | None, max_lag: int) -> str:
    """Where FRSyn's lag range came from, in words."""
    if protocol == REACT2024 and max_lag == 49:
        return "official: -49..49 on every dataset (calculate_tlcc keeps fps=25)"
    return f"react-bench: -{max_lag}..{max_lag} (about 2 s at {fps if fps is not None else 25} fps)"


def scoring_block(dataset, scores: dict) -> dict:
    """The results record's ``scoring``: the frame rate, FRSyn's lag range, the padding, and on a MARS
    dataset which parts follow the official code and which are react-bench's (``caption`` for tables)."""
    layout = getattr(dataset, "layout", "react2024")
    protocol = scores.get("protocol", REACT2024)
    block = {
        "layout": layout,
        "fps": getattr(dataset, "fps", None),
        "tlcc_max_lag": scores.get("tlcc_max_lag"),
        "tlcc_lags": None if scores.get("tlcc_max_lag") is None else tlcc_lag_source(
            protocol, getattr(dataset, "fps", None), scores["tlcc_max_lag"]),
        "padding": scores.get("padding"),
        "padded_samples": scores.get("padded_samples", 0),
    }
    if layout == "mars":
        block.update(
            official="partial",
            follows_official=list(MARS_FOLLOWS_OFFICIAL),
            react_bench_choices=list(MARS_REACT_BENCH_CHOICES),
            caption="MARS layout: official pairing, windows, padding and draw; windows scored against "
                    "windows and FRRea on react-bench's feature space, so not the official REACT2025/2026 numbers",
        )
    else:
        block.update(official="react2024" if protocol == REACT2024 else "corrected")
    return block
