import os

from hypothesis import settings

# Derandomised in CI so a failure reproduces; a local run explores new examples.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60)
settings.register_profile("dev", deadline=None, max_examples=60)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
