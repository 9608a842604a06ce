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


ROI_OUTLINE = (255, 0, 255)  # magenta: rare in photos, visible on sky and skin


def outline(rgb: np.ndarray, mask: np.ndarray, color: tuple[int, int, int] = ROI_OUTLINE) -> np.ndarray:
    """A copy of ``rgb`` with the boundary of ``mask`` (bool (H, W)) drawn 1 px wide in ``color``."""
    out: np.ndarray = rgb.copy()
    if not mask.any():
        return out
    m = mask.astype(bool)
    inner = m.copy()
    inner[1:, :] &= m[:-1, :]
    inner[:-1, :] &= m[1:, :]
    inner[:, 1:] &= m[:, :-1]
    inner[:, :-1] &= m[:, 1:]
    out[m & ~inner] = color
    return out


def comparison(panels: list[tuple[str, np.ndarray, list[str]]], note: str | None = None,
               gap: int = 8) -> np.ndarray:
    """Panels (title above, caption lines below, uint8 RGB) in one row on white; ``note``, when
    given, is written across the bottom (e.g. that the background is the preview)."""
    title_h, line_h = 16, 13
    lines = max(len(c) for _, _, c in panels)
    body = max(p.shape[0] for _, p, _ in panels)
    h = title_h + body + 4 + line_h * lines + (line_h + 6 if note else 0) + 2
    w = sum(p.shape[1] for _, p, _ in panels) + gap * (len(panels) - 1)
    canvas = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(canvas)
    x = 0
    for title, p, caption in panels:
        canvas.paste(Image.fromarray(p), (x, title_h))
        d.text((x + 2, 2), title, fill="black")
        for k, text in enumerate(caption):
            d.text((x + 2, title_h + body + 4 + k * line_h), text, fill="black")
        x += p.shape[1] + gap
    if note:
        d.text((2, h - line_h - 4), note, fill=(170, 0, 0))
    out: np.ndarray = np.asarray(canvas)
    return out
