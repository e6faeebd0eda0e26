"""Leaderboard tables (markdown, CSV, HTML) rendered from results records, never typed by hand."""

from __future__ import annotations

import csv
import html
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


@dataclass
class Column:
    name: str
    direction: str  # "higher" or "lower"

    @property
    def header(self) -> str:
        return f"{self.name} {ARROWS[self.direction]}"


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
    rows: dict[str, list[Cell | None]] = field(default_factory=dict)


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
        columns += [Column("latency p95 ms", "lower"), Column("RTF", "lower")]
    table = Table(
        track=track, split=split, protocol=protocol, fingerprint=fingerprint,
        synthetic=bool(records[0]["dataset"].get("is_synthetic")),
        frrea_feature_space=records[0].get("frrea_feature_space"), columns=columns,
        appropriateness_source=records[0]["dataset"].get("appropriateness_source"),
    )
    for record in records:
        row: list[Cell | None] = []
        for column in columns:
            if column.name in record["metrics"]:
                value, ci = summarize(record, column.name)
                row.append(Cell(value, ci))
            elif column.name == "latency p95 ms" and record.get("online"):
                row.append(Cell(record["online"]["latency_ms"]["p95"]))
            elif column.name == "RTF" and record.get("online"):
                row.append(Cell(record["online"]["real_time_factor"]))
            else:
                row.append(None)
        table.rows[record["submission"]["name"]] = row
    _mark_best(table)
    return table


def _mark_best(table: Table) -> None:
    for j, column in enumerate(table.columns):
        cells = [row[j] for row in table.rows.values() if row[j] is not None]
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
    text = _number(cell.value)
    if cell.ci is not None:
        text += f" [{_number(cell.ci[0])}, {_number(cell.ci[1])}]"
    return text


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
    return text + "."


LEGEND = (
    f"Each cell: the run's value [{CI_LEVEL:.0%} bootstrap CI over speakers: percentile interval of the mean of "
    f"per-speaker values, {BOOTSTRAP_RESAMPLES} resamples, seed {BOOTSTRAP_SEED}]. A metric with no "
    f"per-speaker decomposition (FRRea, a distance between two sets) has no CI. ↑ higher is better, "
    f"↓ lower is better; the best per column is marked."
)


def render_markdown(tables: list[Table], *, title: str | None = None) -> str:
    lines = [f"# {title}", ""] if title else []
    lines += ["<!-- Generated by `react-bench table` from results files; do not edit by hand. -->", ""]
    for table in tables:
        lines += [_caption(table), "", LEGEND + " Best in **bold**.", ""]
        lines.append("| submission | " + " | ".join(c.header for c in table.columns) + " |")
        lines.append("|---|" + "---|" * len(table.columns))
        for name, row in table.rows.items():
            cells = [f"**{_cell_text(c)}**" if c is not None and c.best else _cell_text(c) for c in row]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
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
    header = ["track", "split", "protocol", "dataset_fingerprint", "submission"]
    for column in columns.values():
        header += [column.header, f"{column.name} ci_low", f"{column.name} ci_high"]
    writer.writerow(header)
    for table in tables:
        for name, row in table.rows.items():
            cells = {column.name: cell for column, cell in zip(table.columns, row)}
            out = [table.track, table.split, table.protocol, table.fingerprint, name]
            for column_name in columns:
                cell = cells.get(column_name)
                if cell is None:
                    out += ["", "", ""]
                    continue
                ci = cell.ci or ("", "")
                out += [repr(cell.value) + ("*" if cell.best else ""), *(repr(x) if x != "" else "" for x in ci)]
            writer.writerow(out)
    return buffer.getvalue()


def render_html(tables: list[Table], *, title: str | None = None) -> str:
    parts = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\">"]
    parts.append(f"<title>{html.escape(title or 'react-bench leaderboard')}</title></head><body>")
    if title:
        parts.append(f"<h1>{html.escape(title)}</h1>")
    for table in tables:
        parts.append(f"<p>{html.escape(_caption(table).replace('`', ''))}</p>")
        parts.append(f"<p>{html.escape(LEGEND)} Best in <b>bold</b>.</p>")
        parts.append("<table border=\"1\"><thead><tr><th>submission</th>")
        parts += [f"<th>{html.escape(c.header)}</th>" for c in table.columns]
        parts.append("</tr></thead><tbody>")
        for name, row in table.rows.items():
            cells = []
            for cell in row:
                text = html.escape(_cell_text(cell))
                cells.append(f"<td><b>{text}</b></td>" if cell is not None and cell.best else f"<td>{text}</td>")
            parts.append(f"<tr><td>{html.escape(name)}</td>{''.join(cells)}</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(tables: list[Table], *, fmt: str, title: str | None = None) -> str:
    """``tables`` as ``fmt`` (one of md, csv, html)."""
    if fmt == "md":
        return render_markdown(tables, title=title)
    if fmt == "csv":
        return render_csv(tables)
    if fmt == "html":
        return render_html(tables, title=title)
    raise BadInputError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}")
