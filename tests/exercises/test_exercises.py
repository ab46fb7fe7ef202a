"""The exercises: every solution in notebooks/solutions passes its check, and every check can fail. It
says "not done yet" on the blank stub the student starts from, and "not yet right" on plausible wrong
answers (the wrong turns below, written as a student would), never with a traceback.  The solutions
are run as their notebooks' code; the stubs are the student notebooks' own cells."""

import contextlib
import io
import itertools
import math
import re
from collections import Counter
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import sdarts_lite as sl
from sdarts_lite.exercises import EXERCISES, FAILED, NOT_DONE
from tools.exercise_sections import pairs, section_start, stub, student_section

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PAIRS = pairs(NOTEBOOKS)
REPORT = re.compile(r"^\[(ok|x| )\] Exercise (\d\d\.\d+),", re.M)


def run_cells(sources: list[str]) -> tuple[str, dict]:
    """Execute code cells in one namespace, as a kernel would; their printed output and the namespace."""
    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        for source in sources:
            exec(compile(source, "<cell>", "exec"), namespace)
    return out.getvalue(), namespace


def section_code(nb) -> list[str]:
    return [c.source for c in nb.cells[section_start(nb):] if c.cell_type == "code"]


def test_at_least_twenty_exercises_two_per_notebook_of_three_kinds():
    assert len(EXERCISES) >= 20
    per_notebook = Counter(e.notebook for e in EXERCISES.values())
    assert sorted(per_notebook) == [p.stem[:2] for p, _ in PAIRS]
    assert min(per_notebook.values()) >= 2
    assert {e.kind for e in EXERCISES.values()} == {"predict", "implement", "interpret"}


@pytest.mark.parametrize("notebook,solutions", PAIRS, ids=lambda p: p.stem[:2])
def test_every_notebook_ends_with_its_exercises_the_solutions_stubbed(notebook, solutions):
    nb = nbformat.read(notebook, as_version=4)
    assert section_start(nb) < len(nb.cells), f"{notebook.name} has no ## Exercises"
    assert [(c.cell_type, c.source) for c in nb.cells[section_start(nb):]] == \
        student_section(nbformat.read(solutions, as_version=4)), "make exercises"
    called = set(re.findall(r"sl\.exercises\.(check_\w+)", "\n".join(section_code(nb))))
    assert called == {name for name in dir(sl.exercises) if name.startswith("check_")
                      and getattr(sl.exercises, name).notebook == notebook.stem[:2]}
    assert "### BEGIN SOLUTION" not in nbformat.writes(nb)


@pytest.mark.parametrize("notebook,solutions", PAIRS, ids=lambda p: p.stem[:2])
def test_the_solutions_pass_and_the_blank_notebook_says_not_done_yet(notebook, solutions):
    mine = [e.id for e in EXERCISES.values() if e.notebook == notebook.stem[:2]]
    printed, _ = run_cells(section_code(nbformat.read(solutions, as_version=4)))
    assert REPORT.findall(printed) == [("ok", i) for i in mine], printed
    printed, _ = run_cells(section_code(nbformat.read(notebook, as_version=4)))
    assert REPORT.findall(printed) == [(" ", i) for i in mine], printed
    assert printed.count("not done yet") == len(mine)


def test_a_stub_replaces_each_solution_block():
    source = ("def f(x):\n    \"\"\"doc\"\"\"\n    ### BEGIN SOLUTION\n    y = x\n    return y\n"
              "    ### END SOLUTION\n\n"
              "### BEGIN SOLUTION: answer = None  # yours\nanswer = 3\n### END SOLUTION\ncheck(answer)")
    assert stub(source) == ("def f(x):\n    \"\"\"doc\"\"\"\n    ...  # your code here\n\n"
                            "answer = None  # yours\ncheck(answer)")


# ---- plausible wrong answers, one list per exercise: what a student gets wrong first
def mixed_unweighted(x, weights, ops):
    return sum(op(x) for op in ops)


def mixed_mean_weight(x, weights, ops):
    return weights.mean() * sum(op(x) for op in ops)


def softmax_wrong_axis(alphas):
    e = torch.exp(alphas)
    return e / e.sum(dim=0, keepdim=True)


def sigmoid_as_softmax(alphas):
    return torch.softmax(alphas, dim=-1)


