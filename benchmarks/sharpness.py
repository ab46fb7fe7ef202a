"""What measuring lambda_max costs: seconds per measurement against the seconds of an epoch.

``Sharpness`` (``sdarts_lite/method/sharpness.py``) finds lambda_max by Lanczos, each measurement started
from the last one's eigenvector, or (``sharpness_spectrum``) computes NAS-Bench-201's exact 30 x 30
Hessian (30 Hessian-vector products, batched).  Rows:

  laptop   the preset (``--preset``, default ``fashion``), single-level and first-order bi-level:
           the mean epoch of 10 epochs of ``search``, then lambda_max on the preset's held-out sample
           (``sharpness_size``) on each epoch's weights in turn, each measurement started from the
           last one's eigenvector as in a search (median seconds and products; the first, cold one
           apart).  Beside it, on the last weights: the exact spectrum, and one Hessian-vector
           product by double backward against one by forward-over-reverse (``torch.func.jvp`` of
           the gradient);
  nb201    NAS-Bench-201's search size (C=16, N=5, 32x32, batch 64) on 64 random images (``--nb201-images``):
           one single-level step, the epoch of CIFAR-10's 25,000 search images (390 steps) it
           implies, and a Lanczos measurement warm-started from the one before 5 steps.

    python benchmarks/sharpness.py [--preset laptop] [--repeats 3] [--laptop-only] [--nb201-images 64 512]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.func import functional_call, grad, jvp, replace_all_batch_norm_modules_

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sdarts_lite as sl  # noqa: E402
from sdarts_lite.method.sharpness import (  # noqa: E402
    Sharpness,
    held_out_sample,
    hessian_vector_products,
    loss_gradient,
)

CIFAR_STEPS = 25_000 // 64  # single-level steps in a CIFAR-10 search epoch (bi-level: as many pairs)


def seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def median_seconds(work, repeats: int) -> float:
    work()  # warm-up
    return statistics.median(seconds(work) for _ in range(repeats))


def products(net, batches, repeats: int) -> tuple[float, float]:
    """Seconds of one Hessian-vector product: double backward (on the gradient's graph, built once
    per measurement and not counted) and forward-over-reverse (jvp of the gradient, a whole pass)."""
    gradient = loss_gradient(net, batches)
    v = torch.randn(len(gradient), generator=torch.Generator().manual_seed(1))
    double = median_seconds(lambda: hessian_vector_products(net, gradient, v), repeats)
    twin = copy.deepcopy(net)
    replace_all_batch_norm_modules_(twin)  # batch statistics only: nothing mutated inside the transform
    names = [name for name, _ in twin.named_parameters() if name.startswith("alpha")]
    fixed = {k: p.detach() for k, p in twin.named_parameters() if k not in names}
    alphas = tuple(p.detach() for k, p in twin.named_parameters() if k in names)
    tangents = tuple(t.view_as(a) for t, a in zip(v.split([a.numel() for a in alphas]), alphas))
    total = sum(len(y) for _, y in batches)

    def loss(*a):
        params = {**fixed, **dict(zip(names, a))}
        return sum(F.cross_entropy(functional_call(twin, params, (x,)), y, reduction="sum")
                   for x, y in batches) / total

    gradient_of = grad(loss, argnums=tuple(range(len(alphas))))
    forward = median_seconds(lambda: jvp(gradient_of, alphas, tangents), repeats)
    return double, forward


def keep_weights(out: Path, kept: list, history) -> None:
    """A search's callback: keep the weights of each epoch (from its checkpoint)."""
    if history.epochs and len(kept) < len(history.epochs):
        kept.append(torch.load(out / "checkpoint.pt", weights_only=False)["model"])


def laptop(preset: str, repeats: int, epochs: int = 10) -> list[str]:
    config = sl.make_config(preset, sharpness_every=0)
    data = sl.search_data(config)
    held_out = held_out_sample(data, config.sharpness_size, config.batch_size)
    n = sum(len(y) for _, y in held_out)
    sl.search(config, data=data, epochs=1, progress=False)  # warm-up: first calls allocate and pick kernels
    lines = []
    for mode in ("single", "bilevel1"):
        with tempfile.TemporaryDirectory() as out:
            kept = []
            epoch = seconds(partial(sl.search, config, data=data, optimizer=mode, epochs=epochs, out=out,
                                    callback=partial(keep_weights, Path(out), kept), progress=False)) / epochs
        net = sl.supernet(config.space, config.C, config.N, data.num_classes, data.in_channels,
                          data.image_size)
        sharpness, times, counts = Sharpness(held_out, method="lanczos"), [], []
        for state in kept:  # each epoch's weights in turn, each measurement warm from the one before
            net.load_state_dict(state)
            times.append(seconds(partial(sharpness, net)))
            counts.append(sharpness.products)
        warm = statistics.median(times[1:])
        exact = median_seconds(partial(Sharpness(held_out, spectrum=True), net), repeats)
        double, forward = products(net, held_out, repeats)
        lines.append(f"| {preset} ({mode}, budget {config.budget}), {n} images | {epoch:.2f} s | "
                     f"{exact:.2f} s | {warm:.2f} s ({statistics.median(counts[1:]):.0f} products; cold "
                     f"{times[0]:.2f} s, {counts[0]}) | {double * 1000:.0f} ms | {forward * 1000:.0f} ms | "
                     f"{100 * warm / epoch:.0f}% |")
    return lines


def paper_size(images: int, repeats: int) -> str:
    torch.manual_seed(0)
    net = sl.supernet("nb201", 16, 5, 10, 3)
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(64, 3, 32, 32, generator=g), torch.randint(0, 10, (64,), generator=g))
               for _ in range(images // 64)]
    opt = sl.make_optimizer("single", net, 50)
    step = median_seconds(lambda: opt.step(batches[0]), repeats)
    sharpness = Sharpness(batches, method="lanczos")
    sharpness(net)  # cold: the previous epoch's measurement
    times, counts = [], []
    for _ in range(repeats):
        for _ in range(5):
            opt.step(batches[0])
        times.append(seconds(lambda: sharpness(net)))
        counts.append(sharpness.products)
    double, forward = products(net, batches, 1) if images == 64 else (None, None)
    epoch, warm = step * CIFAR_STEPS, statistics.median(times)
    cells = f"{double * 1000:.0f} ms | {forward * 1000:.0f} ms" if double else "- | -"
    return (f"| nb201, C=16, N=5, 32x32, batch 64, {images} images (epoch = {CIFAR_STEPS} steps of "
            f"{step:.2f} s) | {epoch:.0f} s | - | {warm:.1f} s ({statistics.median(counts):.0f} products) | "
            f"{cells} | {100 * warm / epoch:.1f}% |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="fashion")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--laptop-only", action="store_true",
                        help="skip NAS-Bench-201's size (about 5 minutes on 2 cores at 64 images)")
    parser.add_argument("--nb201-images", type=int, nargs="+", default=[64],
                        help="held-out sample sizes at NAS-Bench-201's size (512 took over 19 minutes)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"{torch.backends.cpu.get_cpu_capability()}")
    print("| setting | one epoch | exact spectrum | lambda_max by warm Lanczos, in the search | one "
          "product, double backward | one product, jvp of the gradient | Lanczos's share of an epoch |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for line in laptop(args.preset, args.repeats):
        print(line, flush=True)
    if not args.laptop_only:
        for images in args.nb201_images:
            print(paper_size(images, 1), flush=True)


if __name__ == "__main__":
    main()
