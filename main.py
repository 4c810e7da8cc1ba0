"""Tideline: ``python main.py`` opens the desktop app; ``python main.py COMMAND`` runs the CLI."""

import sys

from cli import main

if __name__ == "__main__":
    sys.exit(main())
