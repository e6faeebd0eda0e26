"""The synthetic dyadic dataset: generator, true listener process and configuration."""

from react_bench.data.synth.config import SIZES, ListenerConfig, SynthConfig
from react_bench.data.synth.generate import MARKER_FILE, generate_dataset
from react_bench.data.synth.listener import frame_rms, sample_listener_reactions, talk_mask

__all__ = [
    "SIZES",
    "ListenerConfig",
    "SynthConfig",
    "MARKER_FILE",
    "generate_dataset",
    "frame_rms",
    "sample_listener_reactions",
    "talk_mask",
]
