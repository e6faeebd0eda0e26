"""ReactDiff (Li et al.): latent diffusion for facial reaction generation. Importing registers
``reactdiff``, ``reactdiff-lrs`` and the ablations ``reactdiff-nommt``, ``reactdiff-nodiffusion``,
``reactdiff-novideo`` (alias ``reactdiff-novisual``) and ``reactdiff-noaudio``."""

from .config import PAPER, PRESETS, SMALL, ReactDiffConfig
from .model import ReactDiff
from .scheduler import DDIMScheduler
from .submission import (
    ReactDiffNoAudio, ReactDiffNoDiffusion, ReactDiffNoMMT, ReactDiffNoVideo, ReactDiffNoVisual, ReactDiffSubmission,
)
from .lrs_submission import ReactDiffLRS
from .train import fit

__all__ = [
    "DDIMScheduler", "PAPER", "PRESETS", "ReactDiff", "ReactDiffConfig", "ReactDiffLRS", "ReactDiffNoAudio",
    "ReactDiffNoDiffusion", "ReactDiffNoMMT", "ReactDiffNoVideo", "ReactDiffNoVisual", "ReactDiffSubmission", "SMALL", "fit",
]
