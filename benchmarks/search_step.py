"""Time a search step of sdarts_lite's NAS-Bench-201 supernet against xautodl's.

xautodl's ``TinyNetworkDarts`` is the code behind NAS-Bench-201's own DARTS results (install it with
``pip install --no-deps xautodl``; without it the package's readable per-edge supernet,
``supernet("nb201", fused=False)``, stands in).  Three kinds of step, the same work on both sides:

  weight   forward, backward, gradient clipping (norm 5), one SGD step on the weights
  single   one Single-DARTS step: SGD on w and Adam on alpha from one batch and one backward
  bilevel  one first-order DARTS iteration: a step on w with a train batch, a step on alpha with a
           validation batch

sdarts_lite runs its own optimizers (``sdarts_lite.optimizers``); the reference steps are written
the way xautodl's search loop (``exps/NAS-Bench-201-algos/DARTS-V1.py``) writes them: SGD (lr 0.025,
momentum 0.9, Nesterov, weight decay 5e-4) on the weights, Adam (3e-4, betas (0.5, 0.999), weight
decay 1e-3) on alpha, ``.backward()`` and ``clip_grad_norm_(network.parameters(), 5)``.

Timing: after warm-up the two implementations alternate step by step in one process (which one goes
first flips every round) and the medians are printed.  On CUDA every step is synchronised before
and after; sdarts_lite runs under bfloat16 autocast there unless ``--amp off`` (the reference runs
as written, in float32).

Peak memory, the extra memory a step needs beyond the model, its optimizer and the batches:
on CPU each (implementation, step kind) runs two steps in a fresh child process (spawned, so that
neither the parent nor the other implementation leaves memory behind in it), and the peak is that
process's resident-set high-water mark (VmHWM, reset just before the steps) minus its resident set
size (VmRSS) before them;
on CUDA it is ``torch.cuda.max_memory_allocated()`` minus the memory allocated before the step.

``--digits`` also times a few epochs of ``sdarts_lite.search(mode="single")`` on the bundled digits
preset, with the readable per-edge supernet ("before") and the fused one ("after").

    python benchmarks/search_step.py [--device cuda] [--repeats 5] [--digits]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import reference_nb201 as ref  # noqa: E402

import sdarts_lite  # noqa: E402
from sdarts_lite import supernet  # noqa: E402
from sdarts_lite.optimizers import loss_and_grads, make_optimizer  # noqa: E402

KINDS = ("weight", "single", "bilevel")
FAST = "sdarts_lite"


def have_xautodl() -> bool:
    try:
        import xautodl.models  # noqa: F401
    except ImportError:
        return False
    return True


def reference_name() -> str:
    return "xautodl" if have_xautodl() else "plain"


def reference_model(impl: str, C: int, N: int) -> torch.nn.Module:
    return ref.xautodl_nb201(C, N) if impl == "xautodl" else supernet("nb201", C, N, fused=False)


class Runner:
    """One implementation, one kind of step: a model, its optimizers, a ``step()``."""

    def __init__(self, impl: str, kind: str, args, device: torch.device, seed: int = 0):
        torch.manual_seed(seed)
        self.impl, self.kind, self.device = impl, kind, device
        C, N, B, S = args.C, args.N, args.batch, args.size
        self.train = (torch.randn(B, 3, S, S, device=device), torch.randint(0, 10, (B,), device=device))
        self.valid = (torch.randn(B, 3, S, S, device=device), torch.randint(0, 10, (B,), device=device))
        amp = device.type == "cuda" and args.amp != "off"
        self.autocast = (lambda: torch.autocast("cuda", torch.bfloat16)) if impl == FAST and amp else (
            contextlib.nullcontext)
        if impl == FAST:
            self.model = supernet("nb201", C, N).to(device)
            self.opt = make_optimizer("bilevel" if kind == "bilevel" else "single", self.model, epochs=50)
        else:
            self.model = reference_model(impl, C, N).to(device)
            alphas = [p for n, p in self.model.named_parameters() if n in ("arch_parameters", "alphas")]
            self.weights = [p for p in self.model.parameters() if all(p is not a for a in alphas)]
            self.w_opt = torch.optim.SGD(self.weights, lr=0.025, momentum=0.9, nesterov=True,
                                         weight_decay=5e-4)
            self.a_opt = torch.optim.Adam(alphas, lr=3e-4, betas=(0.5, 0.999), weight_decay=1e-3)
        self.model.train()

    def logits(self, x):
        out = self.model(x)
        return out[1] if isinstance(out, tuple) else out  # xautodl returns (features, logits)

    def step(self) -> None:
        with self.autocast():
            if self.impl == FAST:
                self.fast_step()
            else:
                self.reference_step()

    def fast_step(self) -> None:
        if self.kind == "weight":
            _, _, grads = loss_and_grads(self.model, self.train, self.opt.weights)
            self.opt.update_weights(grads)
        elif self.kind == "single":
            self.opt.step(self.train)
        else:
            self.opt.step(self.train, self.valid)

    def reference_step(self) -> None:
        x, y = self.train
        if self.kind == "single":
            self.a_opt.zero_grad()
        self.w_opt.zero_grad()  # the weight half of xautodl's DARTS-V1 search loop
        F.cross_entropy(self.logits(x), y).backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters() if self.kind != "single" else self.weights, 5)
        self.w_opt.step()
        if self.kind == "single":
            self.a_opt.step()
        elif self.kind == "bilevel":  # its alpha half, on the validation batch
            x, y = self.valid
            self.a_opt.zero_grad()
            F.cross_entropy(self.logits(x), y).backward()
            self.a_opt.step()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed_step(runner: Runner) -> tuple[float, float | None]:
    """Seconds of one step, and on CUDA the extra memory (bytes) it peaked at."""
    device = runner.device
    sync(device)
    if device.type == "cuda":
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    runner.step()
    sync(device)
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated(device) - base if device.type == "cuda" else None
    return seconds, peak


def status_bytes(field: str) -> int:
    """VmRSS (resident now) or VmHWM (resident at most) of this process, from /proc/self/status."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024


