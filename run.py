#!/usr/bin/env python3
"""Entry point: ``python run.py [COMMAND ...]`` — the same CLI as the ``negotiator`` script."""

import sys

from negotiator.cli import main

if __name__ == "__main__":
    sys.exit(main())
