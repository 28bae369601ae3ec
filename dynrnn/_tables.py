"""Result objects as tables: plain records, a structured array, a pandas DataFrame, and a compact
HTML table for Jupyter.

A result class opts in by inheriting :class:`Tabular` and naming its columns in one class
attribute, a :class:`TableSpec`::

    @dataclass(frozen=True)
    class Branch(Tabular):
        _table_spec = TableSpec(columns=("param=params", "states", "stable", "n_unstable"))

A column is an attribute path (``"history.loss"``), optionally renamed (``"loss=history.loss"``),
or a pair ``(name, function)``. With ``rows="points"`` each row is one item of that sequence and
paths are read on the item (``"self.fractions"`` reads on the result instead, one value per row).
Vector values are spread over columns ``name[0]``, ``name[1]``, ...; enums give their name.
With ``one_row=True`` every column is one value read on the result (a result that is one record,
such as a normal form). Classes whose rows are not a sequence (a sweep's grid) override
:meth:`Tabular._table_columns`.

:func:`compact_repr` is the short ``__repr__`` of results without a hand-written one: scalars and
statuses by value, arrays by shape, long sequences by length.

pandas is optional: :meth:`Tabular.to_dataframe` imports it when called.
"""
from __future__ import annotations

import enum
import html
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .errors import MissingDependencyError

__all__ = ["TableSpec", "Tabular", "compact_repr"]

#: rows shown by ``_repr_html_`` (half from the start, half from the end)
HTML_ROWS = 10

Column = str | tuple[str, Callable[[Any], Any]]


@dataclass(frozen=True)
class TableSpec:
    """Which rows and columns a result's table has.

    Parameters
    ----------
    columns : sequence of str or (str, callable)
        ``"path"``, ``"name=path"`` or ``(name, function)``; see the module docstring.
    rows : str, optional
        Attribute path of a sequence whose items are the rows. Without it, every column is a
        sequence (or an array whose first axis is the row) read on the result itself.
    one_row : bool
        Every column is a single value read on the result: the table has one row.
    """

    columns: Sequence[Column]
    rows: str | None = None
    one_row: bool = False


def _get(obj: Any, path: str) -> Any:
    return operator.attrgetter(path)(obj)


def _plain(value: Any) -> Any:
    """A Python scalar for a table cell (enums by name, NumPy scalars unboxed)."""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, np.generic):
        return value.item()
    return value


def _spread(name: str, values: list) -> dict[str, list]:
    """One column, or one column per component when the values are vectors."""
    if all(isinstance(v, (np.ndarray, list, tuple)) for v in values) and values:
        arrays = [np.asarray(v) for v in values]
        if all(a.ndim == 1 for a in arrays) and len({a.shape for a in arrays}) == 1:
            return {f"{name}[{i}]": [_plain(a[i]) for a in arrays]
                    for i in range(arrays[0].shape[0])}
    return {name: [_plain(v) for v in values]}


