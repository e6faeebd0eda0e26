"""Fixtures of the ReactDiff tests."""

import pytest

from react_bench.models.reactdiff import ReactDiffConfig
from reactdiff_helpers import PLAIN, TINY


@pytest.fixture
def tiny_config() -> ReactDiffConfig:
    """The small default at tiny sizes (voice activity, linear prior, look-ahead, residual_scale)."""
    return ReactDiffConfig(**TINY)


@pytest.fixture
def plain_config(tiny_config) -> ReactDiffConfig:
    """:func:`tiny_config` without the linear prior and the voice activity (``PLAIN``)."""
    return tiny_config.replace(**PLAIN)
