"""Ablation tables (the paper's Table 4) of a model family, rendered from results files over training seeds.

A row per variant of the family that has results (the full model first), per (track, split, protocol,
dataset, generations per speaker). Each metric cell is the mean over the variant's training seeds ± their sample standard
deviation; under each variant, a row of paired differences to the full model with a 95% bootstrap CI
over speakers (:func:`react_bench.leaderboard.stats.paired_difference`). A "window jump" column shows
the boundary-to-within frame-change ratio recorded in ``results.json["diagnostics"]``
(:mod:`react_bench.metrics.smoothness`), when the runs recorded it.

Runs are compared only when the same model made them (``submission.effective_config`` in
results.json): a default changed after some seeds were run would otherwise mix two models under one
set of ``--set`` options. A row keeps the seeds run with its newest run's effective config (older ones
are counted in ``left_out``), and its Δ row is left out, with the fields named, when its config differs
from the full model's anywhere but in the fields the variant sets by construction (its registered
class's ``overrides``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

import numpy as np

from react_bench.errors import BadInputError, UnknownNameError
from react_bench.leaderboard.collect import (
    current_model_runs,
    effective_config,
    generations,
    latest_seed_runs,
    run_seed,
    submission_options,
)
from react_bench.leaderboard.stats import BOOTSTRAP_SEED, CI_LEVEL, paired_difference, per_speaker_values
from react_bench.metrics.spec import ARROWS, METRIC_DIRECTIONS, METRICS

__all__ = [
    "ABLATION_FORMATS",
    "ABLATION_GROUPS",
    "AblationGroup",
    "AblationTable",
    "DIFFERENCE_RESAMPLES",
    "GROUP_METRICS",
    "ablation_group",
    "build_ablation_tables",
    "render_ablations",
]

GROUP_METRICS = (*METRICS, "FREnergy")
"""The columns: the seven REACT metrics and FREnergy, in the metric table's order."""
DIFFERENCE_RESAMPLES = 2000
"""Bootstrap resamples of speakers for each paired difference's CI."""
ABLATION_FORMATS = ("md", "csv")
NO_VALUE = "—"


@dataclass(frozen=True)
class AblationGroup:
    """A model family: the full model and its variants, each with its label in the paper's table."""

    name: str
    full: str  # the submission every other row is compared with
    members: tuple[tuple[str, str], ...]  # (registered submission name, label), in table order

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.members)


ABLATION_GROUPS = {
    "reactdiff": AblationGroup(
        name="reactdiff",
        full="reactdiff",
        members=(
            ("reactdiff", "ReactDiff (full)"),
            ("reactdiff-lrs", "ReactDiff (LRS)"),
            ("reactdiff-nommt", "w/o MMT"),
            ("reactdiff-nodiffusion", "w/o diffusion"),
            ("reactdiff-novideo", "w/o video"),
            ("reactdiff-noaudio", "w/o audio"),
        ),
    ),
}
"""The families ``react-bench table --group`` knows (the labels are Table 4's of Li et al.)."""


def ablation_group(name: str) -> AblationGroup:
    """The group called ``name``; UnknownNameError listing the groups otherwise.

    >>> [label for _, label in ablation_group("reactdiff").members]
    ['ReactDiff (full)', 'ReactDiff (LRS)', 'w/o MMT', 'w/o diffusion', 'w/o video', 'w/o audio']
    """
    try:
        return ABLATION_GROUPS[name]
    except KeyError:
        raise UnknownNameError(f"unknown ablation group {name!r}; available: {', '.join(ABLATION_GROUPS)}") from None


@dataclass
class SeedCell:
    """One metric of one row: the per-seed values and what the table shows of them."""

    values: list[float]  # one per seed that reported the metric

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def sd(self) -> float | None:  # the sample standard deviation over seeds; None with one seed
        return float(np.std(self.values, ddof=1)) if len(self.values) >= 2 else None


@dataclass
class Difference:
    """The row's paired difference to the full model on one metric (None CI: no per-speaker values)."""

    value: float
    ci: tuple[float, float] | None

    @property
    def excludes_zero(self) -> bool:
        return self.ci is not None and (self.ci[0] > 0 or self.ci[1] < 0)


