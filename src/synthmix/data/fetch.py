"""Getting raw files onto disk safely: download with checksum, find local copies, extract archives.

- `obtain` looks for a file in the dataset's root first (offline use); only when it is absent is it
  downloaded, to `<name>.part`, verified, then renamed, so an interrupted or corrupt download never
  leaves a file that looks complete.
- `safe_extract` checks every member of a tar or zip archive before writing anything and refuses
  members that would land outside the target directory (absolute paths, `..`, links, devices).
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tarfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from synthmix.core.errors import DataError
from synthmix.core.io import disk_full, is_disk_full
from synthmix.core.progress import progress


@dataclass(frozen=True)
class Remote:
    """One published file: its name, its published checksum and where it can be downloaded.

    The checksum is an md5 (datasets) or, for model weights, the start of the sha256 that
    torchvision publishes in the file name (`resnet18-f37072fd.pth`) and torch.hub checks."""
    filename: str
    md5: str = ""
    urls: tuple[str, ...] = ()
    manual: str = ""            # how to get the file when it cannot be downloaded
    sha256_prefix: str = ""

    @property
    def algorithm(self) -> str:
        return "md5" if self.md5 else "sha256"

    @property
    def expected(self) -> str:
        return self.md5 or f"{self.sha256_prefix}... (the published prefix)"

    def digest(self, path: Path) -> str:
        return file_md5(path) if self.md5 else file_sha256(path)

    def accepts(self, digest: str) -> bool:
        return digest == self.md5 if self.md5 else bool(self.sha256_prefix) and digest.startswith(self.sha256_prefix)


def _file_digest(path: Path, h) -> str:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_md5(path: Path) -> str:
    return _file_digest(path, hashlib.md5(usedforsecurity=False))


def file_sha256(path: Path) -> str:
    return _file_digest(path, hashlib.sha256())


@dataclass
class Obtained:
    path: Path
    digest: str                 # md5 or sha256, as the Remote publishes it
    matches: bool               # the digest is the published one
    downloaded: bool


def find_local(remote: Remote, roots: list[Path]) -> Path | None:
    for root in roots:
        path = Path(root) / remote.filename
        if path.is_file():
            return path
    return None


def obtain(remote: Remote, roots: list[Path], download_dir: Path, mirror: str = "",
           timeout: float = 60.0) -> Obtained:
    """A local copy from `roots` (checksum compared, not enforced) or a verified download.

    A local copy whose checksum differs is returned with `matches=False`: the caller decides whether
    it is acceptable. A download must match the published checksum exactly.
    """
    local = find_local(remote, roots)
    if local is not None:
        digest = remote.digest(local)
        return Obtained(local, digest, remote.accepts(digest), downloaded=False)
    urls = [mirror.rstrip("/") + "/" + remote.filename] if mirror else list(remote.urls)
    where = " or ".join(str(Path(r) / remote.filename) for r in roots)
    if not urls:
        raise DataError(f"{remote.filename}: not found at {where}. "
                        + remote.manual.replace("{where}", str(Path(roots[0]) / remote.filename)))
    dest = Path(download_dir) / remote.filename
    dest.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in urls:
        try:
            _download(url, dest, timeout)
        except DataError as e:
            errors.append(str(e))
            continue
        digest = remote.digest(dest)
        if not remote.accepts(digest):
            dest.unlink()
            errors.append(f"{url}: {remote.algorithm} {digest} does not match the published {remote.expected}; deleted")
            continue
        return Obtained(dest, digest, True, downloaded=True)
    raise DataError(f"{remote.filename}: not found at {where}, and downloading failed:\n  "
                    + "\n  ".join(errors))


def _download(url: str, dest: Path, timeout: float) -> None:
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as f:
            expected = response.headers.get("Content-Length")
            with progress(total=int(expected) if expected else None, desc=dest.name, unit="B", unit_scale=True,
                          unit_divisor=1024) as bar:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    f.write(chunk)
                    bar.update(len(chunk))
        got = part.stat().st_size
        if expected is not None and got != int(expected):
            raise DataError(f"{url}: truncated download, {got} of {expected} bytes")
        os.replace(part, dest)
    except http.client.IncompleteRead as e:
        raise DataError(f"{url}: truncated download, {len(e.partial)} bytes then the connection "
                        "closed") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        if is_disk_full(e):            # not the mirror's fault: trying the next one would fail the same way
            raise disk_full(dest, e) from None
        raise DataError(f"{url}: download failed ({type(e).__name__}: {e})") from None
    finally:
        part.unlink(missing_ok=True)


def _check_member(archive: Path, name: str, target: Path) -> None:
    p = PurePosixPath(name.replace("\\", "/"))
    resolved = (target / p).resolve()
    if p.is_absolute() or ".." in p.parts or not resolved.is_relative_to(target):
        raise DataError(f"{archive}: member {name!r} would be written outside {target}; refusing to "
                        "extract this archive")


def safe_extract(archive: Path, target: Path) -> None:
    """Extract a .tar(.gz) or .zip into `target`, refusing any member that would escape it."""
    archive, target = Path(archive), Path(target).resolve()
    target.mkdir(parents=True, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                for info in z.infolist():
                    _check_member(archive, info.filename, target)
                bad = z.testzip()
                if bad is not None:
                    raise DataError(f"{archive}: member {bad!r} is corrupt (CRC mismatch)")
                z.extractall(target)
            return
        with tarfile.open(archive) as t:
            members = t.getmembers()
            for m in members:
                _check_member(archive, m.name, target)
                if not (m.isfile() or m.isdir()):
                    raise DataError(f"{archive}: member {m.name!r} is a link or device; refusing to "
                                    "extract this archive")
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.10.12: a second line of defence
                t.extractall(target, members=members, filter="data")
            else:
                t.extractall(target, members=members)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, zlib.error) as e:
        if is_disk_full(e):            # the archive is fine: the extraction did not fit
            raise disk_full(target, e) from None
        raise DataError(f"{archive}: not a readable archive ({type(e).__name__}: {e})") from None
