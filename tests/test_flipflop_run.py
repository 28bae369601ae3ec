"""The registered `flipflop` run: quick mode end to end (slow: it trains three torch networks)."""
import numpy as np
import pytest

import dynrnn as dr
from dynrnn import scripts


@pytest.mark.slow
def test_flipflop_quick(tmp_path):
    pytest.importorskip("torch")
    output = scripts.run("flipflop", ["--quick", "--quiet", "--out", str(tmp_path)])
    assert output.success, output.messages
    assert (tmp_path / "flipflop.png").stat().st_size > 10_000
    for kind, cls in (("rnn", dr.ElmanRNN), ("gru", dr.GRU), ("lstm", dr.LSTM)):
        study = dr.load(tmp_path / "results" / f"flipflop_{kind}.npz")
        assert study.kind == kind and len(study.fixed_points) >= 1
        n = study.trajectories.shape[-1]
        assert n == (2 * study.n_hidden if kind == "lstm" else study.n_hidden)
        for p in study.fixed_points:
            assert p.residual <= 1e-10 and np.all(np.abs(p.x[:study.n_hidden]) < 1)
        # manifolds: two orbits per saddle, starting next to it
        saddles = [p for p in study.fixed_points if p.n_unstable > 0]
        assert study.manifolds.shape[0] == 2 * len(saddles)
    assert any("fixed points" in m for m in output.messages)


def test_flipflop_is_registered_with_a_wrapper():
    assert "flipflop" in scripts.SCRIPTS
    assert [n for n, _ in scripts.reproduction_plan(["flipflop"])] == ["flipflop"]
