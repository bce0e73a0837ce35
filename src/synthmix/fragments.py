"""Tables of results in the docs are written by the runs that make them, never copied by hand.

A fragment is a markdown file under docs/results/, written by the script that measured it, whose
first line says where it came from:

    <!-- written by benchmarks/pipeline.py: `python benchmarks/pipeline.py`, code 1a2b3c4, <CPU model> -->

A page shows a fragment between two markers, and `python -m synthmix.fragments include README.md
docs/*.md` copies each fragment's text between its markers (`check` instead of `include` says which
copies are stale, exit status 1):

    <!-- begin docs/results/demo-answer.md -->
    <!-- end docs/results/demo-answer.md -->

tests/test_fragments.py checks that every copy equals its fragment, and that each script still writes
a fragment of the committed one's shape (its origin and its tables' headers; numbers may differ).
"""
from __future__ import annotations

import platform
import re
import subprocess
import sys
from pathlib import Path

from synthmix.core.io import write_bytes

ROOT = Path(__file__).resolve().parents[2]
# the script, the command it ran, an optional note in brackets (how the fragment was made where it
# was not the script's own --out), the code version and the machine
ORIGIN = re.compile(r"^<!-- written by (?P<script>\S+): `(?P<command>.+?)`(?: \((?P<note>.+)\))?, "
                    r"code (?P<code>\S+), (?P<machine>.+) -->$")
BLOCK = re.compile(r"(<!-- begin (\S+) -->\n)(.*?)(<!-- end \2 -->)", re.DOTALL)


def cpu_model() -> str:
    """The CPU's model name (figures and bytes depend on it), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def code_version(checkout: Path = ROOT) -> str:
    """`git describe --always --dirty` of the checkout whose code ran."""
    out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=checkout, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def origin_line(script: str, command: str, code: str | None = None, note: str | None = None) -> str:
    note = f" ({note})" if note else ""
    return f"<!-- written by {script}: `{command}`{note}, code {code or code_version()}, {cpu_model()} -->"


def write(path: Path, script: str, command: str, body: list[str], code: str | None = None,
          note: str | None = None) -> str:
    """Write the fragment (origin line, then `body`'s lines) to `path` and return its text."""
    text = "\n".join([origin_line(script, command, code, note), *body]).rstrip("\n") + "\n"
    write_bytes(path, text.encode(), register=False)      # never a half-written fragment under its name
    return text


def include(page: str, root: Path = ROOT) -> str:
    """`page` with each marked block's content replaced by its fragment's text (root-relative names)."""
    def fill(m: re.Match) -> str:
        fragment = root / m[2]
        if not fragment.is_file():
            raise FileNotFoundError(f"{m[2]}: a page includes it, but no such fragment (run the command that writes it)")
        return m[1] + fragment.read_text() + m[4]
    return BLOCK.sub(fill, page)


def included(page: str) -> list[str]:
    """The fragments a page includes, in order."""
    return [m[2] for m in BLOCK.finditer(page)]


def shape(text: str) -> list[tuple]:
    """What must not change when only the numbers do: the origin's script, and each table's header
    cells and column count (its rows collapse into one entry: their count depends on the run)."""
    out: list[tuple] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if (m := ORIGIN.match(line)):
            out.append(("origin", m["script"]))
        elif line.startswith("|") and i + 1 < len(lines) and lines[i + 1].startswith("|---"):
            out.append(("table", tuple(c.strip() for c in line.strip("|").split("|"))))
        elif line.startswith("|") and not line.startswith("|---") and out and out[-1][0] in ("table", "rows"):
            columns = line.count("|") - 1
            if out[-1] != ("rows", columns):          # a row of another width is a change of shape
                out.append(("rows", columns))
    return out


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("include", "check"):
        print("usage: python -m synthmix.fragments include|check PAGE.md [PAGE.md ...]", file=sys.stderr)
        return 2
    stale = []
    for name in argv[1:]:
        page = Path(name)
        text = page.read_text()
        filled = include(text)
        if filled != text:
            stale.append(name)
            if argv[0] == "include":
                write_bytes(page, filled.encode(), register=False)
    verb = "updated" if argv[0] == "include" else "stale"
    for name in stale:
        print(f"{verb}: {name}")
    return 1 if stale and argv[0] == "check" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
