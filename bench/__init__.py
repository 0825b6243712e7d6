"""Benchmarks: speed and memory goals are measured here and reported, never asserted in tests."""
