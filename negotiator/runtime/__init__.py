"""Running: options, agent processes (launcher, pools, CPU pinning), the run itself and its
summary.
"""
