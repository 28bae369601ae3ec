"""Saving and loading: results (generic dataclasses), models, torch state dicts and TOML maps."""
from __future__ import annotations

import dataclasses
import enum
import json
import os
import sys
import warnings

import networkx as nx
import numpy as np
import pytest

import dynrnn as dr
import dynrnn.io as dio
from dynrnn.analysis import Bifurcation, BifurcationKind
from tests import problems as P


# -- a result type with every kind of field --------------------------------------------------------
@dio.register_result_type
class Colour(enum.Enum):
    RED = 1
    GREEN = "green"


@dio.register_result_type
@dataclasses.dataclass(frozen=True)
class Inner:
    label: str
    values: np.ndarray


@dio.register_result_type
@dataclasses.dataclass(frozen=True)
class Everything:
    real: np.ndarray
    complex_: np.ndarray
    ints: np.ndarray
    bools: np.ndarray
    strings: np.ndarray
    zero_d: np.ndarray
    empty: np.ndarray
    objects: np.ndarray
    number: float
    not_a_number: float
    infinity: float
    negative_zero: float
    big: int
    text: str
    flag: bool
    nothing: None
    complex_number: complex
    np_float32: np.float32
    np_int64: np.int64
    np_bool: np.bool_
    np_complex: np.complex128
    colour: Colour
    kind: BifurcationKind
    pair: tuple
    items: list
    mapping: dict
    keys_of_all_kinds: dict
    tags: frozenset
    mutable_tags: set
    inner: Inner
    bifurcation: Bifurcation
    graph: nx.Graph
    digraph: nx.DiGraph
    multigraph: nx.MultiDiGraph
    network: dr.RNN
    sympy_map: dr.Map
    derived: float = dataclasses.field(init=False, default=0.0)

    def __post_init__(self):
        object.__setattr__(self, "derived", float(np.sum(self.real)))


def make_everything() -> Everything:
    rng = np.random.default_rng(0)
    objects = np.empty(2, dtype=object)
    objects[0], objects[1] = "a", (1, 2.5)
    G = nx.Graph(name="attractors")
    G.add_node((0, 1), x=np.array([0.5, -0.5]), stable=True)
    G.add_node("sink", x=None)
    G.add_edge((0, 1), "sink", weight=0.25, path=[1, 2, 3])
    D = nx.DiGraph()
    D.add_edge(1, 2, kind=BifurcationKind.PD)
    M = nx.MultiDiGraph()
    M.add_edge("a", "b", key="first", w=1.0)
    M.add_edge("a", "b", key="second", w=2.0)
    bif = Bifurcation(BifurcationKind.NS, 1.0, np.array([0.0, 0.0]),
                      np.array([np.exp(0.6j), np.exp(-0.6j)]), (0.99, 1.01), "gain", angle=0.6,
                      extra={"residual": 1e-13})
    return Everything(
        real=rng.standard_normal((3, 4)), complex_=rng.standard_normal(3) + 1j,
        ints=np.arange(5, dtype=np.int32), bools=np.array([True, False]),
        strings=np.array(["LP", "PD"]), zero_d=np.array(2.5), empty=np.zeros((0, 3)),
        objects=objects, number=0.1, not_a_number=float("nan"), infinity=-float("inf"),
        negative_zero=-0.0, big=2**70, text="héllo \"quoted\"\n", flag=True, nothing=None,
        complex_number=1 - 2j, np_float32=np.float32(1.5), np_int64=np.int64(-7),
        np_bool=np.bool_(True), np_complex=np.complex128(0.5 + 0.25j), colour=Colour.GREEN,
        kind=BifurcationKind.LP, pair=(1, (2.0, np.array([3.0]))), items=[1, "two", [3.0]],
        mapping={"a": 1, "b": [np.ones(2)]},
        keys_of_all_kinds={1: "int", (1, 2): "tuple", Colour.RED: "enum", None: "none"},
        tags=frozenset({"x", "y"}), mutable_tags={1, 2}, inner=Inner("in", np.eye(2)),
        bifurcation=bif, graph=G, digraph=D, multigraph=M,
        network=dr.RNN(rng.standard_normal((2, 2)), rng.standard_normal((2, 1)), [0.1, 0.2],
                       "sigmoid", [0.3]),
        sympy_map=P.henon_map(1.2, 0.25))


