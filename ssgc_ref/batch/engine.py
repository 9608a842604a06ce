"""Running a batch on Ray: CPU stages (segmentation, VVC encodes, the VVC-alone anchor) as Ray tasks,
decoding on a pool of Ray actors that each load the generator once (``ray.util.ActorPool``; with
``gpus_per_worker`` > 0 each actor holds that many GPUs).

The driver (the ``ssgc-ref`` process) reads the inputs, keeps a bounded number of images in flight,
writes the outputs and one manifest row per image as results arrive. Ray starts in-process on this
machine's cores unless ``address`` (or ``RAY_ADDRESS``) names a running cluster; a cluster's nodes
need this package installed, not a shared file system.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from ssgc_format.errors import InputError, SSGCError

from .manifest import Manifest
from .work import DecodeWorker, encode_job, eval_encode_job, one_line

INPUT_LIMIT = 1 << 28  # bytes of one input file read by the driver (256 MiB)


@dataclass
class Job:
    """One manifest row to make: ``outputs`` maps a worker's file kind to a path in the run folder."""

    key: str
    input: str
    outputs: dict[str, str]
    qp: int | None = None


def import_ray():
    try:
        import ray
    except ImportError:
        raise InputError("ssgc-ref batch runs on Ray, which is not installed: pip install 'ssgc[ray]'") from None
    return ray


class Cluster:
    """Ray for the length of a ``with`` block: a local instance of ``workers`` CPUs started here, or the
    cluster at ``address`` / $RAY_ADDRESS (left running afterwards)."""

    def __init__(self, address: str | None, workers: int | None):
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.workers = workers

    def __enter__(self) -> "Cluster":
        ray = import_ray()
        self.ray = ray
        try:
            if self.address:
                ray.init(address=self.address, logging_level=logging.WARNING, log_to_driver=False)
            else:
                # workers are started from this environment: make sure they import this very package
                root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
                paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
                if root not in paths:
                    os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])
                # address "local": a new private instance even when a 'ray start' cluster runs here;
                # every Ray component listens on the loopback interface only
                ray.init(address="local", num_cpus=self.workers or os.cpu_count() or 1, include_dashboard=False,
                         logging_level=logging.WARNING, log_to_driver=False, _node_ip_address="127.0.0.1")
        except (ConnectionError, ValueError, RuntimeError) as exc:
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray"
            raise InputError(f"could not start or reach {where}: {one_line(exc)}") from None
        res = ray.cluster_resources()
        self.cpus = max(1, int(res.get("CPU", 1)))
        self.gpus = int(res.get("GPU", 0))
        return self

    def __exit__(self, *exc) -> None:
        self.ray.shutdown()


def _read(path: str) -> bytes:
    from ssgc_ref.fileio import read_bounded

    return read_bounded(path, INPUT_LIMIT)


class Reporter:
    """Writes each finished image (outputs, then its row) and prints one progress line for it."""

    def __init__(self, manifest: Manifest, command: str, total: int, quiet: bool):
        self.manifest, self.command, self.total, self.quiet = manifest, command, total, quiet
        self.count = 0
        self.failed = 0

    def finish(self, job: Job, row: dict, files: dict[str, bytes], written=()) -> None:
        """``files``: kind -> bytes still to write; ``written``: kinds written earlier for this image."""
        self.manifest.write_outputs({job.outputs[k]: v for k, v in files.items() if k in job.outputs})
        out = {"key": job.key, "command": self.command, "status": row.get("status"), "error": row.get("error"),
               "input": job.input}
        out["outputs"] = {k: job.outputs[k] for k in job.outputs if k in files or k in written}
        out.update(row)
        out["seconds"] = {k: round(v, 4) for k, v in out.get("seconds", {}).items()}
        self.manifest.append(out)
        self.count += 1
        self.failed += out["status"] == "error"
        if not self.quiet:
            detail = out.get("error") or ""
            if out["status"] == "ok" and "bytes" in out:
                detail = f"{out['bytes']['total']} B, {out['bpp']['total']:.4f} bpp"
                if out.get("ssgc", {}).get("psnr_y_roi") is not None:
                    detail += f", ROI PSNR-Y {out['ssgc']['psnr_y_roi']:.2f} dB"
                    alone = out.get("vvc_alone", {}).get("psnr_y_roi")
                    if alone is not None:
                        detail += f" (VVC alone {alone:.2f} dB)"
            print(f"[{self.count}/{self.total}] {job.key}: {out['status']} {detail}".rstrip(), flush=True)


def _error(exc: BaseException) -> tuple[dict, dict]:
    return {"status": "error", "error": one_line(exc)}, {}


def run_encode(cluster: Cluster, jobs: list[Job], options: dict, reporter: Reporter) -> None:
    """``batch encode``: one Ray task per picture, at most twice the cluster's CPUs in flight."""
    ray = cluster.ray
    task = ray.remote(num_cpus=1, max_retries=2)(encode_job)
    todo = iter(jobs)
    pending: dict = {}
    limit = 2 * cluster.cpus
    while True:
        while len(pending) < limit and (job := next(todo, None)) is not None:
            try:
                pending[task.remote(_read(job.input), options)] = job
            except (OSError, SSGCError) as exc:  # unreadable or over the size limit
                reporter.finish(job, *_error(exc))
        if not pending:
            return
        ready, _ = ray.wait(list(pending), num_returns=1)
        job = pending.pop(ready[0])
        try:
            row, files = ray.get(ready[0])
        except Exception as exc:  # noqa: BLE001 - a worker lost for good (retries spent)
            row, files = _error(exc)
        reporter.finish(job, row, files)


