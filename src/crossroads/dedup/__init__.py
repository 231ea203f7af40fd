"""Duplicate detection: matching keys, comparisons, the trained model and the batch engine."""
