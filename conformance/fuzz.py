"""Mutation fuzzer for decoders: ``python -m conformance.fuzz [--seconds 60] [--seed N]``.

Takes the valid conformance vectors, mutates the header bits or one payload (byte changes,
deletions, insertions), rebuilds the file with a correct CRC so that the parsers (header, range
decoder, label/color/mask syntax, ROIC head, the VVC substream through FFmpeg) see the damage, and runs the
reference decoder with the preview generator. Anything but an SSGCError, or a decode slower than
``--max-seconds``, is a finding. Exits 1 on a finding; prints 'N passed, N failed'.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback

from conformance.runner import HERE, load_vectors
from conformance.vector_edit import PAYLOAD_NAMES, join, split
from ssgc_format.errors import SSGCError


def mutate(rng: random.Random, payload: bytes) -> bytes:
    p = bytearray(payload)
    for _ in range(rng.randrange(1, 6)):
        op = rng.randrange(3)
        i = rng.randrange(len(p) + 1)
        if op == 0 and p:
            p[min(i, len(p) - 1)] = rng.randrange(256)
        elif op == 1:
            del p[i: i + rng.randrange(1, 20)]
        else:
            p[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
    return bytes(p)


def run(*, seconds: float, seed: int, max_iterations: int | None = None, max_seconds: float = 10.0) -> tuple[int, int]:
    from ssgc_ref.decoder import decode_bytes

    rng = random.Random(seed)
    bases = [(HERE / v["file"]).read_bytes() for v in load_vectors()
             if "expect" in v and "generated" not in v]
    passed = failed = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds and (max_iterations is None or passed + failed < max_iterations):
        base = rng.choice(bases)
        parts = split(base)
        targets = ["header", *PAYLOAD_NAMES[: len(parts.payloads)]]
        chunk = rng.choice(targets)
        if chunk == "header":
            h = parts.header
            parts.header = mutate(rng, h if isinstance(h, bytes) else h.to_bytes())
        else:
            i = PAYLOAD_NAMES.index(chunk)
            parts.payloads[i] = mutate(rng, parts.payloads[i])
        data = join(parts)
        t = time.perf_counter()
        try:
            decode_bytes(data, generator="preview")
        except SSGCError:
            pass
        except Exception:  # a finding: another exception type escaped
            failed += 1
            print(f"FAIL {chunk} mutation: {traceback.format_exc(limit=3)}")
            continue
        if time.perf_counter() - t > max_seconds:
            failed += 1
            print(f"FAIL {chunk} mutation took {time.perf_counter() - t:.1f} s")
            continue
        passed += 1
    return passed, failed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m conformance.fuzz", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-seconds", type=float, default=10.0, help="slowest acceptable decode")
    args = ap.parse_args(argv)
    passed, failed = run(seconds=args.seconds, seed=args.seed, max_seconds=args.max_seconds)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
