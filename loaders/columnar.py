"""The columnar fast path of validation: a section's records checked a column at a time, in Arrow.

Building a pydantic object per record is most of a large load's read side
(2.0 s of a 667k-record file, as long as the engine's own COPY of it). Here a
section's records become one Arrow table, each column's type is Arrow's
inference of the JSON values (a str column of str, a float column of numbers),
and every rule of :mod:`graph.model` is checked on whole columns with Arrow
compute: required fields, lengths, patterns (RE2), ranges, choices, country
codes and each model validator's rule. The table is what the store COPYs.

The fast path is a filter, never a second judge: :func:`check` returns a table
only when every record is valid *and* already in the form pydantic would give
(no white space to strip, themes sorted, no value to coerce), and ``None``
otherwise; the caller then validates with pydantic, which names each problem
exactly as before. So a wrong answer here can only cost time, provided it
never accepts what pydantic refuses or changes; ``tests/loaders/test_columnar.py``
holds every field type to that with odd values.

Rules are read from the models' field annotations and metadata; a model
validator is honoured only through its twin in :data:`MODEL_RULES`: a model
with a validator this module does not know has no fast path.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, reduce
from itertools import repeat
from typing import Any, Literal, Union

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pycountry
from annotated_types import Ge, Le, MaxLen, MinLen
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo

from graph import model as m

_ARROW = {"str": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(), "list": pa.list_(pa.string())}
# A value pydantic would strip (str_strip_whitespace): the union of Python's and Rust's white space, and more.
_PADDED = r"^[\s\p{Z}\x0b\x1c-\x1f\x85\x{200b}\x{feff}]|[\s\p{Z}\x0b\x1c-\x1f\x85\x{200b}\x{feff}]$"


@dataclass(frozen=True)
class FieldRule:
    """What a field accepts, read from its annotation: the checks of one column."""

    name: str  # the model's field name (the column)
    key: str  # the input's key (the alias: "from", "to")
    kind: Literal["str", "float", "int", "bool", "list"]
    nullable: bool  # None is a valid value
    required: bool
    default: Any  # filled where the key is absent ([] for a list)
    min_len: int | None = None
    max_len: int | None = None
    pattern: str | None = None
    ge: float | None = None
    le: float | None = None
    choices: tuple[str, ...] | None = None
    iso3: bool = False  # graph.model._iso3
    currency: bool = False  # graph.model._currency
    sorted_in: frozenset[str] | None = None  # graph.model._themes, _areas: a list of these, sorted, each once
    item: FieldRule | None = None  # a list's items


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(base type, metadata, nullable) of an annotation: Optional and Annotated taken apart."""
    meta: list[Any] = []
    nullable = False
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            args = typing.get_args(annotation)
            annotation = args[0]
            for extra in args[1:]:
                meta.extend(extra.metadata if isinstance(extra, FieldInfo) else [extra])
        elif origin in (Union, types.UnionType):
            kept = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(kept) != 1:
                raise TypeError(f"a union of {len(kept)} types")
            nullable = True
            annotation = kept[0]
        else:
            return annotation, meta, nullable


