"""Sweep overhead per point (serial, process pool, Dask) and the parallel speed-up of a real sweep.

    python benchmarks/bench_sweeps.py [--quick]

1. A trivial function (returns its argument) over N points. Baselines: a plain Python loop for the
   serial sweep, the serial sweep for the pools. The process pool's time includes starting it (as a
   user sees it); the Dask LocalCluster (2 worker processes, 1 thread each) is started beforehand.
2. The largest-Lyapunov sweep (dynrnn.sweep_examples) over gain x seed on 2 workers against the
   same sweep run serially.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

import dynrnn as dr
from dynrnn.sweep_examples import largest_lyapunov_exponent
from _report import report


def trivial(x: float) -> float:
    return x


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    out = function(*args, **kwargs)
    return time.perf_counter() - start, out


def overhead(n_points: int, n_store: int, client) -> None:
    values = np.arange(float(n_points))
    t_direct, _ = timed(lambda: [trivial(x=float(v)) for v in values])
    grid = {"x": values}
    t_serial, r = timed(dr.sweep, trivial, grid, executor="serial", progress=False)
    assert r.success
    per_point = lambda t: f"{1e6 * (t - t_direct) / n_points:.0f} us/point overhead"  # noqa
    report("sweep_overhead_serial", "plain Python loop", t_direct / t_serial,
           f"{per_point(t_serial)}, {n_points} points")
    with tempfile.TemporaryDirectory() as store:
        small = {"x": values[:n_store]}
        t_plain, _ = timed(dr.sweep, trivial, small, executor="serial", progress=False)
        t_store, r = timed(dr.sweep, trivial, small, executor="serial", progress=False,
                           store=store)
        assert r.n_done == n_store
        t_load, r = timed(dr.sweep, trivial, small, executor="serial", progress=False,
                          store=store)
        assert r.n_skipped == n_store
    report("sweep_store_write", "serial sweep without store", t_plain / t_store,
           f"{1e6 * (t_store - t_plain) / n_store:.0f} us/point to write (npz + fsync + "
           f"rename), {1e6 * t_load / n_store:.0f} us/point to reload, {n_store} points")
    for chunksize in (1, 64):
        t_pool, r = timed(dr.sweep, trivial, grid, max_workers=2, chunksize=chunksize,
                          progress=False)
        assert r.success
        report(f"sweep_overhead_pool2_chunk{chunksize}", "serial sweep", t_serial / t_pool,
               f"{1e6 * t_pool / n_points:.0f} us/point incl. pool start-up, {n_points} points")
    if client is not None:
        for chunksize in (1, 64):
            t_dask, r = timed(dr.sweep, trivial, grid, executor=client, chunksize=chunksize,
                              progress=False)
            assert r.success
            report(f"sweep_overhead_dask2_chunk{chunksize}", "serial sweep", t_serial / t_dask,
                   f"{1e6 * t_dask / n_points:.0f} us/point on a running LocalCluster, "
                   f"{n_points} points")


def lyapunov_speedup(quick: bool, client) -> None:
    axes = {"gain": [1.5, 2.0, 2.5, 3.0], "seed": [0, 1] if quick else [0, 1, 2, 3]}
    fixed = {"n": 100, "n_steps": 800 if quick else 3000, "n_transient": 200}
    t_serial, serial = timed(dr.sweep, largest_lyapunov_exponent, axes, fixed=fixed,
                             executor="serial", progress=False)
    n = serial.grid.size
    t_pool, pool = timed(dr.sweep, largest_lyapunov_exponent, axes, fixed=fixed, max_workers=2,
                         progress=False)
    np.testing.assert_allclose(pool["value"], serial["value"], rtol=1e-12, atol=1e-12)
    # Seconds per point inside the workers show contention: on an idle 2-core machine they
    # equal the serial ones and the ratio approaches 2.
    report("lyapunov_sweep_pool2", "serial sweep", t_serial / t_pool,
           f"{n} points; 2 processes incl. start-up ({t_pool:.2f} s vs {t_serial:.2f} s); "
           f"{np.mean(pool.point_elapsed):.3f} s/point in workers vs "
           f"{np.mean(serial.point_elapsed):.3f} s serial; load avg {os.getloadavg()[0]:.1f}")
    if client is not None:
        t_dask, dask = timed(dr.sweep, largest_lyapunov_exponent, axes, fixed=fixed,
                             executor=client, progress=False)
        np.testing.assert_allclose(dask["value"], serial["value"], rtol=1e-12, atol=1e-12)
        report("lyapunov_sweep_dask2", "serial sweep", t_serial / t_dask,
               f"{n} points; LocalCluster 2 processes x 1 thread ({t_dask:.2f} s vs "
               f"{t_serial:.2f} s); {np.mean(dask.point_elapsed):.3f} s/point in workers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    n_points, n_store = (300, 50) if args.quick else (3000, 300)
    if args.no_dask:
        overhead(n_points, n_store, None)
        lyapunov_speedup(args.quick, None)
        return
    from distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        overhead(n_points, n_store, client)
        lyapunov_speedup(args.quick, client)


if __name__ == "__main__":
    main()
