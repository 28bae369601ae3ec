# OpenBLAS's default thread pool makes the batched small solves of the fixed-point searches
# 10-100x slower on a loaded 2-core machine (threads spin against each other). One thread per
# process is the fast setting; it only takes effect if numpy has not been imported yet, so the
# project-wide place for it is tests/conftest.py or the CI environment.
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
