"""The ``train`` command's flags, generated from ``TrainConfig`` (one per field, its comment the
help, its default the field's, the flags before issue 36 still read), a tiny ``train`` run against
the same training through the API, and the seed flags that ``study``, ``factors`` and ``sweep`` share."""

from dataclasses import asdict, fields

import pytest

from sdarts_lite.evaluation.retrain import TrainConfig, TrainResult, train_from_scratch
from sdarts_lite.frontends.cli import main
from sdarts_lite.frontends.flags import Parser, field_comments, seed_flags, settings, train_flags

CONV = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
OTHER = {"dataset": "shapes", "epochs": 3, "C": 4, "depth": 2, "batch_size": 32, "lr": 0.05, "momentum": 0.5,
         "weight_decay": 1e-4, "grad_clip": 2.0, "auxiliary": True, "auxiliary_weight": 0.3,
         "drop_path_prob": 0.2, "cutout_length": 3, "seed": 7}  # a value other than the default, per field

pytestmark = pytest.mark.usefixtures("one_thread")


def parser() -> Parser:
    p = Parser(prog="test")
    train_flags(p)
    return p


def parse(*flags: str) -> dict:
    return settings(parser().parse_args(["--genotype", CONV, *flags]), (TrainConfig,))


def test_every_field_has_a_flag_with_its_comment_and_default_as_help():
    actions = {a.dest: a for a in parser()._actions}
    for f in fields(TrainConfig):
        help_text, comment = actions[f.name].help, field_comments(TrainConfig)[f.name]
        assert comment and help_text.startswith(comment.replace("%", "%%")), f.name
        shown = f.default is not None and not isinstance(f.default, bool)  # a switch is off, None explained
        assert help_text.endswith(" (default: %(default)s)") == shown, f.name
        assert "--" + f.name.replace("_", "-") in actions[f.name].option_strings


def test_a_flag_left_out_keeps_the_field_s_default():
    assert parse() == asdict(TrainConfig())


def test_each_flag_sets_its_field_and_the_old_spellings_still_work():
    assert list(OTHER) == [f.name for f in fields(TrainConfig)]
    assert all(value != getattr(TrainConfig(), name) for name, value in OTHER.items())
    flags = []
    for name, value in OTHER.items():
        flag = "--" + name.replace("_", "-")
        flags += [flag] if value is True else [flag, str(value)]
    assert TrainConfig(**parse(*flags)) == TrainConfig(**OTHER)
    old = parse("--drop-path", "0.2", "--cutout", "3")
    assert (old["drop_path_prob"], old["cutout_length"]) == (0.2, 3)
    assert parse("--auxiliary", "--no-auxiliary")["auxiliary"] is False


def test_train_runs_a_tiny_job_as_the_api_does(tmp_path, capsys):
    flags = ["--epochs", "1", "--C", "2", "--batch-size", "256", "--seed", "3", "--cutout", "2"]
    assert main(["train", "--genotype", CONV, *flags, "--quiet", "--nb201", "", "--out", str(tmp_path)]) == 0
    assert "trained 1 epochs" in capsys.readouterr().out
    saved = TrainResult.load(tmp_path / "result.json")
    api = train_from_scratch(CONV, "digits", epochs=1, C=2, batch_size=256, seed=3, cutout_length=2,
                             progress=False)
    assert saved.settings == api.settings and saved.test_acc == api.test_acc


@pytest.mark.parametrize("flags, words", [(["--epochs", "0"], "error: epochs: must be a positive integer"),
                                          (["--drop-path", "1"], "error: drop_path_prob: must be"),
                                          (["--lr", "nan"], "error: lr: must be a positive finite")])
def test_a_bad_training_flag_ends_in_one_line_naming_the_field(tmp_path, capsys, flags, words):
    assert main(["train", "--genotype", CONV, *flags, "--quiet", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(words) and err.count("\n") == 1, err
    assert not (tmp_path / "result.json").exists()


def test_the_seed_flags_take_each_command_s_defaults():
    study = seed_flags(seeds=10, first_seed=0, optimizers=("single", "bilevel1"))
    assert vars(study.parse_args([])) == {"seeds": 10, "first_seed": 0, "optimizers": "single,bilevel1",
                                          "workers": None}
    assert study.parse_args(["--modes", "bilevel2"]).optimizers == "bilevel2"  # the spelling before issue 36
    assert vars(seed_flags(seeds=3).parse_args(["--workers", "2"])) == {"seeds": 3, "workers": 2}


@pytest.mark.parametrize("command, seeds", [("study", 10), ("factors", 8), ("sweep", 3)])
def test_study_factors_and_sweep_declare_the_seed_flags_alike(capsys, command, seeds):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"--seeds SEEDS how many seeds per group of runs (default: {seeds})" in help_text
    assert "--workers WORKERS local processes at once (default: cores)" in help_text
