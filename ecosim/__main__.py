"""``python -m ecosim`` runs the command line."""

from ecosim.cli import main

if __name__ == "__main__":  # not when a child process imports the main module again
    main()
