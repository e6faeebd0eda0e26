"""The ``react-bench`` command line."""

from react_bench.cli.main import main

__all__ = ["main"]
