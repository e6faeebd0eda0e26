"""Submissions: the interface, and the registry that finds them by name."""

from react_bench.submissions.interface import (
    ONLINE_CHUNK_FRAMES,
    Reactions,
    SpeakerBatch,
    Submission,
)
from react_bench.submissions.registry import (
    ENTRY_POINT_GROUP,
    available_submissions,
    get_submission,
    register_submission,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "ONLINE_CHUNK_FRAMES",
    "Reactions",
    "SpeakerBatch",
    "Submission",
    "available_submissions",
    "get_submission",
    "register_submission",
]
