"""Benchmarks: run them as scripts, e.g. `.venv/bin/python bench/vote_storm.py`."""
