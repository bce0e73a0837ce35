"""The numbers the report derives from the metrics files, with no words: the design of the
comparison, what a synthetic variant trained on, the synthetic data's headline, the
accuracy-vs-ratio series (what an interval leaves possible: `summary.Difference`). The evaluate
stage measured everything; this only selects, combines and rounds."""
from __future__ import annotations

from synthmix.replicates import gan_variance
from synthmix.variants import Variant

KEYS = ("accuracy", "accuracy_std", "precision_macro", "recall_macro", "f1_macro", "f1_macro_std", "ece")
QUALITY_KEYS = ("fid", "kid", "kid_std", "precision", "recall", "density", "coverage")


def round6(x: float | None) -> float | None:
    """The summary's precision, for a number that may be absent."""
    return None if x is None else round(x, 6)


def rounded(x):
    """A JSON-like value with every float rounded to 6 decimals (the summary's precision)."""
    if isinstance(x, float):
        return round(x, 6)
    if isinstance(x, dict):
        return {k: rounded(v) for k, v in x.items()}
    if isinstance(x, list):
        return [rounded(v) for v in x]
    return x


def is_mix(name: str) -> bool:
    """A mix of real and synthetic images, plain or on top of classic augmentation."""
    return Variant.parse(name).kind in ("mix", "augmented_mix")


def unique_synthetic(counts: dict | None) -> dict | None:
    """Unique synthetic images a variant trained on (replicate 0): in total and the fewest in any class."""
    if not counts:
        return None
    unique = [c["synthetic_unique"] for c in counts.values()]
    return {"total": int(sum(unique)), "min_per_class": int(min(unique)),
            "used": int(sum(c["synthetic"] for c in counts.values()))}


def design(results: dict[str, dict], gan_seeds: list[int], dataset: str, image_size: int) -> dict:
    """How the comparison was run: the data, replicates, the one step budget, GAN seeds."""
    steps = sorted({r["budget"]["steps"] for r in results.values()})
    replicates = next(iter(results.values()))["replicates"]
    return {"dataset": dataset, "image_size": image_size, "replicates": replicates,
            "steps": steps[0] if len(steps) == 1 else steps, "gan_seeds": list(gan_seeds),
            "gan_variance": gan_variance(replicates, gan_seeds)}


def synthetic_headline(results: dict[str, dict]) -> dict:
    """Is the synthetic data any good? The `synthetic` variant's test accuracy (train on synthetic,
    test on real: CAS) and its ratio to real's."""
    if "synthetic" not in results:
        return {}
    cas, real = results["synthetic"]["accuracy"], results["real"]["accuracy"]
    return {"cas": round(cas, 6), "cas_std": round(results["synthetic"]["accuracy_std"], 6),
            "cas_to_real": round(cas / real, 6) if real else None}


def memorisation_headline(quality: dict) -> dict:
    """Copy rate and authenticity of every GAN seed's filtered images, pixel space first."""
    m = quality.get("memorisation")
    if not m or not m["overall"]["pixel"]:
        return {}
    px, feat = m["overall"]["pixel"], m["overall"]["judge"]
    return {"copy_rate": round6(px["copy_rate"]), "authenticity": round6(px["authenticity"]),
            "heldout_authenticity": round6(px["heldout_authenticity"]), "judge_copy_rate": round6(feat["copy_rate"]),
            "judge_authenticity": round6(feat["authenticity"]), "mostly_copies": list(m["mostly_copies"])}


def inception_fid(quality: dict) -> dict:
    """The standard (Inception-feature) FID/KID of the filtered images, when quality.inception is on."""
    s = (quality.get("inception") or {}).get("filtered")
    if not s:
        return {}
    return {"inception_fid": round(s["fid"], 6), "inception_kid": round(s["kid"], 6),
            "inception_kid_std": round(s["kid_std"], 6), "inception_images": [s["n_synthetic"], s["n_real"]]}


def run_settings(meta: dict, gan_steps: int, mix_mode: str, recipe: str = "") -> dict:
    """What the report's settings table shows of the data (the prepared data's meta.json), the GAN
    budget, the mix mode and the classifiers' recipe (`phrasing.recipe_text`; "" = not shown)."""
    per_class = sorted(set(meta["counts"]["train"].values()))
    return {"dataset": meta["name"], "image_size": "x".join(map(str, meta["image_shape"])),
            "per_class": str(per_class[0]) if len(per_class) == 1 else f"{per_class[0]} to {per_class[-1]}",
            "val_images": meta["counts"]["val"], "test_images": meta["counts"]["test"], "gan_steps": gan_steps,
            "mix_mode": mix_mode, "recipe": recipe}


def ratio_series(results: dict[str, dict], mix_mode: str) -> list[dict]:
    """The accuracy-vs-ratio chart's series, for the DVC plot (`plots.ratio_rows`) and the report's SVG
    alike: the mixes as one line (one design, mix.mode) at their percent synthetic, the augmented
    mixes as another; synthetic only,
    a point of its own at 100 (another design); real and augmented as reference lines (at 0 and 100).
    Each: {"name", "style": "line" | "points" | "reference", "points": [(percent, variant), ...]}."""
    series = []
    for kind, name in (("mix", f"mix ({mix_mode} mode)"), ("augmented_mix", f"mix + augmentation ({mix_mode} mode)")):
        line = sorted((Variant.parse(v).percent_synthetic, v) for v in results if Variant.parse(v).kind == kind)
        series += [{"name": name, "style": "line", "points": line}] if line else []
    if "synthetic" in results:
        series.append({"name": "synthetic only", "style": "points",
                       "points": [(Variant.parse("synthetic").percent_synthetic, "synthetic")]})
    return series + [{"name": f"{v} (reference)", "style": "reference", "points": [(0, v), (100, v)]}
                     for v in ("real", "augmented") if v in results]
