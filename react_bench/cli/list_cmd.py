"""``react-bench list``: the registered submissions, one line each."""

from __future__ import annotations


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("list", help="list the registered submissions")
    parser.set_defaults(func=_list)


def _list(args) -> int:
    from react_bench.runner.record import describe
    from react_bench.submissions import available_submissions, get_submission

    names = available_submissions()
    width = max((len(n) for n in names), default=4)
    for name in names:
        cls = get_submission(name)
        flags = ["needs fit" if cls.needs_fit else "no fit"]
        if cls.synthetic_only:
            flags.append("synthetic only")
        print(f"{name:{width}s}  {'[' + ', '.join(flags) + ']':26s}  {describe(cls)}")
    return 0
