import dataclasses
from pathlib import Path

import pytest
import yaml

from synthmix.params import GanParams, ParamsError, Params, load_params, parse_params
from synthmix.variants import all_variants

ROOT = Path(__file__).resolve().parents[1]


def shipped() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text())


def with_change(section: str, key: str, value) -> dict:
    doc = shipped()
    doc[section][key] = value
    return doc


def test_shipped_params_are_valid_and_complete():
    p = load_params(ROOT / "params.yaml")
    assert p.data.name == "digits"
    doc = shipped()
    # every field of every section is written out in params.yaml, so DVC can track each key
    for f in dataclasses.fields(Params):
        section = getattr(p, f.name)
        assert set(doc[f.name]) == {g.name for g in dataclasses.fields(section)}, f.name


@pytest.mark.parametrize("section,key,value,words", [
    ("gan", "stepz", 10, ["gan.stepz", "allowed keys in gan", "steps"]),
    ("gan", "steps", "many", ["gan.steps", "'many'", "an int >= 1, or 'auto'"]),
    ("gan", "steps", True, ["gan.steps", "True", "an int"]),
    ("gan", "lr_g", 0, ["gan.lr_g", "0", "> 0"]),
    ("filter", "threshold", 1.5, ["filter.threshold", "1.5", "[0.0, 1.0]"]),
    ("classifier", "keep", "foo", ["classifier.keep", "'foo'", "'best', 'last'"]),
    ("classifier", "label_smoothing", 0.9, ["classifier.label_smoothing", "0.9", "[0.0, 0.5]"]),
    ("filter", "threshold", -0.1, ["filter.threshold", "-0.1", "[0.0, 1.0]"]),
    ("mix", "ratios", [25, 150], ["mix.ratios[1]", "150", "an int in [0, 100]"]),
    ("mix", "ratios", [-5], ["mix.ratios[0]", "-5", "an int in [0, 100]"]),
    ("mix", "ratios", [50, 50], ["mix.ratios", "repeated"]),
    ("mix", "mode", "blend", ["mix.mode", "'blend'", "'add', 'replace'"]),
    ("data", "name", "imagenet", ["data.name", "'imagenet'", "'digits'"]),
    ("data", "test_fraction", 1.0, ["data.test_fraction", "1.0", "(0.0, 1.0)"]),
    ("runtime", "device", "tpu", ["runtime.device", "'tpu'", "'auto', 'cpu', 'cuda'"]),
    ("augment", "flip", "yes", ["augment.flip", "'yes'", "a bool"]),
    ("data", "classes", ["0"], ["data.classes", "at least 2"]),
    ("data", "classes", ["0", "a/b"], ["data.classes[1]", "'a/b'"]),
    ("data", "classes", ["0", "x@y"], ["data.classes[1]", "'x@y'", "'@'"]),
    ("data", "classes", [".hidden", "1"], ["data.classes[0]", "starts with '.'"]),
    ("data", "classes", ["0", "two\nlines"], ["data.classes[1]", "control character"]),
    ("data", "classes", ["0", "trailing "], ["data.classes[1]", "space"]),
    ("data", "classes", ["0", ""], ["data.classes[1]", "empty"]),
    ("data", "classes", ["a", "a"], ["data.classes", "repeated"]),
    ("data", "classes", ["Cat", "cat"], ["data.classes", "differ only in case"]),
    ("data", "classes", ["0", "x" * 201], ["data.classes[1]", "201 bytes"]),
])
def test_bad_values_name_key_value_and_what_is_allowed(section, key, value, words):
    with pytest.raises(ParamsError) as e:
        parse_params(with_change(section, key, value))
    for w in words:
        assert w in str(e.value), (w, str(e.value))


def test_unknown_section_is_rejected():
    doc = shipped()
    doc["trainer"] = {"lr": 1}
    with pytest.raises(ParamsError, match="unknown section 'trainer'"):
        parse_params(doc)


