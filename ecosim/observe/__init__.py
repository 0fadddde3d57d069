"""Observers: the recorder, datasets and the metrics computed on them; they only read."""
