"""Fuzz every ``dynrnn`` subcommand with bad option values and bad files.

Each case starts from a small valid command line and replaces one option's value (text, NaN,
inf, negative, zero, huge, empty, a missing file, a directory, a file of the wrong kind).
The contract: exit code 0, 1 (the analysis failed) or 2 (bad input); on 1 or 2 one line on
stderr naming the problem and no traceback or "internal error"; with ``--json`` the standard
output is one JSON object, also when the command fails. Each call is bounded in time.

The default run draws a bounded, derandomised sample; ``-m slow`` runs every case.
"""
from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dynrnn as dr
from tests.fuzz_contract import CallTimeout, time_limit

_TMP = Path(tempfile.mkdtemp(prefix="dynrnn-cli-fuzz-"))


def _files() -> dict[str, Path]:
    files = {"model": dr.save_model(dr.RNN([[5.0]], b=[-2.5], activation="sigmoid"),
                                    _TMP / "fold.npz"),
             "model2": dr.save_model(dr.RNN([[0.5, -0.3], [0.2, 0.4]], b=[0.1, -0.2]),
                                     _TMP / "two.npz"),
             "text": _TMP / "notes.txt", "dir": _TMP / "a_directory"}
    files["text"].write_text("not a model\n")
    files["dir"].mkdir(exist_ok=True)
    from dynrnn.gradients import fig6_problem
    net, batch, x0 = fig6_problem(5.0, -2.0)
    files["history"] = dr.save(dr.train(net, batch, x0=x0, steps=4, progress=False),
                               _TMP / "training.npz")
    config = _TMP / "sweep.toml"
    config.write_text('function = "tests.sweep_functions:polynomial"\n'
                      '[grid]\nx = [1.0, 2.0]\ny = [2.0]\n[sweep]\nprogress = false\n')
    files["config"] = config
    return files


FILES = _files()

#: bad values for an option (as command-line text)
BAD_TEXT = ("abc", "nan", "inf", "-inf", "-1", "0", "-0.5", "1e308", "99999999999999", "",
            "1j", str(_TMP / "missing.npz"), str(FILES["dir"]), str(FILES["text"]))

#: subcommand -> (baseline argv after the subcommand, {option: position to replace or flag})
BASELINES: dict[str, list[str]] = {
    "fixed-points": [str(FILES["model2"]), "--starts", "8"],
    "cycles": [str(FILES["model"]), "--period", "2", "--starts", "8"],
    "continue": [str(FILES["model"]), "--param", "b[0]", "--bounds", "-3", "-2",
                 "--max-points", "60"],
    "diagram": [str(FILES["model"]), "--param", "b[0]", "--bounds", "-3", "-2", "--values", "12",
                "--transient", "20", "--keep", "5", "--period-doublings", "0", "--out",
                str(_TMP / "diagram")],
    "train": ["fig6", "--steps", "3"],
    "events": [str(FILES["history"])],
    "sweep": [str(FILES["config"]), "--scheduler", "serial"],
    "run": ["no_such_script"],
    "reproduce": ["no_such_figure"],
}

#: options fuzzed per subcommand; "@0" is the first positional argument
OPTIONS: dict[str, tuple[str, ...]] = {
    "fixed-points": ("@0", "--starts", "--seed", "--out"),
    "cycles": ("@0", "--period", "--starts", "--seed"),
    "continue": ("@0", "--param", "--bounds", "--start", "--p0", "--period", "--direction",
                 "--ds-max", "--seed"),
    "diagram": ("@0", "--param", "--bounds", "--values", "--transient", "--keep", "--component",
                "--period-doublings", "--out"),
    "train": ("@0", "--units", "--length", "--batch-size", "--lr", "--clip", "--regularizer",
              "--init", "--eval-batch-size", "--w", "--b", "--seed", "--out"),
    "events": ("@0", "--threshold", "--window"),
    "sweep": ("@0", "--scheduler", "--store"),
    "run": ("@0",),
    "reproduce": ("@0",),
}
#: Options whose huge values are valid requests for long work (the user asked for 1e14 SGD
#: steps): those are interruptible, not refused, so they are not fuzzed with huge values.
LONG_WORK = {("train", "--steps"), ("continue", "--max-points"), ("fixed-points", "--starts"),
             ("cycles", "--starts"), ("continue", "--starts"), ("diagram", "--starts"),
             ("train", "--units"), ("train", "--length"), ("train", "--batch-size"),
             ("train", "--eval-batch-size")}
