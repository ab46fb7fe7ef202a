"""Many searches, one question: does bi-level DARTS drift to parameter-free operations where
single-level does not?  A study runs every (optimizer, seed) pair, in parallel local processes or
on a Ray cluster, and summarises each optimizer over seeds.

Each run writes ``OUT/<group>/seed<k>/history.json`` (and its checkpoint); a rerun skips the runs
whose history is complete and resumes the others (``workers.py`` runs them).  A study returns its
summary and the runs' histories; plots and reports are the caller's (the CLI writes
``report.html``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import NamedTuple

import torch
from tqdm.auto import tqdm

from ..analysis.measures import contrasts, measures, summarise
from ..base.device import check_device
from ..base.guards import non_negative_int, one_of, positive_int
from ..method.optimizers import OPTIMIZERS, get_optimizer
from ..run.checkpoint import readable
from ..run.config import BUDGETS, SearchConfig, config_differences, make_config
from ..run.history import History
from ..run.together import search_together
from .workers import BACKENDS, execute


class StudyResult(NamedTuple):
    """What a study returns: its summary (as in ``summary.json``) and the histories of its runs
    (group -> one per seed, in seed order)."""

    summary: dict
    histories: dict[str, list[History]]


def finished(config: SearchConfig, out: Path) -> History | None:
    """The run's history if it completed all its epochs, else None; a finished run made with
    other settings is refused, not mixed into the study.  A ``history.json`` that cannot be read
    (cut short by a crash, or damaged) is set aside as ``history.json.damaged``: the run then
    resumes from its checkpoint, or, when that cannot be read either (set aside the same way), is
    searched again, and the study's other runs are kept."""
    path = out / "history.json"
    if not path.is_file():
        return None
    try:
        history = History.load(path)
    except (TypeError, KeyError, ValueError):
        path.replace(out / "history.json.damaged")
        if (out / "checkpoint.pt").exists() and not readable(out / "checkpoint.pt"):
            (out / "checkpoint.pt").replace(out / "checkpoint.pt.damaged")
        return None
    differ = config_differences(history.config, config)
    if differ:
        raise ValueError(f"out: {out} holds a run with other settings ({differ}); choose another --out")
    done = len(history.epochs) == config.epochs or history.early_stop is not None
    return history if done and not history.stopped else None


def run_folder(out: Path, optimizer: str, budget: str | None, seed: int) -> Path:
    """Where a study keeps one run: ``out/<group>/seed<seed>``, the group being the optimizer
    (``OPTIMIZERS``) and, for a one-batch optimizer, its budget (``single-steps``, ``bilevel1``)."""
    group = optimizer if get_optimizer(optimizer).uses_split else f"{optimizer}-{budget}"
    return Path(out) / group / f"seed{seed}"


def relaxation_folder(out: Path, activation: str) -> Path:
    """Where a study under ``activation`` keeps its runs: ``out`` itself under the softmax (DARTS'
    relaxation), ``out/<activation>`` under another, so that one folder holds both."""
    return Path(out) if activation == "softmax" else Path(out) / activation


def plan_runs(optimizers, budgets, seeds: range, preset: str | None, out: Path, overrides: dict) -> dict:
    """Every run of a study: ``{(group, seed): (config, folder)}``.  A one-batch optimizer (single,
    alternating) runs once per budget (groups ``single-steps``, ``single-epochs``); a two-batch one
    (split_joint, bilevel), which the budget does not change, once (groups ``bilevel1``)."""
    plan = {}
    for name in optimizers:
        for budget in [None] if get_optimizer(name).uses_split else budgets:
            settings = {**overrides, **({"budget": budget} if budget else {})}
            for seed in seeds:
                config = make_config(preset, optimizer=name, seed=seed, **settings)
                folder = run_folder(out, name, budget, seed)
                plan[(folder.parent.name, seed)] = (config, folder)
    return plan


