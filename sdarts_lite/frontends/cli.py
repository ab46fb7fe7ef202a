"""Command line: ``python -m sdarts_lite search|compare|study|factors|sweep|train|fetch ...``
(``--help`` on each); ``fetch`` gets a dataset or the NAS-Bench-201 table ready."""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from ..analysis.confirm import BILEVEL, SINGLE, confirm, confirm_table
from ..analysis.measures import LABELS, num_edges, param_free_edges, summary_lines
from ..data.images import DATASETS, load_dataset
from ..evaluation.nb201_fetch import fetch_table
from ..evaluation.nb201_table import ENV_VAR, find_table, load_benchmark
from ..evaluation.retrain import TrainConfig, train_from_scratch
from ..experiments.factors import CORNERS, FACTORS, factor_study, save_factors
from ..experiments.study import study
from ..experiments.sweep import SWEEP_AXES, sweep, target_rows
from ..experiments.workers import BACKENDS, side_by_side
from ..method.optimizers import OPTIMIZERS
from ..method.sharpness import ES_RATIO, ES_WINDOW
from ..pictures.reports import write_report, write_study_report
from ..run.config import BUDGETS, PRESETS, SearchConfig, make_config
from ..run.search import search
from .flags import Parser, add_setting_flags, lookup_flags, run_flags, seed_flags, settings, train_flags


def config_from(args, **fixed) -> SearchConfig:
    return make_config(args.preset, **{**settings(args), **fixed})


def run_search(args) -> None:
    config = config_from(args)
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
        print(f"DARTS-ES did not stop: lambda_max never grew by more than 1/{ES_RATIO} within {ES_WINDOW} "
              "epochs")
    print(f"genotype: {history.genotype}")
    print(f"wrote {args.out / 'history.json'} and {args.out / 'checkpoint.pt'}")


def run_compare(args) -> None:
    runs = {}
    for label, name in (("single", "single"), ("bilevel (1st order)", "bilevel1")):
        runs[label] = (config_from(args, optimizer=name), args.out / name)
    histories = side_by_side(runs, device=args.device, progress=not args.quiet)
    config = histories["single"].config
    report = write_report(histories, args.out / "report.html",
                          f"single vs bi-level DARTS on {config['dataset']}, seed {config['seed']}, "
                          f"budget {config['budget']!r}")
    for label, h in histories.items():
        print(f"{label:>20}: {h.genotype}  ({param_free_edges(h)[-1]}/{num_edges(h)} parameter-free edges)")
    print(f"single-level budget: {config['budget']} ({histories['single'].steps_per_epoch} steps per epoch; "
          f"bi-level {histories['bilevel (1st order)'].steps_per_epoch})")
    print(f"wrote {report}")


def parse_list(text: str) -> list[str]:
    return [m.strip() for m in text.split(",") if m.strip()]


def run_study(args) -> None:
    summary, runs = study(optimizers=parse_list(args.optimizers), seeds=args.seeds,
                          first_seed=args.first_seed, budgets=parse_list(args.budgets), preset=args.preset,
                          out=args.out, backend=args.backend, workers=args.workers, nb201_table=args.nb201,
                          ray_address=args.ray_address, device=args.device, progress=not args.quiet,
                          together=args.together, threads=args.threads, **settings(args))
    write_study_report(summary, runs, args.out / "report.html")
    print("\n".join(summary_lines(summary)))
    for row in target_rows(summary):
        print(f"target {row['group']}: {row['target']}: {row['value']:.3f} "
              + ("met" if row["met"] else "missed"))
    wrote = [args.out / "summary.json", args.out / "report.html"]
    if all(key in summary["runs"] for key in (SINGLE, BILEVEL)):  # the lesson's targets, with intervals
        table = confirm_table(confirm(summary))
        wrote.append(args.out / "confirm.md")
        wrote[-1].write_text(f"# The lesson's targets, preset `{summary['preset']}`\n\n"
                             f"Reproduce with: `python -m sdarts_lite {shlex.join(args.argv)}`\n\n{table}")
        print(table)
    print("wrote " + ", ".join(map(str, wrote)))


