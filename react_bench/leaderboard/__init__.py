"""Leaderboards rendered from results files: tables with bootstrap CIs, and plots."""

from react_bench.leaderboard.ablations import (
    ABLATION_FORMATS,
    ABLATION_GROUPS,
    AblationTable,
    build_ablation_tables,
    render_ablations,
)
from react_bench.leaderboard.collect import latest_runs, latest_seed_runs, load_results
from react_bench.leaderboard.plots import plot_appropriateness_vs_diversity, plot_leaderboard, plot_reaction_curves
from react_bench.leaderboard.render import (
    ablation_tables,
    ablation_text,
    leaderboard_page,
    leaderboard_records,
    leaderboard_records_by_track,
    leaderboard_text,
)
from react_bench.leaderboard.stats import bootstrap_ci, paired_difference, summarize
from react_bench.leaderboard.table import FORMATS, Table, build_tables, render

__all__ = [
    "ABLATION_FORMATS",
    "ABLATION_GROUPS",
    "AblationTable",
    "FORMATS",
    "Table",
    "ablation_tables",
    "ablation_text",
    "bootstrap_ci",
    "build_ablation_tables",
    "build_tables",
    "latest_runs",
    "latest_seed_runs",
    "leaderboard_page",
    "leaderboard_records",
    "leaderboard_records_by_track",
    "leaderboard_text",
    "load_results",
    "plot_appropriateness_vs_diversity",
    "plot_leaderboard",
    "paired_difference",
    "plot_reaction_curves",
    "render",
    "render_ablations",
    "summarize",
]
