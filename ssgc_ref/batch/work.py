"""What a batch does to one image, as plain functions (no Ray here): the Ray tasks and actors of
:mod:`ssgc_ref.batch.engine` call them, and so does the one-process loop the throughput benchmark
compares with.

Workers never touch the output folder: they get the input's bytes and return the manifest row with
the output files' bytes (``files``: name -> bytes), which the driver writes. So a cluster needs no
shared file system, and only the driver can leave files behind (written atomically, see
:mod:`ssgc_ref.batch.manifest`).
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import time
import traceback

import numpy as np

from ssgc_format.errors import InputError, SSGCError


def one_line(exc: BaseException) -> str:
    """The manifest's error text: our errors as they are, anything else with its type and place."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, (SSGCError, OSError)):
        return text
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    at = f" at {os.path.basename(where.filename)}:{where.lineno}" if where else ""
    return f"{type(exc).__name__}{at}: {text}"


def _worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _png(rgb: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="PNG")
    return buf.getvalue()


def _mask(ns: argparse.Namespace, rgb: np.ndarray) -> tuple[np.ndarray | None, str]:
    """The ROI mask the encode options ask for, and what happened (for the manifest)."""
    from ssgc_ref.analysis import faces_roi
    from ssgc_ref.cli.encode import mask_from_args

    if ns.roi == "faces":
        return faces_roi(rgb, margin=ns.roi_margin, no_face=ns.no_face)
    if ns.roi:
        return mask_from_args(ns, rgb), "rectangle"
    return None, "none"


def _budget_fields(data: bytes) -> dict:
    from ssgc_ref.report import budget

    b = budget(data)
    return {"bytes": {**b["components"], "total": b["total"]},
            "bpp": {**{k: round(v, 6) for k, v in b["bpp"].items()}, "total": round(b["total_bpp"], 6)}}


def encode_image_bytes(src: bytes, options: dict, qp: int | None = None) -> tuple[dict, dict[str, bytes], object]:
    """Encode one picture with the options of ``ssgc-ref encode`` (a dict of its parsed arguments).

    ``qp`` overrides the ROI QP (batch eval's operating points). Returns ``(row, files, extra)``:
    the manifest fields, {"ssgc": file bytes} (empty when skipped) and, for eval, (rgb, result, decoded
    mask or None) or None.
    """
    from ssgc_format import reconstruct
    from ssgc_ref.analysis import load_image
    from ssgc_ref.cli.encode import config_from_args, segmenter_options
    from ssgc_ref.encoder import encode_image
    from ssgc_ref.metrics import bounding_box

    ns = argparse.Namespace(**options)
    if qp is not None:
        ns.qp = qp
    seconds: dict[str, float] = {}
    t = time.perf_counter()
    rgb = load_image(io.BytesIO(src))
    seconds["read"] = time.perf_counter() - t
    h, w = rgb.shape[:2]
    t = time.perf_counter()
    mask, outcome = _mask(ns, rgb)
    seconds["ROI selection"] = time.perf_counter() - t
    row: dict = {"width": w, "height": h, "roi": {"mode": ns.roi or None, "outcome": outcome}, "qp": ns.qp}
    if outcome == "no-face:skip":
        row.update(status="skipped", error=None, seconds=seconds, worker=_worker())
        return row, {}, None
    cfg = config_from_args(ns)
    res = encode_image(rgb, mask=mask, config=cfg, segmenter_options=segmenter_options(ns))
    seconds.update(res.seconds)
    img = res.image
    decoded_mask = reconstruct.mask_image(img) if img.roi is not None else None  # what the decoder pastes
    box = bounding_box(decoded_mask) if decoded_mask is not None else None
    coded = [img.roi.x, img.roi.y, img.roi.width, img.roi.height] if img.roi is not None else None
    share = float(decoded_mask.mean()) if decoded_mask is not None else 0.0
    row["roi"].update(rect=list(box) if box else None, coded_rect=coded, share=round(share, 6))
    row.update(seed=img.genparams.seed, segmenter=res.segmenter.split(":")[0], **_budget_fields(res.data))
    row["seconds"] = seconds
    return row, {"ssgc": res.data}, (rgb, res, decoded_mask)


def encode_job(src: bytes, options: dict) -> tuple[dict, dict[str, bytes]]:
    """``batch encode``: one picture; never raises (a failure is the row's error)."""
    t = time.perf_counter()
    try:
        row, files, _ = encode_image_bytes(src, options)
        row.setdefault("status", "ok")
        row.setdefault("error", None)
    except Exception as exc:  # noqa: BLE001 - one bad picture must not stop a data set
        row, files = {"status": "error", "error": one_line(exc)}, {}
    row.setdefault("seconds", {})["total"] = time.perf_counter() - t
    row["worker"] = _worker()
    return row, files


