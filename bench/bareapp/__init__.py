"""A bench-only Django app: the bare endpoint that bench/load.py compares the submission API with.

Installed only by ``bench.bareapp.settings``; never in the product's settings or URLs.
"""