def test_cross_field_rules():
    doc = with_change("mix", "ratios", [50, 100])
    with pytest.raises(ParamsError, match=r"mix.ratios\[1\] = 100 with mix.mode = 'add': .* cannot reach 100%"):
        parse_params(doc)
    doc["mix"]["mode"] = "balance"
    with pytest.raises(ParamsError, match="mix.ratios.1. = 100 with mix.mode = 'balance'"):
        parse_params(doc)
    doc["mix"]["mode"] = "replace"
    assert parse_params(doc).mix.ratios == [50, 100]
    with pytest.raises(ParamsError, match=r"generate.max_draws = 100: must be >= generate.per_class \(200\)"):
        parse_params(with_change("generate", "max_draws", 100))
    with pytest.raises(ParamsError, match="filter.mode = 'absolute': must be one of 'relative', 'top', 'threshold'"):
        parse_params(with_change("filter", "mode", "absolute"))
    with pytest.raises(ParamsError, match=r"data.per_class = .*missing \['9'\]"):
        parse_params(with_change("data", "per_class", {str(i): 10 for i in range(9)}))
    with pytest.raises(ParamsError, match=r"data.per_class.9 = 0: must be an int >= 1"):
        parse_params(with_change("data", "per_class", {str(i): 9 - i for i in range(10)}))
    p = parse_params(with_change("data", "per_class", {str(i): 10 + i for i in range(10)}))
    assert p.data.per_class_of("4") == 14
    with pytest.raises(ParamsError, match=r"data.per_class = 'x': must be an int >= 1, or a mapping"):
        parse_params(with_change("data", "per_class", "x"))
    doc = with_change("data", "name", "folder")
    doc["data"]["root"] = ""
    with pytest.raises(ParamsError, match="data.root = '': data.name = 'folder' needs"):
        parse_params(doc)
    with pytest.raises(ParamsError, match="data.mirror = 'ftp://x'"):
        parse_params(with_change("data", "mirror", "ftp://x"))
    # GAN snapshots scored against the class's validation images need at least 2 of them
    with pytest.raises(ParamsError, match=r"data.val_per_class = 1 with gan.select_against = 'validation'.*"
                                          r"gan.select_against: train"):
        parse_params(with_change("data", "val_per_class", 1))
    doc = with_change("data", "val_per_class", 1)
    doc["gan"]["select_against"] = "train"
    assert parse_params(doc).gan.select_against == "train"
    with pytest.raises(ParamsError, match="gan.select_against = 'test': must be one of 'validation', 'train'"):
        parse_params(with_change("gan", "select_against", "test"))


def test_integer_class_names_become_strings_and_variants_follow_ratios():
    p = parse_params(with_change("data", "classes", [0, 1, 2]))
    assert p.data.classes == ["0", "1", "2"]
    assert [v.name for v in all_variants(p.mix.ratios)] == ["real", "augmented", "synthetic", "mix_25", "mix_50", "mix_75",
                                                           "augmented_mix_25", "augmented_mix_50", "augmented_mix_75"]
    assert [v.name for v in all_variants(p.mix.ratios, augmented_mixes=False)][-1] == "mix_75"


def test_bad_yaml_and_missing_file_are_clear(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "nope.yaml")
    (tmp_path / "p.yaml").write_text("gan: [unclosed\n")
    with pytest.raises(ParamsError, match="not valid YAML"):
        load_params(tmp_path / "p.yaml")


# Which params sections each stage reads in full; dvc.yaml must declare each of their keys, or a
# changed key would not re-run the stage and DVC would serve a stale cached result.
FILTER_RULE = ["filter.mode", "filter.quantile", "filter.fraction", "filter.threshold"]
# train_gan keeps every snapshot; refine (which reads every gan key) chooses one with the judge.
# gan.base_steps reaches the class stages through the base stage's base.json, a dep of each.
GAN_TRAINING = [f"gan.{f.name}" for f in dataclasses.fields(GanParams)
                if f.name not in ("seeds", "select_against", "eval_samples", "base_steps")]
# the base trains without snapshots for gan.base_steps; the class budget and freezing are the classes'
GAN_BASE = ["gan.base_steps", *(k for k in GAN_TRAINING if k not in ("gan.steps", "gan.eval_every",
                                                                      "gan.freeze_d_blocks"))]
STAGE_SECTIONS = {
    "train_gan": [*GAN_TRAINING, "runtime"], "train_judge": ["judge", "runtime"],
    "train_gan_base": [*GAN_BASE, "data.classes", "runtime"],
    "synthesize": ["generate", *FILTER_RULE, "gan.seeds", "runtime.device", "runtime.threads", "runtime.deterministic"],
    "corrupt": ["robustness.kinds", "robustness.levels", "robustness.max_images", "robustness.seed"],
    "train_real": ["classifier", "runtime", "robustness.replicates"],
    "train_augmented": ["classifier", "augment", "data.name", "runtime", "robustness.replicates"],
    "train_synthetic": ["classifier", "gan.seeds", "filter.min_unique", "runtime", "robustness.replicates"],
    "train_mix": ["classifier", "gan.seeds", "mix.mode", "filter.min_unique", "runtime", "robustness.replicates"],
    "locate": ["data.name", "data.root"],
    "download": ["data.name", "data.root", "data.mirror"],
    "evaluate": ["robustness.failure_fraction", "evaluate", "classifier.replicates", "gan.seeds", "mix.ratios",
                 "runtime.device", "runtime.threads", "runtime.deterministic"],
    "quality": ["quality", "generate.per_class", "gan.seeds", "runtime.device", "runtime.threads",
                "runtime.deterministic"],
    "report": ["mix.ratios", "mix.mode", "evaluate.alpha", "classifier.replicates", "gan.seeds"],
    "refine": ["refine", *FILTER_RULE, "gan", "runtime.device", "runtime.threads", "runtime.deterministic",
               "runtime.amp"],
    "prepare": ["data.classes", "data.per_class", "data.val_per_class", "data.test_fraction",
                "data.image_size", "data.seed"],
}