def cpu_peak_child(impl: str, kind: str, args) -> int:
    """In a fresh process: peak RSS during two steps above the RSS before them (bytes)."""
    if args.threads:
        torch.set_num_threads(args.threads)
    runner = Runner(impl, kind, args, torch.device("cpu"))
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS (Linux >= 4.0)
    before = status_bytes("VmRSS")
    for _ in range(2):  # the second step also holds the optimizer's momentum / Adam state
        runner.step()
    return max(0, status_bytes("VmHWM") - before)


def cpu_peaks(impls, args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    peaks = {}
    with ctx.Pool(1, maxtasksperchild=1) as pool:  # one fresh process per measurement
        for kind in KINDS:
            for impl in impls:
                peaks[impl, kind] = pool.apply(cpu_peak_child, (impl, kind, args))
    return peaks


def check_same_function(args, device: torch.device, impl: str) -> float:
    """Largest |logit difference| between the two supernets carrying the same weights (float32)."""
    torch.manual_seed(0)
    fast = supernet("nb201", args.C, args.N).to(device)
    other = reference_model(impl, args.C, args.N).to(device)
    with torch.no_grad():
        fast.alphas.normal_()
    (ref.copy_weights_to_xautodl if impl == "xautodl" else ref.copy_weights)(fast, other)
    x = torch.randn(8, 3, args.size, args.size, device=device)
    with torch.no_grad():
        out = other(x)
        out = out[1] if isinstance(out, tuple) else out
        return float((fast(x) - out).abs().max())


def bench_steps(args, device: torch.device) -> None:
    other = reference_name()
    impls = (other, FAST)
    print(f"check: max |logits(sdarts_lite) - logits({other})| with the same weights = "
          f"{check_same_function(args, device, other):.2e}")
    runners = {(impl, kind): Runner(impl, kind, args, device) for kind in KINDS for impl in impls}
    times = {key: [] for key in runners}
    peaks = {key: 0 for key in runners}
    for round_ in range(args.warmup + args.repeats):
        for kind in KINDS:
            for impl in impls if round_ % 2 == 0 else impls[::-1]:
                seconds, peak = timed_step(runners[impl, kind])
                if round_ >= args.warmup:
                    times[impl, kind].append(seconds)
                    if peak is not None:
                        peaks[impl, kind] = max(peaks[impl, kind], peak)
        print(f"  round {round_ + 1}/{args.warmup + args.repeats}"
              f"{' (warm-up)' if round_ < args.warmup else ''} done", file=sys.stderr)
    if device.type == "cpu" and not args.no_memory:
        print("  measuring peak memory in child processes ...", file=sys.stderr)
        peaks = cpu_peaks(impls, args)
    amp = " (bf16 autocast)" if device.type == "cuda" and args.amp != "off" else ""
    print(f"\nC={args.C} N={args.N} batch {args.batch} {args.size}x{args.size}, device {device}{amp}, "
          f"{torch.get_num_threads()} threads, median of {args.repeats} alternated steps after {args.warmup} "
          f"warm-up")
    mem = "memory not measured" if device.type == "cpu" and args.no_memory else (
        "peak MiB above model+optimizer+batches")
    header = f"{'step':8s} | {other + ' s':>11s} | {FAST + ' s':>13s} | {'ratio':>5s} | {mem}"
    print(header)
    print("-" * len(header))
    for kind in KINDS:
        a, b = (statistics.median(times[impl, kind]) for impl in impls)
        line = f"{kind:8s} | {a:11.3f} | {b:13.3f} | {a / b:5.2f} |"
        if not (device.type == "cpu" and args.no_memory):
            line += f" {other} {peaks[other, kind] / 2**20:7.0f}, {FAST} {peaks[FAST, kind] / 2**20:7.0f}"
        print(line)
    if other != "xautodl":
        print(f"\n(the reference was the readable per-edge supernet, fused=False: {INSTALL})")


INSTALL = "install xautodl to compare with it: pip install --no-deps xautodl"


def digits_epochs(factory, args, device: torch.device) -> list[float]:
    """Seconds per epoch (after the first) of a Single-DARTS search on the digits preset."""
    search_module = sys.modules["sdarts_lite.search"]
    original = search_module.supernet
    search_module.supernet = factory
    try:
        history = sdarts_lite.search(mode="single", epochs=args.digits_epochs, progress=False, device=device)
    finally:
        search_module.supernet = original
    ends = [e.seconds for e in history.epochs]
    per_epoch = [b - a for a, b in zip(ends, ends[1:])]
    return per_epoch or ends


def plain_factory(space, C, N, num_classes, in_channels, input_size, activation="softmax"):
    return supernet(space, C, N, num_classes, in_channels, input_size, activation, fused=False)


def bench_digits(args, device: torch.device) -> None:
    runs = {"before (readable per-edge)": plain_factory, "after (fused)": supernet}
    seconds = {name: [] for name in runs}
    for round_ in range(args.digits_rounds):
        for name, factory in runs.items() if round_ % 2 == 0 else list(runs.items())[::-1]:
            seconds[name] += digits_epochs(factory, args, device)
    print(f"\ndigits preset, sdarts_lite.search(mode='single'), {args.digits_epochs} epochs x "
          f"{args.digits_rounds} alternated runs (first epoch of each run left out), median s/epoch:")
    for name, values in seconds.items():
        print(f"  {name:24s} {statistics.median(values):7.3f}   {[round(v, 3) for v in values]}")
    before, after = (statistics.median(v) for v in seconds.values())
    print(f"  speed-up {before / after:.2f}x")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per implementation and kind")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    parser.add_argument("--C", type=int, default=16)
    parser.add_argument("--N", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--size", type=int, default=32, help="input height and width")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    parser.add_argument("--amp", choices=("on", "off"), default="on",
                        help="CUDA only: bf16 autocast for sdarts_lite (default on)")
    parser.add_argument("--no-memory", action="store_true", help="CPU: skip the peak-memory child processes")
    parser.add_argument("--digits", action="store_true", help="also time search epochs on the digits preset")
    parser.add_argument("--digits-only", action="store_true", help="only the digits measurement")
    parser.add_argument("--digits-epochs", type=int, default=3)
    parser.add_argument("--digits-rounds", type=int, default=2)
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            parser.error("--device cuda: no CUDA device is available")
        torch.backends.cudnn.benchmark = True
    if args.threads:
        torch.set_num_threads(args.threads)
    if not have_xautodl():
        print(f"xautodl is not installed ({INSTALL}); comparing against the readable per-edge "
              "supernet (fused=False) instead.")
    if not args.digits_only:
        bench_steps(args, device)
    if args.digits or args.digits_only:
        bench_digits(args, device)


if __name__ == "__main__":
    main()
