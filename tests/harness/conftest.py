"""Fixtures of the harness tests: the test submissions (registered on import)."""

from __future__ import annotations

import harness_helpers  # noqa: F401  (registers the test submissions)
