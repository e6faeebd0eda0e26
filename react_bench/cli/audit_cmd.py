"""``react-bench audit NAME``: the online causality audit of one submission, on its own.

Fits (or loads the cached fit of) the submission as ``react-bench run`` does, then runs
:func:`react_bench.runner.audit.audit_causality` and prints its result as JSON. Exit status 0
when the audit passes, 1 when it fails (a listener frame changed when only later speaker frames
did), 2 for a user error (unknown name, missing data, bad option).
"""

from __future__ import annotations

import json


def add_parser(subparsers) -> None:
    from react_bench.runner.audit import AUDIT_CUTS, AUDIT_SAMPLES, AUDIT_SPEAKERS, DEFAULT_TOLERANCE
    from react_bench.submissions import ONLINE_CHUNK_FRAMES

    parser = subparsers.add_parser(
        "audit",
        help="check that a submission's online listener frame t uses speaker frames 0..t only",
        description="Stream a few speakers online, again with every speaker input after random cut frames "
        "replaced (same seed), and compare the listener frames up to each cut. Prints the result as JSON; "
        "exits 1 when the audit fails.",
    )
    parser.add_argument("name", help="registered submission name (see `react-bench list`)")
    parser.add_argument("--data", default=None, help="dataset root (default: the synthetic dataset, created on first use)")
    parser.add_argument("--split", default="test", help="split whose speakers are streamed (default: test)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fit, the draws and the streams (default: 0)")
    parser.add_argument("--speakers", type=int, default=AUDIT_SPEAKERS,
                        help=f"speaker samples audited (default: {AUDIT_SPEAKERS})")
    parser.add_argument("--cuts", type=int, default=AUDIT_CUTS, help=f"cut frames per audit (default: {AUDIT_CUTS})")
    parser.add_argument("--chunk-frames", type=int, default=ONLINE_CHUNK_FRAMES,
                        help=f"speaker frames per step (default: {ONLINE_CHUNK_FRAMES})")
    parser.add_argument("--num-samples", type=int, default=AUDIT_SAMPLES,
                        help=f"reactions per speaker (default: {AUDIT_SAMPLES}, as in a run's audit)")
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE,
                        help=f"largest change before a cut that passes (default: {DEFAULT_TOLERANCE:g})")
    parser.add_argument("--device", default="cpu", help="torch device (default: cpu)")
    parser.add_argument("--out", default="runs", help="root of the checkpoint cache, as for `run` (default: runs/)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="submission option (VALUE parsed as JSON when it can be); repeatable")
    parser.set_defaults(func=_audit)


def _audit(args) -> int:
    from react_bench.cli.run_cmd import parse_options
    from react_bench.errors import BadInputError
    from react_bench.runner.audit import audit_causality
    from react_bench.runner.batches import SpeakerStreams
    from react_bench.runner.run import prepare_submission

    for option in ("speakers", "cuts", "chunk_frames", "num_samples"):
        if getattr(args, option) < 1:
            raise BadInputError(f"--{option.replace('_', '-')} must be a positive integer; got {getattr(args, option)}")
    prepared = prepare_submission(args.name, data=args.data, split=args.split, seed=args.seed, device=args.device,
                                  out=args.out, submission_config=parse_options(args.set))
    streams = SpeakerStreams(prepared.dataset, features=prepared.submission.feature_specs())
    result = audit_causality(
        prepared.submission, streams, num_speakers=args.speakers, num_cuts=args.cuts, seed=args.seed,
        chunk_frames=args.chunk_frames, num_samples=args.num_samples, device=args.device, tolerance=args.tolerance,
    )
    print(json.dumps({"submission": args.name, "split": args.split, **result}, indent=2))
    verdict = "passed" if result["passed"] else "FAILED"
    print(f"causality audit of {args.name!r}: {verdict} (largest change before a cut "
          f"{result['max_abs_diff_before_cut']:.3g}, tolerance {result['tolerance']:g})")
    return 0 if result["passed"] else 1