def _rule(name: str, key: str, annotation: Any, meta: list[Any], required: bool, default: Any) -> FieldRule:
    base, more, nullable = _unwrap(annotation)
    meta = [*meta, *more]
    kw: dict[str, Any] = {}
    item = None
    if typing.get_origin(base) is list:
        kind = "list"
        (inner,) = typing.get_args(base)
        item = _rule(name, key, inner, [], True, None)
        if item.kind != "str" or item.nullable:
            raise TypeError(f"{name}: a list of {item.kind}")
    elif typing.get_origin(base) is Literal:
        kind, kw["choices"] = "str", typing.get_args(base)
    elif base in (str, float, int, bool):
        kind = base.__name__
    else:
        raise TypeError(f"{name}: type {base!r}")
    for c in meta:
        if isinstance(c, MinLen):
            kw["min_len"] = c.min_length
        elif isinstance(c, MaxLen):
            kw["max_len"] = c.max_length
        elif isinstance(c, Ge):
            kw["ge"] = c.ge
        elif isinstance(c, Le):
            kw["le"] = c.le
        elif type(c).__name__ == "AllowInfNan" and not c.allow_inf_nan:
            pass  # Arrow's inference gives finite JSON numbers; the range check refuses inf as well
        elif type(c).__name__ == "_PydanticGeneralMetadata" and set(vars(c)) == {"pattern"}:
            kw["pattern"] = c.pattern
        elif isinstance(c, AfterValidator) and c.func is m._iso3:  # noqa: SLF001 - the model's field validators
            kw["iso3"] = True
        elif isinstance(c, AfterValidator) and c.func is m._currency:  # noqa: SLF001
            kw["currency"] = True
        elif isinstance(c, AfterValidator) and c.func in _LISTS_OF:
            kw["sorted_in"] = _LISTS_OF[c.func]
        else:
            raise TypeError(f"{name}: constraint {c!r}")
    return FieldRule(name, key, kind, nullable, required, default, item=item, **kw)  # type: ignore[arg-type]


def _rules_of(model: type[BaseModel]) -> tuple[FieldRule, ...]:
    out = []
    for name, f in model.model_fields.items():
        default = [] if f.default_factory is list else None if f.is_required() else f.default
        if f.default_factory not in (None, list):
            raise TypeError(f"{name}: default factory {f.default_factory!r}")
        out.append(_rule(name, f.alias or name, f.annotation, list(f.metadata), f.is_required(), default))
    return tuple(out)


@cache
def rules(model: type[BaseModel]) -> tuple[FieldRule, ...] | None:
    """The column rules of ``model``, or None when it has a rule this module cannot check (no fast path then)."""
    known = MODEL_RULES.get(model, {})
    if set(model.__pydantic_decorators__.model_validators) - set(known) or model.__pydantic_decorators__.field_validators:
        return None
    if model.model_config.get("extra") != "forbid" or not model.model_config.get("str_strip_whitespace"):
        return None
    try:
        return _rules_of(model)
    except TypeError:
        return None


# The list validators of graph.model, each with the values it allows (it sorts them and drops repeats).
_LISTS_OF: dict[Callable[..., Any], frozenset[str]] = {m._themes: frozenset(m.THEMES), m._areas: m.M49_AREAS}  # noqa: SLF001


@cache
def _currency_codes() -> pa.Array:
    return pa.array(sorted(m.CURRENCIES), pa.string())


@cache
def _iso3_codes() -> pa.Array:
    return pa.array(sorted({c.alpha_3 for c in pycountry.countries} | set(m.EXTRA_COUNTRIES)), pa.string())


# -- a column's checks: each returns False when a value may be invalid or not as pydantic would give it


def _strings_ok(col: pa.Array, rule: FieldRule) -> bool:
    col = col.drop_null()  # a null where None is allowed: nothing to check
    if not len(col):
        return True
    if pc.any(pc.match_substring_regex(col, _PADDED)).as_py():
        return False
    if rule.min_len is not None or rule.max_len is not None:
        n = pc.utf8_length(col)
        if rule.min_len is not None and pc.any(pc.less(n, rule.min_len)).as_py():
            return False
        if rule.max_len is not None and pc.any(pc.greater(n, rule.max_len)).as_py():
            return False
    if rule.pattern is not None and not pc.all(pc.match_substring_regex(col, rule.pattern)).as_py():
        return False
    if rule.choices is not None and not pc.all(pc.is_in(col, value_set=pa.array(rule.choices, pa.string()))).as_py():
        return False
    if rule.currency and not pc.all(pc.is_in(col, value_set=_currency_codes())).as_py():
        return False
    return not (rule.iso3 and not pc.all(pc.is_in(col, value_set=_iso3_codes())).as_py())


