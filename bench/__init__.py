"""Benchmark scripts; each is a thin entry to a module of crossroads.bench."""
