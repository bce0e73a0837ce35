"""What report.md and report.html show, read from the metrics files and built once: the renderers
take it whole and only lay it out (and each section reads the fields it needs, by name)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from synthmix.core.io import load_json
from synthmix.data.store import read_prepared
from synthmix.report.figures import Figures, read_figures
from synthmix.report.numbers import run_settings
from synthmix.report.phrasing import answer, settings_rows
from synthmix.report.summary import Difference, Summary, summarize
from synthmix.variants import Variant


@dataclass(frozen=True)
class Comparison(Difference):
    """A tested variant against its baseline, as evaluate measured it (unrounded: both tables format
    these numbers, the summary's rounded copies are for JSON); the verdict is the summary's words,
    flag included. these_gans: the per-replicate interval where replicates share GAN draws."""
    these_gans: tuple[float, float] | None = None
    verdict: str = ""


@dataclass(frozen=True)
class ReportData:
    """Everything both reports show. summary: the typed summary (rounded numbers, verdicts, worth:
    what summary.json writes); results: evaluate's <variant>.json per variant, in report order;
    comparisons: each tested variant's row (a baseline has none); quality, filtering: quality.json
    and filter.json as written."""
    summary: Summary
    answer: str                           # the paragraph that opens both reports
    settings: list[tuple[str, str]]       # (setting, value): what tells two reports apart
    mix_mode: str
    alpha: float
    classes: list[str]
    results: dict[str, dict]
    comparisons: dict[str, Comparison]
    quality: dict
    filtering: dict
    figures: Figures


@dataclass(frozen=True)
class ReportInputs:
    """Where the report reads (dvc.yaml passes each path to the stage): evaluate's directory of
    <variant>.json (with worth.json, saliency), quality.json, filter.json, the prepared data, the
    filtered synthetic images (<gan seed>/<class>.npy) and the first GAN seed's snapshot metrics
    (<class>/metrics.json)."""
    evaluate: Path
    quality: Path
    filter: Path
    data: Path
    synthetic: Path
    first_gan: Path


def _span(vs: dict | None) -> tuple[float, float] | None:
    return None if not vs or vs.get("ci_low") is None else (vs["ci_low"], vs["ci_high"])


def comparisons(results: dict[str, dict], summary: Summary) -> dict[str, Comparison]:
    """The tested variants' rows, from evaluate's numbers and the summary's verdicts."""
    return {v: Comparison(**vars(Difference.of(vs)), these_gans=_span(vs.get("given_these_gans")),
                          verdict=summary.variants[v].verdict)
            for v, r in results.items() if (vs := r.get("vs_baseline"))}


def build_report(summary: Summary, results: dict[str, dict], quality: dict, filtering: dict, classes: list[str],
                 settings: dict, alpha: float, figures: Figures | None = None) -> ReportData:
    """The report's contents from the summary (`summarize`) and the metrics it came from; settings:
    `numbers.run_settings`; no figures: the HTML report shows none."""
    return ReportData(summary=summary, answer=answer(summary), settings=settings_rows(summary, settings),
                      mix_mode=settings["mix_mode"], alpha=alpha, classes=classes, results=results,
                      comparisons=comparisons(results, summary), quality=quality, filtering=filtering,
                      figures=figures or Figures())


def read_report(inputs: ReportInputs, variants: list[Variant], gan_seeds: list[int], alpha: float,
                mix_mode: str, recipe: str = "") -> ReportData:
    """Read every metrics file the report needs (params: the variants in report order, gan.seeds,
    evaluate.alpha, mix.mode; the classifiers' recipe as `phrasing.recipe_text` words it) and build
    its contents."""
    results = {v.name: load_json(inputs.evaluate / f"{v}.json") for v in variants}
    filtering, quality = load_json(inputs.filter), load_json(inputs.quality)
    data = read_prepared(inputs.data)
    summary = summarize(results, filtering, quality, gan_seeds, alpha, data.meta["name"], data.meta["image_shape"][0],
                        worth=load_json(inputs.evaluate / "worth.json"))
    gan_steps = load_json(inputs.first_gan / data.class_names[0] / "metrics.json")["steps"]
    figures = read_figures(data, inputs.synthetic, gan_seeds[0], quality.get("memorisation"), inputs.evaluate)
    return build_report(summary, results, quality, filtering, data.class_names,
                        run_settings(data.meta, gan_steps, mix_mode, recipe), alpha, figures)
