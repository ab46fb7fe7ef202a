"""Time search steps of sdarts_lite's fused supernets: NAS-Bench-201's against xautodl's, the DARTS
space's against its own readable per-edge form.

NAS-Bench-201 (C=16, N=5): xautodl's ``TinyNetworkDarts`` is the code behind NAS-Bench-201's own
DARTS results, the same function (install it with ``pip install --no-deps xautodl``; without it the
package's readable per-edge supernet, ``supernet("nb201", fused=False)``, stands in).

DARTS space (C=16, 8 cells, ``--darts-batches``): the fused supernet against the readable per-edge
one (``fused=False``, the original DARTS code's form and speed), the same function and the same
steps.  xautodl's ``NASNetworkDARTS`` (C=16, N=2: 6 cells) is timed beside them for context only:
its operations differ (1,343,258 parameters against our 1,930,842), so it is not equal math.

Three kinds of step, the same work on both sides:

  weight   forward, backward, gradient clipping (norm 5), one SGD step on the weights
  single   one Single-DARTS step: SGD on w and Adam on alpha from one batch and one backward
  bilevel  one first-order DARTS iteration: a step on w with a train batch, a step on alpha with a
           validation batch

The package's supernets run its own optimizers (``sdarts_lite.method.optimizers``); xautodl's steps are
written the way its search loop (``exps/NAS-Bench-201-algos/DARTS-V1.py``) writes them: SGD (lr 0.025,
momentum 0.9, Nesterov, weight decay 5e-4) on the weights, Adam (3e-4, betas (0.5, 0.999), weight
decay 1e-3) on alpha, ``.backward()`` and ``clip_grad_norm_(network.parameters(), 5)``.

Timing: after warm-up the implementations alternate step by step in one process (which one goes
first flips every round) and the medians are printed (``--clock cpu``: of this process's CPU time,
for a shared machine).  On CUDA every step is synchronised before
and after; the package's supernets run under bfloat16 autocast there unless ``--amp off`` (xautodl
runs as written, in float32).

Fraction of peak: the step's floating-point operations (convolutions and matrix products, counted by
``torch.utils.flop_counter.FlopCounterMode`` on the readable form, the useful work of either form;
xautodl's on its own network) per second, over the float32 matrix-multiply peak measured in the same
run (the best of a few large ``torch.mm``, before and after the steps).

Peak memory, the extra memory a step needs beyond the model, its optimizer and the batches:
on CPU each (implementation, step kind) runs two steps in a fresh child process (spawned, so that
neither the parent nor the other implementation leaves memory behind in it), and the peak is that
process's resident-set high-water mark (VmHWM, reset just before the steps) minus its resident set
size (VmRSS) before them;
on CUDA it is ``torch.cuda.max_memory_allocated()`` minus the memory allocated before the step.

``--digits`` also times a few epochs of ``sdarts_lite.search(optimizer="single")`` on the bundled digits
presets (``digits``: NAS-Bench-201; ``darts-digits``: the DARTS space, notebook 06), with the
readable per-edge supernet ("before") and the fused one ("after").

    python benchmarks/search_step.py [--device cuda] [--repeats 5] [--spaces nb201 darts] [--digits]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import reference_darts  # noqa: E402
import reference_nb201  # noqa: E402

import sdarts_lite  # noqa: E402
from sdarts_lite import supernet  # noqa: E402
from sdarts_lite.method.optimizers import make_optimizer  # noqa: E402

KINDS = ("weight", "single", "bilevel")
PACKAGE = ("fused", "plain")  # the package's two forms (``fused=`` of ``supernet``)
DIGITS_PRESETS = {"nb201": "digits", "darts": "darts-digits"}
INSTALL = "install xautodl to compare with it: pip install --no-deps xautodl"


def have_xautodl() -> bool:
    try:
        import xautodl.models  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class Setting:
    """One table: a space at one size; ``impls`` timed together, the first the ratio's reference,
    ``context`` those timed alongside that are not the same function."""

    space: str
    C: int
    N: int
    batch: int
    impls: tuple[str, ...]
    context: tuple[str, ...] = ()

    def title(self, size: int) -> str:
        cells = f"N={self.N} (cells per stage)" if self.space == "nb201" else f"{self.N} cells"
        return f"{self.space}: C={self.C}, {cells}, batch {self.batch}, {size}x{size}"


def settings(args) -> list[Setting]:
    xautodl = have_xautodl()
    out = []
    if "nb201" in args.spaces:
        out.append(Setting("nb201", args.C, args.N, args.batch, ("xautodl" if xautodl else "plain", "fused")))
    if "darts" in args.spaces:
        out += [Setting("darts", args.C, args.darts_layers, batch, ("plain", "fused"), ("xautodl",) * xautodl)
                for batch in args.darts_batches]
    return out


def build(space: str, impl: str, C: int, N: int) -> torch.nn.Module:
    if impl in PACKAGE:
        return supernet(space, C, N, fused=impl == "fused")
    if space == "nb201":
        return reference_nb201.xautodl_nb201(C, N)
    return reference_darts.xautodl_darts(C)  # 6 cells: the nearest to 8 that its NASNet layout builds


class Runner:
    """One implementation, one kind of step: a model, its optimizers, a ``step()``."""

    def __init__(self, setting: Setting, impl: str, kind: str, args, device: torch.device,
                 batch: int | None = None, seed: int = 0):
        torch.manual_seed(seed)
        self.impl, self.kind, self.device = impl, kind, device
        B, S = batch or setting.batch, args.size
        self.train = (torch.randn(B, 3, S, S, device=device), torch.randint(0, 10, (B,), device=device))
        self.valid = (torch.randn(B, 3, S, S, device=device), torch.randint(0, 10, (B,), device=device))
        amp = device.type == "cuda" and args.amp != "off" and impl in PACKAGE
        self.autocast = (lambda: torch.autocast("cuda", torch.bfloat16)) if amp else contextlib.nullcontext
        self.model = build(setting.space, impl, setting.C, setting.N).to(device)
        if impl in PACKAGE:
            self.opt = make_optimizer("bilevel1" if kind == "bilevel" else "single", self.model, epochs=50)
        else:
            alphas = [p for n, p in self.model.named_parameters() if n.startswith("arch_")]
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
            if self.impl in PACKAGE:
                self.package_step()
            else:
                self.reference_step()

    def package_step(self) -> None:
        if self.kind == "weight":
            _, _, grads = self.opt.loss_and_grads(self.train, self.opt.weights)
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


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def timed_step(runner: Runner, clock) -> tuple[float, float | None]:
    """Seconds of one step, and on CUDA the extra memory (bytes) it peaked at."""
    device = runner.device
    sync(device)
    if device.type == "cuda":
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = clock()
    runner.step()
    sync(device)
    seconds = clock() - start
    peak = torch.cuda.max_memory_allocated(device) - base if device.type == "cuda" else None
    return seconds, peak


def matmul_peak(device: torch.device, clock, n: int = 2048, tries: int = 5) -> float:
    """The float32 matrix-multiply peak (FLOP/s): the best of ``tries`` n x n products."""
    a, b = torch.randn(n, n, device=device), torch.randn(n, n, device=device)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(tries):
        sync(device)
        start = clock()
        torch.mm(a, b)
        sync(device)
        best = min(best, clock() - start)
    return 2 * n**3 / best


def step_flops(setting: Setting, impl: str, kind: str, args, device: torch.device, batch: int = 2) -> float:
    """FLOPs of one step at the setting's batch: counted at a small batch (convolutions and matrix
    products are linear in it) on the readable form for either package form, on xautodl's own."""
    runner = Runner(setting, "plain" if impl == "fused" else impl, kind, args, device, batch=batch)
    with FlopCounterMode(display=False) as counter:
        runner.step()
    return counter.get_total_flops() * setting.batch / batch


