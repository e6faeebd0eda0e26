"""Fixtures of the ReactDiff tests."""

import pytest

from react_bench.models.reactdiff import ReactDiffConfig
from reactdiff_helpers import TINY


@pytest.fixture
def tiny_config() -> ReactDiffConfig:
    return ReactDiffConfig(**TINY)
