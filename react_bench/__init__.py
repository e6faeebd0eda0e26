"""react-bench: the benchmark and evaluation suite for the REACT challenge
(Multiple Appropriate Facial Reaction Generation)."""

__version__ = "0.1.0"

__all__ = ["__version__"]
