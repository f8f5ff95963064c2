"""Reproducible benchmarks (each module's docstring says how to run it) and their results."""
