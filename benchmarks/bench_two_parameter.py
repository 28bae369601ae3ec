"""Speed and accuracy of two-parameter continuation (dynrnn.continue_bifurcation).

Run from the repository root:  python3 benchmarks/bench_two_parameter.py [--quick]

Times a 200-point fold curve of the Hénon map (a = −(1 − b)²/4 in closed form) and, as the
baseline in the same process, natural-parameter continuation of the standard extended system
(F(x) − x = 0, (J − I)v = 0, vᵀv = 1) with scipy.optimize.fsolve at the same 200 values of b.
For scale: PyDSTool (not installed here) was measured at about 2 s, and 5–13 s for similar tasks,
on this machine (figures from the issue, not re-measured). Timings are noisy while other jobs
run; the best of several repeats is reported. ``RESULT`` lines (benchmarks/README.md) give the
ratio to the fsolve baseline and to the issue's target (a 200-point fold curve in under 0.25 s);
--quick runs fewer repeats.
"""
import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import fsolve

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dynrnn as dr  # noqa: E402
from tests import problems as P  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import report  # noqa: E402

N_POINTS = 200
REPEATS = 5


def henon_fold_record(b=0.3):
    a = P.HENON_FOLD(b)
    xs = (b - 1) / (2 * a)
    return P.henon_map(a, b), dr.Bifurcation(dr.BifurcationKind.LP, a, np.array([xs, b * xs]),
                                             np.array([1.0, -b]), (a, a), param_name="a")


CPU = []   # CPU seconds of the last best_time call (robust to other jobs on the machine)


def best_time(f, repeats=REPEATS):
    times, cpu, out = [], [], None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = f()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    CPU[:] = [min(cpu)]
    return min(times), float(np.median(times)), out


def baseline_fsolve(henon, b_values, start):
    """Natural-parameter continuation of (x, y, a, v1, v2) with fsolve, one b at a time."""
    z = start.copy()
    out = []
    for b in b_values:
        def residual(z, b=b):
            x, y, a, v1, v2 = z
            m = henon.replace_params({"a": a, "b": b})
            F = m.step_unchecked(np.array([x, y]), None)
            J = m.jacobian_unchecked(np.array([x, y]), None)
            v = np.array([v1, v2])
            return np.concatenate([F - [x, y], (J - np.eye(2)) @ v, [v @ v - 1]])
        z = fsolve(residual, z, xtol=1e-12)
        out.append(z[2])
    return np.array(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 5")
    repeats = 3 if parser.parse_args().quick else REPEATS
    henon, lp = henon_fold_record()
    options = dr.BifurcationCurveOptions(max_points=N_POINTS)
    run = lambda: dr.continue_bifurcation(henon, lp, "b", (-50.0, 50.0),   # noqa: E731
                                          direction="forward", options=options)
    run()   # warm up (lambdified code, imports)
    best, median, curve = best_time(run, repeats)
    a, b = curve.params.T
    err = float(np.max(np.abs(a - P.HENON_FOLD(b))))
    cpu = CPU[0]
    print(f"Hénon fold curve, {len(curve)} points (b from 0.3 to {b[-1]:.3f}): "
          f"best {best * 1e3:.1f} ms wall ({cpu * 1e3:.1f} ms CPU), median {median * 1e3:.1f} ms, "
          f"{len(curve) / best:.0f} points/s, {curve.n_iter} Newton iterations, "
          f"max |a - (-(1-b)^2/4)| = {err:.1e}")
    lam = float(np.max(np.min(np.abs(curve.eigenvalues - 1), axis=1)))
    print(f"  max distance of the nearest multiplier to +1 along the curve: {lam:.1e}")

    xs = (0.3 - 1) / (2 * lp.param)
    J = henon.with_params({"a": lp.param}).jacobian(lp.x)
    v = np.linalg.svd(J - np.eye(2))[2][-1]
    start = np.array([xs, 0.3 * xs, lp.param, *v])
    base_best, base_median, a_base = best_time(lambda: baseline_fsolve(henon, b, start),
                                               repeats=2)
    err_base = float(np.max(np.abs(a_base - P.HENON_FOLD(b))))
    base_cpu = CPU[0]
    print(f"baseline: fsolve on the standard extended system at the same {b.size} values of b: "
          f"best {base_best * 1e3:.1f} ms wall ({base_cpu * 1e3:.1f} ms CPU), "
          f"max error {err_base:.1e}")
    print(f"ratio baseline / continue_bifurcation: {base_best / best:.1f}x wall, "
          f"{base_cpu / cpu:.1f}x CPU")
    assert err < 1e-8 and err_base < 1e-8, "the curves disagree with the closed form"
    report("two_parameter_henon_fold_vs_fsolve", "scipy.optimize.fsolve natural-parameter "
           "continuation of the standard extended system (F(x)-x, (J-I)v, v.v-1) at the same "
           "values of b", base_best / best,
           f"{len(curve)} points, best wall {best * 1e3:.1f} ms vs {base_best * 1e3:.1f} ms, "
           f"cpu {cpu * 1e3:.1f} ms vs {base_cpu * 1e3:.1f} ms; max error {err:.1e}")
    report("two_parameter_henon_fold_200_points", "the issue's target: 0.25 s wall for a "
           "200-point two-parameter fold curve", 0.25 / best,
           f"{len(curve)} points, best of {repeats}: wall {best * 1e3:.1f} ms, cpu "
           f"{cpu * 1e3:.1f} ms, median wall {median * 1e3:.1f} ms")

    # other curves, for scale
    m = P.rotation_map(1.0, math.pi / 5)
    ns = dr.Bifurcation(dr.BifurcationKind.NS, 1.0, np.zeros(2), np.array([1j, -1j]), (1, 1),
                        param_name="rho", angle=math.pi / 5)
    t, _, c = best_time(lambda: dr.continue_bifurcation(m, ns, "theta", (0.2, 3.0)), repeats)
    print(f"rotation map NS curve: {len(c)} points in {t * 1e3:.1f} ms "
          f"({len(c) / t:.0f} points/s), max |rho - 1| = {np.max(np.abs(c.params[:, 0] - 1)):.1e}")
    w = 5.0
    root = math.sqrt(1 - 4 / w)
    s = (1 + root) / 2
    x = math.log(s / (1 - s))
    net = P.one_unit(w, x - w * s, "sigmoid")
    lp1 = dr.Bifurcation(dr.BifurcationKind.LP, x - w * s, np.array([x]), np.array([1.0]),
                         (0, 0), param_name="b[0]")
    t, _, c = best_time(lambda: dr.continue_bifurcation(net, lp1, "W_rec[0,0]", (0.5, 8.0)),
                        repeats)
    cp = c.codim2[0]
    print(f"one-unit sigmoid fold curve in (b, w): {len(c)} points in {t * 1e3:.1f} ms, "
          f"cusp at (b, w) = ({cp.param:.12f}, {cp.param2:.12f}) (exact (-2, 4))")


if __name__ == "__main__":
    main()
