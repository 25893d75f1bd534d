"""Where a JSON value sits in the schema, for the schema-aware engines (strategic
merge patch, field sets, apply).

The schema is the generated model classes: a field's ``list_type``, ``map_keys``,
``map_type``, ``patch_strategy`` and ``patch_merge_key``, and a class's
``_map_type_``; or, for custom resources, a CRD's structural schema
(:func:`structural_root`: ``x-kubernetes-list-type``, ``-list-map-keys``,
``-map-type``; metadata as the ObjectMeta model). ``None`` as a schema means
free-form JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .._model import Codec, Field, ListCodec, MapCodec, Model, ModelCodec

__all__ = [
    "FREE",
    "Pos",
    "Schema",
    "SchemaField",
    "SchemaNode",
    "child_of",
    "has_fields",
    "is_struct",
    "is_typed_map",
    "is_value_struct",
    "item_of",
    "key_default",
    "merge_key_of",
    "model_of",
    "root_pos",
    "strategies_of",
    "structural_root",
    "use_openapi_structs",
]


class Pos:
    """Where a value sits in the schema: the field that holds it (its merge
    metadata: a model's Field or a :class:`SchemaField`) and what describes the
    value (a model, list or map codec, a :class:`SchemaNode`, or None for
    scalars and free-form JSON)."""

    __slots__ = ("field", "codec")

    def __init__(
        self,
        field: Field[Any, Any] | SchemaField | None,
        codec: Codec | SchemaNode | None,
    ) -> None:
        self.field = field
        self.codec = codec


FREE = Pos(None, None)


class SchemaField:
    """A structural schema node's merge metadata, as a model Field carries it."""

    __slots__ = ("list_type", "map_keys", "map_type")
    patch_strategy = None
    patch_merge_key = None

    def __init__(self, schema: dict[str, Any]) -> None:
        self.list_type = schema.get("x-kubernetes-list-type")
        keys = schema.get("x-kubernetes-list-map-keys")
        self.map_keys = tuple(str(k) for k in keys) if isinstance(keys, list) else ()
        self.map_type = schema.get("x-kubernetes-map-type")


class SchemaNode:
    """A node of a CRD's structural schema, in the place of a codec; the root
    gives ``metadata`` the ObjectMeta model, as the apiserver does."""

    __slots__ = ("schema", "object_meta")

    def __init__(
        self, schema: dict[str, Any], object_meta: type[Model] | None = None
    ) -> None:
        self.schema = schema
        self.object_meta = object_meta


#: What the engines take as a schema: a model class, a prepared root position
#: (a custom resource's, :func:`structural_root`), or None for free-form JSON.
Schema = type[Model] | Pos | None


def structural_root(
    schema: dict[str, Any], object_meta: type[Model] | None = None
) -> Pos:
    """The root position of a custom resource with this openAPIV3Schema."""
    return Pos(None, SchemaNode(schema, object_meta))


def root_pos(schema: Schema) -> Pos:
    if isinstance(schema, Pos):
        return schema
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


def _node(pos: Pos) -> dict[str, Any] | None:
    """The structural schema at ``pos``, if it is a custom resource's."""
    return pos.codec.schema if isinstance(pos.codec, SchemaNode) else None


def has_fields(pos: Pos) -> bool:
    """A struct: a model, or a structural object with properties (whose fields,
    unlike a map's entries, are not members of a field set by themselves)."""
    node = _node(pos)
    if node is not None:
        return isinstance(node.get("properties"), dict)
    return is_struct(pos)


def model_of(pos: Pos) -> type[Model] | None:
    cls: type[Model] | None = getattr(pos.codec, "cls", None)
    return cls if _codec_kind(pos) == "model" else None


def is_struct(pos: Pos) -> bool:
    return _codec_kind(pos) == "model"


_SchemasSource = Callable[[], Mapping[str, Any]]
_FieldKey = tuple[str, str, str]  # (models module, class, wire name)
_source: _SchemasSource | None = None
_facts: tuple[frozenset[_FieldKey], dict[_FieldKey, Any]] | None = None


def use_openapi_structs(source: _SchemasSource) -> None:
    """Read what the models do not say from the OpenAPI component schemas
    ``source()`` returns (on first need): which struct fields are Go pointers
    (openapi-gen gives a value struct ``"default": {}``, a pointer none), and
    the scalar defaults list-map keys fall back on (a port's ``protocol`` is
    "TCP"). Without them, every struct field is a value struct, and keys have
    no defaults."""
    global _source, _facts
    if source is not _source:
        _source, _facts = source, None


def _openapi_facts() -> tuple[frozenset[_FieldKey], dict[_FieldKey, Any]]:
    """(the pointer struct fields, the scalar defaults); a schema id's group and
    version name the models module (``io.k8s.api.apps.v1.X``: ``apps_v1``)."""
    global _facts
    if _facts is None:
        pointers = set()
        defaults: dict[_FieldKey, Any] = {}
        schemas = _source() if _source is not None else {}
        for schema_id, schema in schemas.items():
            parts = schema_id.split(".")
            props = schema.get("properties") if isinstance(schema, dict) else None
            if len(parts) < 3 or not isinstance(props, dict):
                continue
            module = f"{parts[-3]}_{parts[-2]}"
            for wire, prop in props.items():
                if not isinstance(prop, dict):
                    continue
                key = (module, parts[-1], wire)
                default = prop.get("default")
                if isinstance(default, (str, int, float, bool)):
                    defaults[key] = default
                elif default != {} and ("$ref" in prop or prop.get("allOf")):
                    pointers.add(key)
        _facts = (frozenset(pointers), defaults)
    return _facts


def _field_key(cls: type, wire: str) -> _FieldKey:
    return (cls.__module__.rpartition(".")[2], cls.__name__, wire)


def key_default(item: Pos, key: str) -> Any:
    """The default of a list-map key field of the items at ``item`` (SMD keys an
    item without it by its default), None when it has none."""
    node = _node(item)
    if node is not None:
        props = node.get("properties")
        sub = props.get(key) if isinstance(props, dict) else None
        found = sub.get("default") if isinstance(sub, dict) else None
        return found if isinstance(found, (str, int, float, bool)) else None
    cls = model_of(item)
    if cls is None or _source is None:
        return None
    return _openapi_facts()[1].get(_field_key(cls, key))


def is_value_struct(pos: Pos) -> bool:
    """A struct Go renders even when empty (so it exists whenever its parent
    does), as opposed to a pointer, absent until set (``rollingUpdate``)."""
    if not is_struct(pos):
        return False
    field = pos.field
    owner = getattr(field, "owner", None)
    if _source is None or not isinstance(field, Field) or owner is None:
        return True
    return _field_key(owner, field.wire) not in _openapi_facts()[0]


def is_typed_map(pos: Pos) -> bool:
    """A struct or a map of structs, as opposed to free-form JSON or a string map."""
    return _codec_kind(pos) in ("model", "map")


def child_of(pos: Pos, key: str) -> Pos:
    node = _node(pos)
    if node is not None:
        assert isinstance(pos.codec, SchemaNode)
        if key == "metadata" and pos.codec.object_meta is not None:
            return Pos(None, ModelCodec(pos.codec.object_meta))
        props = node.get("properties")
        sub = props.get(key) if isinstance(props, dict) else None
        if sub is None and isinstance(node.get("additionalProperties"), dict):
            sub = node["additionalProperties"]
        return _schema_pos(sub) if isinstance(sub, dict) else FREE
    cls = model_of(pos)
    if cls is not None:
        f = cls._wire_fields_.get(key)
        return Pos(f, f.codec) if f is not None else FREE
    if _codec_kind(pos) == "map":
        return Pos(None, getattr(pos.codec, "item", None))
    return FREE


def _schema_pos(sub: dict[str, Any]) -> Pos:
    return Pos(SchemaField(sub), SchemaNode(sub))


def item_of(pos: Pos) -> Pos:
    node = _node(pos)
    if node is not None:
        items = node.get("items")
        return _schema_pos(items) if isinstance(items, dict) else FREE
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
