"""The examples in the public docstrings run and give the output they show (as torchmetrics' do).

Every module of the installed package is collected, ``react_bench.baselines`` and
``react_bench.models`` included, so the README's test command (``pytest -q``) runs them all.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import react_bench
import react_bench.baselines
import react_bench.models

# baselines/ and models/ are mapped into the package at install time, outside react_bench/'s folder.
PACKAGES = (react_bench, react_bench.baselines, react_bench.models)
# ``__main__`` modules run the command line when imported; they hold no examples.
MODULES = sorted(
    {package.__name__ for package in PACKAGES[1:]}
    | {info.name for package in PACKAGES for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + ".")
       if not info.name.endswith("__main__")}
)


def _examples(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    return [test for test in doctest.DocTestFinder(exclude_empty=True).find(module) if test.examples]


def test_the_public_api_has_examples():
    with_examples = [name for name in MODULES if _examples(name)]
    assert len(with_examples) >= 12, with_examples  # the metrics, errors, features, stats, ...
    assert "react_bench.metrics.evaluate" in with_examples and "react_bench.metrics.spec" in with_examples


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in _examples(module_name):
        runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