def step_on_held_out(model, w_opt, alpha_opt, batch, held_out):
    x, y = held_out
    loss = F.cross_entropy(model(x), y)
    w_opt.zero_grad()
    alpha_opt.zero_grad()
    loss.backward()
    w_opt.step()
    alpha_opt.step()


def step_in_turn_same_batch(model, w_opt, alpha_opt, batch, held_out):
    x, y = batch
    alpha_opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    alpha_opt.step()
    w_opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    w_opt.step()


def step_w_first(model, w_opt, alpha_opt, batch, held_out):
    x, y = batch
    w_opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    w_opt.step()
    x, y = held_out
    alpha_opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    alpha_opt.step()


def step_gradients_summed(model, w_opt, alpha_opt, batch, held_out):
    """alpha on held_out, then w, but without clearing the validation gradient left on w"""
    x, y = held_out
    alpha_opt.zero_grad()
    w_opt.zero_grad()
    F.cross_entropy(model(x), y).backward()
    alpha_opt.step()
    x, y = batch
    F.cross_entropy(model(x), y).backward()
    w_opt.step()


def step_forgets_to_step(model, w_opt, alpha_opt, batch, held_out):
    x, y = batch
    F.cross_entropy(model(x), y).backward()


def share_of_alphas(alphas, ops):
    free = [k for k, op in enumerate(ops) if op in sl.param_free_ops()]
    return float(alphas[:, free].sum(dim=1).mean())


def share_summed_over_edges(alphas, ops):
    free = [k for k, op in enumerate(ops) if op in sl.param_free_ops()]
    return float(torch.softmax(alphas, -1)[:, free].sum())


def chance_counting_none(num_edges, ops, param_free, derives_none):
    return num_edges * sum(op in param_free for op in ops) / len(ops)


def derive_ignoring_rule(alphas, ops, allow_none):
    return [ops[k] for k in alphas.argmax(dim=1).tolist()]


def derive_wrong_axis(alphas, ops, allow_none):
    return [ops[k] for k in alphas.argmax(dim=0).tolist()]


def dead_from_input_only(edges):
    reached = {0}
    for i, j, op in sorted(edges):
        if op != "none" and i in reached:
            reached.add(j)
    return {0, 1, 2, 3} - reached


def darts_with_none(weights):
    cell = []
    for node in range(2, 6):
        incoming = [(e, i) for e, (i, j) in enumerate(sl.DARTS_EDGES) if j == node]
        strongest = sorted(incoming, key=lambda edge: -weights[edge[0]].max().item())[:2]
        cell += [(sl.PRIMITIVES[int(weights[e].argmax())], i) for e, i in strongest]
    return cell


def darts_none_only_in_choice(weights):
    w = weights.clone()
    choice = w.clone()
    choice[:, 0] = -1
    cell = []
    for node in range(2, 6):
        incoming = [(e, i) for e, (i, j) in enumerate(sl.DARTS_EDGES) if j == node]
        strongest = sorted(incoming, key=lambda edge: -w[edge[0]].max().item())[:2]
        cell += [(sl.PRIMITIVES[int(choice[e].argmax())], i) for e, i in strongest]
    return cell


def darts_weakest_first(weights):
    w = weights.clone()
    w[:, 0] = -1
    cell = []
    for node in range(2, 6):
        incoming = [(e, i) for e, (i, j) in enumerate(sl.DARTS_EDGES) if j == node]
        strongest = sorted(incoming, key=lambda edge: -w[edge[0]].max().item())[:2]
        cell += [(sl.PRIMITIVES[int(w[e].argmax())], i) for e, i in reversed(strongest)]
    return cell


def permutation(a, b, two_sided=True, strict=False, tolerance=1e-9):
    pooled = np.array(a + b, dtype=float)
    observed = np.mean(b) - np.mean(a)
    hits = total = 0
    for group in itertools.combinations(range(len(pooled)), len(a)):
        in_a = np.zeros(len(pooled), dtype=bool)
        in_a[list(group)] = True
        d = pooled[~in_a].mean() - pooled[in_a].mean()
        d, o = (abs(d), abs(observed)) if two_sided else (d, observed)
        hits += d > o + tolerance if strict else d >= o - tolerance
        total += 1
    return hits / total


def power_iteration(hvp, n):
    v = torch.ones(n, dtype=torch.float64) / math.sqrt(n)
    for _ in range(500):
        w = hvp(v)
        v = w / w.norm()
    return float(v @ hvp(v))


