"""Leaderboard tables (markdown, CSV; HTML through ``page``) rendered from results records, never typed by hand.

The rules every format follows: the best value per column is marked in the metric's direction among
the ranked rows only (never a reference row, never an online row without a passed audit, never a
value flagged as degenerate by construction); reference rows are listed after the submissions."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from react_bench.errors import BadInputError
from react_bench.leaderboard.stats import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, CI_LEVEL, summarize
from react_bench.metrics.spec import ARROWS, METRIC_SPECS

METRIC_ORDER = tuple(spec.name for spec in METRIC_SPECS)
"""Column order: the metric table's order."""
FORMATS = ("md", "csv", "html")


@dataclass
class Cell:
    value: float
    ci: tuple[float, float] | None = None
    best: bool = False
    text: str | None = None  # a non-numeric cell (the audit verdict): shown as is, never "best"
    flag: str | None = None  # why the value is degenerate by construction (results' "degenerate"): never "best"


@dataclass
class Column:
    name: str
    direction: str | None  # "higher" or "lower"; None for a column that is not ranked (the audit)

    @property
    def header(self) -> str:
        return self.name if self.direction is None else f"{self.name} {ARROWS[self.direction]}"


AUDIT_COLUMN = "audit"
"""Online track: the verdict of the run's causality audit (``results.json["audit"]``)."""
AUDIT_MARK = "†"
"""After the name of an online row whose audit failed or is missing; such a row is never marked best."""


def audit_verdict(record: dict) -> str:
    """``"passed"``, ``"FAILED"`` or ``"missing"`` (a run made before the audit, or ``react-bench evaluate``)."""
    audit = record.get("audit")
    if not isinstance(audit, dict) or "passed" not in audit:
        return "missing"
    return "passed" if audit["passed"] else "FAILED"


@dataclass
class Table:
    """One leaderboard: rows of cells, for one track, split, protocol and dataset."""

    track: str
    split: str
    protocol: str
    fingerprint: str
    synthetic: bool
    frrea_feature_space: str | None
    columns: list[Column]
    appropriateness_source: str | None = None
    scoring_caption: str | None = None  # results' scoring.caption: e.g. what a MARS result follows
    rows: dict[str, list[Cell | None]] = field(default_factory=dict)
    references: set[str] = field(default_factory=set)  # reference rows (GT, Oracle): shown apart, never best
    audits: dict[str, str] = field(default_factory=dict)  # online: name -> audit verdict

    def ranked(self, name: str) -> bool:
        """Whether row ``name`` competes for "best": not a reference, and (online) a passed audit."""
        return name not in self.references and self.audits.get(name, "passed") == "passed"

    def display_name(self, name: str) -> str:
        """The row's name with its marks: ``(reference)``, and the audit mark on the online track."""
        marks = " (reference)" if name in self.references else ""
        if self.audits.get(name, "passed") != "passed":
            marks += f" {AUDIT_MARK}"
        return name + marks


def build_tables(records: list[dict], *, track: str) -> list[Table]:
    """One :class:`Table` per (split, protocol, dataset) among ``records`` (latest runs, one per submission)."""
    groups: dict[tuple, list[dict]] = {}
    for record in records:
        key = (record["split"], record["protocol"], record["dataset"]["fingerprint"])
        groups.setdefault(key, []).append(record)
    return [_build(track, key, group) for key, group in sorted(groups.items())]


def _build(track: str, key: tuple, records: list[dict]) -> Table:
    split, protocol, fingerprint = key
    directions = {}
    for record in records:
        for name, entry in record["metrics"].items():
            directions.setdefault(name, entry["direction"])
    names = [m for m in METRIC_ORDER if m in directions] + sorted(set(directions) - set(METRIC_ORDER))
    columns = [Column(name, directions[name]) for name in names]
    if track == "online":
        columns += [Column("latency p95 ms", "lower"), Column("RTF", "lower"), Column(AUDIT_COLUMN, None)]
    table = Table(
        track=track, split=split, protocol=protocol, fingerprint=fingerprint,
        synthetic=bool(records[0]["dataset"].get("is_synthetic")),
        frrea_feature_space=records[0].get("frrea_feature_space"), columns=columns,
        appropriateness_source=records[0]["dataset"].get("appropriateness_source"),
        scoring_caption=(records[0].get("scoring") or {}).get("caption"),
    )
    # Submissions first, references after them (each group in the records' order: by name).
    records = sorted(records, key=lambda record: bool(record["submission"].get("reference")))
    for record in records:
        row: list[Cell | None] = []
        degenerate = record.get("degenerate") or {}
        for column in columns:
            if column.name in record["metrics"]:
                value, ci = summarize(record, column.name)
                row.append(Cell(value, ci, flag=degenerate.get(column.name)))
            elif column.name == "latency p95 ms" and record.get("online"):
                row.append(Cell(record["online"]["latency_ms"]["p95"]))
            elif column.name == "RTF" and record.get("online"):
                row.append(Cell(record["online"]["real_time_factor"]))
            elif column.name == AUDIT_COLUMN:
                row.append(Cell(float("nan"), text=audit_verdict(record)))
            else:
                row.append(None)
        name = record["submission"]["name"]
        if record["submission"].get("reference"):
            table.references.add(name)
        if track == "online":
            table.audits[name] = audit_verdict(record)
        table.rows[name] = row
    _mark_best(table)
    return table


