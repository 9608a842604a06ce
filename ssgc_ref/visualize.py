"""Pictures for people: colorized label maps with a legend, side-by-side panels."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from ssgc_format.labelmap import label_names
from ssgc_ref.analysis.labels import colorize_labels, label_palette


def labels_with_legend(labels: np.ndarray) -> np.ndarray:
    """uint8 RGB picture of a label image with a legend of the labels present on the right."""
    pal = label_palette()
    pic = colorize_labels(labels)
    names = label_names()
    present = [int(v) for v in np.unique(labels)]
    row = 14
    leg_w = 170
    h = max(pic.shape[0], row * len(present) + 8)
    canvas = Image.new("RGB", (pic.shape[1] + leg_w, h), "white")
    canvas.paste(Image.fromarray(pic), (0, 0))
    d = ImageDraw.Draw(canvas)
    for k, v in enumerate(present):
        y = 4 + k * row
        x = pic.shape[1] + 6
        d.rectangle([x, y, x + 10, y + 10], fill=tuple(int(c) for c in pal[v]), outline="black")
        d.text((x + 16, y - 1), f"{v} {names[v]}", fill="black")
    return np.asarray(canvas)


def side_by_side(panels: list[tuple[str, np.ndarray]], gap: int = 8) -> np.ndarray:
    """Panels (title, uint8 RGB) in one row with titles above, on white."""
    title_h = 16
    h = max(p.shape[0] for _, p in panels) + title_h
    w = sum(p.shape[1] for _, p in panels) + gap * (len(panels) - 1)
    canvas = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(canvas)
    x = 0
    for title, p in panels:
        canvas.paste(Image.fromarray(p), (x, title_h))
        d.text((x + 2, 2), title, fill="black")
        x += p.shape[1] + gap
    return np.asarray(canvas)


def mask_picture(mask: np.ndarray) -> np.ndarray:
    return np.repeat((mask.astype(np.uint8) * 255)[:, :, None], 3, axis=2)