def early_stop_ignoring_none(lambdas):
    for i in range(5, len(lambdas)):
        if lambdas[i - 5] / lambdas[i] < 0.75:
            return i, i - 5
    return None


def early_stop_inverted(lambdas):
    for i in range(5, len(lambdas)):
        if lambdas[i] is not None and lambdas[i - 5] is not None and lambdas[i] / lambdas[i - 5] < 0.75:
            return i, i - 5
    return None


def early_stop_off_by_one(lambdas):
    for i in range(5, len(lambdas)):
        if lambdas[i] is not None and lambdas[i - 5] is not None and lambdas[i - 5] / lambdas[i] < 0.75:
            return i - 1, i - 5
    return None


def raises(*args):
    raise KeyError("edge")


def wrong_shape(*args):
    return torch.zeros(3)


WRONG = {
    "01.1": [(mixed_unweighted,), (mixed_mean_weight,), (raises,), (wrong_shape,), (lambda *a: "text",)],
    "01.2": [(softmax_wrong_axis,), (torch.sigmoid,), (wrong_shape,)],
    "01.3": [(sigmoid_as_softmax,), (raises,)],
    "01.4": [(0.2, 0.5), (0.5, 0.5), (math.e / (math.e + 4), 0.5), ("a fifth", 0.73)],
    "02.1": [(step_on_held_out,), (step_in_turn_same_batch,), (step_forgets_to_step,), (raises,)],
    "02.2": [(step_in_turn_same_batch,), (step_w_first,), (step_gradients_summed,)],
    "02.3": [("bi-level",), ("maybe",)],
    "03.1": [(share_of_alphas,), (share_summed_over_edges,)],
    "03.2": [(chance_counting_none,), (raises,)],
    "03.3": [(10,), (0,), ("all",)],
    "04.1": [(derive_ignoring_rule,), (derive_wrong_axis,), (lambda *a: 42,)],
    "04.2": [(dead_from_input_only,), (lambda edges: {1},), (lambda edges: 3,)],
    "05.1": [("no",), (54.3,)],
    "05.2": [(7, 1), (0, 10)],
    "06.1": [(darts_with_none,), (darts_none_only_in_choice,), (darts_weakest_first,),
             (lambda w: [("sep_conv_3x3", 0)] * 8,)],
    "06.2": [(224,), (15_625,), (8 ** 14,)],
    "07.1": [(lambda a, b: permutation(a, b, two_sided=False),),
             (lambda a, b: permutation(a, b, tolerance=0),),
             (lambda a, b: permutation(a, b, strict=True),)],
    "07.2": [("yes", "yes"), ("no", "no")],
    "08.1": [(power_iteration,), (lambda hvp, n: float(hvp(torch.ones(n, dtype=torch.float64)).max()),)],
    "08.2": [(early_stop_inverted,), (early_stop_off_by_one,), (early_stop_ignoring_none,),
             (lambda lambdas: 5,)],
    "09.1": [("single-level",)],
    "09.2": [("relaxation",), ("schedule",), ("luck",)],
}


def test_every_exercise_has_wrong_answers():
    assert sorted(WRONG) == sorted(EXERCISES)


@pytest.mark.parametrize("exercise_id", sorted(WRONG))
def test_each_check_fails_the_wrong_answers_without_a_traceback(exercise_id):
    exercise = EXERCISES[exercise_id]
    for answer in WRONG[exercise_id]:
        names = exercise.compare.__code__.co_varnames[:exercise.compare.__code__.co_argcount]
        report = exercise.evaluate(**dict(zip(names, answer)))
        assert report.status == FAILED, (answer, str(report))
        assert report.detail


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_each_check_says_not_done_yet_on_a_blank_answer(exercise_id):
    exercise = EXERCISES[exercise_id]
    names = exercise.compare.__code__.co_varnames[:exercise.compare.__code__.co_argcount]

    def blank(*args):
        """a docstring and nothing else"""
        ...

    def not_implemented(*args):
        raise NotImplementedError
    answers = [blank, not_implemented] if exercise.kind == "implement" else [None, ...]
    for answer in answers:
        report = exercise.evaluate(**{name: answer for name in names})
        assert report.status == NOT_DONE, str(report)
        assert "not done yet" in str(report)
