import os

# One BLAS thread per process: the batched small solves of the searches run 10-100x slower with
# OpenBLAS's thread pool on a busy 2-core machine. Must be set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from hypothesis import settings

# Derandomised by default, so a failure reproduces (.ci/run does not set CI, so the profile cannot
# hang on that variable); HYPOTHESIS_PROFILE=dev explores new examples locally.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
