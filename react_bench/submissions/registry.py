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
_ALIASES: dict[str, str] = {}
"""Old name -> registered name (a renamed submission keeps answering to its old name)."""
_loaded = False

S = TypeVar("S", bound=type[Submission])


def register_submission(name: str, *, aliases: tuple[str, ...] = ()) -> Callable[[S], S]:
    """Class decorator: make a :class:`Submission` subclass available as ``name``.

    ``aliases``: other names that resolve to the same class (e.g. the name before a rename); the class's
    ``name`` stays ``name``, and :func:`available_submissions` lists ``name`` only.
    """

    def decorator(cls: S) -> S:
        if not (isinstance(cls, type) and issubclass(cls, Submission)):
            raise TypeError(f"@register_submission({name!r}) expects a Submission subclass; got {cls!r}")
        for taken in (name, *aliases):
            existing = _REGISTRY.get(taken) or _REGISTRY.get(_ALIASES.get(taken, ""))
            if existing is not None and existing is not cls and existing.__qualname__ != cls.__qualname__:
                raise BadInputError(f"submission name {taken!r} is already registered by {existing.__module__}")
        if name in _ALIASES:
            raise BadInputError(f"submission name {name!r} is already an alias of {_ALIASES[name]!r}")
        cls.name = name
        _REGISTRY[name] = cls
        for alias in aliases:
            _ALIASES[alias] = name
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
    """Names of every registered submission, sorted (aliases not included: see :func:`submission_aliases`)."""
    _load_all()
    return sorted(_REGISTRY)


def submission_aliases() -> dict[str, str]:
    """Alias -> the registered name it resolves to."""
    _load_all()
    return dict(sorted(_ALIASES.items()))


def get_submission(name: str) -> type[Submission]:
    """The submission class registered as ``name`` (or an alias of it); KeyError listing what exists otherwise."""
    _load_all()
    try:
        return _REGISTRY[_ALIASES.get(name, name)]
    except KeyError:
        aliases = "".join(f"; {a} (alias of {n})" for a, n in sorted(_ALIASES.items()))
        raise UnknownNameError(
            f"unknown submission {name!r}; available: {', '.join(sorted(_REGISTRY))}{aliases}. "
            f"Register one with @register_submission or the {ENTRY_POINT_GROUP!r} entry-point group."
        ) from None
