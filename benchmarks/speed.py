"""Where a search's time goes, on the lesson's ``fashion`` preset (not a test; run it on an idle machine):

  step     one single-level step (C=8, N=1, 12x12, batch 64) on one thread: its median seconds, its
           floating-point operations (torch's ``FlopCounterMode``), and the fraction of this CPU's
           fp32 peak that makes, the peak measured as one thread's 1024 x 1024 matmul;
  search   a single-level search (budget ``steps``, no lambda_max) on one thread against its pure
           step compute (its steps x the median step), and where the rest goes (held-out
           evaluation, records and checkpoints);
  lambda   one lambda_max measurement on the preset's 512 held-out images against an epoch, after
           the first: a power step (the default) and warm-started Lanczos (before issue 35), for
           single-level and bi-level on one thread;
  study    searches per hour of a study of ``--seeds`` seeds (single and bilevel1, ``--epochs``
           each), one process per seed on one thread each (2 at a time on 2 cores) against the seeds
           trained together (``together=seeds``, one process on all cores), in this one run.

    python benchmarks/speed.py [--only step search lambda study] [--seeds 10] [--epochs 3]

prints the tables and, run whole, writes them to ``assets/speed.md`` (``docs/studies.md`` links it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sdarts_lite as sl  # noqa: E402
import sdarts_lite.run.search as search_module  # noqa: E402
from sdarts_lite.method.sharpness import Sharpness, held_out_sample  # noqa: E402
from tools.notebook_outputs import machine  # noqa: E402


def median_seconds(work, repeats: int, warm: int = 3) -> float:
    for _ in range(warm):
        work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak() -> float:
    """One thread's fp32 GFLOP/s on a 1024 x 1024 matmul."""
    a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
    return 2 * 1024**3 / median_seconds(lambda: a @ b, 20) / 1e9


def fashion(mode: str = "single", **settings):
    config = sl.make_config("fashion", optimizer=mode, **settings)
    data = sl.search_data(config)
    torch.manual_seed(0)
    net = sl.supernet(config.space, config.C, config.N, data.num_classes, data.in_channels, data.image_size)
    return config, data, net


def step_time() -> tuple[float, float]:
    """(seconds, GFLOP) of one single-level step of the fashion supernet."""
    config, data, net = fashion()
    opt = sl.make_optimizer("single", net, config.epochs, hyper=config.hyper)
    batch = next(iter(sl.Batches(data.search_x, data.search_y, data, config.batch_size,
                                 torch.Generator().manual_seed(0))))
    with FlopCounterMode(display=False) as counter:
        opt.step(batch)
    return median_seconds(lambda: opt.step(batch), 50), counter.get_total_flops() / 1e9


def report_step() -> list[str]:
    seconds, gflop = step_time()
    top = peak()
    return ["| step (single-level, fashion, one thread) | ms | GFLOP | GFLOP/s | fp32 peak (matmul) | "
            "fraction of peak |", "| --- | --- | --- | --- | --- | --- |",
            f"| | {seconds * 1e3:.1f} | {gflop:.3f} | {gflop / seconds:.1f} | {top:.0f} | "
            f"{gflop / seconds / top:.2f} |"]


