"""Where a JSON value sits in the schema, for the schema-aware engines (strategic
merge patch, field sets, apply).

The schema is the generated model classes: a field's ``list_type``, ``map_keys``,
``map_type``, ``patch_strategy`` and ``patch_merge_key``, and a class's
``_map_type_``. ``None`` as a schema means free-form JSON.
"""

from __future__ import annotations

from typing import Any

from .._model import Codec, Field, ListCodec, MapCodec, Model, ModelCodec

__all__ = [
    "FREE",
    "Pos",
    "child_of",
    "is_struct",
    "is_typed_map",
    "item_of",
    "merge_key_of",
    "model_of",
    "root_pos",
    "strategies_of",
]


class Pos:
    """Where a value sits in the schema: the field that holds it (its merge
    metadata) and the codec describing the value (a model, a list, a map of
    models, or None for scalars and free-form JSON)."""

    __slots__ = ("field", "codec")

    def __init__(self, field: Field[Any, Any] | None, codec: Codec | None) -> None:
        self.field = field
        self.codec = codec


FREE = Pos(None, None)


def root_pos(schema: type[Model] | None) -> Pos:
    return FREE if schema is None else Pos(None, ModelCodec(schema))


# Codecs are told apart by class name, not isinstance: a generated package carries
# its own copy of _model, and tests (or a server) may mix it with this one.
_CODEC_KINDS = {
    ModelCodec.__name__: "model",
    ListCodec.__name__: "list",
    MapCodec.__name__: "map",
}


def _codec_kind(pos: Pos) -> str | None:
    return _CODEC_KINDS.get(type(pos.codec).__name__)


def model_of(pos: Pos) -> type[Model] | None:
    cls: type[Model] | None = getattr(pos.codec, "cls", None)
    return cls if _codec_kind(pos) == "model" else None


def is_struct(pos: Pos) -> bool:
    return _codec_kind(pos) == "model"


def is_typed_map(pos: Pos) -> bool:
    """A struct or a map of structs, as opposed to free-form JSON or a string map."""
    return _codec_kind(pos) in ("model", "map")


def child_of(pos: Pos, key: str) -> Pos:
    cls = model_of(pos)
    if cls is not None:
        f = cls._wire_fields_.get(key)
        return Pos(f, f.codec) if f is not None else FREE
    if _codec_kind(pos) == "map":
        return Pos(None, getattr(pos.codec, "item", None))
    return FREE


def item_of(pos: Pos) -> Pos:
    if _codec_kind(pos) == "list":
        return Pos(None, getattr(pos.codec, "item", None))
    return FREE


def strategies_of(pos: Pos) -> tuple[bool, str | None]:
    """(retainKeys?, the other strategy) of ``patchStrategy:"merge,retainKeys"``."""
    raw = pos.field.patch_strategy if pos.field is not None else None
    parts = [p.strip() for p in raw.split(",")] if raw else []
    retain = "retainKeys" in parts
    others = [p for p in parts if p != "retainKeys"]
    return retain, others[0] if others else None


def merge_key_of(pos: Pos) -> str | None:
    return pos.field.patch_merge_key if pos.field is not None else None
