"""The errors a user can fix: one family, so the CLI can tell them from bugs.

Every error react-bench raises on purpose, because of something the user gave it (an array of the
wrong shape, a missing dataset file, an unknown submission name), is a :class:`ReactBenchError`.
``react-bench`` prints such an error as one ``error:`` line and exits with status 2; any other
exception is a bug and keeps its traceback (exit 1).

Each subclass also derives from the built-in exception a Python caller would expect, so
``except ValueError`` around ``fr_corr(...)`` keeps working:

>>> issubclass(BadInputError, ValueError), issubclass(MissingDataError, FileNotFoundError)
(True, True)
>>> str(UnknownNameError("unknown submission 'x'; available: mime"))
"unknown submission 'x'; available: mime"
"""

from __future__ import annotations

__all__ = ["ReactBenchError", "BadInputError", "MissingDataError", "UnknownNameError"]


class ReactBenchError(Exception):
    """Base of every error that names a problem in the user's input and how to fix it."""


class BadInputError(ReactBenchError, ValueError):
    """A value, array or option that is malformed: wrong shape, NaN, out of range, a bad choice."""


class MissingDataError(ReactBenchError, FileNotFoundError):
    """A file or folder that should be there is not (a dataset, a results folder, a checkpoint)."""


class UnknownNameError(ReactBenchError, KeyError):
    """A name that is not registered (a submission, a feature extractor, a metric, a preset)."""

    def __str__(self) -> str:
        # KeyError's str() quotes its message; this one is a sentence for people.
        return str(self.args[0]) if self.args else ""
