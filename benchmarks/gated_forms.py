"""Analytic (model/gated_forms.py) vs central-difference multilinear forms of an 8-unit GRU:
time per call and the differences' error, in one process."""
import time

import numpy as np

import dynrnn as dr
from dynrnn.analysis.normal_form_derivatives import _fd_forms, multilinear_forms
rng = np.random.default_rng(0)
net = dr.GRU(None, rng.standard_normal((3 * 8, 8)))
x = 0.3 * rng.standard_normal(8); v, w, y = rng.standard_normal((3, 8))
B, C, how = multilinear_forms(net, x)
Bf, Cf = _fd_forms(net, x, None)
for name, f, args in (("B analytic", B, (v, w)), ("B differences", Bf, (v, w)),
                      ("C analytic", C, (v, w, y)), ("C differences", Cf, (v, w, y))):
    t = time.perf_counter(); [f(*args) for _ in range(300)]
    print(f"{name}: {(time.perf_counter() - t) / 300 * 1e6:.0f} us per call")
print("relative error of differences: B", np.max(np.abs(B(v, w) - Bf(v, w))) / np.max(np.abs(B(v, w))),
      "C", np.max(np.abs(C(v, w, y) - Cf(v, w, y))) / np.max(np.abs(C(v, w, y))))
