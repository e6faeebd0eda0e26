"""The leaderboard page: one self-contained HTML file rendered from results files only.

Styles, script and plots are inline (PNG as data URIs), so the file opens offline and can be shared as
is. Each table (offline, online, ablations when given) is sortable by any column (click a header; click
again to reverse); every value shows its 95% bootstrap CI as an interval bar, scaled per column;
the best value per column follows the metric's direction and the same rules as the md/csv tables
(reference rows and values flagged as degenerate are never best); reference rows (GT, the Oracle)
sit in their own block below the submissions; each submission's details (config, seeds, git hash,
timings) open with one click on its name. Opening ``index.html#sort=<column>`` sorts by that column
on load (a hook for tests and for links).
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

from react_bench.leaderboard.stats import BOOTSTRAP_RESAMPLES, CI_LEVEL
from react_bench.leaderboard.table import Cell, Table, caption_text

__all__ = ["render_page"]

_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7fb}
header{background:#1d2b4f;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}main{padding:8px 28px 40px;max-width:1500px}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;margin:18px 0;padding:14px 18px}
h2{font-size:18px;margin:4px 0 8px}.caption{color:#475069;font-size:13px;margin:0 0 10px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th{position:sticky;top:0;background:#eef1f8;cursor:pointer;user-select:none;text-align:right;padding:6px 8px;
white-space:nowrap;border-bottom:2px solid #c9d0e3}th:first-child,td:first-child{text-align:left}
th[aria-sort=ascending]::after{content:" \\25B4"}th[aria-sort=descending]::after{content:" \\25BE"}
td{padding:5px 8px;border-bottom:1px solid #e6e9f2;text-align:right;vertical-align:top}
tbody.refs td{background:#fafafa;color:#5b6275}tbody.refs tr:first-child td{border-top:2px solid #c9d0e3}
td.best{font-weight:700;background:#e5f5e9}td.flag{color:#9a5b00}td.flag .v::after{content:" \\2021"}
.bar{display:block;height:5px;background:#e6e9f2;border-radius:3px;margin-top:3px;position:relative}
.bar i{position:absolute;top:0;height:5px;background:#6d86c9;border-radius:3px}
.bar b{position:absolute;top:-2px;width:2px;height:9px;background:#1d2b4f}
.ci{display:block;color:#7b8297;font-size:11px}.tag{font-size:11px;border-radius:3px;padding:0 4px;margin-left:4px}
.tag.ref{background:#e3e7f3}.tag.fail{background:#fde2e0;color:#9b1c12}details summary{cursor:pointer}
details pre{font-size:11px;max-width:560px;white-space:pre-wrap;background:#f3f4f8;padding:6px;border-radius:4px}
.plots{display:flex;flex-wrap:wrap;gap:12px}.plots figure{margin:0;max-width:440px}
.plots img{max-width:100%;border:1px solid #e6e9f2;border-radius:4px}.plots figcaption{font-size:12px;color:#475069}
.legend{font-size:12px;color:#475069}
"""

_SCRIPT = """
(function(){
  function key(td){var v=td.getAttribute('data-sort');return v===null||v===''?NaN:parseFloat(v);}
  function sortBy(th){
    var table=th.closest('table'),index=Array.prototype.indexOf.call(th.parentNode.children,th);
    var asc=th.getAttribute('aria-sort')!=='ascending';
    table.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort');});
    th.setAttribute('aria-sort',asc?'ascending':'descending');
    table.querySelectorAll('tbody').forEach(function(body){
      var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){
        var x,y;
        if(index===0){x=a.cells[0].getAttribute('data-sort');y=b.cells[0].getAttribute('data-sort');
          return asc?x.localeCompare(y):y.localeCompare(x);}
        x=key(a.cells[index]);y=key(b.cells[index]);
        if(isNaN(x))return 1;if(isNaN(y))return -1;return asc?x-y:y-x;});
      rows.forEach(function(r){body.appendChild(r);});
    });
  }
  document.querySelectorAll('th').forEach(function(th){th.addEventListener('click',function(){sortBy(th);});});
  var m=/sort=([^&]+)/.exec(location.hash);
  if(m){var name=decodeURIComponent(m[1]);
    document.querySelectorAll('th').forEach(function(th){if(th.getAttribute('data-name')===name)sortBy(th);});}
})();
"""


