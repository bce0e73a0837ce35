"""What a variant is worth in real images: the real-data learning curve (real-only at the scarce
count and at each data.more_real count) and, for every other variant, the number of real images per
class that would give the same accuracy gain, with the headroom share.

Everything is in paired differences against `real` (replicate s against replicate s, the same
initial weights): the curve is the mean gain of real_<n> over real, 0 at the scarce count, and a
variant's gain is its `compare_paired` difference against real (over GAN draws where replicates
share them). A gain is placed on the curve by interpolation between its points, linear in
log(count) (accuracy learning curves are near-linear in the log of the training-set size; linear
in the count would read a midpoint gain as a larger count):

- inside the curve: worth = the count where the curve reaches the gain;
- below the first point (a gain <= 0): worth no real images ("below");
- above the last point: worth more than the largest count ("above", the largest count as a floor).

The interval joins both sources of noise, conservatively: its low end places the low end of the
gain's interval on the curve's upper bound (each point's gain interval), its high end the gain's
high end on the curve's lower bound; a bound curve that does not rise reads as the extreme
("below" or "above"). The headroom share is gain / (curve at the largest count): the share of what
the largest real set adds that the variant gets, with its interval from the same bounds. A curve
whose means do not rise from point to point gives no worth (noise larger than the steps between
counts), and says so.
"""
from __future__ import annotations

import numpy as np

from synthmix.evaluate.stats import paired_difference


def place_on_curve(gain: float, counts: list[float], gains: list[float]) -> dict:
    """Where `gain` falls on the curve (counts[i], gains[i]), gains[0] = 0 at the scarce count:
    {"position": "below" | "inside" | "above", "count": images per class}; below: the scarce count
    (worth no more real images); above: the largest count (a floor). A curve that does not rise
    strictly cannot be read: a gain above 0 then lands "above" (nothing on it is ruled out)."""
    if gain <= gains[0]:
        return {"position": "below", "count": counts[0]}
    if gain > gains[-1] or not rises(gains):
        return {"position": "above", "count": counts[-1]}
    return {"position": "inside", "count": float(np.exp(np.interp(gain, gains, np.log(counts))))}


def learning_curve(real_runs: list[dict], scarce_count: float, more: dict[int, list[dict]], alpha: float,
                   test_images: int) -> dict:
    """The curve's points: the scarce count (gain 0) and each count n in `more` (count -> its
    replicates' scores, paired with `real_runs`): mean accuracy, mean paired gain over real with its
    1 - alpha interval. rising: whether every point's gain exceeds the previous one's."""
    acc = lambda runs: [r["accuracy"] for r in runs]  # noqa: E731
    points = [{"count": scarce_count, "variant": "real", "accuracy": float(np.mean(acc(real_runs))), "gain": 0.0,
               "gain_low": None, "gain_high": None}]
    for n in sorted(more):
        gain = np.subtract(acc(more[n]), acc(real_runs))                   # (replicates,) paired
        d = paired_difference(acc(more[n]), acc(real_runs), alpha, test_images) if len(gain) > 1 else {
            "diff": float(gain[0]), "ci_low": None, "ci_high": None}      # one replicate: no interval
        points.append({"count": n, "variant": f"real_{n}", "accuracy": float(np.mean(acc(more[n]))),
                       "gain": d["diff"], "gain_low": d["ci_low"], "gain_high": d["ci_high"]})
    gains = [p["gain"] for p in points]
    return {"points": points, "rising": len(points) > 1 and rises(gains)}


def rises(values: list[float]) -> bool:
    """Whether each value is above the one before it (a curve a gain can be read off)."""
    return all(b > a for a, b in zip(values, values[1:]))


def worth_of(vs_real: dict, curve: dict) -> dict:
    """One variant's worth in real images per class (`place_on_curve` of its gain; of its
    interval's ends on the curve's bounds) and its headroom share, from its paired difference
    against real."""
    points = curve["points"]
    counts, gains = [p["count"] for p in points], [p["gain"] for p in points]
    bound = lambda key: [0.0] + [p[key] if p[key] is not None else p["gain"] for p in points[1:]]  # noqa: E731
    lower, upper = bound("gain_low"), bound("gain_high")
    out = {"diff": vs_real["diff"], "ci_low": vs_real["ci_low"], "ci_high": vs_real["ci_high"],
           "unit": vs_real.get("unit"), "worth": place_on_curve(vs_real["diff"], counts, gains),
           "headroom_share": vs_real["diff"] / gains[-1]}
    if vs_real["ci_low"] is not None:
        out["worth_low"] = place_on_curve(vs_real["ci_low"], counts, upper)
        out["worth_high"] = place_on_curve(vs_real["ci_high"], counts, lower)
        shares = [vs_real[k] / top for k in ("ci_low", "ci_high") for top in (lower[-1], upper[-1])]
        if lower[-1] > 0:                    # the largest count's gain surely above 0: a share is defined
            out["headroom_low"], out["headroom_high"] = min(shares), max(shares)
    return out


def worth_in_real(curve: dict | None, vs_real: dict[str, dict], skipped: list[str]) -> dict:
    """The worth section of the evaluation: the curve, each variant's worth, or why there is none."""
    if curve is None or len(curve["points"]) < 2:
        why = "; ".join(skipped) if skipped else "data.more_real is empty: no larger real training set was trained"
        return {"curve": curve, "variants": {}, "skipped": skipped, "why_none": why}
    if not curve["rising"]:
        return {"curve": curve, "variants": {}, "skipped": skipped,
                "why_none": "the real-data learning curve does not rise from count to count (its steps are within "
                            "the replicates' noise): no worth is read off it; use counts further apart"}
    return {"curve": curve, "variants": {v: worth_of(vs, curve) for v, vs in vs_real.items()}, "skipped": skipped,
            "why_none": None}
