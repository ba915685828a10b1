"""Experiments over many runs: sweeps (spec, executors, results, statistics, summary), screening,
maps and tournaments.
"""
