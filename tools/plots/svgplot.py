"""Dependency-free SVG charts (Python 3 standard library only): grouped bars and lines.

Each function returns the SVG document as a string; the caller writes it. Charts are plain SVG
1.1 with text as <text>, so they render in browsers, on GitHub and in Markdown viewers.
"""
import math
from xml.sax.saxutils import escape

W, H = 720, 380
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 48, 70
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def nice_ticks(lo, hi, n=5):
    """About n round tick values covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step) * step
    ticks, t = [], start
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


def log_ticks(lo, hi):
    """1-2-5 steps from the last one at or below lo to the first at or above hi (lo > 0)."""
    if lo <= 0:
        raise ValueError("a log scale needs positive values")
    steps, e = [], math.floor(math.log10(lo))
    while not steps or steps[-2] < hi:  # one step past hi, so a lone value still gets an axis
        steps += [round(m * 10 ** e, 10) for m in (1, 2, 5)]
        e += 1
    start = max(i for i, t in enumerate(steps) if t <= lo)
    end = min(i for i, t in enumerate(steps) if t >= hi)
    return steps[start:max(end, start + 1) + 1]


def fmt(v):
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}".replace(",", " ")
    if abs(v) >= 10 or v == int(v):
        return f"{v:.0f}" if v == int(v) else f"{v:.1f}"
    return f"{v:.3g}"


class _Canvas:
    def __init__(self, title, xlabel, ylabel):
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
            'font-family="sans-serif" font-size="12">',
            f'<rect width="{W}" height="{H}" fill="white"/>',
            f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>',
            f'<text x="{LEFT + (W - LEFT - RIGHT) / 2}" y="{H - 8}" text-anchor="middle">{escape(xlabel)}</text>',
            f'<text x="16" y="{TOP + (H - TOP - BOTTOM) / 2}" text-anchor="middle" '
            f'transform="rotate(-90 16 {TOP + (H - TOP - BOTTOM) / 2})">{escape(ylabel)}</text>',
        ]

    def y_axis(self, lo, hi, log=False):
        self.log = log
        ticks = log_ticks(lo, hi) if log else nice_ticks(lo, hi)
        self.y0, self.y1 = ticks[0], ticks[-1]
        for t in ticks:
            y = self.y(t)
            self.parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
            self.parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{fmt(t)}</text>')
        self.parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{H - BOTTOM}" stroke="#333"/>')
        self.parts.append(f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{H - BOTTOM}" y2="{H - BOTTOM}" stroke="#333"/>')

    def y(self, v):
        if self.log:
            share = (math.log10(v) - math.log10(self.y0)) / (math.log10(self.y1) - math.log10(self.y0))
        else:
            share = (v - self.y0) / (self.y1 - self.y0)
        return H - BOTTOM - share * (H - TOP - BOTTOM)

    def legend(self, names):
        x = LEFT + 8
        for i, name in enumerate(names):
            c = COLORS[i % len(COLORS)]
            self.parts.append(f'<rect x="{x}" y="{TOP - 16}" width="10" height="10" fill="{c}"/>')
            self.parts.append(f'<text x="{x + 14}" y="{TOP - 7}">{escape(name)}</text>')
            x += 24 + 7 * len(name)

    def done(self):
        return "\n".join(self.parts + ["</svg>"]) + "\n"


def bars(title, categories, series, xlabel="", ylabel="", log=False):
    """Grouped vertical bars: one group per category, one bar per (name, values) series; a value
    of None draws no bar. log: a logarithmic y axis (values > 0), for values orders apart."""
    if not categories or not series:
        raise ValueError(f"{title}: nothing to draw")
    c = _Canvas(title, xlabel, ylabel)
    values = [v for _, vs in series for v in vs if v is not None]
    if log:
        c.y_axis(min(values), max(values), log=True)
    else:
        c.y_axis(0, max(values) if values else 1)
    group = (W - LEFT - RIGHT) / len(categories)
    bar = group * 0.8 / len(series)
    for gi, cat in enumerate(categories):
        gx = LEFT + gi * group + group * 0.1
        for si, (_, vs) in enumerate(series):
            v = vs[gi]
            if v is None:
                continue
            y = c.y(v)
            c.parts.append(f'<rect x="{gx + si * bar:.1f}" y="{y:.1f}" width="{bar * 0.92:.1f}" '
                           f'height="{H - BOTTOM - y:.1f}" fill="{COLORS[si % len(COLORS)]}">'
                           f'<title>{escape(cat)}: {fmt(v)}</title></rect>')
        lines = str(cat).split("\n")
        for li, text in enumerate(lines):
            c.parts.append(f'<text x="{LEFT + gi * group + group / 2:.1f}" y="{H - BOTTOM + 16 + 13 * li}" '
                           f'text-anchor="middle" font-size="11">{escape(text)}</text>')
    c.legend([name for name, _ in series])
    return c.done()


def lines(title, series, xlabel="", ylabel="", y_from_zero=True):
    """Lines through (x, y) points, one per (name, xs, ys) series; points with y None are skipped."""
    pts = [(x, y) for _, xs, ys in series for x, y in zip(xs, ys) if y is not None]
    if not pts:
        raise ValueError(f"{title}: nothing to draw")
    c = _Canvas(title, xlabel, ylabel)
    ys = [y for _, y in pts]
    c.y_axis(0 if y_from_zero else min(ys), max(ys))
    xt = nice_ticks(min(x for x, _ in pts), max(x for x, _ in pts))
    x0, x1 = xt[0], xt[-1]

    def sx(x):
        return LEFT + (x - x0) / (x1 - x0) * (W - LEFT - RIGHT)

    for t in xt:
        c.parts.append(f'<text x="{sx(t):.1f}" y="{H - BOTTOM + 16}" text-anchor="middle">{fmt(t)}</text>')
    for si, (name, xs, vals) in enumerate(series):
        color = COLORS[si % len(COLORS)]
        p = [(sx(x), c.y(y)) for x, y in zip(xs, vals) if y is not None]
        if len(p) > 1:
            d = " ".join(f"{x:.1f},{y:.1f}" for x, y in p)
            c.parts.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in p:
            c.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"/>')
    c.legend([name for name, _, _ in series])
    return c.done()
