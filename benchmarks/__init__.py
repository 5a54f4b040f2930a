"""Reproducible performance runs; results are recorded in docs/benchmarks.md."""
