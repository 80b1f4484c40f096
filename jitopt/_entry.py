"""The `jitopt` command's entry point: an interruption while the program starts (importing
pandas, Pyomo and HiGHS takes a second) ends it with a message, not a traceback."""

from __future__ import annotations

import signal
import sys


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> None:
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        from jitopt.cli import main as cli
    except KeyboardInterrupt:
        sys.stderr.write("\ninterrupted before a plan was found: nothing written\n")
        raise SystemExit(4) from None
    cli()