@pytest.mark.parametrize("stage", sorted(STAGE_SECTIONS))
def test_dvc_yaml_declares_every_key_a_stage_reads(stage):
    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"][stage]
    declared = set((spec.get("do") or spec)["params"])
    p = Params()
    for entry in STAGE_SECTIONS[stage]:
        if entry in declared or entry.split(".")[0] in declared:  # the key, or its whole section
            continue
        assert "." not in entry, f"{stage} reads {entry} but dvc.yaml does not declare it"
        for f in dataclasses.fields(getattr(p, entry)):
            assert f"{entry}.{f.name}" in declared, f"{stage} reads {entry}.{f.name} but dvc.yaml does not declare it"


def test_gan_stages_take_their_seed_from_the_matrix_not_from_params():
    # declaring gan.seeds would re-run every GAN when one seed is added
    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]["train_gan"]
    assert "gan.seeds" not in spec["params"] and "gan" not in spec["params"]
    # ${item}: "--class <name> --seed <seed>", shell-quoted by DVC
    assert "train_gan.py ${item} " in spec["cmd"] and spec["matrix"]["seed"] == "${gan.seeds}"


@pytest.mark.parametrize("name", ["golden retriever", "it's", 'say "hi"', "a&b", "-lead", "x,y", "café", "(paren)",
                                  "a|b", "50% $HOME"])
def test_class_names_as_folders_have_them_are_accepted(name):
    from synthmix.params import class_name_problem

    assert class_name_problem(name) is None


def test_a_class_value_starting_with_a_dash_reaches_the_stage_whole():
    from synthmix.core.stage import attach_values

    argv = ["--class", "-lead", "--seed", "0", "--models", "m"]
    assert attach_values(argv, ["--class"]) == ["--class=-lead", "--seed", "0", "--models", "m"]


def test_valid_name_tuples_are_the_registries_keys():
    """params/schema.py lists valid names without importing torch (it loads before any work); they must be
    exactly the keys of the registries that implement them."""
    from synthmix import params
    from synthmix.data.datasets.registry import DATASETS
    from synthmix.evaluate.corruptions import CORRUPTIONS
    from synthmix.gan.diffaugment import POLICIES
    from synthmix.gan.losses import LOSSES

    assert set(params.DATASETS) == set(DATASETS)
    assert set(params.GAN_FAMILIES) == set(LOSSES)
    assert set(params.DIFFAUGMENT_POLICIES) == set(POLICIES)
    assert set(params.CORRUPTION_KINDS) == set(CORRUPTIONS)


@pytest.mark.parametrize("written,ok", [("[00000, 00007]", False), ("[08, 09]", False), ("[yes, no]", False),
                                        ("[1e3, 2]", False), ('["00000", "00007"]', True), ("[0, 1, 2]", True),
                                        ("[cat, dog]", True)])
def test_class_names_must_read_as_written_by_both_yaml_parsers(tmp_path, written, ok):
    """DVC (YAML 1.2) fills stage names and paths from data.classes, synthmix.params reads YAML 1.1: a name
    either reads differently as text (00008 -> 8, yes -> True) is refused, with the quoted form."""
    path = tmp_path / "params.yaml"
    path.write_text(f"data:\n  classes: {written}\n")
    if ok:
        assert load_params(path).data.classes == [c.strip(' "') for c in written.strip("[]").split(",")]
    else:
        with pytest.raises(ParamsError, match=r"unquoted, YAML reads it as .*write it quoted: \""):
            load_params(path)


def test_data_root_must_be_an_existing_folder(tmp_path):
    from synthmix.data.root import check_root

    assert check_root("digits", str(tmp_path)) == {"data.name": "digits", "data.root": str(tmp_path)}
    with pytest.raises(ParamsError, match=r"data.root = '.*nope': no such folder; it must be the folder of your "
                                          r"images, one sub-folder per class"):
        check_root("folder", str(tmp_path / "nope"))
    (tmp_path / "f").write_text("x")
    with pytest.raises(ParamsError, match="a file, not a folder; it must be the folder where raw files are looked"):
        check_root("mnist", str(tmp_path / "f"))


@pytest.mark.parametrize("section", ["classifier", "judge"])
def test_cpu_bf16_takes_true_false_or_auto(section):
    for value in (True, False, "auto"):
        assert getattr(parse_params({section: {"cpu_bf16": value}}), section).cpu_bf16 == value
    for bad, allowed in (("yes", "a bool, or 'auto'"), (1, "a bool")):
        with pytest.raises(ParamsError, match=rf"{section}\.cpu_bf16 = {bad!r}: must be {allowed}"):
            parse_params({section: {"cpu_bf16": bad}})
