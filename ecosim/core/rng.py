"""Named random streams.

Every stochastic process draws from its own stream, derived from the run's root
``SeedSequence(entropy, spawn_key=(future, replicate))`` by the stream's *name*, not by the order
in which streams are asked for. Adding a shock, pulling a lever or running on another worker
therefore never shifts the numbers another process sees: strategies are compared under common
random numbers, and a run is bit-identical wherever it executes.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> tuple[int, int]:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest[:4], "little"), int.from_bytes(digest[4:], "little")


class Streams:
    """Factory of named, independent ``numpy.random.Generator`` streams for one run.

    Parameters
    ----------
    entropy
        The scenario's seed (root entropy).
    future, replicate
        Position of the run in a sweep; a single run is future 0, replicate 0.
    """

    def __init__(self, entropy: int, future: int = 0, replicate: int = 0) -> None:
        self.entropy = int(entropy)
        self.future = int(future)
        self.replicate = int(replicate)
        self.root = np.random.SeedSequence(self.entropy, spawn_key=(self.future, self.replicate))
        self._cache: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The seed sequence of stream ``name`` (a pure function of entropy, run and name)."""
        return np.random.SeedSequence(
            self.entropy, spawn_key=(*self.root.spawn_key, *_name_key(name))
        )

    def get(self, name: str) -> np.random.Generator:
        """The generator of stream ``name``, created on first use and kept for the run."""
        gen = self._cache.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._cache[name] = gen
        return gen

    def fresh(self, name: str) -> np.random.Generator:
        """A new generator of stream ``name`` at its start, independent of ``get``'s state."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
