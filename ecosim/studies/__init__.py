"""Studies: questions that take many runs, run through the experiments' executors.

- :mod:`~ecosim.studies.replicates`: one scenario point under replicates ``0..N-1``;
- :mod:`~ecosim.studies.compare`: strategy portfolios, gain against cost (Pareto, regret);
- :mod:`~ecosim.studies.counterfactuals`: which layer to make sovereign, with whom to ally.

Each study lists its simulations as cells (:mod:`~ecosim.studies.cells`): a scenario at a
``(future, replicate)`` position, whose random streams come from the scenario's seed and that
pair alone. The cells go to an executor of :mod:`ecosim.experiments.executors` (this process, a
Dask ``LocalCluster``, a running scheduler or SLURM jobs), so a study gives the same bits on one
process or many workers. Summaries of datasets are in :mod:`ecosim.observe.summary`.
"""
