"""Entry point of the ``react-bench`` command: one sub-command per module of this package.

Each sub-command module defines ``add_parser(subparsers)``, which registers its parser and
sets ``func(args) -> int``. Errors a user can fix (a :class:`~react_bench.errors.ReactBenchError`:
bad input, missing files, unknown names) are printed as one ``error:`` line and exit with status 2.
Anything else is a bug: it keeps its traceback and exits with status 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys

import react_bench
from react_bench.errors import ReactBenchError

SUBCOMMAND_MODULES = (
    "react_bench.cli.audit_cmd",
    "react_bench.cli.data_cmd",
    "react_bench.cli.evaluate_cmd",
    "react_bench.cli.list_cmd",
    "react_bench.cli.run_cmd",
    "react_bench.cli.table_cmd",
    "react_bench.cli.train_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="react-bench",
        description="Benchmark and evaluation suite for the REACT facial reaction generation challenge.",
    )
    parser.add_argument("--version", action="version", version=f"react-bench {react_bench.__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMAND_MODULES:
        importlib.import_module(module).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ReactBenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