def report_search(epochs: int = 6) -> list[str]:
    """A whole search, timed part by part (wrappers around the search loop's own functions)."""
    step, _ = step_time()
    spent = Counter()
    originals = {name: getattr(search_module, name) for name in ("evaluate", "record_epoch")}

    def timed(name):
        def run(*args, **kwargs):
            start = time.perf_counter()
            try:
                return originals[name](*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - start
        return run

    config = sl.make_config("fashion", epochs=epochs, seed=7)
    data = sl.search_data(config)
    for name in originals:
        setattr(search_module, name, timed(name))
    try:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            history = sl.search(config, data=data, out=out, progress=False)
            total = time.perf_counter() - start
    finally:
        for name, function in originals.items():
            setattr(search_module, name, function)
    pure = history.steps_per_epoch * epochs * step
    rest = total - pure - spent["evaluate"] - spent["record_epoch"]
    return ["| search (single-level, budget steps, no lambda_max, one thread) | seconds | over pure steps |",
            "| --- | --- | --- |",
            f"| whole search, {epochs} epochs of {history.steps_per_epoch} steps | {total:.2f} | "
            f"{total / pure:.3f}x |",
            f"| pure step compute (steps x median step) | {pure:.2f} | 1x |",
            f"| held-out evaluation ({config.test_size} images per epoch) | {spent['evaluate']:.2f} | "
            f"{spent['evaluate'] / pure:.3f} |",
            f"| records, history and checkpoint | {spent['record_epoch']:.2f} | "
            f"{spent['record_epoch'] / pure:.3f} |",
            f"| the rest (batches, steps' variation, setup) | {rest:.2f} | {rest / pure:.3f} |"]


def report_lambda(epochs: int = 3) -> list[str]:
    lines = ["| lambda_max on 512 images, one thread | epoch (no lambda_max) | power step (default) | "
             "share of an epoch | Lanczos, warm | share of an epoch |",
             "| --- | --- | --- | --- | --- | --- |"]
    for mode in ("single", "bilevel1"):
        config = sl.make_config("fashion", optimizer=mode, epochs=epochs, seed=7)
        data = sl.search_data(config)
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            sl.search(config, data=data, out=out, progress=False)
            epoch = (time.perf_counter() - start) / epochs
            net = sl.supernet(config.space, config.C, config.N, data.num_classes, data.in_channels,
                              data.image_size)
            net.load_state_dict(torch.load(Path(out) / "checkpoint.pt", weights_only=False)["model"])
        sample = held_out_sample(data, config.sharpness_size, config.batch_size)
        cost = {}
        for method in ("power", "lanczos"):
            meter = Sharpness(sample, method=method)
            meter(net)  # the first measurement: Lanczos from a random start, for both
            cost[method] = median_seconds(lambda m=meter, n=net: m(n), 5, warm=1)
        lines.append(f"| {mode} | {epoch:.2f} s | {cost['power']:.2f} s | {cost['power'] / epoch:.0%} | "
                     f"{cost['lanczos']:.2f} s | {cost['lanczos'] / epoch:.0%} |")
    return lines


def report_study(seeds: int, epochs: int) -> list[str]:
    settings = dict(modes=["single", "bilevel1"], seeds=seeds, preset="fashion", budgets=["steps"],
                    epochs=epochs, progress=False, first_seed=500)
    cores = os.cpu_count() or 1
    walls = {}
    for name, extra in (("one process per seed", dict(workers=cores, threads=1)),
                        (f"{seeds} seeds trained together", dict(together=seeds, threads=cores))):
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            sl.study(out=out, **settings, **extra)
            walls[name] = time.perf_counter() - start
    searches = 2 * seeds
    base = next(iter(walls.values()))
    lines = [f"| study: {searches} fashion searches of {epochs} epochs, {cores} cores | seconds | "
             "searches per hour | against one process per seed |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {wall:.0f} | {searches * 3600 / wall:.0f} | {base / wall:.2f}x |"
              for name, wall in walls.items()]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=["step", "search", "lambda", "study"],
                        choices=["step", "search", "lambda", "study"])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    text = [f"{machine()}; torch {torch.__version__}\n"]
    print(text[0])
    torch.set_num_threads(1)
    reports = {"step": report_step, "search": report_search, "lambda": report_lambda,
               "study": lambda: report_study(args.seeds, args.epochs)}
    for name in args.only:
        text.append("\n".join(reports[name]()) + "\n")
        print(text[-1], flush=True)
    if len(args.only) == len(reports):
        (ROOT / "assets" / "speed.md").write_text(
            "`python benchmarks/speed.py` (`make bench`), on an idle machine:\n\n" + "\n".join(text))


if __name__ == "__main__":
    main()
