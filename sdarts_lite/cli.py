"""Command line: ``python -m sdarts_lite search|compare ...`` (``--help`` on each)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .search import PRESETS, SearchConfig, make_config, search
from .viz import write_report


def add_search_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="digits", choices=sorted(PRESETS),
                   help="starting values (default: digits, the CPU demo); flags below override them")
    p.add_argument("--space", default=None, help="search space (nb201)")
    p.add_argument("--dataset", default=None, help="digits, cifar10 or cifar100")
    p.add_argument("--image-size", type=int, default=None, help="resize images to this size")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--C", type=int, default=None, help="channels of the first stage")
    p.add_argument("--N", type=int, default=None, help="cells per stage")
    p.add_argument("--w-lr", type=float, default=None, help="initial SGD learning rate of w")
    p.add_argument("--arch-lr", type=float, default=None, help="Adam learning rate of alpha")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=None, help="record alphas every k steps too")
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--out", required=True, type=Path, help="output folder")


def config_from(args: argparse.Namespace, **fixed) -> SearchConfig:
    values = {k: getattr(args, k) for k in ("space", "dataset", "image_size", "epochs", "batch_size",
                                            "C", "N", "w_lr", "arch_lr", "seed", "log_every")}
    return make_config(args.preset, **{**values, **fixed})


def run_search(args: argparse.Namespace) -> None:
    config = config_from(args, mode=args.mode, order=args.order)
    history = search(config, out=args.out, resume=args.resume, device=args.device,
                     progress=not args.quiet)
    print(f"genotype: {history.genotype}")
    print(f"wrote {args.out / 'history.json'} and {args.out / 'checkpoint.pt'}")


def run_compare(args: argparse.Namespace) -> None:
    runs = {"single": dict(mode="single"), "bilevel (1st order)": dict(mode="bilevel", order=1)}
    histories = {}
    for (label, fixed), folder in zip(runs.items(), ("single", "bilevel1")):
        histories[label] = search(config_from(args, **fixed), out=args.out / folder,
                                  device=args.device, progress=not args.quiet)
    report = write_report(histories, args.out / "report.html",
                          f"single vs bi-level DARTS on {histories['single'].config['dataset']}, "
                          f"seed {args.seed}")
    for label, h in histories.items():
        print(f"{label:>20}: {h.genotype}  ({h.param_free_edges()[-1]}/6 parameter-free edges)")
    print(f"wrote {report}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sdarts_lite",
        description="Single-level vs bi-level differentiable architecture search.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("search", help="run one search")
    add_search_options(p)
    p.add_argument("--mode", default="single", choices=["single", "bilevel"])
    p.add_argument("--order", type=int, default=1, choices=[1, 2], help="bilevel: 1st or 2nd order")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.set_defaults(run=run_search)
    p = sub.add_parser("compare", help="single vs bi-level with the same seed, and an HTML report")
    add_search_options(p)
    p.set_defaults(run=run_compare)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except (ValueError, FileNotFoundError, FloatingPointError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