def run_factors(args) -> None:
    result = factor_study(seeds=args.seeds, first_seed=args.first_seed, preset=args.preset, out=args.out,
                          nb201_table=args.nb201, workers=args.workers, device=args.device,
                          progress=not args.quiet, **settings(args))
    path = save_factors(result, args.summary or args.out / "factors.json",
                        "python -m sdarts_lite " + shlex.join(args.argv))
    for factor, (first, second) in FACTORS.items():
        effects = result["main_effects"][factor]
        print(f"{factor} ({first} -> {second}): " + "; ".join(
            f"{LABELS[m]} {e['effect']:+.3g} (p = {e['p']:.2g})" for m, e in effects.items()))
    print(f"{len(result['runs'])} runs in {result['seconds']:.0f} s; wrote {path} and "
          f"{path.with_suffix('.md')}")


def run_sweep(args) -> None:
    command = "python -m sdarts_lite " + shlex.join(args.argv)  # pastes back into a shell
    try:
        axes = json.loads(args.axes) if args.axes else None
    except json.JSONDecodeError as err:
        raise ValueError(f"axes: not JSON ({err})") from None
    try:
        base = json.loads(args.base) if args.base else None
    except json.JSONDecodeError as err:
        raise ValueError(f"base: not JSON ({err})") from None
    rows = sweep(axes, seeds=args.seeds, optimizers=parse_list(args.optimizers), out=args.out,
                 preset=args.preset, base=base, nb201_table=args.nb201, table=args.table, command=command,
                 workers=args.workers, progress=not args.quiet)
    best = max(rows, key=lambda r: (int(r["targets"].split("/")[0]), r["contrast"]))
    print(f"most targets met ({best['targets']}), then strongest contrast ({best['contrast']:+.2f} "
          f"parameter-free edges, bi-level minus single): {best['setting']}")
    print(f"wrote {args.table}")


def run_train(args) -> None:
    config = TrainConfig(**settings(args, (TrainConfig,)))
    result = train_from_scratch(args.genotype, config=config, device=args.device, progress=not args.quiet)
    path = result.save(args.out)
    print(f"{result.space} cell, {result.params} parameters, trained {config.epochs} epochs in "
          f"{result.seconds:.0f} s: test accuracy {result.test_acc:.2f}% on {result.dataset}")
    if args.nb201 and (table := load_benchmark(args.nb201)).holds(result.genotype):
        print(f"NAS-Bench-201: {table.query(result.genotype)}")
    print(f"wrote {path}")


def fetch_dataset(args) -> str:
    if args.source or args.sha256:
        raise ValueError(f"from, sha256: only nb201 is fetched from a source; {args.name} is looked for "
                         "under --root, then downloaded")
    data = load_dataset(args.name, root=args.root)
    return (f"{args.name}: {len(data.search_y)} search and {len(data.test_y)} held-out images of "
            f"{data.image_size}x{data.image_size}, ready")


def fetch_nb201(args) -> str:
    path, table = fetch_table(args.source, root=args.root, sha256=args.sha256)
    found = find_table()
    if found == path:
        then = "lookups now find it"
    elif os.environ.get(ENV_VAR):
        then = f"lookups read ${ENV_VAR} ({found}) first; unset it to use this one"
    else:
        then = f"lookups find it with {ENV_VAR}={path}"
    return f"nb201: {len(table):,} cells in {path}; {then}"


FETCH = {**dict.fromkeys(DATASETS, fetch_dataset), "nb201": fetch_nb201}  # what `fetch` gets ready


def run_fetch(args) -> None:
    print(FETCH[args.name](args))


