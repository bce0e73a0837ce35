"""The synthmix source files a stage script imports, transitively: one list for the code deps
dvc.yaml must declare (tests/test_stage_deps.py checks them both ways) and for the code part of a
resume key (core.resume.source_hash), so the two cannot drift apart.

Read from the source text (ast), so imports inside functions count too: a stage that may import a
module is re-run when it changes.
"""
from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]         # the folder holding the synthmix package


def module_file(name: str) -> Path | None:
    """The source file of a synthmix module or package, None if there is none."""
    base = SRC / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def synthmix_imports(path: Path) -> set[str]:
    """Names of the synthmix modules a file imports (`from pkg import module` counts the module)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return {n for n in names if n.split(".")[0] == "synthmix" and module_file(n)}


def has_code(path: Path) -> bool:
    """False for a module that is only a docstring (most package __init__ files)."""
    body = ast.parse(path.read_text()).body
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)) for n in body)


def import_closure(script: Path) -> list[Path]:
    """Every synthmix source file with code that `script` imports, transitively, sorted; without
    the package's own __init__ (only the version: a version bump must not re-run everything)."""
    seen: set[Path] = set()
    todo = [Path(script)]
    while todo:
        for name in synthmix_imports(todo.pop()):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):                      # importing a.b.c runs a and a.b too
                f = module_file(".".join(parts[:i]))
                if f and f not in seen:
                    seen.add(f)
                    todo.append(f)
    return sorted(f for f in seen if has_code(f) and f != SRC / "synthmix" / "__init__.py")
