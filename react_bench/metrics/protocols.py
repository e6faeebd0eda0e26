"""The two scoring protocols.

``"react2024"`` reproduces the official REACT2024 evaluation bit for bit, quirks included.
``"corrected"`` fixes the quirks (see ``docs/metrics.md`` for the table of differences).
Every result records which one produced it.
"""

from __future__ import annotations

from react_bench.errors import BadInputError

REACT2024 = "react2024"
CORRECTED = "corrected"
PROTOCOLS = (REACT2024, CORRECTED)


def check_protocol(protocol: str) -> str:
    """Return ``protocol`` if it is known; ValueError naming the choices otherwise."""
    if protocol not in PROTOCOLS:
        raise BadInputError(f"protocol must be one of {', '.join(map(repr, PROTOCOLS))}; got {protocol!r}.")
    return protocol
