"""Measure the weight-free segmenters on the offline sample images.

For each image: run the segmenter, time it, print the class histogram (share of pixels), and
write a figure (picture | full-resolution label map | the x16 majority grid the file would carry,
with a legend) to DIR/segmentation-<segmenter>-<image>.png, plus all numbers to
DIR/segmentation.json (--out DIR, default out/benchmarks/).

    python benchmarks/segmentation.py [--segmenter superpixel] [--cell-log2 4]
    python benchmarks/segmentation.py --segmenter deeplab-v2 --option weights=deeplabv2.pth
    python benchmarks/segmentation.py --segmenter onnx --option model=m.onnx --option labels=ade20k-150
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from ssgc_ref.analysis import colorize_labels, detect_faces, downsample_labels, label_name, label_palette, load_image
from ssgc_ref.analysis.segmenters import get_segmenter



def sample_images() -> dict[str, np.ndarray]:
    from skimage import data

    images = {}
    for name in ("astronaut", "coffee", "chelsea", "rocket", "retina"):
        images[name] = getattr(data, name)()
    horse = data.horse()  # a bilevel silhouette
    images["horse"] = np.repeat((horse.astype(np.uint8) * 255)[..., None], 3, axis=2)
    try:
        import matplotlib.cbook as cbook

        images["grace_hopper"] = load_image(cbook.get_sample_data("grace_hopper.jpg"))
    except Exception:  # matplotlib absent or without its sample data
        pass
    from ssgc_ref.examples import example_path

    landscape = example_path()
    if landscape.exists():
        images["landscape"] = load_image(landscape)
    return images


def histogram(labels: np.ndarray) -> dict[str, float]:
    counts = np.bincount(labels.ravel(), minlength=183)
    order = np.argsort(-counts, kind="stable")
    return {label_name(int(i)): round(float(counts[i]) / labels.size, 4) for i in order if counts[i]}


def figure(path: Path, title: str, rgb: np.ndarray, labels: np.ndarray, grid: np.ndarray) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.patches as mpatches
    import matplotlib.pyplot as plt

    pal = label_palette()
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.6))
    axes[0].imshow(rgb)
    axes[0].set_title(title)
    axes[1].imshow(colorize_labels(labels), interpolation="nearest")
    axes[1].set_title("labels (full resolution)")
    axes[2].imshow(colorize_labels(grid), interpolation="nearest")
    axes[2].set_title(f"majority grid {grid.shape[1]}x{grid.shape[0]}")
    for ax in axes:
        ax.axis("off")
    present = [int(i) for i in np.argsort(-np.bincount(labels.ravel(), minlength=183)) if (labels == i).any()]
    handles = [mpatches.Patch(color=pal[i] / 255.0, label=f"{i} {label_name(i)}") for i in present]
    fig.legend(handles=handles, loc="lower center", ncol=min(8, len(handles)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.1, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segmenter", default="superpixel")
    parser.add_argument("--cell-log2", type=int, default=4)
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="segmenter option (strings; input_size is converted to int)")
    from results_dir import add_out_argument

    add_out_argument(parser)
    args = parser.parse_args()
    RESULTS = args.out
    RESULTS.mkdir(parents=True, exist_ok=True)
    options = dict(o.split("=", 1) for o in args.option)
    if "input_size" in options:
        options["input_size"] = int(options["input_size"])
    seg = get_segmenter(args.segmenter, **options)
    print(f"segmenter {seg.id}: {seg.description}")
    results = {}
    print(f"{'image':<14} {'size':>9} {'seconds':>8} {'faces':>5}  classes (share of pixels)")
    for name, rgb in sample_images().items():
        t0 = time.perf_counter()
        labels = seg.segment(rgb)
        seconds = time.perf_counter() - t0
        grid = downsample_labels(labels, args.cell_log2)
        hist = histogram(labels)
        faces = detect_faces(rgb)
        results[name] = {"size": list(rgb.shape[:2]), "seconds": round(seconds, 3), "histogram": hist,
                         "grid_classes": len(np.unique(grid)), "faces": [list(b) for b in faces]}
        size = f"{rgb.shape[1]}x{rgb.shape[0]}"
        top = ", ".join(f"{k} {100 * v:.0f}%" for k, v in list(hist.items())[:6])
        print(f"{name:<14} {size:>9} {seconds:8.2f} {len(faces):>5}  {top}")
        figure(RESULTS / f"segmentation-{seg.id}-{name}.png", name, rgb, labels, grid)
    out = RESULTS / "segmentation.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    old = json.loads(out.read_text()) if out.exists() else {}
    old[seg.id] = {"description": seg.description, "cell_log2": args.cell_log2, "images": results}
    out.write_text(json.dumps(old, indent=1) + "\n")
    print(f"wrote {out} and {len(results)} figures")


if __name__ == "__main__":
    main()
