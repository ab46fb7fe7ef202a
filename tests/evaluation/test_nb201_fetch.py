"""``fetch nb201`` on a small table the tests write (real cell strings, numbers of the test's own):
from a file, a file URL and a local HTTP server, checked before anything is written, then found
by ``load_benchmark()`` with no setting; the real table where present."""

import csv
import functools
import hashlib
import http.server
import os
import sys
import threading
from pathlib import Path

import pytest

import sdarts_lite as sl
from sdarts_lite.evaluation.nb201_fetch import SHA256, fetch_table
from sdarts_lite.evaluation.nb201_table import COLUMNS, ENV_VAR, FETCH, read_csv, write_csv
from sdarts_lite.frontends.cli import main
from sdarts_lite.frontends.flags import lookup_flags

BEST = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
ALL_SKIP = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"
CELL = "|nor_conv_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"
REWRITE = "|avg_pool_3x3~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"  # CELL's class
ACCURACY = {BEST: (91.25, 71.5, 45.0), ALL_SKIP: (50.5, 20.25, 10.0), CELL: (88.0, 60.0, 30.0),
            REWRITE: (87.0, 61.0, 31.0)}  # CIFAR-10, CIFAR-100, ImageNet16-120: the test's own numbers


def write_table(path: Path, cells=ACCURACY, drop: str | None = None, change=None) -> Path:
    """A table in the layout of nats_bench.csv; ``drop`` leaves a column out, ``change(row)`` edits a row."""
    columns = [c for c in COLUMNS if c != drop]
    with open(path, "w", newline="") as f:
        out = csv.DictWriter(f, columns, extrasaction="ignore")
        out.writeheader()
        for arch, acc in cells.items():
            row = dict(zip(COLUMNS, (*map(str, acc), arch, sl.canonical_form(arch))))
            out.writerow(change(row) if change else row)
    return path


@pytest.fixture
def data_root(tmp_path, monkeypatch) -> Path:
    """The data root lookups and fetches default to, empty, and no $SDARTS_NB201."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("SDARTS_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


@pytest.fixture
def table(tmp_path) -> Path:
    return write_table(tmp_path / "small.csv")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize("as_url", [False, True], ids=["path", "file-url"])
def test_fetched_table_is_found_by_lookups_with_no_setting(data_root, table, as_url, capsys):
    assert sl.load_benchmark(missing_ok=True) is None
    assert FETCH in capsys.readouterr().out
    path, fetched = fetch_table(table.as_uri() if as_url else table, progress=False)
    assert path == data_root / "nb201" / "nats_bench.csv" and files(data_root) == [path]
    assert path.read_bytes() == table.read_bytes()
    assert len(fetched) == 4 and "not NAS-Bench-201's 15,625" in capsys.readouterr().err
    bench = sl.load_benchmark()
    assert bench.source == str(path)
    assert bench.query(BEST).accuracy == {"cifar10": 91.25, "cifar100": 71.5, "ImageNet16-120": 45.0}
    assert bench.query(REWRITE).accuracy["cifar10"] == bench.query(CELL).accuracy["cifar10"] == 87.5


def test_the_environment_variable_still_wins(data_root, table, tmp_path, monkeypatch):
    fetch_table(table, progress=False)
    other = write_table(tmp_path / "other.csv", {BEST: (1.0, 2.0, 3.0)})
    monkeypatch.setenv(ENV_VAR, str(other))
    assert sl.load_benchmark().query(BEST).accuracy["cifar10"] == 1.0


def test_root_chooses_where_it_is_written(data_root, table, tmp_path):
    path, _ = fetch_table(table, root=tmp_path / "elsewhere", progress=False)
    assert path == tmp_path / "elsewhere" / "nb201" / "nats_bench.csv" and path.is_file()
    assert files(data_root) == []


def test_a_wrong_hash_is_refused_naming_both_and_nothing_is_written(data_root, table):
    wrong = "0" * 64
    with pytest.raises(ValueError) as err:
        fetch_table(table, sha256=wrong, progress=False)
    assert sha256(table) in str(err.value) and wrong in str(err.value)
    assert files(data_root) == []
    path, _ = fetch_table(table, sha256=sha256(table).upper(), progress=False)
    assert path.read_bytes() == table.read_bytes()


def test_a_table_already_there_with_the_hash_is_kept_without_reading_the_source(data_root, table):
    path, _ = fetch_table(table, progress=False)
    digest = sha256(table)
    table.unlink()
    assert fetch_table(table, sha256=digest, progress=False)[0] == path
    with pytest.raises(FileNotFoundError, match="small.csv does not exist"):
        fetch_table(table, progress=False)


@pytest.mark.parametrize("tamper, message", [
    (dict(drop="UniqueString"), "missing column(s) UniqueString"),
    (dict(change=lambda r: {**r, "CIFAR10TestAccuracy200Epochs": "n/a"}), "not a number"),
    (dict(change=lambda r: {**r, "ArchitectureString": r["ArchitectureString"].replace("~0", "~1", 1)}),
     "must be written"),
    (dict(change=lambda r: {**r, "ArchitectureString": " " + r["ArchitectureString"]}), "benchmark's form"),
    (dict(change=lambda r: {**r, "UniqueString": "0"}), "is not its canonical form"),
    (dict(cells={}), "no cells"),
], ids=["missing-column", "accuracy", "cell-string", "spacing", "unique-string", "empty"])
def test_a_bad_table_is_refused_and_the_one_there_kept(data_root, table, tmp_path, tamper, message):
    path, _ = fetch_table(table, progress=False)
    bad = write_table(tmp_path / "bad.csv", **tamper)
    with pytest.raises(ValueError, match=f"bad.csv.*{message.replace('(', '.').replace(')', '.')}"):
        fetch_table(bad, progress=False)
    with pytest.raises(ValueError, match="bad.csv"):
        fetch_table(bad, root=tmp_path / "fresh", progress=False)
    assert files(data_root) == [path] and path.read_bytes() == table.read_bytes()
    assert files(tmp_path / "fresh") == []


def test_a_cell_listed_twice_is_refused(data_root, tmp_path):
    bad = write_table(tmp_path / "twice.csv")
    with open(bad, "a") as f:
        f.write(bad.read_text().splitlines()[1] + "\n")
    with pytest.raises(ValueError, match="1 cell.s. twice"):
        fetch_table(bad, progress=False)


@pytest.fixture
def server(tmp_path):
    """A local HTTP server of ``tmp_path``: downloads the way the real URL is read, offline."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_over_http_with_its_hash(data_root, table, server, capsys):
    path, fetched = fetch_table(f"{server}/small.csv", sha256=sha256(table))
    assert path.read_bytes() == table.read_bytes() and len(fetched) == 4
    assert "100%" in capsys.readouterr().err  # the progress bar
    with pytest.raises(OSError, match=f"404.*{FETCH} --from FILE"):
        fetch_table(f"{server}/absent.csv", root=data_root / "other", progress=False)
    assert files(data_root / "other") == []