def assert_same(a, b, where="obj"):
    """Deep equality that also checks types (NaN equals NaN, -0.0 keeps its sign)."""
    assert type(a) is type(b), f"{where}: {type(a)} vs {type(b)}"
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype.hasobject:
            for i, (x, y) in enumerate(zip(a.ravel(), b.ravel())):
                assert_same(x, y, f"{where}[{i}]")
        else:
            np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, float):
        assert (np.isnan(a) and np.isnan(b)) or (a == b and np.signbit(a) == np.signbit(b)), where
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            assert_same(getattr(a, f.name), getattr(b, f.name), f"{where}.{f.name}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, nx.Graph):
        assert list(a.nodes) == list(b.nodes) and a.graph == b.graph, where
        for n in a.nodes:
            assert_same(a.nodes[n], b.nodes[n], f"{where} node {n!r}")
        ea = list(a.edges(keys=True, data=True) if a.is_multigraph() else a.edges(data=True))
        eb = list(b.edges(keys=True, data=True) if b.is_multigraph() else b.edges(data=True))
        assert_same(ea, eb, f"{where} edges")
    elif isinstance(a, dr.RecurrentMap):
        assert dict(a.params) == dict(b.params), where
        x = np.linspace(-1, 1, a.n_states)
        np.testing.assert_array_equal(a.step(x), b.step(x), err_msg=where)
        np.testing.assert_array_equal(a.jacobian(x), b.jacobian(x), err_msg=where)
    else:
        assert a == b, where


# -- generic results ----------------------------------------------------------------------------
@pytest.mark.parametrize("compress", [True, False])
def test_every_field_type_round_trips(tmp_path, compress):
    original = make_everything()
    path = dr.save(original, tmp_path / "everything.npz", compress=compress)
    loaded = dr.load(path)
    assert_same(original, loaded)
    assert loaded.derived == original.derived
    assert os.listdir(tmp_path) == ["everything.npz"]  # no temporary file left behind


def test_metadata_round_trips(tmp_path):
    bif = Bifurcation(BifurcationKind.LP, -2.5, np.array([1.0]), np.array([1.0]), (-2.6, -2.4))
    meta = {"seed": 7, "params": {"w": 5.0, "grid": np.linspace(0, 1, 3)}, "seconds": 1.25}
    dr.save(bif, tmp_path / "r.npz", metadata=meta)
    loaded, info = dr.load(tmp_path / "r.npz", return_metadata=True)
    assert_same(bif, loaded)
    assert info["format_version"] == dio.FORMAT_VERSION
    assert info["dynrnn_version"] == dr.__version__
    assert info["type"] == "Bifurcation" and info["created"].endswith("+00:00")
    assert_same(meta, info["user"])
    again = dio.read_metadata(tmp_path / "r.npz")
    assert {k: v for k, v in again.items() if k != "user"} == \
        {k: v for k, v in info.items() if k != "user"}
    assert_same(meta, again["user"])


def test_the_allow_list_rule():
    @dataclasses.dataclass(frozen=True)
    class Unregistered:
        x: int

    assert dio.is_loadable_type(Bifurcation)            # defined in the dynrnn package
    assert dio.is_loadable_type(BifurcationKind)
    assert dio.is_loadable_type(Everything)              # registered above
    assert not dio.is_loadable_type(Unregistered)
    assert not dio.is_loadable_type(dict)                # not a dataclass or Enum
    with pytest.raises(dr.InvalidTypeError, match="register_result_type"):
        dr.save(Unregistered(1), "never-written.npz")
    assert not os.path.exists("never-written.npz")
    with pytest.raises(dr.InvalidTypeError):
        dio.register_result_type(dict)


def _rewrite_meta(path, change):
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(str(arrays.pop("__meta__")[()]))
    change(meta)
    np.savez(path, __meta__=np.array(json.dumps(meta)), **arrays)


def test_load_refuses_classes_outside_the_allow_list(tmp_path):
    path = tmp_path / "inner.npz"
    dr.save(Inner("x", np.ones(2)), path)
    for foreign in ("collections:OrderedDict", "os:system", "subprocess:Popen"):
        _rewrite_meta(path, lambda m: m["root"].update({"$dataclass": foreign}))
        with pytest.raises(dr.FileFormatError, match="refusing") as info:
            dr.load(path)
        assert str(path) in str(info.value)
    _rewrite_meta(path, lambda m: m["root"].update({"$dataclass": "dynrnn.errors:DynrnnError"}))
    with pytest.raises(dr.FileFormatError, match="not a dataclass"):
        dr.load(path)


def test_unsupported_objects_are_named_with_their_place(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dr.DerivativeFallbackWarning)
        m = dr.Map(lambda x, p: x, 1, {})
    with pytest.raises(dr.InvalidTypeError, match=r"obj\.values.*Map"):
        dr.save(Inner("callable", m), tmp_path / "x.npz")
    with pytest.raises(dr.InvalidTypeError, match=r"obj\[1\].*function"):
        dr.save([1, lambda: 0], tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()


def test_newer_format_version_is_refused(tmp_path):
    path = tmp_path / "future.npz"
    dr.save({"a": 1}, path)
    _rewrite_meta(path, lambda m: m.update(format_version=dio.FORMAT_VERSION + 1))
    with pytest.raises(dr.FileFormatError, match="newer") as info:
        dr.load(path)
    assert str(path) in str(info.value) and "upgrade dynrnn" in str(info.value)
    with pytest.raises(dr.FileFormatError, match="newer"):
        dr.load_model(path)


def test_corrupt_and_truncated_files_are_refused(tmp_path):
    good = tmp_path / "good.npz"
    dr.save(make_everything(), good)
    data = good.read_bytes()
    damaged = {
        "truncated.npz": data[: len(data) // 2],
        "tail-cut.npz": data[:-30],
        "empty.npz": b"",
        "noise.npz": np.random.default_rng(0).bytes(2000),
        "flipped.npz": data[:200] + bytes(b ^ 0xFF for b in data[200:260]) + data[260:],
    }
    for name, content in damaged.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(dr.FileFormatError) as info:
            dr.load(path)
        assert str(path) in str(info.value), name
    plain = tmp_path / "plain.npz"
    np.savez(plain, x=np.ones(3))
    with pytest.raises(dr.FileFormatError, match="not a dynrnn file"):
        dr.load(plain)
    npy = tmp_path / "array.npy"
    np.save(npy, np.ones(3))
    with pytest.raises(dr.FileFormatError, match=str(npy)):
        dr.load(npy)
    with pytest.raises(FileNotFoundError):
        dr.load(tmp_path / "missing.npz")


def test_a_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "r.npz"
    dr.save({"version": 1}, path)
    before = path.read_bytes()

    def broken(fh, **arrays):
        fh.write(b"partial garbage")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", broken)
    with pytest.raises(OSError, match="disk full"):
        dr.save({"version": 2}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["r.npz"]
    assert dr.load(path) == {"version": 1}


# -- models -------------------------------------------------------------------------------------
def _models():
    rng = np.random.default_rng(3)
    return [
        dr.RNN(rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), rng.standard_normal(3),
               "tanh", rng.standard_normal(2)),
        dr.RNN(rng.standard_normal((2, 2)), activation="relu"),
        dr.ElmanRNN(rng.standard_normal((3, 3)), rng.standard_normal((3, 1)),
                    rng.standard_normal(3), "sigmoid", [0.4]),
        dr.PLRNN(rng.uniform(0, 0.9, 3), rng.standard_normal((3, 3)), rng.standard_normal(3),
                 rng.standard_normal((3, 2)), rng.standard_normal(2)),
    ]


@pytest.mark.parametrize("net", _models(), ids=repr)
def test_models_round_trip(tmp_path, net):
    path = dr.save_model(net, tmp_path / "net.npz")
    loaded = dr.load_model(path)
    assert type(loaded) is type(net)
    for k, v in net.arrays().items():
        np.testing.assert_array_equal(loaded.arrays()[k], v)
    assert loaded.activation is net.activation
    assert_same(net, loaded)
    # the generic save handles networks too, and load_model reads that as well
    dr.save(net, tmp_path / "generic.npz")
    assert_same(net, dr.load(tmp_path / "generic.npz"))
    assert_same(net, dr.load_model(tmp_path / "generic.npz"))


def test_model_file_is_plain_npz_with_named_arrays(tmp_path):
    net = _models()[0]
    dr.save_model(net, tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz", allow_pickle=False) as z:
        for k in ("W_rec", "W_in", "b", "u"):
            np.testing.assert_array_equal(z[k], net.arrays()[k])
        assert str(z["activation"]) == "tanh" and str(z["kind"]) == "RNN"


def test_load_model_converts_between_forms(tmp_path):
    net = _models()[0]
    dr.save_model(net, tmp_path / "net.npz")
    elman = dr.load_model(tmp_path / "net.npz", form="elman")
    assert isinstance(elman, dr.ElmanRNN)
    np.testing.assert_array_equal(elman.W, net.W_rec)
    dr.save_model(elman, tmp_path / "elman.npz")
    assert isinstance(dr.load_model(tmp_path / "elman.npz", form="pascanu"), dr.RNN)
    with pytest.raises(dr.InvalidInputError, match="form"):
        dr.load_model(tmp_path / "net.npz", form="lstm")


def test_model_file_errors(tmp_path):
    dr.save(Inner("x", np.ones(1)), tmp_path / "result.npz")
    with pytest.raises(dr.FileFormatError, match="not a network"):
        dr.load_model(tmp_path / "result.npz")
    (tmp_path / "net.txt").write_text("W_rec = 1")
    with pytest.raises(dr.FileFormatError, match=r"net\.txt.*\.npz, \.pt, \.pth or \.toml"):
        dr.load_model(tmp_path / "net.txt")
    net = _models()[0]
    dr.save_model(net, tmp_path / "net.npz")
    with np.load(tmp_path / "net.npz", allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "b"}
    np.savez(tmp_path / "broken.npz", **arrays)
    with pytest.raises(dr.FileFormatError, match=r"broken\.npz.*lacks the array\(s\) \['b'\]"):
        dr.load_model(tmp_path / "broken.npz")
    with pytest.raises(dr.InvalidTypeError, match="TOML"):
        dr.save_model(net, tmp_path / "net.toml")


# -- PyTorch state dicts -------------------------------------------------------------------------
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_torch_state_dict_round_trip(tmp_path, nonlinearity):
    torch = pytest.importorskip("torch")
    torch.manual_seed(1)
    module = torch.nn.RNN(2, 4, nonlinearity=nonlinearity).double()
    torch.save(module.state_dict(), tmp_path / "rnn.pt")
    torch.save({"epoch": 3, "model": {"rnn." + k: v for k, v in module.state_dict().items()}},
               tmp_path / "checkpoint.pth")
    inputs = np.random.default_rng(0).standard_normal((25, 2))
    with torch.no_grad():
        reference = module(torch.tensor(inputs))[0].numpy()
    for name in ("rnn.pt", "checkpoint.pth"):
        rnn = dr.load_model(tmp_path / name, nonlinearity=nonlinearity)
        elman = dr.load_model(tmp_path / name, nonlinearity=nonlinearity, form="elman")
        assert isinstance(rnn, dr.RNN) and isinstance(elman, dr.ElmanRNN)
        np.testing.assert_allclose(elman.run(np.zeros(4), inputs)[1:], reference, rtol=1e-12,
                                   atol=1e-12)
        x = rnn.run(elman.to_pascanu_state(np.zeros(4), inputs[0]), inputs[1:])
        np.testing.assert_allclose(rnn.activation.function(x), reference, rtol=1e-12,
                                   atol=1e-12)


def test_torch_file_errors(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    module = torch.nn.RNN(2, 3)
    torch.save(module, tmp_path / "whole_module.pt")  # a pickled torch.nn module loads safely
    assert dr.load_model(tmp_path / "whole_module.pt").activation.name == "tanh"

    # a module of other classes may need code to unpickle: refused, never executed
    torch.save(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)), tmp_path / "custom.pt")
    with pytest.raises(dr.FileFormatError, match=r"custom\.pt.*state_dict"):
        dr.load_model(tmp_path / "custom.pt")
    torch.save(torch.nn.LSTM(2, 3, bidirectional=True).state_dict(), tmp_path / "lstm.pt")
    with pytest.raises(dr.FileFormatError, match=r"lstm\.pt.*bidirectional"):
        dr.load_model(tmp_path / "lstm.pt")
    torch.save(module.state_dict(), tmp_path / "rnn.pt")
    with pytest.raises(dr.InvalidInputError, match="nonlinearity") as info:  # never guessed
        dr.load_model(tmp_path / "rnn.pt")
    assert info.value.argument == "nonlinearity"
    (tmp_path / "cut.pt").write_bytes((tmp_path / "rnn.pt").read_bytes()[:100])
    with pytest.raises(dr.FileFormatError, match=r"cut\.pt"):
        dr.load_model(tmp_path / "cut.pt")
    with pytest.raises(dr.InvalidInputError, match="nonlinearity"):
        dr.load_model(tmp_path / "rnn.pt", nonlinearity="sigmoid")
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(dr.MissingDependencyError, match="PyTorch"):
        dr.load_model(tmp_path / "rnn.pt", nonlinearity="tanh")


# -- symbolic maps in TOML ----------------------------------------------------------------------
HENON_TOML = """
[map]
states = ["x", "y"]
[map.params]
a = 1.4
b = 0.3
[map.equations]
x = "1 - a*x**2 + y"
y = "b*x"
"""


def test_toml_henon_matches_the_catalogue(tmp_path):
    path = tmp_path / "henon.toml"
    path.write_text(HENON_TOML)
    m = dr.load_model(path)
    assert isinstance(m, dr.Map) and dict(m.params) == {"a": 1.4, "b": 0.3}
    reference = P.henon_map(1.4, 0.3)
    x = np.random.default_rng(0).standard_normal((6, 2))
    np.testing.assert_allclose(m.step(x), reference.step(x), rtol=1e-15)
    np.testing.assert_allclose(m.jacobian(x), reference.jacobian(x), rtol=1e-15)
    for x_star, eigenvalues in P.henon_fixed_points(1.4, 0.3):
        np.testing.assert_allclose(m.step(x_star), x_star, atol=1e-14)
        np.testing.assert_allclose(np.sort_complex(np.linalg.eigvals(m.jacobian(x_star))),
                                   eigenvalues, atol=1e-12)


def test_toml_with_inputs_and_functions_round_trips(tmp_path):
    path = tmp_path / "driven.toml"
    path.write_text("""
[map]
name = "driven"
states = ["x", "y"]
inputs = ["u"]
box = { lower = [-3.0, -3.0], upper = [3.0, 3.0] }
[map.params]
w = 2
g = 0.5
[map.equations]
x = "w*tanh(x) - g*y + u"
y = "exp(-x**2) + Abs(u)*0"
""")
    m = dr.load_model(path)
    assert m.n_inputs == 1 and m.name == "driven"
    x, u = np.array([0.3, -0.2]), np.array([0.7])
    np.testing.assert_allclose(m.step(x, u), [2 * np.tanh(0.3) + 0.1 + 0.7, np.exp(-0.09)])
    lo, hi = m.invariant_box()
    np.testing.assert_array_equal(lo, [-3, -3])
    dr.save_model(m, tmp_path / "again.toml")
    again = dr.load_model(tmp_path / "again.toml")
    np.testing.assert_allclose(again.step(x, u), m.step(x, u), rtol=1e-15)
    np.testing.assert_allclose(again.jacobian(x, u), m.jacobian(x, u), rtol=1e-15)
    assert dict(again.params) == dict(m.params) and again.name == "driven"
    # and through the generic save, inside a result
    dr.save(Inner("with map", np.zeros(1)), tmp_path / "r.npz")
    dr.save({"map": m}, tmp_path / "map.npz")
    assert_same(m, dr.load(tmp_path / "map.npz")["map"])


@pytest.mark.parametrize("text, fragment", [
    (HENON_TOML.replace('y = "b*x"', 'y = "c*x"'), "undeclared symbol(s) c"),
    (HENON_TOML.replace('y = "b*x"\n', ""), "missing for ['y']"),
    (HENON_TOML + 'z = "x"\n', "['z'] are not states"),
    (HENON_TOML.replace('"b*x"', "\"__import__('os').getcwd()\""), "__import__"),
    (HENON_TOML.replace('"b*x"', '"x.real"'), "'.'"),
    (HENON_TOML.replace('"b*x"', '"b*[x][0]"'), "'['"),
    (HENON_TOML.replace('"b*x"', '"b*x +"'), "could not be read"),
    (HENON_TOML.replace("b = 0.3", 'b = "0.3"'), "finite number"),
    (HENON_TOML.replace('states = ["x", "y"]', 'states = ["x", "y", "a"]'),
     "declared more than once"),
    (HENON_TOML.replace("[map]", "[system]").replace("map.", "system."), "no [map] table"),
    (HENON_TOML.replace("[map.params]", "[map.params\n"), "not valid TOML"),
    (HENON_TOML.replace('states = ["x", "y"]', 'states = ["x", "y"]\nstate = 1'),
     "unknown key(s) ['state']"),
    (HENON_TOML.replace('states = ["x", "y"]', 'states = "xy"'), "list of names"),
])
def test_toml_errors_name_the_file_and_the_problem(tmp_path, text, fragment):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(dr.FileFormatError) as info:
        dr.load_model(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


def test_plain_npz_from_other_tools_loads_as_a_model(tmp_path):
    rng = np.random.default_rng(8)
    W, U, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), rng.standard_normal(3)
    np.savez(tmp_path / "rnn.npz", W_rec=W, W_in=U, b=b, activation=np.array("relu"))
    net = dr.load_model(tmp_path / "rnn.npz")
    assert isinstance(net, dr.RNN) and net.activation.name == "relu" and net.n_inputs == 2
    np.testing.assert_array_equal(net.W_in, U)
    np.testing.assert_array_equal(net.u, np.zeros(2))
    np.savez(tmp_path / "bare.npz", W_rec=W)
    bare = dr.load_model(tmp_path / "bare.npz")
    assert bare.activation.name == "tanh" and bare.n_inputs == 0
    np.savez(tmp_path / "plrnn.npz", A=np.full(3, 0.5), W=W)
    assert isinstance(dr.load_model(tmp_path / "plrnn.npz"), dr.PLRNN)
    np.savez(tmp_path / "elman.npz", W=W, U=U, b=b)
    assert isinstance(dr.load_model(tmp_path / "elman.npz"), dr.ElmanRNN)
    np.savez(tmp_path / "other.npz", weights=W)
    with pytest.raises(dr.FileFormatError, match=r"other\.npz.*\['weights'\]"):
        dr.load_model(tmp_path / "other.npz")
    np.savez(tmp_path / "bad.npz", W_rec=np.ones((2, 3)))
    with pytest.raises(dr.FileFormatError, match=r"bad\.npz.*W_rec must be a non-empty square"):
        dr.load_model(tmp_path / "bad.npz")


def test_maps_that_a_file_cannot_describe_are_refused_at_save(tmp_path):
    import sympy as sp
    x = sp.Symbol("x")
    m = dr.Map.from_sympy([sp.erf(x)], [x], {})
    with pytest.raises(dr.InvalidTypeError, match="erf"):
        dr.save_model(m, tmp_path / "erf.toml")
    with pytest.raises(dr.InvalidTypeError, match="erf"):
        dr.save({"map": m}, tmp_path / "erf.npz")
    assert os.listdir(tmp_path) == []
    exact = dr.Map.from_sympy([x / 3.0 + 1 / 3.0], [x], {})
    dr.save_model(exact, tmp_path / "third.toml")
    assert dr.load_model(tmp_path / "third.toml").step([0.0])[0] == 1 / 3.0


# -- property: arbitrary nested values round trip ------------------------------------------------
def _values():
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import array_shapes, arrays

    scalars = (st.none() | st.booleans() | st.integers(-2**80, 2**80) | st.floats()
               | st.text(max_size=8) | st.complex_numbers(allow_nan=False)
               | st.sampled_from(list(BifurcationKind)))
    arrs = arrays(st.sampled_from([np.float64, np.complex128, np.int16, np.bool_]),
                  array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    keys = st.text(max_size=5) | st.integers(-5, 5) | st.tuples(st.integers(0, 3))
    return st.recursive(
        scalars | arrs,
        lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                       | st.dictionaries(keys, inner, max_size=4)),
        max_leaves=12)


def test_arbitrary_nested_values_round_trip(tmp_path_factory):
    from hypothesis import given, settings

    @settings(max_examples=40, deadline=None)
    @given(value=_values())
    def check(value):
        path = tmp_path_factory.mktemp("prop") / "v.npz"
        dr.save({"value": value}, path)
        assert_same({"value": value}, dr.load(path))

    check()


def test_plain_json_of_a_result_is_readable_and_loses_no_number():
    import json

    from dynrnn.io.codec import to_jsonable
    result = dr.find_fixed_points(dr.RNN([[0.5]], b=[0.2]))
    plain = json.loads(json.dumps(to_jsonable(result)))
    assert plain["success"] is True and plain["status"] == result.status.value
    point = plain["points"][0]
    assert point["x"] == [pytest.approx(float(result.points[0].x[0]), abs=0)]
    assert to_jsonable(np.array([1 + 2j, np.nan])) == {"real": [1.0, "nan"], "imag": [2.0, 0.0]}
    assert to_jsonable({(1, 2): float("inf")}) == {"(1, 2)": "inf"}