class Tabular:
    """Mixin: ``to_records()``, ``to_dataframe()`` and ``_repr_html_()`` from a :class:`TableSpec`.

    Examples
    --------
    >>> import dynrnn as dr
    >>> points = dr.find_fixed_points(dr.RNN([[5.0]], b=[-2.5], activation="sigmoid"), seed=0)
    >>> [r["kind"] for r in points.to_records()]
    ['STABLE_NODE', 'STABLE_NODE', 'UNSTABLE_NODE']
    >>> round(points.to_records()[1]["x[0]"], 4)
    1.776
    >>> points.to_records(structured=True)["x[0]"].shape
    (3,)
    """

    _table_spec: ClassVar[TableSpec]

    def _table_columns(self) -> dict[str, list]:
        """The table as named columns of equal length (plain Python values)."""
        spec = self._table_spec
        items = list(_get(self, spec.rows)) if spec.rows is not None else None
        columns: dict[str, list] = {}
        for column in spec.columns:
            if isinstance(column, tuple):
                name, function = column
                if items is not None:
                    values = [function(item) for item in items]
                else:
                    values = [function(self)] if spec.one_row else list(function(self))
            else:
                name, _, path = column.rpartition("=")
                name = name or path.rsplit(".", 1)[-1]
                if items is not None and not path.startswith("self."):
                    values = [_get(item, path) for item in items]
                elif spec.one_row:
                    values = [_get(self, path.removeprefix("self."))]
                else:
                    values = list(_get(self, path.removeprefix("self.")))
            columns.update(_spread(name, values))
        lengths = {len(v) for v in columns.values()}
        if len(lengths) > 1:  # a class whose columns disagree is a bug in its TableSpec
            raise RuntimeError(f"{type(self).__name__}: table columns of lengths {lengths}")
        return columns

    def to_records(self, structured: bool = False) -> list[dict] | np.ndarray:
        """The table as a list of dicts (one per row), or a NumPy structured array.

        Parameters
        ----------
        structured : bool
            False: ``list`` of ``dict`` of plain Python values. True: a structured array of
            shape (n_rows,) with one field per column (strings as unicode, others as inferred).

        Returns
        -------
        list of dict or ndarray
        """
        columns = self._table_columns()
        n_rows = len(next(iter(columns.values()))) if columns else 0
        if not structured:
            return [{name: values[i] for name, values in columns.items()} for i in range(n_rows)]
        arrays = {name: np.asarray(values) if values else np.zeros(0)
                  for name, values in columns.items()}
        dtype = [(name, a.dtype if a.dtype != object else object) for name, a in arrays.items()]
        table = np.empty(n_rows, dtype=dtype)
        for name, a in arrays.items():
            table[name] = a
        return table

    def to_dataframe(self):
        """The table as a ``pandas.DataFrame`` (needs pandas, which dynrnn does not require).

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        MissingDependencyError
            If pandas is not installed.
        """
        try:
            import pandas
        except ImportError as error:
            raise MissingDependencyError(
                f"{type(self).__name__}.to_dataframe needs pandas, which is not installed; "
                "`pip install pandas`, or use to_records()") from error
        return pandas.DataFrame(self._table_columns())

    def _repr_html_(self) -> str:
        """A compact table for Jupyter: the summary line, then at most ten rows.

        A vector spread over more than ``HTML_COMPONENTS`` columns (the state of a 256-unit
        network) shows its first components and an ellipsis column; the table from
        :meth:`to_records` has them all.
        """
        columns = _shown_columns(self._table_columns())
        n_rows = len(next(iter(columns.values()))) if columns else 0
        shown = list(range(n_rows))
        if n_rows > HTML_ROWS:
            shown = shown[:HTML_ROWS // 2] + [-1] + shown[n_rows - HTML_ROWS // 2:]

        def cell(value: Any) -> str:
            if isinstance(value, float):
                return f"{value:.6g}"
            return html.escape(str(value))

        head = "".join(f"<th>{html.escape(name)}</th>" for name in columns)
        body = []
        for i in shown:
            if i < 0:
                body.append(f"<tr><td colspan='{len(columns)}'>&#8942;</td></tr>")
            else:
                body.append("<tr>" + "".join(f"<td>{cell(values[i])}</td>"
                                             for values in columns.values()) + "</tr>")
        summary = html.escape(str(self).splitlines()[0] if str(self) else type(self).__name__)
        table = (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
                 if columns else "")
        return (f"<div><p><code>{summary}</code></p>{table}"
                f"<p>{n_rows} row(s); <code>.to_records()</code>, "
                f"<code>.to_dataframe()</code> for all of them</p></div>")


#: components of one vector shown by ``_repr_html_`` before an ellipsis column
HTML_COMPONENTS = 4


def _shown_columns(columns: dict[str, list]) -> dict[str, list]:
    """The columns of the HTML table: long vectors cut to their first components and "…"."""
    bases: dict[str, int] = {}
    for name in columns:
        base, bracket, _ = name.partition("[")
        if bracket:
            bases[base] = bases.get(base, 0) + 1
    shown: dict[str, list] = {}
    for name, values in columns.items():
        base, bracket, rest = name.partition("[")
        if bracket and bases[base] > HTML_COMPONENTS:
            index = rest.rstrip("]")
            if index.isdigit() and int(index) == HTML_COMPONENTS - 1:
                shown[f"{base}[…]"] = ["…"] * len(values)
                continue
            if index.isdigit() and int(index) >= HTML_COMPONENTS:
                continue
        shown[name] = values
    return shown


#: longest ``compact_repr`` (characters) before the remaining fields are elided
REPR_WIDTH = 200


def _short_value(value: Any) -> str:
    """One field's value in a few characters: numbers, names, shapes and lengths."""
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bool, np.bool_, int, np.integer)):
        return str(_plain(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, complex):
        return f"{value:.4g}"
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, np.ndarray):
        if value.size <= 3 and value.ndim <= 1 and value.dtype.kind in "biuf":
            return "[" + ", ".join(_short_value(v) for v in value.tolist()) + "]"
        return f"<{'×'.join(map(str, value.shape)) or 'scalar'} array>"
    if value is None:
        return "None"
    if isinstance(value, dict):
        keys = list(value)
        shown = ", ".join(str(k) for k in keys[:3]) + (", ..." if len(keys) > 3 else "")
        return f"{{{shown}}}"
    if isinstance(value, (tuple, list)):
        return f"<{len(value)} item(s)>"
    return f"<{type(value).__name__}>"


def compact_repr(self: Any) -> str:
    """``ClassName(field=value, ...)`` of a dataclass, arrays shown by their shape.

    Used as the ``__repr__`` of result dataclasses that have no hand-written summary, so that a
    result never prints as an array dump. Fields declared with ``repr=False`` are left out.

    Examples
    --------
    >>> import dataclasses, numpy as np
    >>> @dataclasses.dataclass(frozen=True)
    ... class Example:
    ...     loss: float
    ...     states: np.ndarray
    ...     __repr__ = compact_repr
    >>> Example(0.25, np.zeros((100, 3)))
    Example(loss=0.25, states=<100×3 array>)
    """
    import dataclasses

    parts = [f"{field.name}={_short_value(getattr(self, field.name))}"
             for field in dataclasses.fields(self) if field.repr]
    text, shown = "", 0
    for part in parts:
        if text and len(text) + len(part) > REPR_WIDTH:
            break
        text = f"{text}, {part}" if text else part
        shown += 1
    if shown < len(parts):
        text += f", ... ({len(parts) - shown} more)"
    return f"{type(self).__name__}({text})"
