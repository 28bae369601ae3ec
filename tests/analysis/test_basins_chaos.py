"""Issue 13 §3, the Hénon map (a = 1.4, b = 0.3) from a box: a chaotic attractor with largest
exponent ≈ 0.42 and an escape fraction converging as the ensemble grows, checked against the
escapes counted here by iterating the map with numpy (a fast version of the slow test in
test_basins.py, on the map as a vectorised callable)."""
import numpy as np

import dynrnn as dr
from tests.analysis.finite_results import every_result_finite  # noqa: F401 (checks every result)
from tests.analysis.test_basins_sweeps import henon_callable

BOX = ([-2.0, -2.0], [2.0, 2.0])


def escaped_by_hand(states: np.ndarray, n_steps: int) -> np.ndarray:
    """Which states leave every bound within ``n_steps`` Hénon steps (numpy, no dynrnn)."""
    x, y = states[:, 0].copy(), states[:, 1].copy()
    with np.errstate(all="ignore"):
        for _ in range(n_steps):
            x, y = 1 - 1.4 * x ** 2 + y, 0.3 * x
    return ~(np.isfinite(x) & (np.abs(x) < 1e8))


def test_henon_escape_fraction_converges_and_matches_the_count_by_hand():
    options = dr.BasinsOptions(max_steps=300)
    fractions, intervals = [], []
    for n in (1000, 4000, 16000):
        result = dr.basins(henon_callable(), n_samples=n, box=BOX, seed=n, options=options,
                           boundaries=False, progress=False)
        assert sorted(a.kind.value for a in result) == ["chaotic", "divergence"]
        chaotic = next(a for a in result if a.kind is dr.AttractorKind.CHAOTIC)
        assert abs(chaotic.lyapunov - 0.419) < 0.02       # Sprott (2003): 0.419
        k = next(i for i, a in enumerate(result) if a.kind is dr.AttractorKind.DIVERGENCE)
        by_hand = escaped_by_hand(result.initial_states, 1000)
        # the states labelled divergence are those that escape (a handful of slow escapers
        # may still be on the attractor's neighbourhood after max_steps)
        assert np.mean((result.labels == k) != by_hand) < 0.005
        fractions.append(result.fractions[k])
        intervals.append(result.intervals[k])
    widths = [hi - lo for lo, hi in intervals]
    # the 95 % intervals shrink like 1/sqrt(N), and each estimate lies in the previous interval
    np.testing.assert_allclose(np.array(widths[1:]) / widths[:-1], 0.5, atol=0.05)
    for previous, current in zip(intervals, fractions[1:]):
        assert previous[0] <= current <= previous[1]
