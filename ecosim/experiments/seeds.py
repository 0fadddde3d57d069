"""Where a sweep's randomness comes from.

A sweep has one root entropy: the sweep file's ``entropy:`` or, without it, the base
scenario's ``seed``. Every replicate ``k`` of every run of future ``f`` is simulated with
``simulate(loaded, future=f, replicate=k)``, whose streams are
``SeedSequence(entropy, spawn_key=(f, k, hash(stream name)))`` (:mod:`ecosim.core.rng`).
Nothing depends on the worker, the block, the order in which runs finish or the lever
combination, which is what makes a sweep bit-identical on 1 process, 2 workers or a job array,
and makes lever combinations of one future face the same random draws.
"""

from __future__ import annotations

from ecosim.experiments.sweepfile import SweepFile


def resolve_entropy(spec: SweepFile, base_seed: int) -> int:
    """The sweep's root entropy: ``entropy:`` if the file sets it, else the base scenario's seed."""
    return int(spec.entropy) if spec.entropy is not None else int(base_seed)


def stream_position(future: int, replicate: int) -> dict[str, int]:
    """Keyword arguments of :func:`ecosim.simulate` for one (future, replicate) pair."""
    return {"future": int(future), "replicate": int(replicate)}
