"""data.root checked before DVC hashes it.

`download` lists `${data.root}` as a dependency (editing your image folder or offline copies re-runs
it), so a data.root that does not exist stops `dvc repro` inside DVC, with its own `[Errno 2] ...`
and no key named. The `locate` stage, upstream of `download` and depending on the params only, runs
this check first and fails with the key, the value and what is allowed.

Its limit: `locate` re-runs when the params change, not when the folder goes away. A folder removed
after a run, or a clone whose `data/root.json` came from `dvc pull` without the images, meets DVC's
own `[Errno 2]` in `download` (marking `locate` always-changed would re-run it on every `dvc repro`
and keep it out of the run-cache)."""
from __future__ import annotations

from pathlib import Path

from synthmix.params import ParamsError


def check_root(name: str, root: str) -> dict:
    """The located data.root as a record for `download` to depend on; ParamsError when it is no
    existing folder. The record holds the params as given (no resolved machine path)."""
    what = ("the folder of your images, one sub-folder per class (<root>/<class>/*.png|jpg)" if name == "folder"
            else "the folder where raw files are looked for (offline copies) and downloaded to (<root>/<name>/)")
    if not root.strip():
        # Path("") is ".", the repository itself: download would depend on (and search) the whole project
        raise ParamsError(f"params: data.root = {root!r}: empty; it must be {what}. Set it to a folder such as "
                          "data/downloads (the default)")
    path = Path(root)
    if not path.exists():
        raise ParamsError(f"params: data.root = {root!r}: no such folder; it must be {what}. Create it, or set "
                          "data.root to an existing folder (the default is data/downloads)")
    if not path.is_dir():
        raise ParamsError(f"params: data.root = {root!r}: a file, not a folder; it must be {what}")
    return {"data.name": name, "data.root": root}
