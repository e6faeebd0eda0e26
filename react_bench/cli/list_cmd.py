"""Placeholder for the `react-bench list` sub-command (being written)."""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("list", help="(not yet available)")
    parser.set_defaults(func=_missing)


def _missing(args) -> int:
    raise ValueError("this command is not available yet in this version of react-bench")
