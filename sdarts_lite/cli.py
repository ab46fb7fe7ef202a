"""Command line: ``python -m sdarts_lite search|compare|study|sweep|train ...`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

from .config import BUDGETS, PRESETS, SearchConfig, make_config
from .data import DATASETS, load_dataset
from .genotypes import SPACES
from .lookup import load_benchmark
from .optimizers import MODES, ORDERS, STUDY_MODES
from .relaxation import ACTIVATIONS
from .reports import write_report, write_study_report
from .runtime import DEVICES
from .search import search
from .study import BACKENDS, side_by_side, study
from .summary import summary_lines
from .sweep import SWEEP_AXES, sweep, target_rows
from .train import train_from_scratch

# The SearchConfig fields that have a flag of the same name.
SEARCH_FLAGS = ("space", "dataset", "image_size", "search_size", "test_size", "epochs", "batch_size", "C",
                "N", "w_lr", "arch_lr", "activation", "augment", "curvature", "early_stop", "log_every")
N_HELP = "cells per stage (nb201) or cells in all (darts, at least 3)"
DEVICE_HELP = f"{DEVICES}, each where torch can use it (default: cuda when present, else cpu)"


class Parser(argparse.ArgumentParser):
    """argparse, except that a bad flag ends as every bad value does: one line ``error: ...`` on
    stderr, exit status 2."""

    def error(self, message: str):
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def add_search_options(p: argparse.ArgumentParser, seed: bool = True) -> None:
    p.add_argument("--preset", default="digits", choices=sorted(PRESETS),
                   help="starting values (default: digits, the CPU demo); flags below override them")
    p.add_argument("--space", default=None, choices=SPACES, help="search space (default: the preset's)")
    p.add_argument("--dataset", default=None, choices=DATASETS, help="default: the preset's")
    p.add_argument("--image-size", type=int, default=None,
                   help="resize images to this size (4 to 4x the dataset's own; darts: a multiple of 4)")
    p.add_argument("--search-size", type=int, default=None,
                   help="search on so many of the dataset's search images, the same ones for every seed "
                   "(default: the preset's, else all)")
    p.add_argument("--test-size", type=int, default=None,
                   help="measure the supernet on so many held-out images, the same ones for every seed "
                   "(default: the preset's, else all)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--C", type=int, default=None, help="channels of the first stage")
    p.add_argument("--N", type=int, default=None, help=N_HELP)
    p.add_argument("--w-lr", type=float, default=None, help="initial SGD learning rate of w")
    p.add_argument("--arch-lr", type=float, default=None, help="Adam learning rate of alpha")
    p.add_argument("--activation", default=None, choices=ACTIVATIONS,
                   help="alpha -> mixing weights: softmax (DARTS, the default) or sigmoid")
    p.add_argument("--augment", type=int, default=None,
                   help="random shifts of up to so many pixels (default: the preset's, else the dataset's)")
    if seed:
        p.add_argument("--seed", type=int, default=0)
    p.add_argument("--curvature", type=int, default=None,
                   help="measure lambda_max of the held-out loss's Hessian in alpha every so many epochs "
                   "(0: never; default: the preset's, else every epoch)")
    p.add_argument("--early-stop", action="store_const", const=True, default=None,
                   help="DARTS-ES: stop once lambda_max grew by more than 1/0.75 within 5 epochs, "
                   "keeping the cell of 5 epochs before")
    p.add_argument("--log-every", type=int, default=None, help="record alphas every k steps too")
    p.add_argument("--device", default=None, help=DEVICE_HELP)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", required=True, type=Path, help="output folder")


def config_from(args: argparse.Namespace, **fixed) -> SearchConfig:
    values = {k: getattr(args, k) for k in SEARCH_FLAGS}
    return make_config(args.preset, seed=args.seed, budget=args.budget, **{**values, **fixed})


def run_search(args: argparse.Namespace) -> None:
    config = config_from(args, mode=args.mode, order=args.order)
    history = search(config, out=args.out, resume=args.resume, device=args.device,
                     progress=not args.quiet, compile=args.compile)
    epochs, lambdas = history.lambda_max()
    if lambdas:
        print("lambda_max by epoch: " + ", ".join(f"{e}: {v:.4g}" for e, v in zip(epochs, lambdas)))
    if history.early_stop:
        stop = history.early_stop
        print(f"DARTS-ES stopped after epoch {stop['epoch'] + 1}: {stop['reason']}; "
              f"kept the cell of epoch {stop['kept_epoch'] + 1}")
    elif history.config["early_stop"]:
        print("DARTS-ES did not stop: lambda_max never grew by more than 1/0.75 within 5 epochs")
    print(f"genotype: {history.genotype}")
    print(f"wrote {args.out / 'history.json'} and {args.out / 'checkpoint.pt'}")


def run_compare(args: argparse.Namespace) -> None:
    runs = {}
    for label, folder in (("single", "single"), ("bilevel (1st order)", "bilevel1")):
        mode, order = STUDY_MODES[folder]
        runs[label] = (config_from(args, mode=mode, order=order), args.out / folder)
    histories = side_by_side(runs, device=args.device, progress=not args.quiet)
    budget = histories["single"].config["budget"]
    report = write_report(histories, args.out / "report.html",
                          f"single vs bi-level DARTS on {histories['single'].config['dataset']}, "
                          f"seed {args.seed}, budget {budget!r}")
    for label, h in histories.items():
        print(f"{label:>20}: {h.genotype}  ({h.param_free_edges()[-1]}/{h.num_edges()} parameter-free edges)")
    print(f"single-level budget: {budget} ({histories['single'].steps_per_epoch} steps per epoch; "
          f"bi-level {histories['bilevel (1st order)'].steps_per_epoch})")
    print(f"wrote {report}")


def parse_modes(text: str) -> list[str]:
    return [m.strip() for m in text.split(",") if m.strip()]


def run_study(args: argparse.Namespace) -> None:
    values = {k: getattr(args, k) for k in SEARCH_FLAGS}
    summary, runs = study(modes=parse_modes(args.modes), seeds=args.seeds, first_seed=args.first_seed,
                    budgets=parse_modes(args.budgets), preset=args.preset, out=args.out,
                    backend=args.backend, workers=args.workers, nb201=args.nb201,
                    ray_address=args.ray_address, device=args.device, progress=not args.quiet,
                    **{k: v for k, v in values.items() if v is not None})
    write_study_report(summary, runs, args.out / "report.html")
    print("\n".join(summary_lines(summary)))
    for row in target_rows(summary):
        print(f"target {row['group']}: {row['target']}: {row['value']:.3f} "
              + ("met" if row["met"] else "missed"))
    print(f"wrote {args.out / 'summary.json'} and {args.out / 'report.html'}")


def run_sweep(args: argparse.Namespace) -> None:
    command = "python -m sdarts_lite " + shlex.join(args.argv)  # pastes back into a shell
    try:
        axes = json.loads(args.axes) if args.axes else None
    except json.JSONDecodeError as err:
        raise ValueError(f"axes: not JSON ({err})") from None
    try:
        base = json.loads(args.base) if args.base else None
    except json.JSONDecodeError as err:
        raise ValueError(f"base: not JSON ({err})") from None
    rows = sweep(axes, seeds=args.seeds, modes=parse_modes(args.modes), out=args.out, preset=args.preset,
                 base=base, nb201=args.nb201, table=args.table, command=command, workers=args.workers,
                 progress=not args.quiet)
    best = max(rows, key=lambda r: (int(r["targets"].split("/")[0]), r["contrast"]))
    print(f"most targets met ({best['targets']}), then strongest contrast ({best['contrast']:+.2f} "
          f"parameter-free edges, bi-level minus single): {best['setting']}")
    print(f"wrote {args.table}")


def run_train(args: argparse.Namespace) -> None:
    result = train_from_scratch(args.genotype, args.dataset, epochs=args.epochs, C=args.C, depth=args.depth,
                                batch_size=args.batch_size, lr=args.lr, auxiliary=args.auxiliary,
                                drop_path_prob=args.drop_path, cutout_length=args.cutout, seed=args.seed,
                                device=args.device, progress=not args.quiet)
    path = result.save(args.out)
    print(f"{result.space} cell, {result.params} parameters, trained {args.epochs} epochs in "
          f"{result.seconds:.0f} s: test accuracy {result.test_acc:.2f}% on {result.dataset}")
    if result.space == "nb201" and args.nb201:
        print(f"NAS-Bench-201: {load_benchmark(args.nb201).query(result.genotype)}")
    print(f"wrote {path}")


def run_fetch(args: argparse.Namespace) -> None:
    data = load_dataset(args.dataset, root=args.root)
    print(f"{args.dataset}: {len(data.search_y)} search and {len(data.test_y)} held-out images of "
          f"{data.image_size}x{data.image_size}, ready")


def main(argv: list[str] | None = None) -> int:
    parser = Parser(
        prog="python -m sdarts_lite",
        description="Single-level vs bi-level differentiable architecture search.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("search", help="run one search")
    add_search_options(p)
    p.add_argument("--mode", default="single", choices=MODES)
    p.add_argument("--order", type=int, default=1, choices=ORDERS, help="bilevel: 1st or 2nd order")
    p.add_argument("--budget", default=None, choices=BUDGETS,
                   help="single-level: the whole search set per epoch (epochs) or as many steps as bi-level")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the training steps: 1 minute (laptop) to 3 (CIFAR size) of compiling "
                   "before the first step, then faster steps; pays off on long searches (README, Speed)")
    p.set_defaults(run=run_search)
    p = sub.add_parser("compare", help="single vs bi-level with the same seed, and an HTML report")
    add_search_options(p)
    p.add_argument("--budget", default=None, choices=BUDGETS,
                   help="single-level: the whole search set per epoch (epochs) or as many steps as bi-level")
    p.set_defaults(run=run_compare)
    p = sub.add_parser("study", help="every (mode, seed) search, summarised over seeds")
    add_search_options(p, seed=False)
    p.add_argument("--seeds", type=int, default=10, help="how many seeds")
    p.add_argument("--first-seed", type=int, default=0, help="run seeds FIRST_SEED..FIRST_SEED+SEEDS-1")
    p.add_argument("--budgets", default=",".join(BUDGETS),
                   help=f"single-level runs once per budget (comma-separated, of {', '.join(BUDGETS)})")
    p.add_argument("--modes", default=",".join(STUDY_MODES),
                   help=f"comma-separated, of {', '.join(STUDY_MODES)}")
    p.add_argument("--backend", default="local", choices=BACKENDS)
    p.add_argument("--workers", type=int, default=None, help="local processes at once (default: cores)")
    p.add_argument("--ray-address", default=None, help="Ray cluster address (default: a local Ray)")
    p.add_argument("--nb201", default=os.environ.get("SDARTS_NB201"),
                   help="NAS-Bench-201 table to look derived cells up in (default: $SDARTS_NB201)")
    p.set_defaults(run=run_study)
    p = sub.add_parser("train", help="train a derived cell from scratch and test it")
    p.add_argument("--genotype", required=True, help="a NAS-Bench-201 string or a DARTS Genotype(...)")
    p.add_argument("--dataset", default="digits", choices=DATASETS, help="default: digits")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--C", type=int, default=8, help="channels of the first stage")
    p.add_argument("--depth", type=int, default=None,
                   help="cells per stage (nb201, default 1) or cells in all (darts, default 5)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=None, help="SGD learning rate (default: the space's recipe)")
    p.add_argument("--auxiliary", action="store_true", help="DARTS: auxiliary head (weight 0.4)")
    p.add_argument("--drop-path", type=float, default=0.0, help="DARTS: final drop-path probability")
    p.add_argument("--cutout", type=int, default=0, help="cutout square side (0: none)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help=DEVICE_HELP)
    p.add_argument("--nb201", default=os.environ.get("SDARTS_NB201"),
                   help="NAS-Bench-201 table: also print the cell's benchmark accuracy")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(run=run_train)
    p = sub.add_parser("sweep", help="studies over the knobs that decide collapse at laptop scale")
    p.add_argument("--preset", default="digits", choices=sorted(PRESETS),
                   help="the setting every knob is varied around (default: digits)")
    p.add_argument("--axes", default=None,
                   help="JSON: knob -> values, varied one at a time ('N,C' varies two together; default: "
                   + json.dumps(SWEEP_AXES) + ")")
    p.add_argument("--base", default=None, help="JSON: settings of the starting point on top of the preset")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--modes", default="single,bilevel1", help=f"comma-separated, of {', '.join(STUDY_MODES)}")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--nb201", default=os.environ.get("SDARTS_NB201"))
    p.add_argument("--out", type=Path, default=Path("runs/sweep"))
    p.add_argument("--table", type=Path, default=Path("runs/sweep.md"))
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=run_sweep)
    p = sub.add_parser("fetch", help="get a dataset ready: files in place, Debian's package, else a download")
    p.add_argument("dataset", choices=DATASETS)
    p.add_argument("--root", type=Path, default=None,
                   help="the folder to look in, unpack and download to (default: $SDARTS_DATA, else "
                   "~/.cache/sdarts-lite)")
    p.set_defaults(run=run_fetch)
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.argv = argv
    try:
        args.run(args)
    except (ValueError, OSError, FloatingPointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
