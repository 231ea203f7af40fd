"""Benchmarks: bulk seeding of synthetic cases and the HTTP benchmark of the case registry."""
