"""What the benchmarks share to measure: statistics, servers, pgbench, bulk seeding, printing the result."""
