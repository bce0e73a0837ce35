"""Numbers as the report's text: signed accuracy differences in points, intervals, p-values, a worth
in real images, and the worth tables' cells. The sentences, both renderers and scripts/answer_table.py
share these, so one number reads the same wherever it appears."""
from __future__ import annotations

WORTH_CURVE_HEADER = ["real images per class", "variant", "accuracy", "gain over real (points)", "interval"]
WORTH_HEADER = ["variant", "vs real (points)", "interval", "worth: real images per class", "interval",
                "headroom share", "interval"]


def points(x: float) -> str:
    """An accuracy difference in percentage points, signed: +0.80; never '-0.00'."""
    return f"{100 * x + 0.0:+.2f}".replace("-0.00", "+0.00")


def bracket(low: float, high: float) -> str:
    """An interval of accuracy differences in points: '[-0.20, +1.10]'."""
    return f"[{points(low)}, {points(high)}]"


def interval(low: float | None, high: float | None) -> str:
    """A comparison's interval in running text; one replicate gives none."""
    return bracket(low, high) if low is not None else "(no interval)"


def level(confidence: float) -> str:
    """An interval's confidence level as text: 1 - evaluate.alpha, e.g. '95%'."""
    return f"{100 * confidence:g}%"


def p_text(p: float) -> str:
    """A p-value of the summary (rounded to 6 decimals) as text: '< 1e-06' where it rounded to 0."""
    return "< 1e-06" if p == 0 else f"{p:.3g}"


def num(x: float | None, fmt: str, missing: str) -> str:
    """A number that may be absent (a metric not computed in this run)."""
    return missing if x is None else format(x, fmt)


def pm(r: dict, key: str) -> str:
    """A mean over replicates with its std ('<key>_std' beside it): '0.9836 ± 0.0052'."""
    return f"{r[key]:.4f} ± {r[key + '_std']:.4f}"


def percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def worth_count(place: dict) -> str:
    """A worth in real images per class as text: '62', '<= 50' (no more than the scarce set), '> 200'."""
    return {"below": f"≤ {place['count']:g}", "above": f"> {place['count']:g}"}.get(place["position"],
                                                                                     f"{place['count']:.0f}")


def worth_span(w: dict) -> str | None:
    """A worth's interval in real images per class, '[≤ 50, 94]'; None when it has none."""
    return f"[{worth_count(w['worth_low'])}, {worth_count(w['worth_high'])}]" if "worth_low" in w else None


def headroom_span(w: dict) -> str | None:
    """A worth's headroom-share interval, '[-20%, 44%]'; None when it has none."""
    return f"[{percent(w['headroom_low'])}, {percent(w['headroom_high'])}]" if "headroom_low" in w else None


def worth_tables(worth: dict) -> tuple[list[list[str]], list[list[str]]]:
    """The report's worth section as text cells: the learning curve's rows (WORTH_CURVE_HEADER) and
    each variant's worth (WORTH_HEADER)."""
    curve = [[f"{p['count']:g}", p["variant"], f"{p['accuracy']:.4f}", points(p["gain"]),
              "-" if p["gain_low"] is None else bracket(p["gain_low"], p["gain_high"])]
             for p in (worth.get("curve") or {}).get("points", [])]
    rows = [[v, points(w["diff"]), interval(w.get("ci_low"), w.get("ci_high")), worth_count(w["worth"]),
             worth_span(w) or "-", percent(w["headroom_share"]), headroom_span(w) or "-"]
            for v, w in worth["variants"].items()]
    return curve, rows
