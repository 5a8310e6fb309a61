"""Benchmarks that print figures (`python bench/ws_fanout.py`)."""