HUGE = ("1e308", "99999999999999")

#: Defects found and not fixed on this branch: (subcommand, option, bad value) -> owner.
KNOWN_DEFECTS: dict[tuple[str, str, str], str] = {}

CASES = [(command, option, value) for command, options in OPTIONS.items()
         for option in options for value in BAD_TEXT
         if not ((command, option) in LONG_WORK and value in HUGE)]


def _argv(command: str, option: str, value: str) -> list[str]:
    argv = list(BASELINES[command])
    if option == "@0":
        argv[0] = value
    elif option in argv:
        i = argv.index(option)
        argv[i + 1] = value
        if option == "--bounds":            # two numbers: the bad one first
            argv[i + 2] = "1"
    else:
        argv += [option, value]
    return [command, *argv, "--quiet", "--json"]


@pytest.fixture(autouse=True, scope="module")
def _in_a_scratch_directory():
    """--out abc or --store nan are valid relative paths: write them in a scratch directory."""
    with contextlib.chdir(tempfile.mkdtemp(prefix="dynrnn-cli-fuzz-cwd-")):
        yield


def run_cli(argv: list[str], seconds: float = 60.0):
    from dynrnn.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            with np.errstate(all="ignore"), time_limit(seconds):
                code = main(argv)
        except SystemExit as exc:        # argparse rejected the text (usage + one error line)
            code = exc.code
        except CallTimeout:
            raise AssertionError(f"dynrnn {' '.join(argv)}: no answer within {seconds} s")
    return code, out.getvalue(), err.getvalue()


def check_cli(argv: list[str]) -> int:
    code, out, err = run_cli(argv)
    label = "dynrnn " + " ".join(argv)
    assert code in (0, 1, 2), f"{label}: exit code {code}\n{err}"
    assert "Traceback" not in err and "internal error" not in err, f"{label}:\n{err}"
    if code != 0:
        lines = [line for line in err.splitlines() if line.strip()
                 and not line.startswith(("saved ", "running "))]
        assert lines, f"{label}: exit {code} without a message"
        assert lines[-1].startswith(("dynrnn", "usage")), f"{label}: {lines[-1]}"
    if out.strip() and code != 2 or out.strip().startswith("{"):
        parsed = json.loads(out)          # one JSON object, also on failure
        assert isinstance(parsed, dict), label
        if code != 0:
            assert parsed.get("success") is False, f"{label}: failed but JSON says {parsed}"
    return code


@pytest.mark.parametrize("command", sorted(BASELINES))
def test_baselines_run(command):
    code = check_cli([command, *BASELINES[command], "--quiet", "--json"])
    assert code == (2 if command in ("run", "reproduce") else 0)


@settings(max_examples=60, deadline=None)
@given(case=st.sampled_from([c for c in CASES if c not in KNOWN_DEFECTS]))
def test_bad_options_keep_the_contract(case):
    check_cli(_argv(*case))


@pytest.mark.slow
@pytest.mark.parametrize("command, option, value", CASES)
def test_every_bad_option_keeps_the_contract(command, option, value):
    try:
        check_cli(_argv(command, option, value))
    except AssertionError:
        if (command, option, value) in KNOWN_DEFECTS:
            pytest.xfail(KNOWN_DEFECTS[(command, option, value)])
        raise