def _decoder_pool(cluster: Cluster, decode: dict, gpus_per_worker: float, workers: int | None, hold_cpu: bool):
    """``n`` decoder actors; CPU actors hold a core only when nothing else needs the cores."""
    ray = cluster.ray
    from ray.util import ActorPool

    if gpus_per_worker > 0:
        if cluster.gpus < gpus_per_worker:
            raise InputError(f"--gpus-per-worker {gpus_per_worker}: the Ray cluster has {cluster.gpus} GPU(s)")
        n = int(cluster.gpus // gpus_per_worker)
        n = min(n, workers) if workers else n
        opts = dict(num_gpus=gpus_per_worker)
    else:
        n = workers or cluster.cpus
        opts = dict(num_cpus=1) if hold_cpu else {}
    actor = ray.remote(DecodeWorker).options(max_restarts=2, max_task_retries=2, **opts)
    return ActorPool([actor.remote(**decode) for _ in range(max(1, n))]), max(1, n)


def run_decode(cluster: Cluster, jobs: list[Job], decode: dict, gpus_per_worker: float, workers: int | None,
               reporter: Reporter) -> None:
    """``batch decode``: the files go to the decoder actors, at most two per actor in flight."""
    pool, n = _decoder_pool(cluster, decode, gpus_per_worker, workers, hold_cpu=True)
    todo = iter(jobs)
    decoding: dict[str, Job] = {}
    lost: list[str] = []
    while True:
        while len(decoding) < 2 * n and (job := next(todo, None)) is not None:
            try:
                data = _read(job.input)
            except (OSError, SSGCError) as exc:  # unreadable or over the size limit
                reporter.finish(job, *_error(exc))
                continue
            pool.submit(lambda a, v: a.decode_job.remote(*v), (job.key, data))
            decoding[job.key] = job
        if not pool.has_next():
            break
        _collect(pool, decoding, reporter, lost, timeout=None)
    _report_lost(decoding, reporter, lost)


def _collect(pool, decoding: dict[str, Job], reporter: Reporter, lost: list[str], timeout: float | None) -> bool:
    """Report one finished decode, if one finishes within ``timeout``: True when one did."""
    try:
        row, files = pool.get_next_unordered(timeout=timeout)
    except TimeoutError:
        return False
    except Exception as exc:  # noqa: BLE001 - an actor lost for good (its restarts spent)
        lost.append(one_line(exc))
        return True
    job = decoding.pop(row.pop("_key"))
    reporter.finish(job, row, files, written=row.pop("_files", ()))
    return True


def _report_lost(decoding: dict[str, Job], reporter: Reporter, lost: list[str]) -> None:
    # ActorPool does not say which submission a Ray-level failure belongs to: once the pool is empty,
    # the images that never came back are the lost ones
    for job in decoding.values():
        reporter.finish(job, {"status": "error", "error": f"decoder worker lost: {lost[0] if lost else 'unknown'}"}, {})


def run_eval(cluster: Cluster, jobs: list[Job], options: dict, decode: dict, gpus_per_worker: float,
             workers: int | None, reporter: Reporter) -> None:
    """``batch eval``: encode + anchor as Ray tasks, then decode + measure on the decoder actors."""
    ray = cluster.ray
    task = ray.remote(num_cpus=1, max_retries=2)(eval_encode_job)
    # CPU decoder actors hold no core here: the encode tasks need them (a preview decode takes ms)
    pool, n = _decoder_pool(cluster, decode, gpus_per_worker, workers, hold_cpu=False)
    todo = iter(jobs)
    encoding: dict = {}  # task ref -> (job, ref of the source bytes)
    decoding: dict[str, Job] = {}
    lost: list[str] = []
    limit = 2 * (cluster.cpus + n)
    while True:
        while len(encoding) + len(decoding) < limit and (job := next(todo, None)) is not None:
            try:
                src = ray.put(_read(job.input))
            except (OSError, SSGCError) as exc:  # unreadable or over the size limit
                reporter.finish(job, *_error(exc))
                continue
            encoding[task.remote(src, options, job.qp)] = (job, src)
        if not encoding and not pool.has_next():
            break
        if encoding:
            ready, _ = ray.wait(list(encoding), num_returns=1, timeout=0.05 if pool.has_next() else None)
            for ref in ready:
                job, src = encoding.pop(ref)
                try:
                    row, files = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - a worker lost for good (retries spent)
                    row, files = _error(exc)
                if row["status"] != "ok" or "ssgc" not in files:
                    reporter.finish(job, row, files)
                    continue
                # the encoder's outputs now, the decode's with the row (written before it either way)
                reporter.manifest.write_outputs({job.outputs[k]: v for k, v in files.items()})
                row.update(_key=job.key, _files=sorted(files))
                pool.submit(lambda a, v: a.eval_decode_job.remote(*v), (row, files["ssgc"], src))
                decoding[job.key] = job
        while pool.has_next() and _collect(pool, decoding, reporter, lost, 0 if encoding else None):
            pass
    _report_lost(decoding, reporter, lost)
