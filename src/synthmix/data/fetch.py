"""Getting raw files onto disk safely: download with checksum, find local copies, extract archives.

- `obtain` looks for a file in the dataset's root first (offline use); only when it is absent is it
  downloaded, to `<name>.part`, verified, then renamed, so an interrupted or corrupt download never
  leaves a file that looks complete.
- `content_digest` identifies what a file holds (decompressed bytes, archive members) rather than how
  it was packed, so that a local copy can be recognised by its content.
- Downloads are fsynced before they get their final name, and their folder after.
- `safe_extract` checks every member of a tar or zip archive before writing anything and refuses
  members that would land outside the target directory (absolute paths, `..`, links, devices).
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import os
import shutil
import socket
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterator

from synthmix.core.errors import DataError
from synthmix.core.io import disk_full, fsync_dir, is_disk_full
from synthmix.core.progress import progress


@dataclass(frozen=True)
class Remote:
    """One published file: its name, its published checksum and where it can be downloaded.

    The checksum is an md5 (datasets) or, for model weights, the file's full sha256 (the 8 hex digits
    in torchvision's file names, `resnet18-f37072fd.pth`, are 32 bits: anyone can make a file that
    starts with them). `content_sha256`, where synthmix records it, identifies the file's content
    (`content_digest`: decompressed bytes, archive members), so that a re-compressed copy of the same
    data is recognised and another dataset under the same file name never is."""
    filename: str
    md5: str = ""
    urls: tuple[str, ...] = ()
    manual: str = ""            # how to get the file when it cannot be downloaded
    sha256: str = ""
    content_sha256: str = ""

    def __post_init__(self):
        if self.sha256 and (len(self.sha256) != 64 or not set(self.sha256) <= set("0123456789abcdef")):
            raise ValueError(f"{self.filename}: sha256 must be the full 64-hex digest, got {self.sha256!r}")

    @property
    def algorithm(self) -> str:
        return "md5" if self.md5 else "sha256"

    @property
    def expected(self) -> str:
        return self.md5 or self.sha256

    def digest(self, path: Path) -> str:
        return file_md5(path) if self.md5 else file_sha256(path)

    def accepts(self, digest: str) -> bool:
        return digest == self.expected and bool(digest)


def _file_digest(path: Path, h) -> str:
    with open(path, "rb") as f:
        return _file_digest_of(f, h)


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


def content_digest(path: Path) -> str:
    """sha256 of what a file holds, not of how it is packed: a .gz file's decompressed bytes; a zip's or
    tar's members (name and sha256 of each file, sorted: the order and compression of the archive do not
    count); any other file's bytes. Raises DataError when the file cannot be read as what its name says."""
    path = Path(path)
    try:
        if path.suffix == ".gz" and not path.name.endswith(".tar.gz"):
            h = hashlib.sha256()
            with gzip.open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            return h.hexdigest()
        if zipfile.is_zipfile(path) or path.name.endswith((".tar", ".tar.gz", ".tgz")):
            members = "".join(f"{name}\0{digest}\n" for name, digest in sorted(_member_digests(path)))
            return hashlib.sha256(members.encode()).hexdigest()
    except (OSError, EOFError, zlib.error, tarfile.TarError, zipfile.BadZipFile) as e:
        raise DataError(f"{path}: cannot read its content ({type(e).__name__}: {e})") from None
    return file_sha256(path)


def _member_digests(path: Path) -> list[tuple[str, str]]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return [(i.filename.rstrip("/"), hashlib.sha256(z.read(i)).hexdigest())
                    for i in z.infolist() if not i.is_dir()]
    with tarfile.open(path) as t:
        return [(m.name, _file_digest_of(t.extractfile(m), hashlib.sha256())) for m in t.getmembers() if m.isfile()]


def _file_digest_of(f, h) -> str:
    for chunk in iter(lambda: f.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


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
    it is acceptable (datasets.base.check_identity: only when its content is the dataset's). A download must
    match the published checksum exactly, and is checked before it is renamed to its final name.
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
        part = dest.with_name(dest.name + ".part")
        try:
            _download(url, part, timeout)
            digest = remote.digest(part)
            if not remote.accepts(digest):
                errors.append(f"{url}: {remote.algorithm} {digest} does not match the published {remote.expected}; "
                              "deleted")
                continue
            # verified before it gets its name: a kill or power loss can never leave a wrong file there
            os.replace(part, dest)
            fsync_dir(dest.parent)
            return Obtained(dest, digest, True, downloaded=True)
        except DataError as e:
            errors.append(str(e))
        finally:
            part.unlink(missing_ok=True)
    raise DataError(f"{remote.filename}: not found at {where}, and downloading failed:\n  "
                    + "\n  ".join(errors))


def _download(url: str, part: Path, timeout: float) -> None:
    """`url` into `part`, complete (its Content-Length) and flushed to the disk."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(part, "wb") as f:
            expected = response.headers.get("Content-Length")
            with progress(total=int(expected) if expected else None, desc=part.name.removesuffix(".part"),
                          unit="B", unit_scale=True, unit_divisor=1024) as bar:
                for chunk in iter(lambda: response.read(1 << 20), b""):
                    f.write(chunk)
                    bar.update(len(chunk))
            # on the disk before it gets its final name: a power loss must not leave a truncated file
            # under that name, which the next run would find and never download again
            f.flush()
            os.fsync(f.fileno())
        got = part.stat().st_size
        if expected is not None and got != int(expected):
            raise DataError(f"{url}: truncated download, {got} of {expected} bytes")
    except http.client.IncompleteRead as e:
        raise DataError(f"{url}: truncated download, {len(e.partial)} bytes then the connection "
                        "closed") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
        if is_disk_full(e):            # not the mirror's fault: trying the next one would fail the same way
            raise disk_full(part.with_name(part.name.removesuffix(".part")), e) from None
        raise DataError(f"{url}: download failed ({type(e).__name__}: {e})") from None


def scratch_dir() -> Path:
    """Where archives are extracted: `$SYNTHMIX_TMPDIR`, default `.synthmix/tmp` (git- and DVC-ignored).
    Never inside data.root: `download` depends on that folder, and a kill during an extraction there
    would leave hundreds of MB in the dependency (and mark `download` changed) for good."""
    return Path(os.environ.get("SYNTHMIX_TMPDIR", ".synthmix/tmp"))


@contextlib.contextmanager
def extraction_dir() -> Iterator[Path]:
    """A fresh folder under `scratch_dir()`, removed afterwards; folders that killed processes of this
    host left behind (SIGKILL skips the removal) are removed first."""
    scratch = scratch_dir()
    scratch.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname().replace("-", "_")
    for stale in scratch.glob(f"extract-{host}-*-*"):
        pid = stale.name.split("-")[2]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix=f"extract-{host}-{os.getpid()}-", dir=scratch) as tmp:
        yield Path(tmp)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:       # another user's process: alive
        return True
    return True


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
