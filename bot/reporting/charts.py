"""Draws a `Chart` (counts per answer or group) as a small PNG with matplotlib.

Made to be read in black and white: one dark grey bar per label, the number written at the end
of each bar, no colour carries meaning. Horizontal bars, because the labels are words ("Customers
ask for it", "Other disciplines (merged for anonymity)"), wrapped over two lines where long.
The picture has sixteen greys and is optimised: a chart of nine bars is about 15 KB, small
enough for a Teams message.

matplotlib is used through its object API (`Figure` with the Agg canvas), never `pyplot`: no
global state, so charts can be drawn on worker threads while the event loop goes on.
"""

from __future__ import annotations

import io
import textwrap
from functools import cache, lru_cache
from typing import Any

from bot.content.loader import fill
from bot.reporting.draft.model import Chart, PolicyDraft

WIDTH_INCHES = 6.3  # 16 cm: the text width of an A4 page with 2.5 cm margins
DPI = 150
BAR_GREY = "0.3"
LABEL_WIDTH = 30  # characters before a label wraps
GREYS = 16
CHAR_INCHES = 0.068  # a character of 8.5 pt DejaVu Sans, on average


def prepare() -> None:
    """Imports matplotlib ahead of the first chart (on a worker thread, while the database is
    read: its import is most of a chart's cost)."""
    _matplotlib()


@cache
def _matplotlib() -> tuple[Any, Any]:
    """matplotlib, imported on first use: it costs about 0.4 s, which only a report pays."""
    import matplotlib

    matplotlib.use("Agg")  # no display, ever
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    return Figure, FigureCanvasAgg


@lru_cache(maxsize=32)  # a digest to many managers draws the same charts once per language
def chart_png(chart: Chart, language: str) -> bytes:
    """The chart as PNG bytes, its numbers written the way `language` writes them."""
    figure_type, canvas_type = _matplotlib()
    labels = [textwrap.fill(label, LABEL_WIDTH) for label, _ in chart.bars]
    values = [value for _, value in chart.bars]
    lines = sum(label.count("\n") + 1 for label in labels)
    height = 0.9 + 0.28 * max(lines, 2)
    figure = figure_type(figsize=(WIDTH_INCHES, height), dpi=DPI)
    axes = figure.add_subplot()
    positions = list(range(len(values)))[::-1]  # the first bar on top
    bars = axes.barh(positions, values, color=BAR_GREY, edgecolor="black", linewidth=0.6)
    axes.set_yticks(positions, labels, fontsize=8.5)

    def number(value: float, _position: object = None) -> str:
        return fill("{count}", language, {"count": int(value)})

    axes.bar_label(bars, [number(value) for value in values], padding=3, fontsize=8.5)
    axes.set_title(chart.title, fontsize=10, loc="left", fontweight="bold")
    axes.set_xlabel(chart.axis, fontsize=8.5)
    axes.set_xlim(0, max([*values, 1]) * 1.15)  # room for the number after the longest bar
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.xaxis.set_major_formatter(number)
    axes.tick_params(axis="x", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", color="0.85", linewidth=0.6)
    axes.set_axisbelow(True)
    # Margins from the labels' length (matplotlib's tight_layout would draw everything twice).
    longest = max((len(line) for label in labels for line in label.split("\n")), default=1)
    left = min(0.55, (longest * CHAR_INCHES + 0.25) / WIDTH_INCHES)
    figure.subplots_adjust(left=left, right=0.97, top=1 - 0.32 / height, bottom=0.5 / height)
    canvas = canvas_type(figure)
    canvas.draw()
    return _greyscale_png(canvas)


def _greyscale_png(canvas: Any) -> bytes:
    from PIL import Image  # matplotlib's own dependency

    rgba = canvas.buffer_rgba()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), rgba, "raw", "RGBA", 0, 1)
    # Sixteen greys are all a bar chart has: a 4-bit palette keeps it near 16 KB, so that,
    # base64-encoded, it fits a 28 KB Teams message. A fixed mapping, not a quantizer: 4 ms.
    levels = image.convert("L").point(lambda v: (v * (GREYS - 1) + 127) // 255)
    grey = Image.frombytes("P", levels.size, levels.tobytes())
    grey.putpalette([round(i * 255 / (GREYS - 1)) for i in range(GREYS) for _ in range(3)])
    out = io.BytesIO()
    grey.save(out, format="PNG", bits=4, dpi=(DPI, DPI))
    return out.getvalue()


def draft_charts(draft: PolicyDraft) -> dict[str, bytes]:
    """Every chart of a draft as PNG bytes, by `Chart.name`."""
    return {
        block.name: chart_png(block, draft.language)
        for block in draft.blocks
        if isinstance(block, Chart)
    }
