"""Small line plots as inline SVG, for the run report.

Why not matplotlib: every run writes its report at its end, and drawing its curves with matplotlib took 1 to 3 s a
run on a CPU core (most of it laying out tick labels), more than a short run's training. An SVG of a few polylines
is written in milliseconds, stays sharp at any zoom and needs no image decoding; the browser lays out the text.
"""

import html
import math

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
WIDTH, HEIGHT = 360, 240  # px, one plot
LEFT, RIGHT, TOP, BOTTOM = 58, 12, 24, 40  # px: y tick labels, a little air, the title, x tick labels and label


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """About `count` round values (1, 2, 2.5 or 5 times a power of ten apart) covering [low, high]."""
    if high <= low:
        spread = abs(low) * 0.1 or 1.0
        low, high = low - spread, high + spread
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step)
    ticks = [first * step, (first + 1) * step]
    while ticks[-1] < high:
        ticks.append((first + len(ticks)) * step)
    return ticks


def tick_label(value: float, step: float) -> str:
    """A tick's text with the digits its step needs: a range of 1 - 1e-7 to 1 reads 0.99999990 ... 1.00000000, not
    1 five times; scientific notation below 1e-3 and from 1e5."""
    if value == 0:
        return "0"
    step_digit = math.floor(math.log10(step) + 1e-9)  # the decimal place the step changes
    if abs(round(step, -step_digit) - step) > step * 1e-6:  # steps of 2.5 x 10^k need one digit more
        step_digit -= 1
    if 1e-3 <= abs(value) < 1e5:
        return f"{value:.{max(0, -step_digit)}f}"
    return f"{value:.{max(1, math.floor(math.log10(abs(value))) - step_digit + 1)}g}"


def line_plot(title: str, curves: list[tuple[str, list[float], list[float]]], x_label: str) -> str:
    """One plot: each curve (label, x, y) a polyline, with dots where it has few points; a legend for several."""
    xs = [x for _, x_values, _ in curves for x in x_values]
    ys = [y for _, _, y_values in curves for y in y_values]
    parts = [
        f'<svg width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' font-family="sans-serif" font-size="10">',
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="14" text-anchor="middle" font-size="11">'
        f"{html.escape(title)}</text>",
    ]
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts.append(f'<rect x="{LEFT}" y="{TOP}" width="{inner_w}" height="{inner_h}" fill="none" stroke="#999"/>')
    parts.append(f'<text x="{LEFT + inner_w / 2}" y="{HEIGHT - 6}" text-anchor="middle">{html.escape(x_label)}</text>')
    if not xs:
        parts.append(f'<text x="{LEFT + inner_w / 2}" y="{TOP + inner_h / 2}" text-anchor="middle">no values</text>')
        return "".join(parts) + "</svg>"
    x_ticks, y_ticks = nice_ticks(min(xs), max(xs)), nice_ticks(min(ys), max(ys))
    x_low, x_high, y_low, y_high = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]

    def px(x: float) -> float:
        return LEFT + (x - x_low) / (x_high - x_low) * inner_w

    def py(y: float) -> float:
        return TOP + inner_h - (y - y_low) / (y_high - y_low) * inner_h

    x_step, y_step = x_ticks[1] - x_ticks[0], y_ticks[1] - y_ticks[0]
    bottom = TOP + inner_h
    for x in x_ticks:
        parts.append(f'<line x1="{px(x):.1f}" y1="{bottom}" x2="{px(x):.1f}" y2="{bottom + 4}" stroke="#999"/>')
        label = tick_label(x, x_step)
        parts.append(f'<text x="{px(x):.1f}" y="{bottom + 15}" text-anchor="middle">{label}</text>')
    for y in y_ticks:
        parts.append(f'<line x1="{LEFT}" y1="{py(y):.1f}" x2="{LEFT + inner_w}" y2="{py(y):.1f}" stroke="#eee"/>')
        label = tick_label(y, y_step)
        parts.append(f'<text x="{LEFT - 4}" y="{py(y) + 3:.1f}" text-anchor="end">{label}</text>')
    for index, (label, x_values, y_values) in enumerate(curves):
        color = COLORS[index % len(COLORS)]
        points = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in zip(x_values, y_values, strict=True))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="1.5">')
        parts.append(f"<title>{html.escape(label)}</title></polyline>")
        if len(x_values) < 30:
            parts.extend(
                f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{color}"/>'
                for x, y in zip(x_values, y_values, strict=True)
            )
        if len(curves) > 1:
            y_text = TOP + 12 + 12 * index
            parts.append(f'<rect x="{LEFT + 6}" y="{y_text - 7}" width="10" height="3" fill="{color}"/>')
            parts.append(f'<text x="{LEFT + 20}" y="{y_text}">{html.escape(label)}</text>')
    return "".join(parts) + "</svg>"


def grid_of_plots(
    panels: list[tuple[str, list[tuple[str, list[float], list[float]]], str]], label: str, per_row: int = 3
) -> str:
    """The plots `per_row` to a row (the page's CSS grid); `label` names the group for readers and tests."""
    plots = "".join(line_plot(title, curves, x_label) for title, curves, x_label in panels)
    columns = f"grid-template-columns:repeat({min(per_row, len(panels))},max-content)"
    return f'<div class="plots" role="img" aria-label="{html.escape(label)}" style="{columns}">{plots}</div>'