def main(argv: list[str] | None = None) -> int:
    parser = Parser(prog="python -m sdarts_lite",
                    description="Single-level vs bi-level differentiable architecture search.")
    sub = parser.add_subparsers(dest="command", required=True)
    run, lookup = run_flags(), lookup_flags()
    p = sub.add_parser("search", help="run one search", parents=[run])
    add_setting_flags(p)
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile the training steps: 1 minute (laptop) to 3 (CIFAR size) of compiling "
                   "before the first step, then faster steps; pays off on long searches (README, Speed)")
    p.set_defaults(run=run_search)
    p = sub.add_parser("compare", help="single vs bi-level with the same seed, and an HTML report",
                       parents=[run])
    add_setting_flags(p, leave_out=("optimizer",))
    p.set_defaults(run=run_compare)
    p = sub.add_parser("study", help="every (optimizer, seed) search, summarised over seeds",
                       parents=[run, lookup, seed_flags(seeds=10, first_seed=0, optimizers=OPTIMIZERS)])
    add_setting_flags(p, leave_out=("optimizer", "seed", "budget"))
    p.add_argument("--budgets", default=",".join(BUDGETS),
                   help=f"single-level runs once per budget (comma-separated, of {', '.join(BUDGETS)})")
    p.add_argument("--backend", default="local", choices=BACKENDS)
    p.add_argument("--ray-address", default=None, help="Ray cluster address (default: a local Ray)")
    p.add_argument("--together", type=int, default=None, metavar="K",
                   help="train up to K seeds of each group as one vectorised search in this process (pays on "
                        "a GPU; run/together.py)")
    p.add_argument("--threads", type=int, default=1, help="torch threads per search, or for --together's "
                   "searches (default 1)")
    p.set_defaults(run=run_study)
    fresh = seed_flags(seeds=8, first_seed=200)  # seeds from 200: no tuning step saw them
    p = sub.add_parser("factors", help="what makes Single-DARTS stable: same or held-out data, together or "
                       "in turn, softmax or sigmoid, every combination over seeds",
                       parents=[run, lookup, fresh])
    add_setting_flags(p, leave_out=("optimizer", "seed", "budget", "activation"), preset="fashion")
    p.add_argument("--summary", type=Path, default=None,
                   help="where to write the summary JSON, with its tables beside it as .md (default: "
                   f"OUT/factors.json); the optimizers: {', '.join(CORNERS)}")
    p.set_defaults(run=run_factors)
    p = sub.add_parser("train", help="train a derived cell from scratch and test it", parents=[run, lookup])
    train_flags(p)
    p.set_defaults(run=run_train)
    p = sub.add_parser("sweep", help="studies over the knobs that decide collapse at laptop scale",
                       parents=[run, lookup, seed_flags(seeds=3, optimizers=("single", "bilevel1"))])
    p.add_argument("--preset", default="digits", choices=sorted(PRESETS),
                   help="the setting every knob is varied around (default: digits)")
    p.add_argument("--axes", default=None,
                   help="JSON: knob -> values, varied one at a time ('N,C' varies two together; default: "
                   + json.dumps(SWEEP_AXES) + ")")
    p.add_argument("--base", default=None, help="JSON: settings of the starting point on top of the preset")
    p.add_argument("--table", type=Path, default=Path("runs/sweep.md"))
    p.set_defaults(run=run_sweep)
    p = sub.add_parser("fetch", help="get a dataset ready (files in place, Debian's package, else a "
                       "download), or the NAS-Bench-201 table (nb201)")
    p.add_argument("name", choices=list(FETCH))
    p.add_argument("--root", type=Path, default=None,
                   help="the folder to look in, unpack and download to (default: $SDARTS_DATA, else "
                   "~/.cache/sdarts-lite); nb201 goes to ROOT/nb201/nats_bench.csv")
    p.add_argument("--from", dest="source", default=None,
                   help="nb201 only: an http(s) or file URL, or a path, of a CSV in the table's layout, "
                   "or the official NATS-Bench topology file (pip install nats_bench); default: the pinned "
                   "public CSV (docs/usage.md)")
    p.add_argument("--sha256", default=None,
                   help="nb201 only: the hash the CSV must have (default: the pinned CSV's, without --from)")
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
