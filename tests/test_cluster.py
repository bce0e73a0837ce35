"""The cluster runner's parts without a cluster: --cluster specs, the SLURM job script, the stage
graph DVC reads and what a run submits, the DVC commands a task runs, its one-line failures."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from synthmix.cluster.engine import check_spec, parse_local, parse_slurm, slurm_cluster
from synthmix.cluster.graph import StageNode, closure, out_of_date, read_stages, task_keys
from synthmix.cluster.runner import with_overrides
from synthmix.cluster.workspace import changed_paths, describe_project
from synthmix.cluster import dvc_steps as dvc_steps_module
from synthmix.cluster.dvc_steps import PUSH_ENTRY
from synthmix.cluster.worker import StageJob, dvc_steps, failure_line, run_while_wanted

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("spec,message", [
    ("local:0", "local:N takes a worker count >= 1"),
    ("local:two", "local:N takes a worker count >= 1"),
    ("slurm:gpu=1", "'gpu=1' is not key=value with a key among jobs, cpus, memory, gpus"),
    ("slurm:jobs=0", "jobs='0' must be an integer >= 1"),
    ("slurm:gpus=-1", "gpus='-1' must be an integer >= 0"),
    ("ftp://host", "use local:N, tcp://host:port"),
    ("tcp://", "use local:N, tcp://host:port"),
    ("slurm:memory=lots", "memory='lots' is not a size such as 16GB"),
    ("slurm:walltime=4h", "walltime='4h' is not [D-]HH:MM:SS"),
    ("slurm:queue=", "queue= needs a value"),
])
def test_bad_cluster_spec_names_itself_and_what_is_allowed(spec, message):
    with pytest.raises(ValueError, match="--cluster") as e:
        check_spec(spec)
    assert repr(spec) in str(e.value) and message in str(e.value)


def test_cluster_specs_parse():
    assert parse_local("local:3") == 3
    options = parse_slurm("slurm:jobs=8,gpus=1,memory=32GB")
    assert (options["jobs"], options["gpus"], options["memory"], options["cpus"]) == (8, 1, "32GB", 4)
    check_spec("tcp://10.0.0.5:8786")
    check_spec("slurm")


def test_slurm_job_script_asks_for_the_gpu_cpus_and_memory_of_each_job():
    cluster = slurm_cluster(parse_slurm("slurm:jobs=2,gpus=1,cpus=8,memory=32GB,queue=gpu,account=lab,"
                                        "walltime=02:00:00"))
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for line in ("#SBATCH -p gpu", "#SBATCH -A lab", "#SBATCH --cpus-per-task=8", "#SBATCH --mem=30G",
                 "#SBATCH -t 02:00:00", "#SBATCH --gres=gpu:1"):
        assert line in script, script
    # one worker per job, one stage at a time, offering the GPU the torch stages ask for
    assert "--nthreads 1" in script and "--resources GPU=1" in script
    cpu_only = slurm_cluster(parse_slurm("slurm:cpus=2,memory=4GB"))
    try:
        script = cpu_only.job_script()
    finally:
        cpu_only.close()
    assert "--cpus-per-task=2" in script and "--gres" not in script and "GPU=1" not in script


def node(name, upstream=(), **params):
    return StageNode(name, params, tuple(upstream))


STAGES = {n.name: n for n in [node("a", x=1), node("b", ["a"], y=2), node("c", ["a"], z=3), node("d", ["b", "c"])]}


def lock(**params_by_stage):
    return yaml.safe_dump({"schema": "2.0", "stages": {
        name: {"cmd": "x", "params": {"params.yaml": values}} for name, values in params_by_stage.items()}})


def test_closure_is_upstream_first_and_unknown_targets_are_named():
    assert closure(STAGES, ["b"]) == ["a", "b"]
    assert closure(STAGES, []) == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match="no stage named 'zz'.*the stages are: a, b, c, d"):
        closure(STAGES, ["zz"])


def test_out_of_date_follows_params_changes_missing_entries_and_upstream():
    order = closure(STAGES, [])
    locked = lock(a={"x": 1}, b={"y": 2}, c={"z": 3}, d={})
    assert out_of_date(STAGES, order, set(), locked) == []
    assert out_of_date(STAGES, order, {"c"}, locked) == ["c", "d"]                # dvc status said so
    assert out_of_date(STAGES, order, set(), lock(a={"x": 1}, b={"y": 5}, c={"z": 3}, d={})) == ["b", "d"]
    assert out_of_date(STAGES, order, set(), lock(a={"x": 0}, b={"y": 2}, c={"z": 3}, d={})) == order
    assert out_of_date(STAGES, order, set(), lock(a={"x": 1}, b={"y": 2}, d={})) == ["c", "d"]   # no entry
    # a stage the workspace's params do not give: its lock entry may be a leftover of another setting
    assert out_of_date(STAGES, order, set(), locked, known={"a", "b", "d"}) == ["c", "d"]


def test_task_keys_name_the_computation_so_a_sweep_runs_a_shared_stage_once():
    order = closure(STAGES, [])
    keys = task_keys(STAGES, order, "c0ffee")
    assert keys == task_keys(dict(STAGES), order, "c0ffee")             # same computation, same key
    other = dict(STAGES, c=node("c", ["a"], z=4))
    changed = task_keys(other, order, "c0ffee")
    assert changed["a"] == keys["a"] and changed["b"] == keys["b"]      # shared with the other setting
    assert changed["c"] != keys["c"] and changed["d"] != keys["d"]      # d reads c
    assert task_keys(STAGES, order, "beef")["a"] != keys["a"]           # other code
    assert keys["a"].startswith("a-")


def test_read_stages_asks_dvc_for_the_graph_under_other_params():
    params = with_overrides((ROOT / "params.yaml").read_text(), {"mix.ratios": [10, 30]})
    stages = read_stages(ROOT, params)
    assert {"train_mix@10", "train_mix@30"} <= set(stages) and "train_mix@25" not in stages
    assert stages["train_mix@10"].params["classifier"]["replicates"] == 15      # the params it declares
    assert "prepare" in stages["train_judge"].upstream and stages["locate"].upstream == ()
    gan = next(n for n in stages if n.startswith("train_gan@"))
    assert stages[gan].wants_gpu and stages["evaluate"].wants_gpu and not stages["report"].wants_gpu
    assert {s for s in stages["refine"].upstream if s.startswith("train_gan@")} == \
        {s for s in stages if s.startswith("train_gan@")}       # one folder written by every GAN stage


def test_with_overrides_sets_dotted_keys():
    text = with_overrides("mix:\n  ratios: [25]\n  mode: add\ngan:\n  steps: 3\n", {"mix.ratios": [50], "x.y": 1})
    assert yaml.safe_load(text) == {"mix": {"ratios": [50], "mode": "add"}, "gan": {"steps": 3}, "x": {"y": 1}}


def job(**kw):
    base = dict(stage="refine", git_url="/g", commit="c", params_text="", lock_text="", remote_url="/r",
                upstream=("train_gan@0-0", "train_judge"))
    return StageJob(**{**base, **kw})


def test_a_task_pushes_outputs_before_the_run_cache_entry_naming_them():
    steps = dvc_steps(job(remote_name="store"))
    assert steps[0] == ["pull", "-r", "store", "train_gan@0-0", "train_judge"]   # inputs by stage name
    assert steps[1] == ["repro", "--single-item", "refine"]
    assert steps[2:] == [["push", "-r", "store", "refine"], [PUSH_ENTRY, "-r", "store", "refine"]]
    # one machine without a DVC remote: the workers' cache is the submitter's, nothing to move
    assert dvc_steps(job(cache_dir="/r")) == [["checkout", "train_gan@0-0", "train_judge"],
                                              ["repro", "--single-item", "refine"]]
    assert dvc_steps(job(upstream=(), cache_dir="/r")) == [["repro", "--single-item", "refine"]]


def test_only_the_stages_own_run_cache_entry_reaches_the_remote(tmp_path):
    """`dvc push --run-cache` would send every entry of the cache (another task's, whose outputs are
    not pushed yet); the task's own step sends this stage's entry, after its outputs."""
    def dvc(*args):
        out = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=tmp_path, capture_output=True, text=True)
        assert out.returncode == 0, out.stdout + out.stderr

    dvc("init", "-q", "--no-scm")
    (tmp_path / "in.txt").write_text("x\n")
    for name in ("a", "b"):
        dvc("stage", "add", "-q", "-n", name, "-d", "in.txt", "-o", f"{name}.txt", f"echo {name} > {name}.txt")
    dvc("repro", "-q")
    dvc("remote", "add", "-d", "store", str(tmp_path / "store"))
    steps = [["push", "-r", "store", "b"], [PUSH_ENTRY, "-r", "store", "b"]]
    out = subprocess.run([sys.executable, str(Path(dvc_steps_module.__file__)), json.dumps(steps)], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0 and "# exit 0" in out.stdout, out.stdout + out.stderr
    local = sorted(p for p in (tmp_path / ".dvc" / "cache" / "runs").rglob("*") if p.is_file())
    pushed = sorted(p for p in (tmp_path / "store" / "runs").rglob("*") if p.is_file())
    assert len(local) == 2 and len(pushed) == 1
    entry = yaml.safe_load(pushed[0].read_text())
    assert [o["path"] for o in entry["outs"]] == ["b.txt"]
    md5 = entry["outs"][0]["md5"]
    assert (tmp_path / "store" / "files" / "md5" / md5[:2] / md5[2:]).is_file()     # its output is there
    assert pushed[0].relative_to(tmp_path / "store") in {p.relative_to(tmp_path / ".dvc" / "cache") for p in local}


def test_failure_line_is_the_stages_own_error_else_dvcs():
    log = "$ dvc repro\nRunning stage 'prepare':\nerror: class '0' has 9 images\nERROR: failed to reproduce\n" \
          "# exit 255 after 1.00 s\n"
    assert failure_line(log) == "class '0' has 9 images"
    assert failure_line("$ dvc pull\nERROR: failed to pull data from the cloud\n# exit 1 after 0.5 s\n") == \
        "ERROR: failed to pull data from the cloud"
    assert failure_line("$ dvc pull\n# exit 1 after 0.5 s\n") == "no output"


def test_a_command_outside_a_worker_runs_to_its_exit_code(tmp_path):
    with open(tmp_path / "log", "w") as out:
        assert run_while_wanted([sys.executable, "-c", "print('hi'); raise SystemExit(3)"], tmp_path, {}, out) == 3
    assert (tmp_path / "log").read_text() == "hi\n"


def test_uncommitted_code_is_refused_before_any_work(tmp_path):
    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    for name in ("code.py", "params.yaml"):
        (tmp_path / name).write_text("a\n")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x")
    (tmp_path / "params.yaml").write_text("b\n")          # travels with the tasks: allowed
    (tmp_path / "code.py").write_text("b\n")
    with pytest.raises(ValueError, match="uncommitted changes in code.py: the workers run the committed code"):
        describe_project(tmp_path, local=True)
    assert changed_paths("R  new.py\0old.py\0 M a b.py\0?? x\0") == ["new.py", "a b.py", "x"]


def test_no_stage_imports_the_cluster_code():
    """The cluster extra is optional: no stage (so no `dvc repro`) reaches it or Dask."""
    from synthmix.core.imports import import_closure

    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    scripts = {ROOT / (spec.get("do") or spec)["cmd"].split()[1] for spec in stages.values()}
    assert len(scripts) > 10
    for script in scripts:
        used = [str(f.relative_to(ROOT)) for f in import_closure(script)]
        assert not [f for f in used if f.startswith("src/synthmix/cluster/")], script
        assert "distributed" not in script.read_text()


def test_stages_get_the_submitters_thread_and_malloc_settings_not_dasks(tmp_path, monkeypatch):
    """Dask's workers run with OMP/MKL/OPENBLAS threads 1 and MALLOC_TRIM_THRESHOLD_ 65536; a stage
    gets the submitter's values, as under its own `dvc repro` (other BLAS threads, other bytes)."""
    from synthmix.cluster.worker import DASK_SPAWN_VARIABLES, stage_env

    for name in DASK_SPAWN_VARIABLES:
        monkeypatch.setenv(name, "1")
    env = stage_env(job(spawn_env={"OMP_NUM_THREADS": "2", "MALLOC_TRIM_THRESHOLD_": None}), tmp_path)
    assert env["OMP_NUM_THREADS"] == "2"
    assert not {"MALLOC_TRIM_THRESHOLD_", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"} & set(env)
    assert env["PYTHONPATH"].split(":")[0] == str(tmp_path / "src")        # the clone's code runs


def test_lock_params_read_as_dvc_reads_them():
    """DVC writes dvc.lock as YAML 1.2: `1e-05` is a float there (a string to PyYAML's 1.1), so a
    small learning rate must not make its stage look changed on every run."""
    from synthmix.cluster.graph import locked_params

    text = "schema: '2.0'\nstages:\n  a:\n    cmd: x\n    params:\n      params.yaml:\n        lr: 1e-05\n"
    assert locked_params(text) == {"a": {"lr": 1e-05}}
    assert out_of_date({"a": node("a", lr=1e-05)}, ["a"], set(), text) == []


def test_inputs_outside_the_clone_are_told_apart(tmp_path):
    from synthmix.cluster.workspace import outside

    assert not outside(tmp_path, "data/downloads") and not outside(tmp_path, ".")
    assert outside(tmp_path, "../elsewhere") and outside(tmp_path, "/srv/images")