@dataclass
class AblationRow:
    submission: str
    label: str
    options: str  # the submission's --set options as canonical JSON ("{}": the defaults)
    seeds: list[int | None]
    cells: dict[str, SeedCell]
    differences: dict[str, Difference] | None  # None for the full model, or when it has no runs
    window_jump: SeedCell | None
    left_out: int = 0  # seeds' newest runs made with another effective config than the row's newest run
    config_mismatch: tuple[str, ...] = ()  # config fields in which it differs from the full model (then no Δ)

    @property
    def name(self) -> str:
        """The label, with the submission's non-default options."""
        options = json.loads(self.options)
        extra = ", ".join(f"{k}={v}" for k, v in options.items())
        return self.label + (f" [{extra}]" if extra else "")


@dataclass
class AblationTable:
    group: str
    track: str
    split: str
    protocol: str
    fingerprint: str
    generations: int | None  # reactions per speaker G of every run in the table
    synthetic: bool
    metrics: list[str]
    rows: list[AblationRow] = field(default_factory=list)
    reference_window_jump: float | None = None  # the split's real listeners (results' diagnostics)


def _seed_cell(records: list[dict], metric: str) -> SeedCell | None:
    values = [float(r["metrics"][metric]["value"]) for r in records if metric in r["metrics"]]
    return SeedCell(values) if values else None


def _window_jump(records: list[dict]) -> SeedCell | None:
    values = [r["diagnostics"]["window_jump_ratio"] for r in records
              if isinstance(r.get("diagnostics"), dict) and r["diagnostics"].get("window_jump_ratio") is not None]
    return SeedCell([float(v) for v in values]) if values else None


def _defining_fields(name: str) -> set[str]:
    """The config fields a variant sets by construction: its registered class's ``overrides``."""
    from react_bench.submissions import get_submission  # the registry loads the models: only when asked

    try:
        return set(getattr(get_submission(name), "overrides", None) or {})
    except UnknownNameError:
        return set()


def _config_mismatch(variant: dict, full: dict, defining: set[str]) -> tuple[str, ...]:
    """Fields of the full model's effective config that the variant's differs in (or lacks), apart from
    ``defining``; fields only the variant has (its own options, e.g. LRS's) are allowed."""
    missing = object()
    return tuple(sorted(k for k, v in full.items() if k not in defining and variant.get(k, missing) != v))


def _difference(records: list[dict], full: list[dict], metric: str) -> Difference | None:
    mine, theirs = _seed_cell(records, metric), _seed_cell(full, metric)
    if mine is None or theirs is None:
        return None
    values = [per_speaker_values(r, metric) for r in records]
    reference = [per_speaker_values(r, metric) for r in full]
    if any(v is None for v in values + reference):
        # A set-level metric (FRRea): the difference of the seed means, with no CI over speakers.
        return Difference(mine.mean - theirs.mean, None)
    value, ci = paired_difference(np.stack(values), np.stack(reference), resamples=DIFFERENCE_RESAMPLES)
    return Difference(value, ci)


def build_ablation_tables(
    results: list[dict], *, group: str | AblationGroup, track: str, split: str = "test",
    protocol: str | None = None, aliases: dict[str, str] | None = None,
) -> list[AblationTable]:
    """One :class:`AblationTable` per (split, protocol, dataset) of ``group``'s runs on ``track``.

    Args:
        results: records as :func:`react_bench.leaderboard.load_results` returns them; the newest run
            per (submission, options, seed) is kept.
        aliases: old name -> registered name (:func:`react_bench.submissions.submission_aliases`), so
            runs made under an old name (``reactdiff-novisual``) count as the renamed submission's.
    """
    group = ablation_group(group) if isinstance(group, str) else group
    labels = group.labels
    names = {name: name for name in labels}
    names.update({alias: name for alias, name in (aliases or {}).items() if name in labels})
    records = latest_seed_runs(results, track=track, split=split, protocol=protocol, names=names)
    tables: dict[tuple, list[dict]] = {}
    for record in records:
        key = (record["split"], record["protocol"], record["dataset"]["fingerprint"], generations(record))
        tables.setdefault(key, []).append(record)
    return [_build(group, track, key, group_records, names)
            for key, group_records in sorted(tables.items(), key=lambda item: (*item[0][:3], item[0][3] or 0))]


