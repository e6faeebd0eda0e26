"""ReactDiff (Li et al.): latent diffusion for facial reaction generation. Importing registers
``reactdiff``, ``reactdiff-noaudio``, ``reactdiff-novisual`` and ``reactdiff-nodiffusion``."""

from .config import PAPER, PRESETS, SMALL, ReactDiffConfig
from .model import ReactDiff
from .scheduler import DDIMScheduler
from .submission import ReactDiffNoAudio, ReactDiffNoDiffusion, ReactDiffNoVisual, ReactDiffSubmission
from .lrs_submission import ReactDiffLRS  # noqa: F401  (registers reactdiff-lrs)
from .train import fit

__all__ = [
    "DDIMScheduler", "PAPER", "PRESETS", "ReactDiff", "ReactDiffConfig", "ReactDiffNoAudio",
    "ReactDiffNoDiffusion", "ReactDiffNoVisual", "ReactDiffSubmission", "SMALL", "fit",
]