def status_bytes(field: str) -> int:
    """VmRSS (resident now) or VmHWM (resident at most) of this process, from /proc/self/status."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024


def cpu_peak_child(setting: Setting, impl: str, kind: str, args) -> int:
    """In a fresh process: peak RSS during two steps above the RSS before them (bytes)."""
    if args.threads:
        torch.set_num_threads(args.threads)
    runner = Runner(setting, impl, kind, args, torch.device("cpu"))
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset VmHWM to the current RSS (Linux >= 4.0)
    before = status_bytes("VmRSS")
    for _ in range(2):  # the second step also holds the optimizer's momentum / Adam state
        runner.step()
    return max(0, status_bytes("VmHWM") - before)


def cpu_peaks(setting: Setting, args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    peaks = {}
    with ctx.Pool(1, maxtasksperchild=1) as pool:  # one fresh process per measurement
        for kind in KINDS:
            for impl in setting.impls:
                peaks[impl, kind] = pool.apply(cpu_peak_child, (setting, impl, kind, args))
    return peaks


def check_same_function(setting: Setting, args, device: torch.device) -> float:
    """Largest |logit difference| between the fused supernet and the reference carrying the same
    weights (float32)."""
    torch.manual_seed(0)
    reference, fused = (build(setting.space, impl, setting.C, setting.N).to(device) for impl in setting.impls)
    if setting.space == "nb201":
        with torch.no_grad():
            fused.alphas.normal_()
        (reference_nb201.copy_weights_to_xautodl if setting.impls[0] == "xautodl"
         else reference_nb201.copy_weights)(fused, reference)
    else:
        with torch.no_grad():
            for a in reference.arch_parameters():
                a.normal_()
        reference_darts.copy_plain_to_fused(reference, fused)
    x = torch.randn(8, 3, args.size, args.size, device=device)
    with torch.no_grad():
        out = reference(x)
        out = out[1] if isinstance(out, tuple) else out
        return float((fused(x) - out).abs().max())


def bench_steps(setting: Setting, args, device: torch.device) -> None:
    impls = setting.impls + setting.context
    print(f"\n== {setting.title(args.size)}")
    print(f"check: max |logits(fused) - logits({setting.impls[0]})| with the same weights = "
          f"{check_same_function(setting, args, device):.2e}")
    runners = {(impl, kind): Runner(setting, impl, kind, args, device) for kind in KINDS for impl in impls}
    times = {key: [] for key in runners}
    peaks = {key: 0 for key in runners}
    clock = CLOCKS[args.clock]
    peak_flops = matmul_peak(device, clock)
    for round_ in range(args.warmup + args.repeats):
        for kind in KINDS:
            for impl in impls if round_ % 2 == 0 else impls[::-1]:
                seconds, peak = timed_step(runners[impl, kind], clock)
                if round_ >= args.warmup:
                    times[impl, kind].append(seconds)
                    if peak is not None:
                        peaks[impl, kind] = max(peaks[impl, kind], peak)
        print(f"  round {round_ + 1}/{args.warmup + args.repeats}"
              f"{' (warm-up)' if round_ < args.warmup else ''} done", file=sys.stderr)
    peak_flops = max(peak_flops, matmul_peak(device, clock))
    flops = {(impl, kind): step_flops(setting, impl, kind, args, device) for kind in KINDS for impl in impls}
    memory = not (device.type == "cpu" and args.no_memory)
    if device.type == "cpu" and memory:
        print("  measuring peak memory in child processes ...", file=sys.stderr)
        peaks = cpu_peaks(setting, args)
    cuda_amp = device.type == "cuda" and args.amp != "off"
    amp = " (bf16 autocast for the package's supernets)" if cuda_amp else ""
    print(f"device {device}{amp}, {torch.get_num_threads()} threads, {args.clock} seconds, median of "
          f"{args.repeats} alternated steps after {args.warmup} warm-up; fp32 matmul peak "
          f"{peak_flops / 1e9:.0f} GFLOP/s")
    ref, fused = setting.impls
    header = (f"{'step':8s} | {ref + ' s':>9s} | {fused + ' s':>9s} | {'ratio':>5s} | {'GFLOP':>6s} | "
              f"fraction of peak {ref} / {fused}"
              + (" | peak MiB above model+optimizer+batches" if memory else "")
              + "".join(f" | {impl} s, fraction (not equal math)" for impl in setting.context))
    print(header)
    print("-" * len(header))
    for kind in KINDS:
        a, b = (statistics.median(times[impl, kind]) for impl in setting.impls)
        line = (f"{kind:8s} | {a:9.3f} | {b:9.3f} | {a / b:5.2f} | {flops[fused, kind] / 1e9:6.1f} | "
                f"{flops[ref, kind] / a / peak_flops:.2f} / {flops[fused, kind] / b / peak_flops:.2f}")
        if memory:
            line += f" | {ref} {peaks[ref, kind] / 2**20:5.0f}, {fused} {peaks[fused, kind] / 2**20:5.0f}"
        for impl in setting.context:
            c = statistics.median(times[impl, kind])
            line += f" | {c:.3f}, {flops[impl, kind] / c / peak_flops:.2f}"
        print(line)
    if setting.space == "nb201" and ref != "xautodl":
        print(f"(the reference was the readable per-edge supernet, fused=False: {INSTALL})")


def digits_epochs(preset: str, factory, args, device: torch.device) -> list[float]:
    """Seconds per epoch (after the first) of a Single-DARTS search on a digits preset."""
    search_module = sys.modules["sdarts_lite.run.search"]
    original = search_module.supernet
    search_module.supernet = factory
    try:
        history = sdarts_lite.search(preset=preset, optimizer="single", epochs=args.digits_epochs,
                                     progress=False,
                                     device=device)
    finally:
        search_module.supernet = original
    ends = [e.seconds for e in history.epochs]
    per_epoch = [b - a for a, b in zip(ends, ends[1:])]
    return per_epoch or ends


def plain_factory(space, C, N, num_classes, in_channels, image_size, activation="softmax"):
    return supernet(space, C, N, num_classes, in_channels, image_size, activation, fused=False)


def bench_digits(preset: str, args, device: torch.device) -> None:
    runs = {"before (readable per-edge)": plain_factory, "after (fused)": supernet}
    seconds = {name: [] for name in runs}
    for round_ in range(args.digits_rounds):
        for name, factory in runs.items() if round_ % 2 == 0 else list(runs.items())[::-1]:
            seconds[name] += digits_epochs(preset, factory, args, device)
    print(f"\n{preset} preset, sdarts_lite.search(mode='single'), {args.digits_epochs} epochs x "
          f"{args.digits_rounds} alternated runs (first epoch of each run left out), median s/epoch:")
    for name, values in seconds.items():
        print(f"  {name:24s} {statistics.median(values):7.3f}   {[round(v, 3) for v in values]}")
    before, after = (statistics.median(v) for v in seconds.values())
    print(f"  speed-up {before / after:.2f}x")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--spaces", nargs="+", choices=("nb201", "darts"), default=["nb201", "darts"])
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per implementation and kind")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first (default 1)")
    parser.add_argument("--C", type=int, default=16)
    parser.add_argument("--N", type=int, default=5, help="nb201: cells per stage")
    parser.add_argument("--batch", type=int, default=64, help="nb201's batch")
    parser.add_argument("--darts-layers", type=int, default=8, help="darts: cells in all")
    parser.add_argument("--darts-batches", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--size", type=int, default=32, help="input height and width")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: torch's default)")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="wall",
                        help="wall, or cpu: this process's CPU seconds (its threads summed; on a shared "
                             "machine, with --threads 1, the time the step computed)")
    parser.add_argument("--amp", choices=("on", "off"), default="on",
                        help="CUDA only: bf16 autocast for the package's supernets (default on)")
    parser.add_argument("--no-memory", action="store_true", help="CPU: skip the peak-memory child processes")
    parser.add_argument("--digits", action="store_true", help="also time search epochs on the digits presets")
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
        print(f"xautodl is not installed ({INSTALL}); NAS-Bench-201 is compared against the readable "
              "per-edge supernet (fused=False) instead, and the DARTS space has no context row.")
    if not args.digits_only:
        for setting in settings(args):
            bench_steps(setting, args, device)
    if args.digits or args.digits_only:
        for space in args.spaces:
            bench_digits(DIGITS_PRESETS[space], args, device)


if __name__ == "__main__":
    main()
