"""Regression tests for issue 10 defects 9, 11 and 12: train validates before the first step and
never loses its result to a checkpoint it cannot write; save and save_model name their path
argument and refuse what load cannot read back."""
import warnings

import numpy as np
import pytest

import dynrnn as dr
from dynrnn.gradients import fig6_problem


@pytest.fixture(scope="module")
def fig6():
    return fig6_problem(5.0, -2.6)


def _train(fig6, **kwargs):
    net, batch, x0 = fig6
    calls = []

    def callback(step, loss, gnorm):
        calls.append(step)
        return True

    kwargs.setdefault("steps", 3)
    result = dr.train(net, batch, x0=x0, progress=False, callback=callback, **kwargs)
    return result, calls


@pytest.mark.parametrize("kwargs, error, argument", [
    ({"checkpoint_every": 0}, dr.InvalidInputError, "checkpoint_every"),
    ({"lr": "0.1"}, dr.InvalidTypeError, "lr"),
    ({"lr": float("nan")}, dr.InvalidInputError, "lr"),
    ({"length": (10, 5)}, dr.InvalidInputError, "length"),
    ({"length": 0}, dr.InvalidInputError, "length"),
    ({"seed": "abc"}, dr.InvalidTypeError, "seed"),
    ({"seed": -1}, dr.InvalidInputError, "seed"),
    ({"batch_size": 2.5}, dr.InvalidTypeError, "batch_size"),
    ({"steps": "3"}, dr.InvalidTypeError, "steps"),
    ({"clip_compare": "=="}, dr.InvalidInputError, "clip_compare"),
    ({"spike_ratio": -1.0}, dr.InvalidInputError, "spike_ratio"),
    ({"learning_rate": 0.1}, dr.InvalidInputError, "learning_rate"),
])
def test_train_refuses_bad_options_before_the_first_step(fig6, kwargs, error, argument):
    net, batch, x0 = fig6
    calls = []
    with pytest.raises(error, match=argument) as info:
        dr.train(net, batch, x0=x0, progress=False,
                 callback=lambda *a: calls.append(a) or True, **{"steps": 3, **kwargs})
    assert info.value.argument == argument
    assert calls == []          # nothing was trained


def test_checkpoint_that_is_a_directory_is_refused_before_training(fig6, tmp_path):
    net, batch, x0 = fig6
    with pytest.raises(dr.InvalidInputError, match="checkpoint.*directory") as info:
        dr.train(net, batch, x0=x0, steps=3, checkpoint=tmp_path, progress=False)
    assert info.value.argument == "checkpoint"


def test_a_checkpoint_write_failure_warns_and_keeps_the_trained_result(fig6, tmp_path,
                                                                       monkeypatch):
    import dynrnn.gradients.training as training

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(training, "atomic_write", disk_full)
    reference, _ = _train(fig6, steps=4, lr=0.1)
    with pytest.warns(dr.DynrnnWarning, match="could not write the checkpoint"):
        result, calls = _train(fig6, steps=4, lr=0.1, checkpoint=tmp_path / "ck.npz",
                               checkpoint_every=2)
    assert result.success and result.n_steps == 4 and calls == [0, 1, 2, 3]
    np.testing.assert_array_equal(result.net.W_rec, reference.net.W_rec)
    assert len(result.extra["checkpoint_errors"]) == 3      # steps 2, 4 and the final write


def test_training_options_object_and_keywords_agree(fig6):
    options = dr.TrainingOptions(lr=0.1, clip=1.0, history="full")
    by_object, _ = _train(fig6, options=options)
    by_keywords, _ = _train(fig6, lr=0.1, clip=1.0, history="full")
    overridden, _ = _train(fig6, options=dr.TrainingOptions(lr=0.5), lr=0.1, clip=1.0,
                           history="full")
    np.testing.assert_array_equal(by_object.history.params, by_keywords.history.params)
    np.testing.assert_array_equal(overridden.history.params, by_keywords.history.params)
    with pytest.raises(dr.InvalidTypeError, match="options"):
        _train(fig6, options={"lr": 0.1})


@pytest.fixture(scope="module")
def saved_result():
    return dr.find_fixed_points(dr.RNN([[0.5]]))


@pytest.mark.parametrize("save", [dr.save, dr.save_model])
def test_save_names_the_path_when_it_is_none_or_a_directory(save, saved_result, tmp_path):
    obj = saved_result if save is dr.save else dr.RNN([[0.5]])
    with pytest.raises(dr.InvalidInputError, match="path") as info:
        save(obj, None)
    assert info.value.argument == "path"
    with pytest.raises(dr.InvalidInputError, match="path.*directory") as info:
        save(obj, tmp_path)
    assert info.value.argument == "path"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["m.xyz", "m.pt", "m.pth", "m"])
def test_save_model_refuses_what_load_model_cannot_read(tmp_path, name):
    with pytest.raises(dr.InvalidInputError, match=r"\.npz") as info:
        dr.save_model(dr.RNN([[0.5]]), tmp_path / name)
    assert info.value.argument == "path"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("net", [dr.RNN([[0.5, 0.1], [0.0, 0.3]], b=[0.1, 0.2]),
                                 dr.ElmanRNN([[0.5]], U=[[1.0]], activation="relu"),
                                 dr.PLRNN([0.5, 0.2], [[0.0, 0.1], [0.2, 0.0]])])
def test_what_save_model_writes_load_model_reads(tmp_path, net):
    back = dr.load_model(dr.save_model(net, tmp_path / "net.npz"))
    assert type(back) is type(net)
    for key, array in net.arrays().items():
        np.testing.assert_array_equal(back.arrays()[key], array)
