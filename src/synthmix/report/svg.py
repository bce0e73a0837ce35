"""Small, dependency-free SVG charts for the self-contained HTML report (inline, no files to link)."""
from __future__ import annotations

from html import escape

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf")


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi == lo:
        return [lo]
    return [lo + (hi - lo) * i / (n - 1) for i in range(n)]


def y_extent(series: list[dict], limits: tuple[float, float] | None) -> tuple[float, float]:
    """The y-axis range that holds every point, error bar and reference band of the series, padded
    by 5% and kept inside `limits` (e.g. (0, 1) for an accuracy: a mean + std past 1 is cut there)."""
    lows, highs = [], []
    for s in series:
        errs = s.get("err") or [0.0] * len(s["y"])
        lows += [y - (e or 0.0) for y, e in zip(s["y"], errs)]
        highs += [y + (e or 0.0) for y, e in zip(s["y"], errs)]
    if not lows:
        return limits or (0.0, 1.0)
    lo, hi = min(lows), max(highs)
    pad = 0.05 * (hi - lo) or 0.05
    lo, hi = lo - pad, hi + pad
    if limits:
        lo, hi = max(lo, limits[0]), min(hi, limits[1])
    return lo, hi


def _point_marks(s: dict, colour: str, px, py, y0: float, y1: float) -> list[str]:
    """A series' error bars (cut at the frame) and points, each with a tooltip."""
    out = []
    for j, (x, y) in enumerate(zip(s["x"], s["y"])):
        err = (s.get("err") or [None] * len(s["y"]))[j]
        if err:
            low, high = max(y - err, y0), min(y + err, y1)
            out.append(f'<line x1="{px(x):.1f}" x2="{px(x):.1f}" y1="{py(low):.1f}" y2="{py(high):.1f}" '
                       f'stroke="{colour}"/>')
        out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}">'
                   f'<title>{escape(s["name"])}: {y:.4f}' + (f" ± {err:.4f}" if err else "") + '</title></circle>')
    return out


def _series_marks(s: dict, colour: str, px, py, x0: float, x1: float, y0: float, y1: float) -> list[str]:
    """One series as the SVG elements of its style: "line" (joined points, the default), "points"
    (not joined: a variant of another design) or "reference" (a dashed line across the whole chart at
    its one y, with its +-err as a shaded band)."""
    style = s.get("style", "line")
    if style == "reference":
        y, err = s["y"][0], (s.get("err") or [0.0])[0] or 0.0
        out = []
        if err:
            top, bottom = py(min(y + err, y1)), py(max(y - err, y0))
            out.append(f'<rect x="{px(x0):.1f}" y="{top:.1f}" width="{px(x1) - px(x0):.1f}" height="{bottom - top:.1f}" '
                       f'fill="{colour}" fill-opacity="0.12"/>')
        out.append(f'<line x1="{px(x0):.1f}" x2="{px(x1):.1f}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="{colour}" '
                   f'stroke-width="2" stroke-dasharray="6 4"><title>{escape(s["name"])}: {y:.4f}'
                   + (f" ± {err:.4f}" if err else "") + "</title></line>")
        return out
    out = []
    if style == "line":
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(s["x"], s["y"]))
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
    return out + _point_marks(s, colour, px, py, y0, y1)


def line_chart(series: list[dict], title: str, x_label: str, y_label: str,
               y_range: tuple[float, float] | None = None, width: int = 460, height: int = 300,
               y_limits: tuple[float, float] | None = None, x_range: tuple[float, float] | None = None) -> str:
    """An SVG line chart. Each series: {"name", "x": [...], "y": [...], "err": [...] | None,
    "style": "line" | "points" | "reference"}; `err` draws a +-err bar at each point (e.g. the std
    over replicates). The y-axis is `y_range`, or the range that holds every series (error bars and
    reference bands included) inside `y_limits`; the x-axis `x_range` or the points' range, its
    ends labelled. Error bars and bands are cut at the frame (points are not: give ranges that hold them)."""
    left, right, top, bottom = 56, 150, 28, 44
    pw, ph = width - left - right, height - top - bottom
    xs = [x for s in series if s.get("style") != "reference" for x in s["x"]]
    x0, x1 = x_range or ((min(xs), max(xs)) if xs else (0.0, 1.0))
    y0, y1 = y_range or y_extent(series, y_limits)
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if y1 == y0:
        y0, y1 = y0 - 0.05, y1 + 0.05
    px = lambda x: left + (x - x0) / (x1 - x0) * pw        # noqa: E731
    py = lambda y: top + (1 - (y - y0) / (y1 - y0)) * ph   # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" font-family="sans-serif" '
           'font-size="11">',
           f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>']
    for t in _ticks(y0, y1):
        out.append(f'<line x1="{left - 4}" x2="{left + pw}" y1="{py(t):.1f}" y2="{py(t):.1f}" stroke="#eee"/>'
                   f'<text x="{left - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{t:.3g}</text>')
    x_ticks = set(xs) | set(x_range or ())
    for t in sorted(x_ticks) if len(x_ticks) <= 12 else _ticks(x0, x1):
        out.append(f'<text x="{px(t):.1f}" y="{top + ph + 14}" text-anchor="middle">{t:g}</text>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>'
               f'<text transform="translate(14 {top + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
               f'{escape(y_label)}</text>')
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        out += _series_marks(s, colour, px, py, x0, x1, y0, y1)
        out.append(_legend_entry(s, colour, left + pw, top + 12 + 16 * i))
    out.append("</svg>")
    return "".join(out)


def _legend_entry(s: dict, colour: str, x: float, y: float) -> str:
    """A series' key (its mark: a dot for "points", a solid or dashed line for the others) and name,
    right of the frame whose right edge is at x, on the text baseline y."""
    dash = ' stroke-dasharray="6 4"' if s.get("style") == "reference" else ""
    key = (f'<circle cx="{x + 19}" cy="{y - 4}" r="3" fill="{colour}"/>' if s.get("style") == "points"
           else f'<line x1="{x + 10}" x2="{x + 28}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
    return f'{key}<text x="{x + 32}" y="{y}">{escape(s["name"])}</text>'
