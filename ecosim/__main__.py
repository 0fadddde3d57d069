"""``python -m ecosim`` runs the command line."""

from ecosim.cli import main

main()
