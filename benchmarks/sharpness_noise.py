"""How noisy lambda_max is, by the size of its held-out sample, and the size the presets take.

On the tuning seed (0) of the ``fashion`` preset, one bi-level and one single-level search keep their
weights at every 5th epoch.  On each, lambda_max is measured on ``--samples`` disjoint held-out
samples of each size, drawn from the 10,000 Fashion-MNIST test images (``Sharpness``: Lanczos, a
sample in batches of the preset's batch size, as a search measures it).

DARTS-ES acts on the ratio lambda(i) / lambda(i-5).  Its noise, for one size, is the spread over the
samples of log(lambda(i) / lambda(i-5)): the root mean square, over the epoch pairs (5, 10) ..
(25, 30) of both runs, of the samples' standard deviation.  The rule fires at a growth of 1/0.75,
log 1.33 = 0.288.  The rule for the size, written before the measurements: **the smallest size
whose noise is at most a third of that (0.096), so that noise alone crosses the threshold only at
three standard deviations; if none, the largest.**

    python benchmarks/sharpness_noise.py [--sizes 64 128 256 512] [--samples 4] [--out runs/noise]

About 10 minutes on 2 cores; writes ``noise.json`` and prints the table (``assets/sharpness-noise.md``).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import sys
from pathlib import Path

import torch
from tqdm.auto import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sdarts_lite as sl  # noqa: E402
from sdarts_lite.method.sharpness import ES_RATIO, ES_WINDOW, Sharpness  # noqa: E402

TUNING_SEED = 0
MODES = ("bilevel1", "single")
NOISE_TARGET = math.log(1 / ES_RATIO) / 3


def kept_weights(mode: str, out: Path) -> list[Path]:
    """Search on the preset, copying the checkpoint every ``ES_WINDOW`` epochs (reused when present)."""
    config = sl.make_config("fashion", optimizer=mode, seed=TUNING_SEED, sharpness_every=0)
    folder = out / mode
    kept = [folder / f"epoch{e}.pt" for e in range(ES_WINDOW, config.epochs + 1, ES_WINDOW)]
    if not all(p.is_file() for p in kept):
        shutil.rmtree(folder, ignore_errors=True)

        def keep(history):
            if len(history.epochs) % ES_WINDOW == 0:
                shutil.copy(folder / "checkpoint.pt", folder / f"epoch{len(history.epochs)}.pt")

        sl.search(config, out=folder, callback=keep)
    return kept


def measure(mode: str, out: Path, sizes: list[int], samples: int) -> dict[str, list[list[float]]]:
    """lambda_max per size: a list per kept epoch, one value per disjoint sample."""
    config = sl.make_config("fashion")
    data = sl.load_dataset("fashion", image_size=config.image_size, search_size=config.search_size)
    order = torch.randperm(len(data.test_y), generator=torch.Generator().manual_seed(7))
    meters = {(s, k): Sharpness(sl.Batches(data.test_x[order[k * s:(k + 1) * s]],
                                           data.test_y[order[k * s:(k + 1) * s]], data, config.batch_size))
              for s in sizes for k in range(samples)}
    net = sl.supernet(config.space, config.C, config.N, data.num_classes, data.in_channels, data.image_size)
    values = {str(s): [] for s in sizes}
    for path in tqdm(kept_weights(mode, out), desc=f"{mode}: lambda_max", unit="epoch"):
        net.load_state_dict(torch.load(path, weights_only=False)["model"])
        for s in sizes:
            values[str(s)].append([meters[s, k](net)[0] for k in range(samples)])
    return values


def table(measured: dict[str, dict[str, list[list[float]]]]) -> tuple[list[str], int]:
    """The table's lines, and the size the rule chooses."""
    lines = ["| held-out images | level: spread over samples (CV, mean over epochs) | growth over 5 epochs "
             "(median of the mean log-ratio) | noise of log(lambda(i)/lambda(i-5)) | rule would fire "
             "(sample-epochs) |", "| --- | --- | --- | --- | --- |"]
    chosen = None
    sizes = list(next(iter(measured.values())))
    for s in sizes:
        cvs, sds, growths, fired, pairs = [], [], [], 0, 0
        for values in (m[s] for m in measured.values()):
            cvs += [statistics.pstdev(v) / statistics.fmean(v) for v in values]
            for before, now in zip(values, values[1:]):
                logs = [math.log(b / a) for a, b in zip(before, now)]
                sds.append(statistics.stdev(logs))
                growths.append(statistics.fmean(logs))
                fired += sum(a / b < ES_RATIO for a, b in zip(before, now))
                pairs += len(logs)
        noise = math.sqrt(statistics.fmean(x * x for x in sds))
        if chosen is None and noise <= NOISE_TARGET:
            chosen = int(s)
        lines.append(f"| {s} | {statistics.fmean(cvs):.1%} | {statistics.median(growths):+.3f} | "
                     f"{noise:.3f} | {fired} of {pairs} |")
    return lines, chosen if chosen is not None else int(sizes[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--samples", type=int, default=4)
    parser.add_argument("--out", type=Path, default=Path("runs/noise"))
    args = parser.parse_args()
    measured = {mode: measure(mode, args.out, args.sizes, args.samples) for mode in MODES}
    (args.out / "noise.json").write_text(json.dumps(measured, indent=1))
    lines, chosen = table(measured)
    print("\n".join(lines))
    print(f"\nnoise target {NOISE_TARGET:.3f} (a third of log(1/{ES_RATIO})): sharpness_size = {chosen}")


if __name__ == "__main__":
    main()
