"""Analytic multilinear forms of a GRU (model/gated_forms.py: Taylor arithmetic through the cell)
against the central differences of the Jacobian they replace: time per call and the error of the
differences, in one process.

    python benchmarks/bench_gated_forms.py [--quick]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from _report import report

import dynrnn as dr
from dynrnn.analysis.normal_form_derivatives import _fd_forms, multilinear_forms


def per_call(function, args, repeats):
    function(*args)                                   # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        function(*args)
    return (time.perf_counter() - start) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    repeats = 50 if parser.parse_args().quick else 500
    rng = np.random.default_rng(0)
    hidden = 8
    net = dr.GRU(None, rng.standard_normal((3 * hidden, hidden)))
    x = 0.3 * rng.standard_normal(hidden)
    v, w, y = rng.standard_normal((3, hidden))
    B, C, how = multilinear_forms(net, x)
    assert how == "analytic"
    B_fd, C_fd = _fd_forms(net, x, None)
    error_B = np.max(np.abs(B(v, w) - B_fd(v, w))) / np.max(np.abs(B(v, w)))
    error_C = np.max(np.abs(C(v, w, y) - C_fd(v, w, y))) / np.max(np.abs(C(v, w, y)))
    assert error_B < 1e-8 and error_C < 1e-5
    for name, exact, differenced, args, error in (
            ("B", B, B_fd, (v, w), error_B), ("C", C, C_fd, (v, w, y), error_C)):
        t_exact = per_call(exact, args, repeats)
        t_fd = per_call(differenced, args, repeats)
        report(f"gru_form_{name}", "central differences of the analytic Jacobian",
               t_fd / t_exact, f"{hidden}-unit GRU: analytic {t_exact * 1e6:.0f} us, "
               f"differences {t_fd * 1e6:.0f} us per call; differences' relative error "
               f"{error:.1e}")


if __name__ == "__main__":
    main()