def _numbers_ok(col: pa.Array, rule: FieldRule) -> bool:
    col = col.drop_null()
    if not len(col):
        return True
    if pa.types.is_floating(col.type) and not pc.all(pc.is_finite(col)).as_py():  # NaN passes no range test
        return False
    if rule.ge is not None and pc.any(pc.less(col, rule.ge)).as_py():
        return False
    return not (rule.le is not None and pc.any(pc.greater(col, rule.le)).as_py())


def _column(col: pa.Array | None, n: int, rule: FieldRule) -> pa.Array | None:
    """A field's inferred column (None: no record has the key) as the rule's Arrow type, defaults filled; None if
    Arrow inferred another type (a str for a number, a number for a str: pydantic coerces or refuses those)."""
    want = _ARROW[rule.kind]
    if col is None or pa.types.is_null(col.type):
        if rule.default is None:
            return pa.nulls(n, want)
        if rule.kind == "list":  # n empty lists
            return pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)), pa.array([], pa.string()))
        return pa.repeat(pa.scalar(rule.default, want), n)
    t = col.type
    if rule.kind == "float" and pa.types.is_int64(t):  # JSON 5 for 5.0: exact below 2^53, else left to pydantic
        try:
            if (pc.max(pc.abs_checked(col)).as_py() or 0) > 2**53:
                return None
        except pa.ArrowInvalid:  # -2^63 has no absolute value in int64
            return None
        col = col.cast(want)
    elif rule.kind == "list" and t == pa.list_(pa.null()):  # only empty lists (and nulls)
        col = col.cast(want)
    elif t != want:
        return None
    if col.null_count and rule.default is not None:
        col = _filled(col, rule)
    return col


def _filled(col: pa.Array, rule: FieldRule) -> pa.Array:
    if rule.kind == "list":  # a null list from pa.array spans no items: drop the validity, keep the offsets
        return pa.ListArray.from_arrays(col.offsets, col.values)
    return pc.fill_null(col, pa.scalar(rule.default, _ARROW[rule.kind]))


def _checked(col: pa.Array, rule: FieldRule) -> bool:
    """Whether every value of ``col`` (defaults filled; null where absent or null) is one pydantic keeps as it is."""
    if col.null_count and not rule.nullable:  # required and absent, or a null given for a field that takes none
        return False
    if rule.kind == "str":
        return _strings_ok(col, rule)
    if rule.kind in ("float", "int"):
        return _numbers_ok(col, rule)
    if rule.kind == "list" and rule.item is not None:
        items = pc.list_flatten(col)
        if items.null_count or not _strings_ok(items, rule.item):
            return False
        return rule.sorted_in is None or _sorted_within(col, rule.sorted_in)
    return True


def check(model: type[BaseModel], datas: list[dict[str, Any]]) -> pa.Table | None:
    """``datas`` as a table of ``model``'s columns (its field names), if every record is valid and canonical, else None.

    Examples
    --------
    >>> from graph.model import Organisation
    >>> t = check(Organisation, [{"id": "eu", "name": "European Union", "source": "s"}])
    >>> t.column("id").to_pylist(), t.column("kind").to_pylist(), t.column("aliases").to_pylist()
    (['eu'], ['other'], [[]])
    >>> check(Organisation, [{"id": "Not A Key", "name": "x", "source": "s"}]) is None  # pydantic names the problem
    True
    >>> check(Organisation, [{"id": "eu", "name": " padded ", "source": "s"}]) is None  # pydantic would strip it
    True
    """
    fields = rules(model)
    if fields is None or not datas:
        return None
    try:  # one pass in C++ over the dicts: each key's column, its type inferred from the JSON values
        arr = pa.array(datas)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError, TypeError, ValueError):
        return None
    if not isinstance(arr, pa.StructArray):  # (a ChunkedArray past 2 GB of text: a file read whole stays far below)
        return None
    given = {arr.type.field(i).name: arr.field(i) for i in range(arr.type.num_fields)}
    if not set(given) <= {f.key for f in fields}:  # an unknown key (or a field by its name, not its alias)
        return None
    # A key given with null reads as an absent one; pydantic refuses null where a field has a default that is not
    # None (status, the lists), so: every key present is non-null, or those fields are counted record by record.
    if sum(map(len, datas)) != sum(len(c) - c.null_count for c in given.values()):
        for rule in fields:
            if not rule.nullable and rule.key in given:
                present = sum(map(dict.__contains__, datas, repeat(rule.key)))
                if given[rule.key].null_count > len(datas) - present:
                    return None
    cols: dict[str, pa.Array] = {}
    for rule in fields:
        col = _column(given.get(rule.key), len(datas), rule)
        if col is None or not _checked(col, rule):
            return None
        cols[rule.name] = col
    table = pa.table(cols)
    if not all(ok(table) for ok in MODEL_RULES.get(model, {}).values()):
        return None
    return table


