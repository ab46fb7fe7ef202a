"""What measuring lambda_max costs: seconds per measurement against the seconds of an epoch.

``Sharpness`` (``sdarts_lite/core/sharpness.py``) computes the exact 30 x 30 Hessian of the held-out
loss in alpha for NAS-Bench-201 (30 Hessian-vector products, batched), or lambda_max alone by
warm-started Lanczos (both spaces).  Here each is timed (median of ``--repeats``, after one warm-up,
which also gives Lanczos its warm start) on one held-out batch of the preset's batch size, and one
Hessian-vector product by double backward against one by forward-over-reverse (``torch.func.jvp``
of the gradient), beside:

  laptop     one epoch of ``search`` on the preset (``--preset``, default ``fashion``), lambda_max off,
             single-level and first-order bi-level: the epoch the measurement is added to;
  nb201      NAS-Bench-201's search size (C=16, N=5, 32x32, batch 64): one single-level step, and
             the epoch of CIFAR-10's 25,000 search images (390 steps) it implies;
  darts      the DARTS space at C=16, 8 cells, 32x32, batch 64 (power iteration; ``--darts``).

    python benchmarks/sharpness.py [--preset laptop] [--repeats 3] [--darts] [--laptop-only]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, jvp, replace_all_batch_norm_modules_

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sdarts_lite as sl  # noqa: E402
from sdarts_lite.core.sharpness import Sharpness, hessian_vector_products, loss_gradient  # noqa: E402

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


def products(net, batch, repeats: int) -> tuple[float, float]:
    """Seconds of one Hessian-vector product: double backward (on the gradient's graph, built once
    per measurement and not counted) and forward-over-reverse (jvp of the gradient, a whole pass)."""
    gradient = loss_gradient(net, [batch])
    v = torch.randn(len(gradient), generator=torch.Generator().manual_seed(1))
    double = median_seconds(lambda: hessian_vector_products(net, gradient, v), repeats)
    twin = copy.deepcopy(net)
    replace_all_batch_norm_modules_(twin)  # batch statistics only: nothing mutated inside the transform
    names = [name for name, _ in twin.named_parameters() if name.startswith("alpha")]
    fixed = {k: p.detach() for k, p in twin.named_parameters() if k not in names}
    alphas = tuple(p.detach() for k, p in twin.named_parameters() if k in names)
    tangents = tuple(t.view_as(a) for t, a in zip(v.split([a.numel() for a in alphas]), alphas))
    loss = lambda *a: F.cross_entropy(functional_call(twin, {**fixed, **dict(zip(names, a))}, (batch[0],)),  # noqa: E731
                                      batch[1])
    forward = median_seconds(lambda: jvp(grad(loss, argnums=tuple(range(len(alphas)))), alphas, tangents),
                             repeats)
    return double, forward


def measurements(net, batch, repeats: int) -> tuple[str, float]:
    """The table's measurement cells, and the seconds of one warm Lanczos measurement."""
    exact = Sharpness([batch])
    lanczos = Sharpness([batch], spectrum=False)
    cells = f"{median_seconds(partial(exact, net), repeats):.2f} s" if exact(net)[1] else "-"
    warm = median_seconds(partial(lanczos, net), repeats)
    double, forward = products(net, batch, repeats)
    return (f"{cells} | {warm:.2f} s ({lanczos.products} products) | {double * 1000:.0f} ms | "
            f"{forward * 1000:.0f} ms"), warm


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
                          data.image_size)
        held_out = next(iter(sl.Batches(data.test_x, data.test_y, data, config.batch_size)))
        cells, warm = measurements(net, held_out, repeats)
        lines.append(f"| {preset} ({mode}, budget {config.budget}) | {epoch:.2f} s | {cells} | "
                     f"{100 * warm / epoch:.0f}% |")
    return lines


def paper_size(space: str, repeats: int) -> str:
    torch.manual_seed(0)
    C, N = (16, 5) if space == "nb201" else (16, 8)
    net = sl.supernet(space, C, N, 10, 3)
    batch = random_batch(3, 32)
    opt = sl.make_optimizer("single", net, 50)
    step = median_seconds(lambda: opt.step(batch), repeats)
    cells, warm = measurements(net, batch, repeats)
    epoch = step * CIFAR_STEPS
    return (f"| {space}, C={C}, N={N}, 32x32, batch 64 (epoch = {CIFAR_STEPS} single-level steps of "
            f"{step:.2f} s) | {epoch:.0f} s | {cells} | {100 * warm / epoch:.1f}% |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fashion")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--darts", action="store_true", help="also the DARTS space at C=16, 8 cells")
    parser.add_argument("--laptop-only", action="store_true",
                        help="skip NAS-Bench-201's size (its measurements take about 15 minutes on 2 cores)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{torch.backends.cpu.get_cpu_capability()}")
    print("| setting | one epoch | exact spectrum | lambda_max by warm Lanczos | one product, double "
          "backward | one product, jvp of the gradient | Lanczos's share of an epoch |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for line in laptop(args.preset, args.repeats):
        print(line, flush=True)
    if not args.laptop_only:
        print(paper_size("nb201", args.repeats), flush=True)
    if args.darts:
        print(paper_size("darts", args.repeats), flush=True)


if __name__ == "__main__":
    main()
