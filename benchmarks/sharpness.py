"""What measuring lambda_max costs: seconds per measurement against the seconds of an epoch.

``Sharpness`` (``sdarts_lite/core/sharpness.py``) computes the exact 30 x 30 Hessian of the held-out
loss in alpha for NAS-Bench-201 (30 Hessian-vector products, batched) and runs power iteration for
the DARTS space.  Here each is timed (median of ``--repeats``, after one warm-up) on one held-out
batch of the preset's batch size, beside:

  laptop     one epoch of ``search`` on the preset (``--preset``, default ``laptop``), lambda_max off,
             single-level and first-order bi-level: the epoch the measurement is added to;
  nb201      NAS-Bench-201's search size (C=16, N=5, 32x32, batch 64): one single-level step, and
             the epoch of CIFAR-10's 25,000 search images (390 steps) it implies;
  darts      the DARTS space at C=16, 8 cells, 32x32, batch 64 (power iteration; ``--darts``).

    python benchmarks/sharpness.py [--preset laptop] [--repeats 3] [--darts] [--laptop-only]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sdarts_lite as sl  # noqa: E402
from sdarts_lite.core.sharpness import Sharpness  # noqa: E402

CIFAR_STEPS = 25_000 // 64  # single-level steps in a CIFAR-10 search epoch (bi-level: as many pairs)


def median_seconds(work, repeats: int) -> float:
    work()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def random_batch(channels: int, size: int, n: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(n, channels, size, size, generator=g), torch.randint(0, 10, (n,), generator=g)


def laptop(preset: str, repeats: int) -> list[str]:
    config = sl.make_config(preset, sharpness_every=0)
    data = sl.load_dataset(config.dataset, image_size=config.image_size, search_size=config.search_size,
                           test_size=config.test_size)
    lines = []
    sl.search(config, data=data, epochs=1, progress=False)  # warm-up: first calls allocate and pick kernels
    for mode in ("single", "bilevel"):
        epochs = 10
        start = time.perf_counter()
        sl.search(config, data=data, mode=mode, epochs=epochs, progress=False)
        epoch = (time.perf_counter() - start) / epochs
        torch.manual_seed(0)
        net = sl.supernet(config.space, config.C, config.N, data.num_classes, data.in_channels,
                          data.image_size if config.space == "nb201" else None)
        held_out = next(iter(sl.Batches(data.test_x, data.test_y, data, config.batch_size)))
        measure = median_seconds(partial(Sharpness([held_out]), net), repeats)
        lines.append(f"| {preset} ({mode}, budget {config.budget}) | {epoch:.2f} s | {measure:.2f} s | "
                     f"{100 * measure / epoch:.0f}% |")
    return lines


def paper_size(space: str, repeats: int) -> str:
    torch.manual_seed(0)
    C, N = (16, 5) if space == "nb201" else (16, 8)
    net = sl.supernet(space, C, N, 10, 3)
    batch = random_batch(3, 32)
    opt = sl.make_optimizer("single", net, 50)
    step = median_seconds(lambda: opt.step(batch), repeats)
    measure = median_seconds(lambda: Sharpness([batch])(net), repeats)
    epoch = step * CIFAR_STEPS
    return (f"| {space}, C={C}, N={N}, 32x32, batch 64 (epoch = {CIFAR_STEPS} single-level steps of "
            f"{step:.2f} s) | {epoch:.0f} s | {measure:.1f} s | {100 * measure / epoch:.1f}% |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="laptop")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--darts", action="store_true", help="also the DARTS space at C=16, 8 cells")
    parser.add_argument("--laptop-only", action="store_true",
                        help="skip NAS-Bench-201's size (its measurements take about 15 minutes on 2 cores)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{torch.backends.cpu.get_cpu_capability()}")
    print("| setting | one epoch | one lambda_max | share of an epoch |")
    print("| --- | --- | --- | --- |")
    for line in laptop(args.preset, args.repeats):
        print(line, flush=True)
    if not args.laptop_only:
        print(paper_size("nb201", args.repeats), flush=True)
    if args.darts:
        print(paper_size("darts", args.repeats), flush=True)


if __name__ == "__main__":
    main()
