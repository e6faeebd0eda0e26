"""Leaderboards rendered from results files: tables with bootstrap CIs, and plots."""

from react_bench.leaderboard.collect import latest_runs, load_results
from react_bench.leaderboard.plots import plot_appropriateness_vs_diversity, plot_leaderboard, plot_reaction_curves
from react_bench.leaderboard.render import (
    leaderboard_page,
    leaderboard_records,
    leaderboard_records_by_track,
    leaderboard_text,
)
from react_bench.leaderboard.stats import bootstrap_ci, summarize
from react_bench.leaderboard.table import FORMATS, Table, build_tables, render

__all__ = [
    "FORMATS",
    "Table",
    "bootstrap_ci",
    "build_tables",
    "latest_runs",
    "leaderboard_page",
    "leaderboard_records",
    "leaderboard_records_by_track",
    "leaderboard_text",
    "load_results",
    "plot_appropriateness_vs_diversity",
    "plot_leaderboard",
    "plot_reaction_curves",
    "render",
    "summarize",
]
