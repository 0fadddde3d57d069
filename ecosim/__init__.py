"""ecosim."""
