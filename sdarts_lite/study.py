"""Many searches, one question: does bi-level DARTS drift to parameter-free operations where
single-level does not?  A study runs every (mode, seed) pair, in parallel local processes or on a
Ray cluster, and summarises each mode over seeds.

Each run writes ``OUT/<mode>/seed<k>/history.json`` (and its checkpoint); a rerun skips the runs
whose history is complete and resumes the others.  Every run uses the same number of torch
threads (``threads``), so parallel and serial studies give bit-identical results on CPU.
"""

from __future__ import annotations

import json
import os
import statistics
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path

import torch
from tqdm.auto import tqdm

from .checkpoint import config_differences
from .checks import one_of, positive_int
from .history import History
from .search import SearchConfig, check_settings, make_config, search
from .viz import write_study_report

STUDY_MODES = {"single": ("single", 1), "bilevel1": ("bilevel", 1), "bilevel2": ("bilevel", 2)}
BACKENDS = ("local", "ray")


def run_one(config: dict, out: str, threads: int, device: str | None = None) -> dict:
    """One search (resumed if a checkpoint exists), summarised.  Runs in a worker process."""
    torch.set_num_threads(threads)
    history = search(SearchConfig(**config), out=out, resume=True, device=device, progress=False)
    return {"out": out, "history": history.to_dict()}


def finished(config: SearchConfig, out: Path) -> History | None:
    """The run's history if it completed all its epochs, else None; a finished run made with
    other settings is refused, not mixed into the study."""
    path = out / "history.json"
    if not path.is_file():
        return None
    history = History.load(path)
    differ = config_differences(history.config, config)
    if differ:
        raise ValueError(f"out: {out} holds a run with other settings ({differ}); choose another --out")
    return history if len(history.epochs) == config.epochs and not history.stopped else None


def measures(history: History, lookup=None) -> dict:
    """What a run contributes to the study."""
    record = {
        "seed": history.config["seed"],
        "genotype": history.genotype,
        "param_free_edges": history.param_free_edges()[-1],
        "edges": history.num_edges(),
        "param_free_share": history.param_free_share()[-1],
        "valid_acc": history.epochs[-1].valid_acc,
        "seconds": history.epochs[-1].seconds,
        "param_free_share_per_epoch": history.param_free_share(),
        "param_free_edges_per_epoch": history.param_free_edges(),
    }
    if lookup is not None and history.config["space"] == "nb201":  # the benchmark holds NB201 cells only
        record["cifar10"] = lookup.query(history.genotype).accuracy["cifar10"]
    return record


def spread(values: list[float]) -> dict:
    return {"mean": statistics.fmean(values), "std": statistics.pstdev(values),
            "median": statistics.median(values), "min": min(values), "max": max(values)}


def summarise(runs: dict[str, list[dict]]) -> dict:
    """Per mode: mean, spread and median over seeds of each measure."""
    out = {}
    for mode, records in runs.items():
        keys = ["param_free_edges", "param_free_share", "valid_acc", "seconds"]
        keys += ["cifar10"] if records and "cifar10" in records[0] else []
        out[mode] = {k: spread([r[k] for r in records]) for k in keys}
        out[mode]["seeds"] = len(records)
    return out


def summary_lines(summary: dict) -> list[str]:
    """One line per mode of a study's ``summary.json``: parameter-free edges (mean, spread, per
    seed), parameter-free weight and, when looked up, the median NAS-Bench-201 CIFAR-10 accuracy."""
    lines = []
    for mode, stats in summary["summary"].items():
        edges = stats["param_free_edges"]
        per_seed = " ".join(str(r["param_free_edges"]) for r in summary["runs"][mode])
        line = (f"{mode:>9}: parameter-free edges {edges['mean']:.2f} ± {edges['std']:.2f} "
                f"of {summary['runs'][mode][0]['edges']} "
                f"(seeds: {per_seed}), weight {stats['param_free_share']['mean']:.3f}")
        if "cifar10" in stats:
            line += f", NAS-Bench-201 CIFAR-10 median {stats['cifar10']['median']:.2f}%"
        lines.append(line)
    return lines


def study(modes: list[str] | tuple[str, ...] = ("single", "bilevel1", "bilevel2"), seeds: int = 10,
          preset: str | None = "digits", out: str | os.PathLike = "runs/study", backend: str = "local",
          workers: int | None = None, threads: int = 1, nb201: str | os.PathLike | None = None,
          ray_address: str | None = None, device: str | None = None, progress: bool = True,
          **overrides) -> dict:
    """Run every (mode, seed) search and write ``summary.json`` and ``report.html`` to ``out``.

    ``seeds`` runs seeds 0..seeds-1; ``workers`` processes (default: cores // threads) run at
    once locally; ``backend="ray"`` sends the runs to a Ray cluster instead (``ray_address``,
    default: a local Ray).  ``nb201``: a NAS-Bench-201 table to look the derived cells up in.
    ``device``: where each search runs (default: CUDA when present; on one GPU, ``workers=1``).
    """
    unknown = [m for m in modes if m not in STUDY_MODES]
    if unknown or not modes:
        raise ValueError(f"modes: unknown {', '.join(unknown) or '(none given)'}; "
                         f"allowed: {', '.join(STUDY_MODES)}")
    one_of("backend", backend, BACKENDS)
    positive_int("seeds", seeds)
    lookup = None
    if nb201 is not None:
        from .lookup import load_benchmark

        lookup = load_benchmark(nb201)
    out = Path(out)
    plan = {}
    for mode in modes:
        for seed in range(seeds):
            mode_name, order = STUDY_MODES[mode]
            config = make_config(preset, mode=mode_name, order=order, seed=seed, **overrides)
            plan[(mode, seed)] = (config, out / mode / f"seed{seed}")
    histories = {key: h for key, (config, path) in plan.items() if (h := finished(config, path))}
    todo = [key for key in plan if key not in histories]
    bar = tqdm(total=len(plan), initial=len(histories), disable=not progress, desc="study", unit="run")
    jobs = [(asdict(plan[k][0]), str(plan[k][1]), threads, device) for k in todo]
    for k, result in _execute(jobs, backend, workers, threads, ray_address):
        histories[todo[k]] = History.from_dict(result["history"])
        bar.update(1)
    bar.close()

    runs = {mode: [measures(histories[(mode, s)], lookup) for s in range(seeds)] for mode in modes}
    summary = {"preset": preset, "overrides": overrides, "seeds": seeds,
               "config": {mode: asdict(plan[(mode, 0)][0]) for mode in modes},
               "summary": summarise(runs), "runs": runs}
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    write_study_report(summary, {m: [histories[(m, s)] for s in range(seeds)] for m in modes},
                       out / "report.html")
    return summary