def render_page(
    sections: list[tuple[str, list[Table], list[dict]]], *, title: str = "react-bench leaderboard",
    plots: dict[str, list[Path]] | None = None, notes: str | None = None,
) -> str:
    """The page for ``sections``: ``(heading, tables, records)`` each (e.g. the offline and online
    tracks; records give each row's details); ``plots`` maps a heading to PNG files embedded below it."""
    plots = plots or {}
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title><style>{_STYLE}</style></head><body>",
             f"<header><h1>{_e(title)}</h1><p>Generated by <code>react-bench table --format html</code> from "
             f"results files only; do not edit by hand.</p></header><main>"]
    if notes:
        parts.append(f'<section><p class="legend">{_e(notes)}</p></section>')
    for heading, tables, records in sections:
        details = {record["submission"]["name"]: record for record in records}
        parts.append(f"<section><h2>{_e(heading)}</h2>")
        for table in tables:
            parts.append(_table_html(table, details))
        figures = plots.get(heading, [])
        if figures:
            parts.append('<div class="plots">' + "".join(_figure(path) for path in figures) + "</div>")
        parts.append("</section>")
    parts.append(f'<section><p class="legend">{_e(_legend())}</p></section>')
    parts.append(f"</main><script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _legend() -> str:
    return (
        f"Each value: the run's metric with its {CI_LEVEL:.0%} bootstrap CI over speakers ({BOOTSTRAP_RESAMPLES} "
        "resamples of the per-speaker values), drawn as a bar scaled to the column's range (the dark tick is "
        "the value). Highlighted: the best submission per column in the metric's direction. Reference rows "
        "(GT sees the answer, the Oracle samples the true process) are shown apart and never marked best. A "
        "value marked \u2021 is degenerate by construction (hover for why) and never marked best. On the online "
        "track, a row whose causality audit failed or is missing is tagged and never marked best. Click a "
        "header to sort, a submission's name for its config, seeds, git hash and timings."
    )


def _table_html(table: Table, details: dict[str, dict]) -> str:
    ranges = [_column_range(table, j) for j in range(len(table.columns))]
    head = '<th data-name="submission">submission</th>' + "".join(
        f'<th data-name="{_e(c.name)}">{_e(c.header)}</th>' for c in table.columns)
    bodies = {False: [], True: []}
    for name, row in table.rows.items():
        reference = name in table.references
        cells = [_name_cell(name, details.get(name), reference, table)]
        cells += [_cell_html(cell, ranges[j]) for j, cell in enumerate(row)]
        bodies[reference].append("<tr>" + "".join(cells) + "</tr>")
    out = [f'<p class="caption">{_e(caption_text(table))}</p>', f"<table><thead><tr>{head}</tr></thead>",
           "<tbody>" + "".join(bodies[False]) + "</tbody>"]
    if bodies[True]:
        out.append('<tbody class="refs">' + "".join(bodies[True]) + "</tbody>")
    out.append("</table>")
    return "\n".join(out)


def _name_cell(name: str, record: dict | None, reference: bool, table: Table) -> str:
    tags = '<span class="tag ref">reference</span>' if reference else ""
    verdict = table.audits.get(name)
    if verdict not in (None, "passed"):
        tags += f'<span class="tag fail">audit {_e(verdict)}</span>'
    if record is None:
        return f'<td data-sort="{_e(name)}">{_e(name)}{tags}</td>'
    info = {
        "description": record["submission"].get("description"),
        "config": record.get("config"),
        "effective_config": record["submission"].get("effective_config"),
        "seeds": {k: v for k, v in (record.get("seeds") or {}).items() if k != "batch_seeds"},
        "git_hash": (record.get("provenance") or {}).get("git_hash"),
        "react_bench_version": (record.get("provenance") or {}).get("react_bench_version"),
        "date": (record.get("provenance") or {}).get("date"),
        "timings": record.get("timings"),
        "online": record.get("online"),
        "audit": record.get("audit"),
        "degenerate": record.get("degenerate"),
    }
    body = json.dumps({k: v for k, v in info.items() if v not in (None, {}, [])}, indent=1, default=str)
    return (f'<td data-sort="{_e(name)}"><details><summary>{_e(name)}{tags}</summary>'
            f"<pre>{_e(body)}</pre></details></td>")


def _column_range(table: Table, j: int) -> tuple[float, float] | None:
    values = []
    for row in table.rows.values():
        cell = row[j]
        if cell is None or cell.text is not None or not math.isfinite(cell.value):
            continue
        values.append(cell.value)
        if cell.ci:
            values.extend(cell.ci)
    if not values or min(values) == max(values):
        return None
    return min(values), max(values)


def _cell_html(cell: Cell | None, span: tuple[float, float] | None) -> str:
    if cell is None:
        return '<td data-sort="">–</td>'
    if cell.text is not None:
        return f'<td data-sort="">{_e(cell.text)}</td>'
    classes = (["best"] if cell.best else []) + (["flag"] if cell.flag else [])
    attrs = f' class="{" ".join(classes)}"' if classes else ""
    if cell.flag:
        attrs += f' title="{_e(cell.flag)}"'
    text = f'<span class="v">{_number(cell.value)}</span>'
    if cell.ci is not None:
        text += f'<span class="ci">[{_number(cell.ci[0])}, {_number(cell.ci[1])}]</span>'
        if span is not None:
            low, high = span
            left = 100 * (cell.ci[0] - low) / (high - low)
            width = max(0.5, 100 * (cell.ci[1] - cell.ci[0]) / (high - low))
            tick = 100 * (cell.value - low) / (high - low)
            text += (f'<span class="bar"><i style="left:{left:.2f}%;width:{width:.2f}%"></i>'
                     f'<b style="left:{tick:.2f}%"></b></span>')
    return f'<td data-sort="{cell.value!r}"{attrs}>{text}</td>'


def _figure(path: Path) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    name = Path(path).stem.replace("_", " ")
    return f'<figure><img alt="{_e(name)}" src="data:image/png;base64,{data}"><figcaption>{_e(name)}</figcaption></figure>'


def _number(x: float) -> str:
    return f"{x:.4g}"


def _e(text) -> str:
    return html.escape(str(text), quote=True)
