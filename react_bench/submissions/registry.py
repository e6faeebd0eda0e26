"""The submission registry: ``@register_submission("name")`` and lookup by name.

Built-in submissions (``react_bench.baselines``, ``react_bench.models.reactdiff``) and
third-party ones register the same way: a module named in the entry-point group
``react_bench.submissions`` is imported, and its decorators fill the registry.
"""

from __future__ import annotations

import importlib
import importlib.util
from importlib.metadata import entry_points
from typing import Callable, TypeVar

from react_bench.errors import BadInputError, UnknownNameError
from react_bench.submissions.interface import Submission

ENTRY_POINT_GROUP = "react_bench.submissions"
_BUILTIN_MODULES = ("react_bench.baselines", "react_bench.models.reactdiff")

_REGISTRY: dict[str, type[Submission]] = {}
_loaded = False

S = TypeVar("S", bound=type[Submission])


def register_submission(name: str) -> Callable[[S], S]:
    """Class decorator: make a :class:`Submission` subclass available as ``name``."""

    def decorator(cls: S) -> S:
        if not (isinstance(cls, type) and issubclass(cls, Submission)):
            raise TypeError(f"@register_submission({name!r}) expects a Submission subclass; got {cls!r}")
        existing = _REGISTRY.get(name)
        if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
            raise BadInputError(f"submission name {name!r} is already registered by {existing.__module__}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def _module_exists(module: str) -> bool:
    """False when ``module`` or one of its parent packages is not there yet (``find_spec`` is None).

    Only absence is tolerated: a module that exists but fails to import raises on import.
    """
    parts = module.split(".")
    return all(importlib.util.find_spec(".".join(parts[: i + 1])) is not None for i in range(len(parts)))


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for module in _BUILTIN_MODULES:
        if _module_exists(module):
            importlib.import_module(module)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if entry.value in _BUILTIN_MODULES:
            continue
        entry.load()
    # Only after every import succeeded: a failed import is raised again on the next lookup.
    _loaded = True


def available_submissions() -> list[str]:
    """Names of every registered submission, sorted."""
    _load_all()
    return sorted(_REGISTRY)


def get_submission(name: str) -> type[Submission]:
    """The submission class registered as ``name``; KeyError listing what exists otherwise."""
    _load_all()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown submission {name!r}; available: {', '.join(sorted(_REGISTRY))}. "
            f"Register one with @register_submission or the {ENTRY_POINT_GROUP!r} entry-point group."
        ) from None
