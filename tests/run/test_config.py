"""Each setting written once: presets, overrides, flags and the optimizers read the same field;
``None`` means one thing on every path; a search checks its config once."""

import inspect
from dataclasses import fields

import pytest

import sdarts_lite as sl
from sdarts_lite.frontends.flags import Parser, add_setting_flags, field_comments, settings
from sdarts_lite.run.config import HYPER, PRESETS, SETTINGS, SearchConfig, build, choices


def test_none_means_the_field_s_own_meaning_on_every_path():
    """``augment=None`` is the dataset's own augmentation whether it is given to make_config, to
    search with a preset, or to search with a config (the laptop preset sets augment=0)."""
    laptop = sl.make_config("laptop")
    assert laptop.augment == 0
    assert sl.make_config("laptop", augment=None).augment is None
    assert build({"augment": None}, base=laptop).augment is None
    h = sl.search(laptop, augment=None, epochs=1, C=2, N=1, sharpness_every=0, progress=False)
    assert h.config["augment"] is None


def test_a_search_checks_its_config_once(monkeypatch, one_thread):
    calls = []
    check = SearchConfig.validate
    monkeypatch.setattr(SearchConfig, "validate", lambda self: calls.append(1) or check(self))
    sl.search(preset="digits", epochs=1, C=2, N=1, sharpness_every=0, progress=False)
    assert len(calls) == 1
    config = sl.make_config("digits", epochs=1, C=2, N=1, sharpness_every=0)
    calls.clear()
    sl.search(config, progress=False)  # a config handed in was checked when made (it is frozen)
    assert calls == []
    sl.search(config, epochs=2, progress=False)  # overrides make a new config: checked once
    assert len(calls) == 1


def test_the_hyperparameters_are_one_object_handed_to_the_optimizer_whole():
    config = sl.make_config("digits", arch_lr=0.02, w_lr=0.05)
    assert config.hyper == sl.Hyperparameters(arch_lr=0.02, w_lr=0.05)
    net = sl.supernet("nb201", C=2, N=1, num_classes=10, in_channels=1)
    opt = sl.make_optimizer("single", net, 3, hyper=config.hyper)
    assert opt.a_opt.param_groups[0]["lr"] == 0.02 and opt.w_opt.param_groups[0]["initial_lr"] == 0.05


def command_line(*flags: str) -> dict:
    p = Parser(prog="test")
    add_setting_flags(p)
    return settings(p.parse_args(list(flags)))


def test_every_setting_has_a_flag_with_its_field_s_comment_as_help():
    p = Parser(prog="test")
    add_setting_flags(p)
    actions = {a.dest: a for a in p._actions}
    helps = {**field_comments(SearchConfig), **field_comments(sl.Hyperparameters)}
    assert set(SETTINGS) <= set(actions)
    for name in SETTINGS:
        assert helps[name] and actions[name].help == helps[name].replace("%", "%%"), name
    assert "(0: never; sharpness.py)" in actions["sharpness_every"].help  # the comment's second line too


def test_a_flag_left_out_keeps_the_preset_and_each_flag_given_sets_its_setting():
    assert command_line() == {}
    given = {"space": "darts", "optimizer": "alternating", "dataset": "shapes", "image_size": 8,
             "search_size": 500, "test_size": 200, "C": 3, "N": 4, "epochs": 7, "batch_size": 16,
             "activation": "sigmoid", "augment": 1, "budget": "steps", "sharpness_every": 1,
             "sharpness_size": 100, "sharpness_spectrum": False, "sharpness_method": "lanczos",
             "early_stop": True,
             "derivation": "with_none", "half_data": True,
             "seed": 9, "log_every": 2, "w_lr": 0.5, "w_lr_min": 0.01, "momentum": 0.5, "nesterov": False,
             "w_weight_decay": 0.0, "grad_clip": 2.0, "arch_lr": 0.3, "arch_betas": (0.9, 0.99),
             "arch_weight_decay": 0.0}
    assert set(given) == set(SETTINGS)  # the test names every setting
    flags = []
    for name, value in given.items():
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            flags.append(flag if value else "--no-" + flag[2:])
        else:
            flags += [flag, *map(str, value if isinstance(value, tuple) else [value])]
    parsed = command_line(*flags)
    assert parsed == given
    config = sl.make_config("digits", **parsed).settings()
    assert {k: config[k] for k in given} == given


@pytest.mark.parametrize("name", [n for n in SETTINGS if choices(n) and choices(n) != (True, False)])
def test_a_setting_with_choices_refuses_others_on_the_command_line(name, capsys):
    with pytest.raises(SystemExit):
        command_line("--" + name.replace("_", "-"), "nonsense")
    assert "invalid" in capsys.readouterr().err  # "invalid choice"


def test_the_hyperparameters_live_in_one_dataclass_with_their_defaults():
    """SearchConfig holds no optimizer hyperparameter of its own, and the optimizers take no
    default but Hyperparameters' (the recipe is written once)."""
    top = {f.name for f in fields(SearchConfig)}
    assert not top & set(HYPER) and "hyper" in top
    assert inspect.signature(sl.make_optimizer).parameters["hyper"].default == sl.Hyperparameters()
    for preset in PRESETS.values():
        assert set(preset) <= set(SETTINGS)


def test_a_history_written_before_the_restructure_is_read_with_its_settings(tmp_path):
    """Histories and checkpoints written before issue 23 hold the hyperparameters flat and the
    lambda_max period as ``curvature``: read back, they are the same config, so their runs are
    reused, not refused as "other settings"."""
    from sdarts_lite.run.config import config_differences

    config = sl.make_config("fashion", seed=100, sharpness_every=5, sharpness_size=64,
                            sharpness_spectrum=True, sharpness_method="lanczos")
    old = {("curvature" if k == "sharpness_every" else k): v for k, v in config.settings().items()
           if k not in ("sharpness_size", "sharpness_spectrum", "sharpness_method")}  # added in issues 25, 35
    assert "hyper" not in old and old["curvature"] == 5 and old["arch_lr"] == 0.1
    assert SearchConfig.from_dict(old) == config  # one batch and the exact spectrum, as it then measured
    assert config_differences(old, config) == ""
    assert "sharpness_every=1 (now 5)" in config_differences({**old, "curvature": 1}, config)
    now = config_differences(old, sl.make_config("fashion", seed=100, sharpness_every=5))
    assert "sharpness_size=64 (now 512)" in now and "sharpness_spectrum=True (now False)" in now
    assert "sharpness_method='lanczos' (now 'power')" in now