def test_other_url_schemes_are_refused(data_root):
    with pytest.raises(ValueError, match="must be http, https, file"):
        fetch_table("ftp://example.org/nats_bench.csv", progress=False)


def test_official_files_need_their_package(data_root, tmp_path, monkeypatch):
    official = tmp_path / "NATS-tss-v1_0-3ffb9-simple"
    official.mkdir()
    monkeypatch.setitem(sys.modules, "nats_bench", None)  # as where it is not installed
    with pytest.raises(ValueError, match=r"pip install nats_bench"):
        fetch_table(official, progress=False)
    assert files(data_root) == []
    assert main(["fetch", "nb201", "--from", str(official)]) == 2


def test_official_table_is_written_in_the_csv_layout(table, tmp_path):
    """What the official route writes (``write_csv``) reads back as the same table."""
    first = read_csv(table)
    write_csv(first, tmp_path / "again.csv")
    again = read_csv(tmp_path / "again.csv")
    assert again.archs == first.archs and list(again.classes) == list(first.classes)
    for cell in ACCURACY:
        assert again.query(cell).accuracy == first.query(cell).accuracy


def test_cli_fetches_and_says_where(data_root, table, tmp_path, monkeypatch, capsys):
    assert main(["fetch", "nb201", "--from", str(table)]) == 0
    path = data_root / "nb201" / "nats_bench.csv"
    assert capsys.readouterr().out == f"nb201: 4 cells in {path}; lookups now find it\n"
    assert Path(lookup_flags().parse_args([]).nb201) == path  # --nb201's default: study, train, ...
    assert main(["fetch", "nb201", "--from", str(table), "--root", str(tmp_path / "r")]) == 0
    assert f"{ENV_VAR}={tmp_path / 'r' / 'nb201' / 'nats_bench.csv'}" in capsys.readouterr().out
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "mine.csv"))
    assert main(["fetch", "nb201", "--from", str(table)]) == 0
    assert f"lookups read ${ENV_VAR} ({tmp_path / 'mine.csv'}) first" in capsys.readouterr().out
    assert main(["fetch", "nb201", "--from", str(table), "--sha256", "0" * 64]) == 2
    assert "0" * 64 in capsys.readouterr().err
    assert main(["fetch", "digits", "--from", str(table)]) == 2
    assert "only nb201" in capsys.readouterr().err


def test_the_real_table_has_the_pinned_hash(nb201_csv, tmp_path, capsys):
    """The file the default URL names, where a copy is present (the URL itself is not reached)."""
    path, fetched = fetch_table(nb201_csv, root=tmp_path, sha256=SHA256, progress=False)
    assert len(fetched) == 15_625 and fetched.num_classes == 6_466
    assert capsys.readouterr().err == ""


def test_official_route_agrees_with_the_table(nb201_csv, tmp_path):
    """Only where the official package and its topology file are installed (slow: reads all cells)."""
    pytest.importorskip("nats_bench")
    official = Path(os.environ.get("TORCH_HOME", Path.home() / ".torch")) / "NATS-tss-v1_0-3ffb9-simple"
    if not official.exists():
        pytest.skip(f"NATS-Bench topology file not found at {official}")
    path, _ = fetch_table(official, root=tmp_path, progress=False)
    written, table = read_csv(path), read_csv(nb201_csv)
    assert written.archs == table.archs
    for cell in (ALL_SKIP, BEST, CELL):
        assert written.query(cell).accuracy == pytest.approx(table.query(cell).accuracy, abs=0.01)
