"""The weekly digest chart: questions asked and how they were answered, as a PNG made with Pillow.

Rendering needs no display, network or font files: it uses Pillow's built-in default font (scalable
from Pillow 10.1 when FreeType is present, the small bitmap font otherwise).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 900, 450
MAX_WEEKS = 8
TITLE = "Learnbot: the last 8 weeks"

BACKGROUND = (255, 255, 255)
INK = (33, 37, 41)
MUTED = (108, 117, 125)
GRID = (226, 230, 234)
AXIS = (173, 181, 189)

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
SERIES: tuple[tuple[str, str, tuple[int, int, int]], ...] = (
    ("asked", "Asked", (0, 114, 178)),
    ("by_library", "Answered by the library", (0, 158, 115)),
    ("by_colleagues", "Answered by colleagues", (230, 159, 0)),
    ("escalated", "Escalated", (213, 94, 0)),
)

Font = ImageFont.ImageFont | ImageFont.FreeTypeFont


@dataclass(frozen=True)
class WeekCounts:
    """One week's numbers: questions asked, answered by the library or colleagues, escalated."""

    label: str
    asked: int
    by_library: int
    by_colleagues: int
    escalated: int


@dataclass(frozen=True)
class _Plot:
    """The plot area in pixels and the value at its top edge."""

    left: int
    top: int
    right: int
    bottom: int
    y_max: int

    def y(self, value: float) -> int:
        return round(self.bottom - (self.bottom - self.top) * value / self.y_max)


def render_weekly_chart(weeks: Sequence[WeekCounts]) -> bytes:
    """A grouped bar chart (PNG bytes) of the last 8 of `weeks`, oldest on the left."""
    shown = list(weeks)[-MAX_WEEKS:]
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    fonts = {"title": _font(20), "label": _font(13), "small": _font(11)}
    _draw_title(draw, fonts["title"])
    _draw_legend(draw, fonts["label"], y=50)
    y_max, step = nice_axis([value for week in shown for value in _values(week)])
    plot = _Plot(left=64, top=92, right=WIDTH - 24, bottom=HEIGHT - 46, y_max=y_max)
    _draw_grid(draw, plot, step, fonts["small"])
    if shown:
        _draw_groups(draw, plot, shown, fonts)
    else:
        _text(draw, ((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2), "No questions yet",
              fonts["label"], MUTED, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def nice_axis(values: Sequence[int]) -> tuple[int, int]:
    """The y-axis top and integer tick step for `values`: about six steps of 1, 2 or 5 x 10^k."""
    highest = max([0, *values])
    raw = max(highest, 6) / 6
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    return step * math.ceil(max(highest, 5) / step), step


def _values(week: WeekCounts) -> tuple[int, ...]:
    return tuple(getattr(week, name) for name, _, _ in SERIES)


def _font(size: int) -> Font:
    """Pillow's default font at `size` (scalable from 10.1), or the bitmap one on older Pillow."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: no size argument, bitmap font only
        return ImageFont.load_default()


def _text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, font: Font,
          fill: tuple[int, int, int], anchor: str = "lt") -> None:
    """Draw `text` with `anchor` (l/m/r, then t/m/b of the capital height) at `xy`.

    Measured by hand rather than with Pillow's anchors, so bitmap fonts work too; the vertical
    position uses the height of "H", so texts with and without descenders share a baseline.
    """
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    _, top, _, bottom = draw.textbbox((0, 0), "H", font=font)
    x = xy[0] - left - {"l": 0, "m": (right - left) / 2, "r": right - left}[anchor[0]]
    y = xy[1] - top - {"t": 0, "m": (bottom - top) / 2, "b": bottom - top}[anchor[1]]
    draw.text((round(x), round(y)), text, font=font, fill=fill)


def _text_width(draw: ImageDraw.ImageDraw, text: str, font: Font) -> int:
    left, _, right, _ = draw.textbbox((0, 0), text, font=font)
    return math.ceil(right - left)


def _draw_title(draw: ImageDraw.ImageDraw, font: Font) -> None:
    _text(draw, (24, 16), TITLE, font, INK)


def _draw_legend(draw: ImageDraw.ImageDraw, font: Font, y: int) -> None:
    """A row of colour swatches and series names under the title."""
    x = 24
    for _, name, colour in SERIES:
        draw.rectangle((x, y, x + 12, y + 12), fill=colour)
        _text(draw, (x + 18, y + 6), name, font, INK, anchor="lm")
        x += 18 + _text_width(draw, name, font) + 28


def _draw_grid(draw: ImageDraw.ImageDraw, plot: _Plot, step: int, font: Font) -> None:
    """Horizontal gridlines with integer tick labels, and the x axis."""
    for value in range(0, plot.y_max + 1, step):
        y = plot.y(value)
        draw.line((plot.left, y, plot.right, y), fill=GRID if value else AXIS, width=1)
        _text(draw, (plot.left - 8, y), str(value), font, MUTED, anchor="rm")


def _draw_groups(draw: ImageDraw.ImageDraw, plot: _Plot, weeks: Sequence[WeekCounts],
                 fonts: dict[str, Font]) -> None:
    """One group of bars per week, its label underneath."""
    group = (plot.right - plot.left) / len(weeks)
    bar = min(22.0, group * 0.72 / len(SERIES))
    for index, week in enumerate(weeks):
        centre = plot.left + group * (index + 0.5)
        start = centre - bar * len(SERIES) / 2
        for offset, value in enumerate(_values(week)):
            x0 = round(start + offset * bar)
            _draw_bar(draw, plot, x0, round(start + (offset + 1) * bar) - 2, value, SERIES[offset][2],
                      fonts["small"])
        _text(draw, (centre, plot.bottom + 10), week.label, fonts["label"], INK, anchor="mt")


def _draw_bar(draw: ImageDraw.ImageDraw, plot: _Plot, x0: int, x1: int, value: int,
              colour: tuple[int, int, int], font: Font) -> None:
    """A bar from the x axis up to `value`, the number above it when it fits."""
    if value <= 0:
        return
    top = min(plot.y(value), plot.bottom - 2)  # a small count on a big scale still shows
    draw.rectangle((x0, top, x1, plot.bottom - 1), fill=colour)
    if _text_width(draw, str(value), font) <= x1 - x0 + 6:  # up to 3 digits; wider would collide
        _text(draw, ((x0 + x1) / 2, top - 3), str(value), font, MUTED, anchor="mb")
