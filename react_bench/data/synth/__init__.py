"""The synthetic dyadic dataset: generator, conversation process, the Oracle's sampler, configuration."""

from react_bench.data.synth.config import SIZES, ConversationConfig, ListenerConfig, SynthConfig
from react_bench.data.synth.generate import MARKER_FILE, generate_dataset
from react_bench.data.synth.listener import frame_rms, sample_listener_reactions, talk_mask

__all__ = [
    "SIZES",
    "ConversationConfig",
    "ListenerConfig",
    "SynthConfig",
    "MARKER_FILE",
    "generate_dataset",
    "frame_rms",
    "sample_listener_reactions",
    "talk_mask",
]