def study(optimizers: list[str] | tuple[str, ...] = ("single", "bilevel1", "bilevel2"), seeds: int = 10,
          preset: str | None = "digits", out: str | os.PathLike = "runs/study", backend: str = "local",
          workers: int | None = None, threads: int = 1, nb201_table: str | os.PathLike | None = None,
          ray_address: str | None = None, device: str | None = None, progress: bool = True,
          first_seed: int = 0, budgets: list[str] | tuple[str, ...] = BUDGETS, together: int | None = None,
          **overrides) -> StudyResult:
    """Run every (optimizer, budget, seed) search; return the study's summary (also written to
    ``out/summary.json``) and the runs' histories: ``summary, runs = study(...)``.
    ``histories(summary, out)`` reads the runs back later.

    ``seeds`` runs seeds ``first_seed`` .. ``first_seed + seeds - 1``; the one-batch optimizers run under
    each of ``budgets`` (``SearchConfig.budget``); ``workers`` processes (default: cores //
    threads) run at once locally; ``backend="ray"`` sends the runs to a Ray cluster instead
    (``ray_address``, default: a local Ray).  ``nb201_table``: a NAS-Bench-201 table (its path) to look the
    derived cells up in.  ``device``: where each search runs (default: CUDA when present; on one
    GPU, ``workers=1``).  ``together=k`` trains up to k seeds of each group as one vectorised
    search in this process, on ``threads`` torch threads (``run/together.py``; what pays on a GPU,
    and on a 2-core CPU does not: ``benchmarks/speed.py``).
    """
    unknown = [m for m in optimizers if m not in OPTIMIZERS]
    if unknown or not optimizers:
        raise ValueError(f"optimizers: unknown {', '.join(unknown) or '(none given)'}; "
                         f"allowed: {', '.join(OPTIMIZERS)}")
    unknown = [b for b in budgets if b not in BUDGETS]
    if unknown or not budgets:
        raise ValueError(f"budgets: unknown {', '.join(unknown) or '(none given)'}; "
                         f"allowed: {', '.join(BUDGETS)}")
    one_of("backend", backend, BACKENDS)
    positive_int("seeds", seeds)
    non_negative_int("first_seed", first_seed)
    positive_int("threads", threads)
    if workers is not None:
        positive_int("workers", workers)
    if together is not None:
        positive_int("together", together)
        if backend != "local":
            raise ValueError("together: seeds trained together run in this process (backend 'local')")
    check_device(device)  # here, not in every worker
    lookup = None
    if nb201_table is not None:
        from ..evaluation.nb201_table import load_benchmark

        lookup = load_benchmark(nb201_table)
    out = Path(out)
    seed_range = range(first_seed, first_seed + seeds)
    plan = plan_runs(optimizers, budgets, seed_range, preset, out, overrides)
    histories = {key: h for key, (config, path) in plan.items() if (h := finished(config, path))}
    todo = [key for key in plan if key not in histories]
    bar = tqdm(total=len(plan), initial=len(histories), disable=not progress, desc="study", unit="run")
    if together:
        for keys in together_groups(todo, seed_range, together):
            for key, history in zip(keys, run_together([plan[k] for k in keys], threads, device)):
                histories[key] = history
                bar.update(1)
    else:
        jobs = [(plan[k][0].to_dict(), str(plan[k][1]), threads, device) for k in todo]
        for k, result in execute(jobs, backend, workers, threads, ray_address):
            histories[todo[k]] = History.from_dict(result["history"])
            bar.update(1)
    bar.close()

    groups = list(dict.fromkeys(group for group, _ in plan))
    runs = {g: [measures(histories[(g, s)], lookup) for s in seed_range] for g in groups}
    reference = next((g for g in groups if g.startswith("bilevel")), None)
    summary = {"preset": preset, "overrides": overrides, "seeds": seeds, "first_seed": first_seed,
               "budgets": list(budgets),
               "config": {g: plan[(g, first_seed)][0].to_dict() for g in groups},
               "summary": summarise(runs), "runs": runs,
               "contrasts": contrasts(runs, reference) if reference else {}}
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return StudyResult(summary, {g: [histories[(g, s)] for s in seed_range] for g in groups})


def together_groups(todo: list[tuple[str, int]], seeds: range, size: int) -> list[list[tuple[str, int]]]:
    """The runs left, by group, in chunks of the study's seeds fixed by ``size`` (the same chunks on
    every rerun, so a resumed study trains the same seeds together as an uninterrupted one)."""
    chunks = [seeds[i:i + size] for i in range(0, len(seeds), size)]
    groups = list(dict.fromkeys(group for group, _ in todo))
    return [keys for g in groups for chunk in chunks if (keys := [(g, s) for s in chunk if (g, s) in todo])]


def run_together(runs: list[tuple[SearchConfig, Path]], threads: int, device: str | None) -> list[History]:
    """``search_together`` on ``threads`` torch threads."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return search_together([c for c, _ in runs], [p for _, p in runs], device=device, progress=False)
    finally:
        torch.set_num_threads(previous)


def histories(summary: dict, out: str | os.PathLike) -> dict[str, list[History]]:
    """The histories of a study's runs, read back from ``out`` (group -> one per seed)."""
    return {g: [History.load(Path(out) / g / f"seed{r['seed']}" / "history.json") for r in records]
            for g, records in summary["runs"].items()}


