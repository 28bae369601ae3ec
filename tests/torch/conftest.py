import pytest

torch = pytest.importorskip("torch")
# One intra-op thread: the tests are tiny, and extra threads only spin on a shared machine.
torch.set_num_threads(1)
