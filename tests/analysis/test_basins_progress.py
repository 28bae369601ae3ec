"""Long runs of dr.basins and dr.global_continuation show a tqdm bar (off with progress=False)
and can be interrupted (Ctrl-C) without losing what is done."""
import importlib

import numpy as np

import dynrnn as dr
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.problems import one_unit

NET = one_unit(5.0, 0.0, "tanh")


def test_progress_bars_and_their_switch(capsys):
    options = dr.BasinsOptions(chunk_size=50)                  # 4 chunks: a bar over them
    dr.basins(NET, grid=200, box=([-7.0], [7.0]), options=options, progress=True)
    assert "basins" in capsys.readouterr().err
    dr.basins(NET, grid=200, box=([-7.0], [7.0]), options=options, progress=False)
    assert capsys.readouterr().err == ""
    dr.global_continuation(NET, "b[0]", [0.0, 1.0], box=([-7.0], [7.0]), n_samples=20,
                           progress=True)
    assert "global continuation" in capsys.readouterr().err
    dr.global_continuation(NET, "b[0]", [0.0, 1.0], box=([-7.0], [7.0]), n_samples=20,
                           progress=False)
    assert capsys.readouterr().err == ""


def test_interrupted_global_continuation_keeps_the_values_done(monkeypatch):
    values = np.linspace(-2.0, 2.0, 5)
    whole = dr.global_continuation(NET, "b[0]", values, box=([-7.0], [7.0]), n_samples=60,
                                   progress=False)
    module = importlib.import_module("dynrnn.analysis.global_continuation.values")
    basins_at = module.basins_at
    calls = {"n": 0}

    def interrupted_at_the_fourth_value(index, *, context):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt                    # Ctrl-C while the fourth value runs
        return basins_at(index, context=context)

    monkeypatch.setattr(module, "basins_at", interrupted_at_the_fourth_value)
    part = dr.global_continuation(NET, "b[0]", values, box=([-7.0], [7.0]), n_samples=60,
                                  progress=False)
    assert part.status is dr.GlobalContinuationStatus.INTERRUPTED and not part.success
    assert part.n_done == 3 and part.value_success.tolist() == [True] * 3 + [False] * 2
    np.testing.assert_array_equal(part.fractions[:3], whole.fractions[:3])
    assert np.all(part.fractions[3:] == 0) and np.all(part.unresolved[3:] == 1)


def test_ctrl_c_inside_a_values_ensemble_stops_the_run(monkeypatch):
    # the real place a Ctrl-C lands: inside the iteration of the ensemble, which basins
    # catches to keep partial labels; before, that value came back all unresolved and the
    # run went on (status PARTIAL, with deaths and births invented at the lost value)
    values = np.linspace(-2.0, 2.0, 5)
    ensemble = importlib.import_module("dynrnn.analysis.basins.ensemble").Ensemble
    settle = ensemble.settle
    calls = {"n": 0, "interrupt_at": None}

    def counted(self, block):
        calls["n"] += 1
        if calls["n"] == calls["interrupt_at"]:
            raise KeyboardInterrupt
        return settle(self, block)

    def run(some_values, **options):
        calls["n"] = 0
        return dr.global_continuation(NET, "b[0]", some_values, box=([-7.0], [7.0]),
                                      n_samples=60, progress=False, **options)

    monkeypatch.setattr(ensemble, "settle", counted)
    whole = run(values)
    run(values[:3], local=False)             # how many iterations the first three values take
    calls["interrupt_at"] = calls["n"] + 1   # then Ctrl-C in the first of the fourth value's
    part = run(values)
    assert part.status is dr.GlobalContinuationStatus.INTERRUPTED and not part.success
    assert part.n_done == 3 and part.value_success.tolist() == [True] * 3 + [False] * 2
    np.testing.assert_array_equal(part.fractions[:3], whole.fractions[:3])
    assert all(e.index < 3 for e in part.events)
