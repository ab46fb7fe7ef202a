"""What ``search(compile=True)`` costs and gains on this machine: the first single-level step
(tracing and compiling) and the median of the next ``--steps``, eager and compiled.

    python benchmarks/compile.py laptop nb201 darts-digits   # about 15 minutes on 2 cores

Sizes: ``laptop`` (NAS-Bench-201, C=8, N=1, 8x8, batch 64), ``fashion`` (the same at 12x12),
``nb201`` (C=16, N=5, 32x32, batch 64), ``darts-digits`` (the DARTS space, C=4, 3 cells, 8x8,
batch 128); random inputs, 10 classes.  Run with an empty inductor cache (``/tmp/torchinductor_*``)
for the first-step numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sdarts_lite as sl  # noqa: E402

SIZES = {  # space, C, N, image size, channels, batch
    "laptop": ("nb201", 8, 1, 8, 1, 64),
    "fashion": ("nb201", 8, 1, 12, 1, 64),
    "nb201": ("nb201", 16, 5, 32, 3, 64),
    "darts-digits": ("darts", 4, 3, 8, 1, 128),
}


def step_seconds(size: str, compiled: bool, steps: int) -> tuple[float, float]:
    """Seconds of the first step and the median of the next ``steps``."""
    space, C, N, image, channels, batch = SIZES[size]
    torch.manual_seed(0)
    model = sl.supernet(space, C, N, 10, channels, image if space == "nb201" else None)
    opt = sl.make_optimizer("single", torch.compile(model) if compiled else model, 50)
    data = torch.randn(batch, channels, image, image), torch.randint(0, 10, (batch,))
    times = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        opt.step(data)
        times.append(time.perf_counter() - start)
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", choices=tuple(SIZES))
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print("| size | first step, eager / compiled | step, eager / compiled | gain | pays back after |")
    print("| --- | --- | --- | --- | --- |")
    for size in args.sizes:
        first_e, eager = step_seconds(size, False, args.steps)
        first_c, compiled = step_seconds(size, True, args.steps)
        saved = eager - compiled
        payback = f"{(first_c - first_e) / saved:,.0f} steps" if saved > 0 else "never"
        print(f"| {size} | {first_e:.2f} s / {first_c:.0f} s | {eager:.3f} s / {compiled:.3f} s | "
              f"{eager / compiled:.2f}x | {payback} |", flush=True)


if __name__ == "__main__":
    main()