def eval_encode_job(src: bytes, options: dict, qp: int | None) -> tuple[dict, dict[str, bytes]]:
    """``batch eval``, CPU part: encode, then VVC alone on the whole picture within the SSGC file's
    bytes (the anchor), decoded and measured inside the same ROI (the decoded mask). Never raises."""
    from ssgc_ref.metrics import picture_metrics
    from ssgc_ref.roi_codec import encode_whole_picture

    t = time.perf_counter()
    try:
        row, files, extra = encode_image_bytes(src, options, qp)
        row.setdefault("status", "ok")
        row.setdefault("error", None)
        if extra is not None:
            rgb, res, decoded_mask = extra
            t1 = time.perf_counter()
            anchor: dict = {}
            try:
                stream, decoded = encode_whole_picture(rgb, max_bytes=len(res.data))
            except InputError as exc:  # even QP 63 does not fit in the SSGC file's bytes
                anchor.update(status="error", error=one_line(exc))
            else:
                files["vvc_stream"], files["vvc_png"] = stream, _png(decoded)
                anchor.update(status="ok", error=None, bytes=len(stream),
                              bpp=round(8 * len(stream) / (rgb.shape[0] * rgb.shape[1]), 6),
                              **picture_metrics(rgb, decoded, decoded_mask))
            row["seconds"]["VVC alone"] = time.perf_counter() - t1
            row["vvc_alone"] = anchor
    except Exception as exc:  # noqa: BLE001
        row, files = {"status": "error", "error": one_line(exc)}, {}
    row.setdefault("seconds", {})["encode total"] = time.perf_counter() - t
    row["worker"] = _worker()
    return row, files


class DecodeWorker:
    """Decodes files, keeping the generator loaded between them (one per Ray actor / process)."""

    def __init__(self, generator: str = "auto", model_dir: str | None = None, allow_model_mismatch: bool = False,
                 device: str = "cpu"):
        from ssgc_ref.decoder import Decoder

        self.decoder = Decoder(generator=generator, model_dir=model_dir, allow_model_mismatch=allow_model_mismatch,
                               device=device)

    def _decode(self, data: bytes) -> tuple[dict, np.ndarray, np.ndarray | None]:
        from ssgc_ref.cli.decode import pixel_sha256

        res = self.decoder.decode(data)
        h = res.parsed.header
        row = {"width": h.width, "height": h.height, "generator": res.generator, "notes": res.notes,
               "seed": res.parsed.genparams.seed, "pixels_sha256": pixel_sha256(res.image),
               "decode_seconds": res.seconds}
        return row, res.image, (res.mask_full if res.parsed.roi is not None else None)

    def decode_job(self, key: str, data: bytes) -> tuple[dict, dict[str, bytes]]:
        """``batch decode``: one file to a PNG; never raises. The row carries ``key`` as '_key'."""
        t = time.perf_counter()
        try:
            row, image, _ = self._decode(data)
            row.update(status="ok", error=None, **_budget_fields(data))
            files = {"png": _png(image)}
        except Exception as exc:  # noqa: BLE001
            row, files = {"status": "error", "error": one_line(exc)}, {}
        row["seconds"] = {"total": time.perf_counter() - t}
        row["worker"] = _worker()
        row["_key"] = key
        return row, files

    def eval_decode_job(self, row: dict, ssgc: bytes, src: bytes) -> tuple[dict, dict[str, bytes]]:
        """``batch eval``, decoder part: decode the SSGC file and measure it against the original
        (``row`` is the encode part's, with its '_key'); never raises."""
        from ssgc_ref.analysis import load_image
        from ssgc_ref.metrics import picture_metrics

        t = time.perf_counter()
        try:
            dec, image, mask = self._decode(ssgc)
            if dec["seed"] != row["seed"]:  # the file must carry the seed the encoder recorded
                raise InputError(f"decoded seed {dec['seed']} differs from the encoder's {row['seed']}")
            rgb = load_image(io.BytesIO(src))
            row["ssgc"] = {k: dec[k] for k in ("generator", "notes", "pixels_sha256")}
            row["ssgc"].update(picture_metrics(rgb, image, mask))
            row["seconds"].update({f"decode {k}": v for k, v in dec["decode_seconds"].items()})
            files = {"png": _png(image)}
        except Exception as exc:  # noqa: BLE001
            row.update(status="error", error=one_line(exc))
            files = {}
        row["seconds"]["decode total"] = time.perf_counter() - t
        row["decode_worker"] = _worker()
        return row, files
