"""``python -m negotiator [COMMAND ...]``: the command line, as ``run.py`` and the ``negotiator``
console script (:func:`negotiator.cli.main`)."""

import sys

from negotiator.cli import main

if __name__ == "__main__":
    sys.exit(main())