def _execute(jobs: list[tuple], backend: str, workers: int | None, threads: int, ray_address: str | None):
    """Yield ``(index, result of run_one)`` for every job, as each finishes."""
    if backend == "ray" and jobs:
        try:
            import ray
        except ImportError:
            raise ValueError("backend: Ray is not installed (pip install 'sdarts-lite[ray]')") from None
        if not ray.is_initialized():
            ray.init(address=ray_address, include_dashboard=False, log_to_driver=False)
        remote = ray.remote(num_cpus=threads)(run_one)
        pending = {remote.remote(*job): k for k, job in enumerate(jobs)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            yield pending.pop(done[0]), ray.get(done[0])
        return
    workers = workers or max(1, (os.cpu_count() or 1) // threads)
    if workers == 1:
        previous = torch.get_num_threads()
        try:
            for k, job in enumerate(jobs):
                yield k, run_one(*job)
        finally:
            torch.set_num_threads(previous)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_one, *job): k for k, job in enumerate(jobs)}
        for future in as_completed(futures):
            yield futures[future], future.result()


# The knobs that decide whether collapse shows at laptop scale, varied one at a time around the
# preset (a full product of them would cost hours on 2 cores).
SWEEP_AXES: dict[str, list] = {
    "N": [1, 2, 3], "C": [4, 8, 16], "image_size": [None, 16], "arch_lr": [3e-4, 1e-3, 3e-3, 1e-2],
    "epochs": [10, 20, 40], "activation": ["softmax", "sigmoid"], "dataset": ["digits", "shapes"],
}


def sweep_settings(axes: dict[str, list], preset: str | None) -> dict[str, dict]:
    """The preset itself, then one setting per other value of each knob (the rest as in the
    preset), each named by what it changes (``"preset"``, ``"arch_lr-0.001"``, ...)."""
    if not isinstance(axes, dict) or not all(isinstance(v, list) and v for v in axes.values()):
        raise ValueError('axes: must map knob names to lists of values, e.g. {"arch_lr": [0.001, 0.003]}')
    check_settings(axes)
    base = asdict(make_config(preset))
    changes = {"preset": {}}
    for knob, values in axes.items():
        changes.update({f"{knob}-{v}": {knob: v} for v in values if v != base[knob]})
    return {name: {knob: change.get(knob, base[knob]) for knob in axes} for name, change in changes.items()}


def sweep(axes: dict[str, list] | None = None, seeds: int = 3, modes=("single", "bilevel1"),
          preset: str | None = "digits", out: str | os.PathLike = "runs/sweep",
          nb201: str | os.PathLike | None = None, table: str | os.PathLike | None = None,
          command: str = "", **kwargs) -> list[dict]:
    """A study per setting of ``sweep_settings(axes, preset)``; one row each: the contrast.

    ``contrast`` = mean parameter-free edges of the last mode (bi-level) minus the first (single):
    positive when bi-level collapses more, as the paper says.  ``table`` writes the rows as a
    Markdown table (and JSON beside it) headed by ``command``, the line that regenerates it.
    """
    rows = []
    for name, overrides in sweep_settings(axes or SWEEP_AXES, preset).items():
        result = study(modes, seeds, preset, out=Path(out) / name, nb201=nb201, **overrides, **kwargs)
        row = dict(overrides)
        for mode, stats in result["summary"].items():
            row[f"{mode} pf-edges"] = stats["param_free_edges"]["mean"]
            row[f"{mode} pf-weight"] = stats["param_free_share"]["mean"]
            if "cifar10" in stats:
                row[f"{mode} cifar10 median"] = stats["cifar10"]["median"]
            row[f"{mode} s/run"] = stats["seconds"]["mean"]
        pf = [row[f"{m} pf-edges"] for m in modes]
        row["contrast"] = pf[-1] - pf[0]
        rows.append(row)
    if table is not None:
        write_table(rows, Path(table), command, seeds, preset)
    return rows


def write_table(rows: list[dict], path: Path, command: str, seeds: int, preset: str | None) -> None:
    keys = list(rows[0])
    fmt = lambda v: f"{v:.3g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = [f"# Sweep around preset `{preset}` ({seeds} seeds per mode and setting; first row: the "
             "preset, then one knob changed per row)", "",
             f"Regenerate with: `{command}`", "", "| " + " | ".join(keys) + " |",
             "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(fmt(r[k]) for k in keys) + " |" for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    (path.with_suffix(".json")).write_text(json.dumps(rows, indent=1))
