"""Outputs are durable (fsynced file and folder around the rename) and readable by the team (umask)."""
import io as pyio
import os
import stat

import numpy as np
import pytest

from synthmix.core import io


@pytest.fixture
def fsynced(monkeypatch):
    """The paths os.fsync was called on, in order (a file, or a folder: a directory fd)."""
    calls = []
    real = os.fsync

    def recording(fd):
        calls.append(os.readlink(f"/proc/self/fd/{fd}"))
        return real(fd)
    monkeypatch.setattr(os, "fsync", recording)
    return calls


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to name fsynced fds")
def test_atomic_write_fsyncs_the_file_then_its_folder(tmp_path, fsynced):
    out = tmp_path / "sub" / "x.json"
    io.save_json(out, {"a": 1})
    assert len(fsynced) == 2
    assert os.path.basename(fsynced[0]).startswith(".x.json.") and fsynced[0].endswith(".tmp")
    assert fsynced[1] == str(out.parent)


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_outputs_get_the_umask_mode_not_0600(tmp_path, umask):
    old = os.umask(umask)
    try:
        io.save_json(tmp_path / "m.json", {})
        io.save_npy(tmp_path / "m.npy", np.zeros(2))
        assert io.default_file_mode() == 0o666 & ~umask
    finally:
        os.umask(old)
    for name in ("m.json", "m.npy"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask, name


def test_save_npy_bytes_are_np_save_bytes(tmp_path):
    """Writing straight to the file (no in-memory copy) keeps the deterministic bytes."""
    a = np.arange(60, dtype=np.int64).reshape(3, 4, 5)[:, ::2]
    buf = pyio.BytesIO()
    np.save(buf, np.ascontiguousarray(a), allow_pickle=False)
    io.save_npy(tmp_path / "a.npy", a)
    assert (tmp_path / "a.npy").read_bytes() == buf.getvalue()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to name fsynced fds")
def test_a_download_is_fsynced_before_its_rename_and_its_folder_after(tmp_path, fsynced):
    import fakes
    from synthmix.data.fetch import Remote, obtain

    served = tmp_path / "served"
    served.mkdir()
    (served / "file.bin").write_bytes(b"published bytes")
    remote = Remote("file.bin", md5=fakes.md5(served / "file.bin"))
    with fakes.serve(served) as url:
        got = obtain(remote, [tmp_path / "root"], tmp_path / "root", mirror=url)
    assert got.downloaded and got.matches
    assert fsynced == [str(tmp_path / "root/file.bin.part"), str(tmp_path / "root")]
