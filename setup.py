"""Package discovery for the package-dir mapping in pyproject.toml.

``baselines/`` and ``models/`` are installed as ``react_bench.baselines`` and ``react_bench.models``;
setuptools' automatic discovery would install them as top-level packages, so the package names
are computed here, subpackages included. Everything else lives in pyproject.toml.
"""

from setuptools import find_packages, setup


def _under(prefix: str, folder: str) -> list[str]:
    return [prefix] + [f"{prefix}.{name}" for name in find_packages(where=folder)]


setup(
    packages=find_packages(include=["react_bench", "react_bench.*"])
    + _under("react_bench.baselines", "baselines")
    + _under("react_bench.models", "models")
)