def _build(group: AblationGroup, track: str, key: tuple, records: list[dict], names: dict[str, str]) -> AblationTable:
    split, protocol, fingerprint, count = key
    runs: dict[tuple[str, str], list[dict]] = {}
    for record in records:
        runs.setdefault((names[record["submission"]["name"]], submission_options(record)), []).append(record)
    present = {metric for record in records for metric in record["metrics"]}
    reference = [r["diagnostics"].get("reference_window_jump_ratio") for r in records if isinstance(r.get("diagnostics"), dict)]
    reference = [float(v) for v in reference if v is not None]
    table = AblationTable(
        group=group.name, track=track, split=split, protocol=protocol, fingerprint=fingerprint, generations=count,
        synthetic=bool(records[0]["dataset"].get("is_synthetic")),
        metrics=[m for m in GROUP_METRICS if m in present],
        reference_window_jump=float(np.mean(reference)) if reference else None,
    )
    order = {name: i for i, (name, _) in enumerate(group.members)}
    current = {key: current_model_runs(seed_runs) for key, seed_runs in runs.items()}
    for (name, options), (seed_runs, left_out) in sorted(
            current.items(), key=lambda item: (item[0][1] != "{}", item[0][1], order[item[0][0]])):
        full, _ = current.get((group.full, options), (None, 0))
        differences, mismatch = None, ()
        if name != group.full and full:
            mismatch = _config_mismatch(effective_config(seed_runs[0]), effective_config(full[0]), _defining_fields(name))
            if not mismatch:
                differences = {m: d for m in table.metrics if (d := _difference(seed_runs, full, m)) is not None}
        table.rows.append(AblationRow(
            submission=name, label=group.labels[name], options=options, seeds=[run_seed(r) for r in seed_runs],
            cells={m: c for m in table.metrics if (c := _seed_cell(seed_runs, m)) is not None},
            differences=differences, window_jump=_window_jump(seed_runs), left_out=left_out,
            config_mismatch=mismatch,
        ))
    return table


def _g(x: float, digits: int) -> str:
    return f"{x:.{digits}g}"


def _cell_text(cell: SeedCell | None, seeds: int) -> str:
    if cell is None:
        return NO_VALUE
    text = _g(cell.mean, 4)
    if cell.sd is not None:
        text += f" ± {_g(cell.sd, 2)}"
    if len(cell.values) != seeds:  # some seeds did not report it
        text += f" (n={len(cell.values)})"
    return text


def _difference_text(difference: Difference | None) -> str:
    if difference is None:
        return NO_VALUE
    text = f"{'+' if difference.value > 0 else ''}{_g(difference.value, 3)}"
    if difference.ci is not None:
        text += f" [{_g(difference.ci[0], 3)}, {_g(difference.ci[1], 3)}]"
    return f"**{text}**" if difference.excludes_zero else text


def _seeds_text(row: AblationRow) -> str:
    text = f"{len(row.seeds)} (" + ", ".join("?" if s is None else str(s) for s in row.seeds) + ")"
    return text + (f"; {row.left_out} older config left out" if row.left_out else "")


def _header(metric: str) -> str:
    return f"{metric} {ARROWS[METRIC_DIRECTIONS[metric]]}"


def caption(table: AblationTable) -> str:
    """What the table is about, and exactly how its numbers are computed (markdown)."""
    data = "synthetic" if table.synthetic else "real"
    level = f"{CI_LEVEL:.0%}"
    text = (
        f"Ablations of `{table.group}` (Table 4 style). Track `{table.track}`, split `{table.split}`, protocol "
        f"`{table.protocol}`, dataset fingerprint `{table.fingerprint[:16]}` ({data}), "
        f"{'?' if table.generations is None else table.generations} reactions per speaker.\n\n"
        f"Each metric cell: the mean over training seeds of the run's value ± the sample standard deviation "
        f"over seeds (ddof 1; none with one seed). Column `seeds`: how many, and which (`react-bench run "
        f"--seed S` seeds both the fit and the generation); the newest run per (submission, options, seed) "
        f"is used, and of those only the runs made with the same model as the row's newest run (the "
        f"recorded effective config; `k older config left out` counts the others); `(n=k)`: only k seeds "
        f"reported that metric. Row `Δ vs full`: the paired difference "
        f"variant − full model (run with the same options, and the same config apart from the fields the "
        f"variant sets) on the same speakers: each model's per-speaker "
        f"values (`per_speaker` in results.json) are averaged over its seeds, the full model's are subtracted "
        f"speaker by speaker, and the mean of these differences is shown with its {level} percentile "
        f"bootstrap CI ({DIFFERENCE_RESAMPLES} resamples of speakers with replacement, numpy "
        f"`default_rng({BOOTSTRAP_SEED})`). The CI is over speakers only: seed-to-seed variation is the ± "
        f"of the cells. **Bold**: the CI excludes 0 (read the sign with the column's arrow: ↑ higher is "
        f"better, ↓ lower is better). A metric without per-speaker values (FRRea, a distance between two "
        f"sets) shows the difference of the seed means and no CI. Column `window jump`: the mean "
        f"frame-to-frame change at 50-frame window boundaries over the change inside windows "
        f"(`diagnostics.window_jump_ratio`, a diagnostic, not a REACT metric; mean ± sd over seeds; "
        f"{NO_VALUE}: not recorded)"
    )
    if table.reference_window_jump is not None:
        text += f"; the real listeners of this split: {_g(table.reference_window_jump, 3)}"
    return text + "."


