"""How far the default lambda_max (``sharpness_method="power"``: Lanczos at the first measurement,
then one warm-started power step per epoch) is from the exact value over whole searches.

Measuring changes nothing in a search, so a search measured by power steps and the same search
measured by the exact 30 x 30 Hessian (``sharpness_spectrum=True``) see the same weights at every
epoch (checked: their mixing weights are equal); the error is read epoch by epoch.  Runs the
``fashion`` preset, single-level and first-order bi-level, on ``--seeds`` (default 100 and 101, the
sharpness study's first two), each search in its own process, and writes
``assets/sharpness-power.json`` and ``.md``.

    python benchmarks/sharpness_power.py [--seeds 100 101] [--epochs 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sdarts_lite as sl  # noqa: E402
from sdarts_lite.experiments.workers import side_by_side  # noqa: E402

MODES = {"single-level": "single", "bi-level (1st order)": "bilevel1"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[100, 101])
    parser.add_argument("--epochs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = {}
        for name, mode in MODES.items():
            for seed in args.seeds:
                for how, settings in (("power", {}), ("exact", dict(sharpness_spectrum=True))):
                    config = sl.make_config("fashion", seed=seed, epochs=args.epochs, sharpness_every=1,
                                            optimizer=mode, **settings)
                    runs[f"{name}/{seed}/{how}"] = (config, Path(tmp) / f"{mode}-{seed}-{how}")
        found = side_by_side(runs)
    rows, errors = [], {}
    for name in MODES:
        errors[name] = []
        for seed in args.seeds:
            power, exact = found[f"{name}/{seed}/power"], found[f"{name}/{seed}/exact"]
            assert [r.mixing for r in power.epochs] == [r.mixing for r in exact.epochs], "not the same search"
            for p, e in zip(power.epochs, exact.epochs):
                errors[name].append((p.lambda_max - e.lambda_max) / e.lambda_max)
                rows.append(dict(optimizer=name, seed=seed, epoch=p.epoch + 1, power=p.lambda_max,
                                 exact=e.lambda_max))
    (ROOT / "assets" / "sharpness-power.json").write_text(json.dumps(rows, indent=1) + "\n")
    lines = [
        "The default lambda_max (`sharpness_method=\"power\"`: Lanczos at the first measurement, then one",
        "power step per epoch from the last eigenvector) against the exact top eigenvalue of the same",
        "searches' 30 x 30 Hessians, every epoch (`python benchmarks/sharpness_power.py`; values in",
        f"`sharpness-power.json`). Preset `fashion`, {args.epochs} epochs, lambda_max on 512 held-out",
        "images,"
        f" seeds {', '.join(map(str, args.seeds))}. Relative error (power - exact) / exact:",
        "",
        "| optimizer | epochs measured | median | mean | 5th to 95th percentile | largest in magnitude |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, e in errors.items():
        q = statistics.quantiles(e, n=20)
        lines.append(f"| {name} | {len(e)} | {statistics.median(e):+.2%} | {statistics.fmean(e):+.2%} | "
                     f"{q[0]:+.2%} to {q[-1]:+.2%} | {max(e, key=abs):+.2%} |")
    (ROOT / "assets" / "sharpness-power.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
