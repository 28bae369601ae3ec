"""Regression tests of issue 10's defects (one section per defect), each failing on the code
before its fix. The systematic catalogue is tests/test_bad_input.py; the fuzz suites are
tests/test_fuzz_*.py."""
import numpy as np
import pytest

import dynrnn as dr
from tests.checks import assert_named_error

NET = dr.RNN([[0.5, -0.3], [0.2, 0.4]], W_in=np.ones((2, 1)), b=[0.1, -0.2])
X0, U = np.array([0.3, -0.1]), np.linspace(-1, 1, 12)[:, None]
TARGETS = np.stack([np.sin(np.arange(12)), np.cos(np.arange(12))], axis=1)


# -- defect 4: bptt's column_block -------------------------------------------------------------
@pytest.mark.parametrize("block", [1, 2, "auto", None])
def test_bptt_column_blocks_agree(block):
    reference = dr.bptt(NET, X0, U, TARGETS)
    result = dr.bptt(NET, X0, U, TARGETS, column_block=block)
    assert result.loss == pytest.approx(reference.loss, rel=1e-14)
    for name, grad in reference.grads.items():
        np.testing.assert_allclose(result.grads[name], grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("block, exc, fragment", [
    (-1, dr.InvalidInputError, ">= 1"), (0, dr.InvalidInputError, ">= 1"),
    (1.5, dr.InvalidTypeError, "integer"), (True, dr.InvalidTypeError, "integer"),
    ("big", dr.InvalidInputError, "auto")])
def test_bptt_bad_column_block_is_named(block, exc, fragment):
    assert_named_error(lambda: dr.bptt(NET, X0, U, TARGETS, column_block=block), exc,
                       "column_block", fragment)


# -- defect 8: clip_gradients' shrink_factor ---------------------------------------------------
@pytest.mark.parametrize("factor, fragment", [(np.nan, "finite"), (np.inf, "finite"),
                                              (-1.0, "> 0"), (0.0, "> 0")])
def test_clip_gradients_bad_shrink_factor_is_named(factor, fragment):
    grads = {"W_rec": np.full((2, 2), np.inf), "b": np.zeros(2)}
    assert_named_error(lambda: dr.clip_gradients(grads, 1.0, nonfinite="shrink",
                                                 weights={"W_rec": np.eye(2)},
                                                 shrink_factor=factor),
                       dr.InvalidInputError, "shrink_factor", fragment)


def test_clip_gradients_shrink_step_shrinks_the_weights():
    W = np.array([[2.0, -1.0], [0.5, 3.0]])
    res = dr.clip_gradients({"W_rec": np.full((2, 2), np.nan)}, 1.0, nonfinite="shrink",
                            weights={"W_rec": W}, shrink_factor=0.1)
    stepped = W - 1.0 * res.grads["W_rec"]      # an SGD step with lr = 1
    np.testing.assert_allclose(stepped, 0.9 * W)


@pytest.mark.parametrize("huge", [np.nan, -1.0, 0.0, "x"])
def test_clip_gradients_bad_huge_is_named(huge):
    exc = dr.InvalidTypeError if isinstance(huge, str) else dr.InvalidInputError
    assert_named_error(lambda: dr.clip_gradients(np.ones(3), 1.0, huge=huge), exc, "huge",
                       "huge")


# -- defect 5: Abs, sign, floor, Heaviside in Map.from_sympy ----------------------------------
def _fd_jacobian(system, x, h=1e-7):
    x = np.asarray(x, dtype=float)
    cols = []
    for j in range(x.size):
        e = np.zeros(x.size)
        e[j] = h
        cols.append((system.step(x + e) - system.step(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


def test_tent_map_fixed_points_in_closed_form():
    """x' = 1 − 2|x| on [−1, 1]: x = 1/3 (x > 0) and x = −1 (x < 0), multipliers ∓2."""
    tent = dr.Map.from_sympy(["1 - 2*Abs(x)"], ["x"], {}, box=([-1.0], [1.0]))
    result = dr.find_fixed_points(tent, method="newton", starts=np.linspace(-1, 1, 41)[:, None])
    xs = sorted(float(p.x[0]) for p in result)
    np.testing.assert_allclose(xs, [-1.0, 1.0 / 3.0], atol=1e-12)
    by_x = {round(float(p.x[0]), 6): complex(p.eigenvalues[0]).real for p in result}
    assert by_x[round(1 / 3, 6)] == pytest.approx(-2.0)
    assert by_x[-1.0] == pytest.approx(2.0)


@pytest.mark.parametrize("a, b", [(1.7, 0.5), (1.4, 0.3)])
def test_lozi_map_fixed_points_and_jacobian_in_closed_form(a, b):
    """x' = 1 − a|x| + y, y' = b x: x = 1/(1 + a − b) > 0 and, when a + b > 1,
    x = 1/(1 − a − b) < 0, with y = b x and Jacobian [[−a sign x, 1], [b, 0]]."""
    lozi = dr.Map.from_sympy(["1 - a*Abs(x) + y", "b*x"], ["x", "y"], {"a": a, "b": b})
    starts = np.array([[0.4, 0.1], [-0.8, -0.4], [2.0, 1.0], [-2.0, -1.0], [0.0, 0.0]])
    result = dr.find_fixed_points(lozi, method="newton", starts=starts)
    expected = sorted([1 / (1 + a - b), 1 / (1 - a - b)])
    xs = sorted(float(p.x[0]) for p in result)
    np.testing.assert_allclose(xs, expected, rtol=1e-12)
    for p in result:
        x = float(p.x[0])
        assert p.x[1] == pytest.approx(b * x)
        J = np.array([[-a * np.sign(x), 1.0], [b, 0.0]])
        np.testing.assert_allclose(lozi.jacobian(p.x), J, rtol=1e-14)
        np.testing.assert_allclose(np.sort_complex(p.eigenvalues),
                                   np.sort_complex(np.linalg.eigvals(J).astype(complex)),
                                   rtol=1e-10)


@pytest.mark.parametrize("expr, numpy_f", [
    ("1 - 2*Abs(x)", lambda x: 1 - 2 * np.abs(x)),
    ("0.5*x + sign(x - 0.25)", lambda x: 0.5 * x + np.sign(x - 0.25)),
    ("0.5*x + floor(3*x)", lambda x: 0.5 * x + np.floor(3 * x)),
    ("0.5*x + Heaviside(x - 0.2)", lambda x: 0.5 * x + (x > 0.2)),
    ("ceiling(x) + x/3", lambda x: np.ceil(x) + x / 3),
])
def test_nonsmooth_functions_step_and_jacobian_almost_everywhere(expr, numpy_f):
    system = dr.Map.from_sympy([expr], ["x"], {})
    xs = np.array([-0.83, -0.41, 0.07, 0.29, 0.61, 0.95])   # away from every kink and jump
    np.testing.assert_allclose(system.step(xs[:, None])[:, 0], numpy_f(xs), rtol=1e-15)
    np.testing.assert_allclose(system.jacobian(xs[:, None]),
                               np.stack([_fd_jacobian(system, [x]) for x in xs]),
                               rtol=1e-6, atol=1e-8)


def test_jacobian_at_a_kink_is_the_mean_of_the_one_sided_derivatives():
    tent = dr.Map.from_sympy(["1 - 2*Abs(x)"], ["x"], {})
    assert tent.jacobian([0.0])[0, 0] == 0.0          # (−2 + 2) / 2
    jump = dr.Map.from_sympy(["0.5*x + Heaviside(x)"], ["x"], {})
    assert jump.jacobian([0.0])[0, 0] == 0.5          # the jump contributes nothing
    assert jump.step([0.0])[0] == 0.5                 # Heaviside(0) = 1/2 (sympy's convention)


def test_param_jacobian_through_abs():
    lozi = dr.Map.from_sympy(["1 - a*Abs(x) + y", "b*x"], ["x", "y"], {"a": 1.7, "b": 0.5})
    np.testing.assert_allclose(lozi.param_jacobian([-0.3, 0.2], ["a", "b"]),
                               [[-0.3, 0.0], [0.0, -0.3]], rtol=1e-15)


# -- defect 6: complex values are refused, not truncated ----------------------------------------
def test_sympy_map_with_complex_values_is_refused():
    assert_named_error(lambda: dr.Map.from_sympy(["I*x"], ["x"], {}), dr.InvalidInputError,
                       "exprs", "real")


def test_callable_map_returning_complex_values_is_named_at_run_time():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = dr.Map(lambda x, p: x * (1j if x[0] > 2 else 1.0), 1, jacobian=lambda x, p: np.eye(1))
    for call in (lambda: m.step([3.0]), lambda: m.run([3.0], n_steps=3),
                 lambda: m.iterate([3.0], 2), lambda: dr.find_fixed_points(m, starts=[[3.0]])):
        with pytest.raises(dr.MapEvaluationError) as info:
            call()
        assert info.value.argument == "step" and "real" in str(info.value)


def test_bptt_with_complex_targets_is_refused():
    assert_named_error(lambda: dr.bptt(dr.RNN([[0.5]]), [0.1], None, [1j], where="last",
                                       n_steps=3), dr.InvalidTypeError, "targets", "real")


# -- defect 7: NaN from a map that leaves its domain is named --------------------------------
SQRT = dr.Map.from_sympy(["sqrt(x - 3)"], ["x"], {})


@pytest.mark.parametrize("call, where", [
    (lambda: SQRT.step([1.0]), "state"), (lambda: SQRT.jacobian([1.0]), "state"),
    (lambda: SQRT.iterate([1.0], 3), "step 1"), (lambda: SQRT.run([1.0], n_steps=3), "step 1"),
    (lambda: SQRT.run([7.0], n_steps=3), "step 2")])
def test_map_leaving_its_domain_is_named(call, where):
    with pytest.raises(dr.NonFiniteError) as info:
        call()
    message = str(info.value)
    assert "NaN" in message and "left its domain" in message and where in message
    assert "ReLU" not in message


def test_run_overflow_still_says_overflow_and_keeps_the_partial_orbit():
    with pytest.raises(dr.NonFiniteError) as info:
        dr.RNN([[1e200]], activation="linear").run([1e100], n_steps=3)
    assert "overflow" in str(info.value)
    assert info.value.partial.shape == (2, 1)


# -- defect 11: messages that name the argument -------------------------------------------------
def test_from_sympy_params_as_a_list_is_named():
    assert_named_error(lambda: dr.Map.from_sympy(["a*x"], ["x"], [0.5]), dr.InvalidTypeError,
                       "params", "mapping")


def test_step_returning_strings_is_named():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(dr.InvalidTypeError) as info:
            dr.Map(lambda x, p: np.array(["a"]), 1, jacobian=lambda x, p: np.eye(1))
    assert info.value.argument == "step" and "numeric" in str(info.value)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = dr.Map(lambda x, p: np.array(["a"]) if x[0] > 1 else x, 1,
                   jacobian=lambda x, p: np.eye(1))
    with pytest.raises(dr.MapEvaluationError) as info:
        m.step([2.0])
    assert info.value.argument == "step" and "numeric" in str(info.value)


# -- defect 15: a reversed box ----------------------------------------------------------------
@pytest.mark.parametrize("box", [([1.0], [-1.0]), ([0.0, 2.0], [1.0, 1.0]), ([0.0],),
                                 ([np.nan], [1.0])])
def test_reversed_or_malformed_box_is_named(box):
    with pytest.raises(dr.InvalidInputError) as info:
        dr.Map.from_sympy(["x/2", "y/2"][:len(box[0])], ["x", "y"][:len(box[0])], {}, box=box)
    assert info.value.argument == "box" and "box" in str(info.value)


# -- defect 14 (orbit_diagram part): memory and work are estimated up front --------------------
def test_orbit_diagram_refuses_a_huge_n_keep_saying_how_much():
    import time
    start = time.perf_counter()
    with pytest.raises(dr.InvalidInputError) as info:
        dr.orbit_diagram(dr.RNN([[2.0]]), "b[0]", [0.0, 0.1], n_keep=10 ** 9)
    assert info.value.argument == "n_keep"
    assert "GiB" in str(info.value) and "59.6 GiB" in str(info.value)   # 2·4·1e9·8 bytes
    assert time.perf_counter() - start < 1.0


def test_orbit_diagram_refuses_a_run_of_hours():
    with pytest.raises(dr.InvalidInputError) as info:
        dr.orbit_diagram(dr.RNN([[2.0]]), "b[0]", [0.0], n_transient=10 ** 12, n_keep=2)
    assert info.value.argument == "n_transient" and "max_updates" in str(info.value)


def test_orbit_diagram_budget_can_be_raised_and_full_states_count():
    d = dr.orbit_diagram(dr.RNN(0.5 * np.eye(2)), "b[0]", [0.0], n_keep=3, component=None,
                         n_transient=5, max_memory=8 * 4 * 3 * 2)
    assert d.samples.shape == (1, 4, 3, 2)
    with pytest.raises(dr.InvalidInputError):
        dr.orbit_diagram(dr.RNN(0.5 * np.eye(2)), "b[0]", [0.0], n_keep=3, component=None,
                         n_transient=5, max_memory=8 * 4 * 3 * 2 - 1)


# -- defects 13 and 18: the command line checks before working and says what it did -----------
def _main(argv, capsys):
    import json as _json
    from dynrnn.cli import main
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:      # argparse's own errors
        code = exc.code
    captured = capsys.readouterr()
    parsed = None
    if captured.out.strip().startswith("{"):
        parsed = _json.loads(captured.out)
    return code, captured.out, captured.err, parsed


@pytest.fixture
def one_unit_file(tmp_path):
    path = tmp_path / "one.npz"
    dr.save_model(dr.RNN([[5.0]], b=[-2.5], activation="sigmoid"), path)
    return path


def _forbid(monkeypatch, module, name):
    """Make ``module.name`` fail the test if it is called: the work must not start."""
    def called(*args, **kwargs):
        raise AssertionError(f"{name} ran before the arguments were checked")
    monkeypatch.setattr(module, name, called)


def test_cli_train_into_a_file_is_refused_before_training(tmp_path, capsys, monkeypatch):
    import dynrnn.gradients
    _forbid(monkeypatch, dynrnn.gradients, "train")
    target = tmp_path / "h.py"
    target.write_text("keep me\n")
    code, _, err, _ = _main(["train", "fig6", "--steps", "2", "--out", target], capsys)
    assert code == 2 and "--out" in err and "directory" in err
    assert target.read_text() == "keep me\n"


@pytest.mark.parametrize("extra, flag", [(["--keep", "0"], "--keep"),
                                         (["--component", "3"], "--component"),
                                         (["--transient", "-1"], "--transient"),
                                         (["--values", "1"], "--values")])
def test_cli_diagram_checks_before_the_continuation(one_unit_file, tmp_path, capsys, monkeypatch,
                                                    extra, flag):
    import dynrnn.analysis
    _forbid(monkeypatch, dynrnn.analysis, "bifurcation_diagram")
    _forbid(monkeypatch, dynrnn.analysis, "orbit_diagram")
    code, _, err, _ = _main(["diagram", one_unit_file, "--param", "b[0]", "--bounds", "-3", "-2",
                             "--out", tmp_path, *extra], capsys)
    assert code == 2 and flag in err


@pytest.mark.parametrize("argv, flag", [
    (["train", "fig6", "--lr", "nan"], "--lr"), (["train", "fig6", "--lr", "-0.1"], "--lr"),
    (["train", "fig6", "--steps", "-5"], "--steps"), (["train", "fig6", "--clip", "0"], "--clip"),
    (["train", "addition", "--units", "0"], "--units"),
    (["train", "fig6", "--w", "inf"], "--w")])
def test_cli_train_options_are_checked_first(argv, flag, capsys, monkeypatch):
    import dynrnn.gradients
    _forbid(monkeypatch, dynrnn.gradients, "train")
    code, _, err, _ = _main(argv, capsys)
    assert code == 2 and flag in err


def test_cli_continue_json_failure_is_a_json_object(one_unit_file, capsys):
    # a monotone one-unit map has no 2-cycle: no start, the analysis fails
    code, out, err, parsed = _main(["continue", one_unit_file, "--param", "b[0]", "--bounds",
                                    "-3", "-2", "--period", "2", "--json", "--quiet"], capsys)
    assert code == 1
    assert parsed is not None, out
    assert parsed["success"] is False and parsed["status"] == "analysis failed"
    assert "2-cycle" in parsed["message"]


def test_cli_bad_input_with_json_is_a_json_object(one_unit_file, capsys):
    code, _, _, parsed = _main(["cycles", one_unit_file, "--period", "0", "--json"], capsys)
    assert code == 2 and parsed["success"] is False and parsed["status"] == "bad input"


def test_cli_prints_the_status_line_when_the_search_is_not_exhaustive(tmp_path, capsys):
    path = tmp_path / "two.npz"
    dr.save_model(dr.RNN([[2.0, -1.0], [1.0, 2.0]], b=[0.1, -0.2]), path)
    code, out, _, _ = _main(["fixed-points", path, "--starts", "16", "--quiet"], capsys)
    assert code == 0
    result = dr.find_fixed_points(dr.load_model(path), n_starts=16, seed=0)
    assert not result.exhaustive
    assert f"status: {result.status}" in out and "others may exist" in out


def test_cli_exhaustive_search_says_so(one_unit_file, capsys):
    code, out, _, _ = _main(["fixed-points", one_unit_file, "--quiet"], capsys)
    assert code == 0 and "exhaustive search" in out and "others may exist" not in out


# -- §2: the type-hint checks every public function runs first ---------------------------------
@pytest.mark.parametrize("call, exc, argument", [
    (lambda: dr.find_fixed_points(NET, tol=np.zeros(0)), dr.InvalidTypeError, "tol"),
    (lambda: dr.find_fixed_points(NET, method=np.array(["a", "b"])), dr.InvalidTypeError,
     "method"),
    (lambda: dr.find_fixed_points(NET, method="bogus"), dr.InvalidInputError, "method"),
    (lambda: dr.find_fixed_points(None), dr.InvalidTypeError, "system"),
    (lambda: dr.load_model(None), dr.InvalidInputError, "path"),
    (lambda: dr.load_model(3), dr.InvalidTypeError, "path"),
    (lambda: dr.omega(None, None), dr.InvalidTypeError, "net"),
    (lambda: dr.gradient_by_distance(NET, X0, U, TARGETS, n_steps="abc"), dr.InvalidTypeError,
     "n_steps"),
    (lambda: dr.error_surface([4.0], [-2.0], x0=float("nan")), dr.NonFiniteError, "x0"),
    (lambda: dr.continuation(NET, "b[0]", [0.0, 0.0], (-1, 1), callback="not callable"),
     dr.InvalidTypeError, "callback"),
])
def test_type_hints_are_checked_before_any_work(call, exc, argument):
    assert_named_error(call, exc, argument, argument)


def test_type_hint_checks_accept_numpy_scalars_and_keep_the_signature():
    import inspect
    result = dr.find_fixed_points(NET, n_starts=np.int64(4), tol=np.float64(1e-10), seed=0)
    assert result.success
    assert "n_starts" in inspect.signature(dr.find_fixed_points).parameters
    assert dr.find_fixed_points.__doc__.startswith(
        dr.analysis.fixed_points.find_fixed_points.__wrapped__.__doc__[:40])


def test_sweep_config_that_is_not_text_is_named(tmp_path):
    """A binary file given as a sweep config: a named error, not UnicodeDecodeError."""
    path = tmp_path / "config.toml"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(dr.InvalidInputError, match="config_path|not a text file"):
        dr.sweep_from_config(path)


def test_train_with_a_callable_task_that_returns_no_batch_is_named():
    """A callable task must return a Batch; anything else is named before a step is taken."""
    net = dr.RNN(0.5 * np.eye(2))
    with pytest.raises(dr.InvalidTypeError, match="task"):
        dr.train(net, lambda k, rng: None, steps=3, progress=False)