def _mark_best(table: Table) -> None:
    # A reference row (GT sees the answer) and an online row that has not passed the causality audit
    # (it may have used later speaker frames) compete for no column; neither does a value flagged as
    # degenerate by construction (Mime's FRRea on a mirrored split). Their cells are shown, unmarked.
    eligible = [row for name, row in table.rows.items() if table.ranked(name)]
    for j, column in enumerate(table.columns):
        if column.direction is None:
            continue
        cells = [row[j] for row in eligible if row[j] is not None and row[j].flag is None and row[j].text is None]
        if not cells:
            continue
        pick = max if column.direction == "higher" else min
        best = pick(cell.value for cell in cells)
        for cell in cells:
            cell.best = cell.value == best


def _number(x: float) -> str:
    return f"{x:.4g}"


def _cell_text(cell: Cell | None) -> str:
    if cell is None:
        return "–"
    if cell.text is not None:
        return cell.text
    text = _number(cell.value)
    if cell.ci is not None:
        text += f" [{_number(cell.ci[0])}, {_number(cell.ci[1])}]"
    return text + (f" {FLAG_MARK}" if cell.flag else "")


FLAG_MARK = "‡"
"""After a value that is degenerate by construction (results' ``degenerate``); it is never marked best."""


def caption_text(table: Table) -> str:
    """The caption without markdown: what the table is about."""
    return _caption(table).replace("`", "")


def _caption(table: Table) -> str:
    data = "synthetic" if table.synthetic else "real"
    text = (
        f"Track `{table.track}`, split `{table.split}`, protocol `{table.protocol}`, "
        f"dataset fingerprint `{table.fingerprint[:16]}` ({data})"
    )
    if table.frrea_feature_space:
        text += f", FRRea feature space `{table.frrea_feature_space}`"
    if table.appropriateness_source:
        text += f", appropriateness matrix `{table.appropriateness_source}`"
        if table.appropriateness_source == "rule":
            text += " (built by react-bench's rule, not the official matrix: not comparable with published numbers)"
    if table.scoring_caption:
        text += f". {table.scoring_caption}"
    return text + "."


LEGEND = (
    f"Each cell: the run's value [{CI_LEVEL:.0%} bootstrap CI over speakers: percentile interval of the mean of "
    f"per-speaker values, {BOOTSTRAP_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}]. A metric with no "
    f"per-speaker decomposition (FRRea, a distance between two sets) has no CI. ↑ higher is better, "
    f"↓ lower is better; the best per column is marked among the submissions. Reference rows (GT sees the "
    f"answer; the Oracle samples the true process) are listed after the submissions and never marked best; "
    f"a value marked {FLAG_MARK} is degenerate by construction (e.g. FRRea of generations that copy target "
    f"sequences) and never marked best."
)
AUDIT_LEGEND = (
    f"Column `{AUDIT_COLUMN}`: the run's causality audit (speaker inputs after a random cut frame t replaced, "
    f"same seed; passed when listener frames 0..t did not change, i.e. the submission used no later speaker "
    f"frame). A row marked {AUDIT_MARK} has a FAILED or missing audit and is not ranked (never marked best)."
)


def _legend(table: Table) -> str:
    return LEGEND + (" " + AUDIT_LEGEND if table.track == "online" else "")


def render_markdown(tables: list[Table], *, title: str | None = None) -> str:
    lines = [f"# {title}", ""] if title else []
    lines += ["<!-- Generated by `react-bench table` from results files; do not edit by hand. -->", ""]
    for table in tables:
        lines += [_caption(table), "", _legend(table) + " Best in **bold**.", ""]
        lines.append("| submission | " + " | ".join(c.header for c in table.columns) + " |")
        lines.append("|---|" + "---|" * len(table.columns))
        for name, row in table.rows.items():
            cells = [f"**{_cell_text(c)}**" if c is not None and c.best else _cell_text(c) for c in row]
            lines.append(f"| {table.display_name(name)} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def render_csv(tables: list[Table]) -> str:
    """One row per submission and table; best values end with ``*``; CI bounds in their own columns.

    The columns are the union of every table's columns (by name, in the first table's order and then
    the others'), and each cell is looked up by its column's name, so tables with different metrics
    (e.g. the two protocols) never put a value under another metric's header.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns: dict[str, Column] = {}
    for table in tables:
        for column in table.columns:
            columns.setdefault(column.name, column)
    header = ["track", "split", "protocol", "dataset_fingerprint", "submission", "reference", "flags"]
    for column in columns.values():
        header += [column.header, f"{column.name} ci_low", f"{column.name} ci_high"]
    writer.writerow(header)
    for table in tables:
        for name, row in table.rows.items():
            cells = {column.name: cell for column, cell in zip(table.columns, row)}
            flags = "; ".join(f"{c}: {cell.flag}" for c, cell in cells.items() if cell is not None and cell.flag)
            out = [table.track, table.split, table.protocol, table.fingerprint, name,
                   str(name in table.references).lower(), flags]
            for column_name in columns:
                cell = cells.get(column_name)
                if cell is None:
                    out += ["", "", ""]
                    continue
                if cell.text is not None:
                    out += [cell.text, "", ""]
                    continue
                ci = cell.ci or ("", "")
                out += [repr(cell.value) + ("*" if cell.best else ""), *(repr(x) if x != "" else "" for x in ci)]
            writer.writerow(out)
    return buffer.getvalue()


def render(tables: list[Table], *, fmt: str, title: str | None = None) -> str:
    """``tables`` as ``fmt`` (one of md, csv, html)."""
    if fmt == "md":
        return render_markdown(tables, title=title)
    if fmt == "csv":
        return render_csv(tables)
    if fmt == "html":  # the self-contained page (react_bench.leaderboard.page), without run details
        from react_bench.leaderboard.page import render_page

        return render_page([(title or "Leaderboard", tables, [])], title=title or "react-bench leaderboard")
    raise BadInputError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
