"""The README's front page and the course pages (docs/course.md, docs/instructor.md): their numbers
written by the script from the data they describe (``make figures``), none typed by hand, and their
links inside the repository; the glossary in order, the references complete."""

import json
import re
from pathlib import Path

import pytest

from tools.readme_figures import (
    BLOCK,
    COURSE,
    INSTRUCTOR,
    LAB,
    READING_MINUTES,
    README,
    SESSIONS,
    Data,
    duration,
    exercises,
    page_blocks,
    page_text,
    readme_blocks,
    readme_text,
    session_minutes,
    spread,
    times_lines,
)

ROOT = Path(__file__).resolve().parents[2]
PAGES = (README, COURSE, INSTRUCTOR)
COURSE_PAGES = ("course.md", "instructor.md", "glossary.md", "references.md")


@pytest.fixture(scope="module")
def blocks():
    return page_blocks(ROOT)


def test_the_committed_readme_is_what_the_script_writes_from_the_committed_data():
    text = (ROOT / README).read_text()
    assert readme_text(text, readme_blocks(ROOT)) == text, \
        "README's generated blocks are stale: python -m tools.readme_figures --text"


def test_a_changed_number_in_a_generated_block_is_caught():
    text = (ROOT / README).read_text()
    tampered = text.replace("- 20 seeds (110-129)", "- 22 seeds (110-131)")
    assert tampered != text
    assert readme_text(tampered, readme_blocks(ROOT)) == text


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_each_committed_page_is_what_the_script_writes_from_the_committed_data(page, blocks):
    text = (ROOT / page).read_text()
    assert page_text(text, blocks[page], str(page)) == text, \
        f"{page}'s generated blocks are stale: python -m tools.readme_figures --text"


@pytest.mark.parametrize("page", (COURSE, INSTRUCTOR), ids=str)
def test_a_changed_number_in_any_block_of_a_course_page_is_rewritten(page, blocks):
    text = (ROOT / page).read_text()
    for match in BLOCK.finditer(text):
        body_start = match.end(1)
        digit = re.search(r"\d", text[body_start:match.start(3)])
        assert digit, f"block {match.group(2)} of {page} holds no number"
        at = body_start + digit.start()
        tampered = text[:at] + str((int(text[at]) + 1) % 10) + text[at + 1:]
        assert page_text(tampered, blocks[page], str(page)) == text, match.group(2)


@pytest.mark.parametrize("page", PAGES, ids=str)
def test_a_missing_block_and_a_block_nothing_writes_are_errors(page, blocks):
    text = (ROOT / page).read_text()
    name = next(BLOCK.finditer(text)).group(2)
    without = BLOCK.sub(lambda m: "" if m.group(2) == name else m.group(0), text)
    with pytest.raises(ValueError, match=f"no generated block {name}"):
        page_text(without, blocks[page], str(page))
    extra = text + "\n<!-- BEGIN generated: stray -->\n1\n<!-- END generated: stray -->\n"
    with pytest.raises(ValueError, match="nothing writes: stray"):
        page_text(extra, blocks[page], str(page))


@pytest.mark.parametrize("page", (COURSE, INSTRUCTOR), ids=str)
def test_no_time_or_result_is_typed_outside_the_generated_blocks(page):
    """Times, p-values and spreads in prose come from data: they live in generated blocks only."""
    prose = BLOCK.sub("", (ROOT / page).read_text())
    prose = re.sub(r"`[^`\n]*`", "", prose)  # commands and names: `--seeds 10` is no result
    typed = re.findall(r"\b\d+(?:\.\d+)?\s?(?:s|sec|seconds?|min|minutes?|h|hours?|days?|weeks?)\b"
                       r"|\bp\s?[=<]\s?\d|±", prose)
    assert not typed, f"{page}: typed outside a generated block: {typed}"


def test_the_front_page_is_short_and_links_only_inside_the_repository():
    text = (ROOT / README).read_text()
    assert len(text.splitlines()) <= 200
    assert "../shared" not in text and "nats_bench.csv" not in text
    for link in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if not link.startswith("http"):
            assert (ROOT / link).exists(), link


def test_the_readme_leads_teachers_to_the_course_pages_and_cites_through_references():
    text = (ROOT / README).read_text()
    for page in COURSE_PAGES:
        assert f"](docs/{page})" in text, page
    references = text[text.index("## References"):]
    assert "](docs/references.md)" in references and not re.search(r"^- ", references, re.M)
    assert "MIT licence ([LICENSE](LICENSE))" in text
    index = (ROOT / "docs" / "index.md").read_text()
    assert all(f"]({page})" in index for page in COURSE_PAGES)