# -- the model validators' twins: each True when its rule holds on every row (graph/model.py says why each rule is)


def _all(mask: pa.Array) -> bool:
    return bool(pc.all(pc.fill_null(mask, True), min_count=0).as_py())  # an empty column breaks no rule


def _not_before(later: str, earlier: str) -> Callable[[pa.Table], bool]:
    return lambda t: _all(pc.greater_equal(t[later], t[earlier]))  # null where either is absent: no rule then


def _needs(field: str, *given: str) -> Callable[[pa.Table], bool]:
    """``field`` is set wherever one of ``given`` is."""

    def ok(t: pa.Table) -> bool:
        any_given = reduce(pc.or_, [pc.is_valid(t[g]) for g in given])
        return _all(pc.or_(pc.invert(any_given), pc.is_valid(t[field])))

    return ok


def _sorted_within(col: pa.Array, allowed: frozenset[str]) -> bool:
    """Each list of ``col`` holds allowed values, sorted and each once (as the validator leaves it)."""
    items = pc.list_flatten(col)
    if not len(items):
        return True
    if not pc.all(pc.is_in(items, value_set=pa.array(sorted(allowed), pa.string()))).as_py():
        return False
    parents = pc.list_parent_indices(col)
    same = pc.equal(parents[1:], parents[:-1])
    return _all(pc.or_(pc.invert(same), pc.greater(items[1:], items[:-1])))


def _period(t: pa.Table) -> bool:
    return _not_before("valid_to", "valid_from")(t)


def _not_self(t: pa.Table) -> bool:
    return _all(pc.not_equal(t["src"], t["dst"]))


def _programme(t: pa.Table) -> bool:
    regional = pc.equal(pc.fill_null(t["scope"], ""), "regional")
    named = pc.or_(pc.greater(pc.list_value_length(t["scope_regions"]), 0), pc.greater(pc.list_value_length(t["scope_blocs"]), 0))
    return (
        _all(pc.equal(regional, named))  # regional names its scope, and only regional does
        and _not_before("end_date", "start_date")(t)
        and _needs("currency", "budget")(t)
    )


def _country(t: pa.Table) -> bool:
    pairs = zip(t["region"].to_pylist(), t["subregion"].to_pylist())  # a few hundred countries: plain Python
    return all(sub is None or sub in m.M49_REGIONS.get(region or "", ()) for region, sub in pairs)


_REL = {"_period": _period}
MODEL_RULES: dict[type[BaseModel], dict[str, Callable[[pa.Table], bool]]] = {
    m.Country: {"_regions": _country},
    m.Programme: {"_check": _programme},
    m.Funds: {**_REL, "_money": _needs("currency", "amount", "disbursed")},
    **{model: dict(_REL) for model in m.REL_MODELS if model is not m.Funds},
}
for _model in m.REL_MODELS:
    if _model.self_link:  # the _period validator refuses a link to itself on these types
        MODEL_RULES[_model] = {"_period": lambda t: _period(t) and _not_self(t)}
