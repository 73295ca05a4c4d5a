"""The schema, read once from the model classes.

Everything that needs to know labels, keys, property names, their types or
their order asks here: the DDL of both stores, the column order of every
batch (LadybugDB matches ``UNWIND`` rows by key position, not by name), and
the checks on labels and types that come from users.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from functools import cache

from pydantic import BaseModel

from graph.errors import SchemaError
from graph.model import NODE_MODELS, REL_MODELS, Node, Relationship

_Spec = typing.TypeVar("_Spec")

_SCALARS = {str: "STRING", float: "DOUBLE", int: "INT64", bool: "BOOLEAN"}


@dataclass(frozen=True)
class Prop:
    """A property of a node or relationship table: its name and its column type in both stores."""

    name: str
    db_type: str  # STRING, DOUBLE, INT64, BOOLEAN, STRING[]


@dataclass(frozen=True)
class NodeSpec:
    """A node label as both stores see it: its key, its properties in column order, its model."""

    label: str
    key: str
    props: tuple[Prop, ...]  # key first, then the rest in model order
    model: type[Node]

    @property
    def columns(self) -> list[str]:
        """The property names, in the order every batch's rows hold them."""
        return [p.name for p in self.props]


@dataclass(frozen=True)
class RelSpec:
    """A relationship type as both stores see it: its end labels, its properties in column order, its model."""

    rel_type: str
    src: str
    dst: str
    props: tuple[Prop, ...]  # properties only; endpoints travel as "src" / "dst"
    model: type[Relationship]

    def pattern(self, src_key: str, dst_key: str, src_val: str, dst_val: str, rel: str = "e") -> str:
        """``(a)-[e:T]->(b)`` with keys bound to ``src_val``/``dst_val``, written from the anchor end."""
        a = f"(a:{self.src} {{{src_key}: {src_val}}})"
        b = f"(b:{self.dst} {{{dst_key}: {dst_val}}})"
        if self.model.anchor == "dst":
            return f"{b}<-[{rel}:{self.rel_type}]-{a}"
        return f"{a}-[{rel}:{self.rel_type}]->{b}"

    @property
    def columns(self) -> list[str]:
        """The property names, in the order every batch's rows hold them."""
        return [p.name for p in self.props]


def _db_type(annotation: object) -> str:
    """Map a model annotation to a column type shared by both stores."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _db_type(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _db_type(inner[0])
    if origin is list:
        return _db_type(typing.get_args(annotation)[0]) + "[]"
    if origin is typing.Literal:
        return "STRING"
    return _SCALARS[annotation]  # type: ignore[index]


def _props(model: type[BaseModel], skip: set[str], first: str | None = None) -> tuple[Prop, ...]:
    props = [Prop(n, _db_type(f.annotation)) for n, f in model.model_fields.items() if n not in skip]
    if first:
        props.sort(key=lambda p: p.name != first)  # stable: key first, rest in model order
    return tuple(props)


@cache
def nodes() -> dict[str, NodeSpec]:
    """Node specs by label, in dependency order (countries first)."""
    return {m.label: NodeSpec(m.label, m.key, _props(m, set(), m.key), m) for m in NODE_MODELS}


@cache
def rels() -> dict[str, RelSpec]:
    """Relationship specs by type."""
    return {m.type: RelSpec(m.type, m.src_label, m.dst_label, _props(m, {"src", "dst"}), m) for m in REL_MODELS}


def node(label: str) -> NodeSpec:
    """The spec of ``label``; a :class:`SchemaError` naming the known labels otherwise.

    >>> spec = node("Country")
    >>> spec.key, spec.columns[:3]
    ('iso3', ['iso3', 'source', 'as_of'])
    """
    known = nodes()
    if (spec := known.get(label) or _any_case(label, known)) is None:
        raise SchemaError(f"unknown label {label!r}", f"known labels: {', '.join(known)}")
    return spec


def rel(type_: str) -> RelSpec:
    """The spec of relationship ``type_``; a :class:`SchemaError` otherwise.

    >>> spec = rel("FUNDS")
    >>> spec.src, spec.dst, spec.columns[-4:]
    ('Organisation', 'Programme', ['amount', 'disbursed', 'currency', 'year'])
    """
    known = rels()
    if (spec := known.get(type_) or _any_case(type_, known)) is None:
        raise SchemaError(f"unknown relationship type {type_!r}", f"known types: {', '.join(known)}")
    return spec


def _any_case(name: str, known: dict[str, _Spec]) -> _Spec | None:
    """A label or type typed in another case (``programme``, ``funds``): what a person types on the command line.

    >>> node("programme").label, rel("funds").rel_type
    ('Programme', 'FUNDS')
    """
    return next((spec for k, spec in known.items() if k.casefold() == name.casefold()), None)


@cache
def sections() -> dict[str, NodeSpec | RelSpec]:
    """Input-file section names (``countries``, ``funds``...) to their spec (one shared dict: do not change it)."""
    out: dict[str, NodeSpec | RelSpec] = {s.model.section: s for s in nodes().values()}
    out.update({s.model.section: s for s in rels().values()})
    return out