@pytest.mark.parametrize("name", COURSE_PAGES)
def test_the_course_pages_link_only_inside_the_repository(name):
    page = ROOT / "docs" / name
    for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
        if not link.startswith(("http", "<")):
            assert (page.parent / link).resolve().exists(), f"{name}: {link}"
    assert "../shared" not in page.read_text()


def test_times_lines_name_the_machine_and_every_notebook():
    lines = times_lines({"machine": "Some CPU, 2 cores", "notebooks": {"01_a": 8.4, "02_b": 111.6},
                         "demo": {"seconds": 150, "machine": "Some CPU, 2 cores"}})
    assert lines == ["- Notebooks, run in order on Some CPU, 2 cores: 01 8 s, 02 112 s "
                     "(the longest, 02, 1.9 min).",
                     "- `make demo` from a fresh clone, install included (pip's cache warm): 2.5 min on "
                     "Some CPU, 2 cores."]


def test_spread_and_duration_read_as_the_pages_print_them():
    stats = {"mean": 1.9, "std": 0.83, "min": 0, "max": 3}
    assert spread(stats, 1, 0) == "1.9 ± 0.8 (0 to 3)"
    held_out = {"mean": 84.07, "std": 0.35, "min": 83.25, "max": 84.5}
    assert spread(held_out, unit="%") == "84.1% ± 0.3 (83.2 to 84.5)"
    assert (duration(6.4), duration(89), duration(214.1)) == ("6 s", "89 s", "3.6 min")


def test_exercises_are_read_from_the_headings_of_the_worked_solutions(tmp_path):
    cells = [{"cell_type": "markdown", "source": ["## Exercises\n", "\n", "Intro."]},
             {"cell_type": "markdown", "source": "### Exercise 03.1 · Implement: the share\n\nWrite it."},
             {"cell_type": "code", "source": "### Exercise 03.9 · Predict: not a heading in code"},
             {"cell_type": "markdown", "source": "### Exercise 03.2 · Interpret: how often, with `none`?"}]
    (tmp_path / "03_x.ipynb").write_text(json.dumps({"cells": cells}))
    (tmp_path / "notes.ipynb").write_text(json.dumps({"cells": cells}))  # not a numbered notebook
    assert exercises(tmp_path) == {"03": [("03.1", "implement", "the share"),
                                          ("03.2", "interpret", "how often, with `none`?")]}


def test_every_notebook_is_in_one_session_and_every_lab_is_planned_near_its_length():
    data = Data(ROOT)
    placed = [n for numbers in SESSIONS.values() for n in numbers]
    assert sorted(placed) == sorted(data.titles) == sorted(READING_MINUTES)
    for number, items in data.exercises.items():
        assert len(items) >= 2 and all(i.startswith(number + ".") for i, _, _ in items), number
    for session in SESSIONS:
        if session.startswith("Lab"):
            assert abs(session_minutes(data, session) - LAB) <= 10, (session, session_minutes(data, session))


def test_the_glossary_is_in_alphabetical_order_and_says_where_each_term_is_taught():
    text = (ROOT / "docs" / "glossary.md").read_text()
    entries = re.findall(r"^\*\*(.+?)\.\*\* (.+?)(?=\n\n|\Z)", text, re.M | re.S)
    assert len(entries) >= 50
    keys = [re.sub(r"[^a-z0-9]", "", term.lower()) for term, _ in entries]
    assert keys == sorted(keys)
    for term, body in entries:
        assert re.search(r"\((?:\d\d(?:, \d\d)*|README|usage)\)$", " ".join(body.split())), term
    for term in ("alpha", "supernet", "mixed operation", "dead node", "bi-level", "single-level",
                 "DARTS-ES", "lambda_max", "Lanczos", "permutation test", "p-value", "bootstrap interval",
                 "canonical form", "isomorphic cells", "NATS-Bench", "sigmoid relaxation", "validation half"):
        assert any(t.lower().startswith(term.lower()) for t, _ in entries), term


def test_the_references_cite_every_paper_the_course_names_by_its_arxiv_id():
    text = " ".join((ROOT / "docs" / "references.md").read_text().split())
    for arxiv in ("1806.09055", "2001.00326", "2009.00437", "2108.08128", "2012.11337", "1909.09656",
                  "1911.12126", "2003.12238", "2004.07802", "2009.01027", "2108.04392", "1708.07747",
                  "2002.09128"):
        assert f"arXiv:{arxiv}, <https://arxiv.org/abs/{arxiv}>" in text or f"arXiv:{arxiv} (" in text, arxiv
