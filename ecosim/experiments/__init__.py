"""Experiments at scale: sweep files, design expansion, executors, a resumable store, analysis.

``ecosim sweep FILE --out STORE.zarr`` expands a sweep of uncertainties and levers
(:mod:`~ecosim.experiments.design`), runs its blocks on an executor
(:mod:`~ecosim.experiments.executors`) and streams each run's metrics into a Zarr store
(:mod:`~ecosim.experiments.store`), which ``ecosim analyze`` and ``ecosim export`` read.
"""
