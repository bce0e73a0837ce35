"""Run the pipeline's out-of-date stages on a Dask cluster, joined through DVC's remote and run-cache.

  graph.py    the stage graph as DVC reads it, which stages are out of date, a key per computation
  worker.py   what a Dask task does on a worker: a workspace of its own, `dvc repro --single-item`,
              push outputs and run-cache
  engine.py   the clusters a user names (`local:N`, `tcp://host:port`, `slurm[:k=v,...]`)
  runner.py   submit the graph, show progress, fail once on a real error, cancel on Ctrl-C

Optional (`pip install 'synthmix[cluster]'`): no stage imports this package, and nothing here
imports `distributed` until a cluster run starts.
"""
