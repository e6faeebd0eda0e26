"""Trained models of react-bench (installed as ``react_bench.models``)."""
