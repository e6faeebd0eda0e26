"""The naive baselines of the REACT challenge, the linear ``ridge`` baseline and the synthetic Oracle.

Importing this package registers ``gt``, ``random``, ``mime``, ``meanseq``, ``meanfr``, ``ridge`` and
``oracle`` with :func:`react_bench.submissions.register_submission`.
"""

from react_bench.baselines.naive import GroundTruth, MeanFr, MeanSeq, Mime, RandomReaction
from react_bench.baselines.oracle import Oracle
from react_bench.baselines.ridge import Ridge

__all__ = ["GroundTruth", "MeanFr", "MeanSeq", "Mime", "Oracle", "RandomReaction", "Ridge"]