def render_markdown(tables: list[AblationTable], *, title: str | None = None) -> str:
    lines = [f"# {title}", ""] if title else []
    lines += ["<!-- Generated by `react-bench table --group` from results files; do not edit by hand. -->", ""]
    for table in tables:
        lines += [caption(table), ""]
        lines.append("| model | seeds | " + " | ".join(_header(m) for m in table.metrics) + " | window jump |")
        lines.append("|---|---|" + "---|" * len(table.metrics) + "---|")
        for row in table.rows:
            seeds = len(row.seeds)
            cells = [_cell_text(row.cells.get(m), seeds) for m in table.metrics]
            lines.append(f"| {row.name} (`{row.submission}`) | {_seeds_text(row)} | " + " | ".join(cells)
                         + f" | {_cell_text(row.window_jump, seeds)} |")
            if row.config_mismatch:
                lines.append(f"| ↳ Δ vs full | | not computed: another model than the full row's (config differs in "
                             f"{', '.join(f'`{k}`' for k in row.config_mismatch)}); rerun it |" + " |" * len(table.metrics))
            elif row.differences is not None:
                diffs = [_difference_text(row.differences.get(m)) for m in table.metrics]
                lines.append(f"| ↳ Δ vs full [{CI_LEVEL:.0%} CI] | | " + " | ".join(diffs) + " | |")
        lines.append("")
    return "\n".join(lines)


def render_csv(tables: list[AblationTable]) -> str:
    """One row per (table, variant); per metric: mean, sd, n and the difference to the full model with its CI."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    metrics = [m for m in GROUP_METRICS if any(m in table.metrics for table in tables)]
    header = ["group", "track", "split", "protocol", "dataset_fingerprint", "generations", "submission", "label",
              "options", "seeds"]
    for m in metrics:
        header += [f"{m} mean", f"{m} sd", f"{m} n", f"{m} diff", f"{m} diff_ci_low", f"{m} diff_ci_high"]
    header += ["window_jump mean", "window_jump sd", "window_jump n", "left_out", "config_mismatch"]
    writer.writerow(header)

    def stats(cell: SeedCell | None) -> list[str]:
        if cell is None:
            return ["", "", ""]
        return [repr(cell.mean), "" if cell.sd is None else repr(cell.sd), str(len(cell.values))]

    for table in tables:
        for row in table.rows:
            out = [table.group, table.track, table.split, table.protocol, table.fingerprint,
                   "" if table.generations is None else str(table.generations), row.submission,
                   row.label, row.options, " ".join("?" if s is None else str(s) for s in row.seeds)]
            for m in metrics:
                out += stats(row.cells.get(m))
                d = (row.differences or {}).get(m)
                out += ["", "", ""] if d is None else [repr(d.value), *((repr(d.ci[0]), repr(d.ci[1])) if d.ci else ("", ""))]
            out += [*stats(row.window_jump), str(row.left_out), " ".join(row.config_mismatch)]
            writer.writerow(out)
    return buffer.getvalue()


def render_ablations(tables: list[AblationTable], *, fmt: str, title: str | None = None) -> str:
    """``tables`` as ``fmt`` (md or csv)."""
    if fmt == "md":
        return render_markdown(tables, title=title)
    if fmt == "csv":
        return render_csv(tables)
    raise BadInputError(f"an ablation table renders as one of {', '.join(ABLATION_FORMATS)}; got format {fmt!r}")
