"""dvc.yaml must list, for every stage, exactly the files of src/synthmix that its script imports
(directly or through other synthmix modules): a code change then re-runs exactly the stages that use
that code, never serves a stale cached result (a missing dep) and never re-runs a stage for code it
does not use (an extra dep)."""
import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def module_file(name: str) -> Path | None:
    base = SRC / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def synthmix_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}     # `from pkg import module`
    return {n for n in names if n.split(".")[0] == "synthmix" and module_file(n)}


def closure(script: Path) -> set[Path]:
    """Every synthmix source file the script imports, transitively (package __init__ files included)."""
    seen: set[Path] = set()
    todo = [script]
    while todo:
        for name in synthmix_imports(todo.pop()):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):                      # importing a.b.c runs a and a.b too
                f = module_file(".".join(parts[:i]))
                if f and f not in seen:
                    seen.add(f)
                    todo.append(f)
    return seen


STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def has_code(path: Path) -> bool:
    """False for a module that is only a docstring (most package __init__ files)."""
    body = ast.parse(path.read_text()).body
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in body)


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_stage_deps_are_exactly_the_imported_source_files(stage):
    spec = STAGES[stage].get("do") or STAGES[stage]
    script = ROOT / spec["cmd"].split()[1]
    deps = [d.rstrip("/") for d in spec["deps"] if d.startswith(("src/", "stages/"))]
    assert str(script.relative_to(ROOT)) in deps
    # the package's own __init__ holds only the version: a version bump must not re-run everything
    used = sorted(str(f.relative_to(ROOT)) for f in closure(script)
                  if has_code(f) and f != SRC / "synthmix" / "__init__.py")
    missing = [f for f in used if not any(f == d or f.startswith(d + "/") for d in deps)]
    assert not missing, f"{stage} imports {missing} but dvc.yaml does not list them as deps"
    extra = [d for d in deps if d.startswith("src/") and d not in used]
    assert not extra, f"{stage} lists {extra} as deps but never imports them (a change there would re-run it)"


def test_closure_follows_imports_through_modules():
    found = {str(f.relative_to(ROOT)) for f in closure(ROOT / "stages/train_gan.py")}
    assert "src/synthmix/evaluate/frechet.py" in found          # via synthmix.judge
    assert "src/synthmix/evaluate/quality.py" not in found      # a KID change never retrains a GAN
    assert not any(f.startswith("src/synthmix/report/") for f in found)


def test_committed_lock_holds_only_stages_of_the_pipeline():
    """dvc.lock keeps entries of stages that were renamed or removed until someone prunes them; a
    stale entry misleads whoever reads the lock (and `dvc repro` never removes it)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "dvc", "stage", "list", "--name-only"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())["stages"]
    assert set(lock) == set(out.split())
