"""Experiments over many runs: sweeps (spec, executors, results, statistics), screening, maps and
tournaments.
"""
