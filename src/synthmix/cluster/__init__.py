"""Run the pipeline's out-of-date stages on a Dask cluster, joined through DVC's remote and run-cache.

  runner.py      `synthmix run` and `synthmix sweep`, from the workspace check to the restored results
  workspace.py   the submitting clone: the commit, git and DVC remotes the workers use; what they
                 could not see (uncommitted code or inputs) refused before any work
  dvc_calls.py   every DVC command the submitting workspace runs, through one helper (run_dvc)
  submission.py  which stages to submit, one Dask task each after its upstream's, watched to the end
  graph.py       the stage graph as DVC reads it, which stages are out of date, a key per computation
  worker.py      what a Dask task does on a worker: a workspace of its own, `dvc repro --single-item`,
                 push outputs and run-cache (its DVC commands run by dvc_steps.py, in one process)
  engine.py      the clusters a user names (`local:N`, `tcp://host:port`, `slurm[:k=v,...]`)
  errors.py      RunFailed: a run that stopped after it started, in one line

Optional (`pip install 'synthmix[cluster]'`): no stage imports this package, and nothing here
imports `distributed` until a cluster run starts.
"""
