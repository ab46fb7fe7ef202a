"""The README's front page: short, its numbers written by the script from the data they describe
(``make figures``), its links inside the repository."""

import re
from pathlib import Path

from sdarts_lite.frontends.readme_figures import README, STUDY, TIMES, readme_blocks, readme_text, times_lines

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_readme_is_what_the_script_writes_from_the_committed_data():
    text = (ROOT / README).read_text()
    assert readme_text(text, readme_blocks(ROOT / STUDY, ROOT / TIMES)) == text, \
        "README's generated blocks are stale: python -m sdarts_lite.frontends.readme_figures --text"


def test_a_changed_number_in_a_generated_block_is_caught():
    text = (ROOT / README).read_text()
    tampered = text.replace("- 10 seeds (100-109)", "- 12 seeds (100-111)")
    assert tampered != text
    assert readme_text(tampered, readme_blocks(ROOT / STUDY, ROOT / TIMES)) == text


def test_the_front_page_is_short_and_links_only_inside_the_repository():
    text = (ROOT / README).read_text()
    assert len(text.splitlines()) <= 200
    assert "../shared" not in text and "nats_bench.csv" not in text
    for link in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link


def test_times_lines_name_the_machine_and_every_notebook():
    lines = times_lines({"machine": "Some CPU, 2 cores", "notebooks": {"01_a": 8.4, "02_b": 111.6},
                         "demo": {"seconds": 150, "machine": "Some CPU, 2 cores"}})
    assert lines == ["- Notebooks, run in order on Some CPU, 2 cores: 01 8 s, 02 112 s "
                     "(the longest, 02, 1.9 min).",
                     "- `make demo` from a fresh clone, install included (pip's cache warm): 2.5 min on "
                     "Some CPU, 2 cores."]
