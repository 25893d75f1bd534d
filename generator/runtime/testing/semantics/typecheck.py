"""JSON types of request bodies, checked as kube-apiserver's decoding into Go
structs checks them.

A built-in kind's body is decoded by encoding/json (sigs.k8s.io/json) into its Go
struct: a value of the wrong JSON type is an ``UnmarshalTypeError`` which the
handler wraps in a 400 BadRequest::

    Deployment in version "v1" cannot be handled as a Deployment: json: cannot
    unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32

Go keeps decoding after such an error (it skips the offending value) and reports
the first one in document order; ``null`` fits every field. Types with their own
``UnmarshalJSON`` (metav1.Time, resource.Quantity, intstr.IntOrString) stop the
decoding at once with their own message, which then wins over an earlier type
error, as in Go.

The checkers are compiled once per kind from the served OpenAPI v3 component
schemas into a small tree of nodes (``$ref`` -> Go type ``v1.PodSpec``), so a
request costs one walk over its body and nothing else.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..protocol.status import ApiError, bad_request
from .goparse import QUANTITY_FORMAT, base64_problem, quantity_problem, rfc3339_problem

Schema = dict[str, Any]

_REF_PREFIX = "#/components/schemas/"
_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.Time"
_MICRO_TIME = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime"
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
_INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
#: Types that take any JSON value (their UnmarshalJSON keeps the raw bytes).
_FREE_FORM = frozenset(
    {
        "io.k8s.apimachinery.pkg.runtime.RawExtension",
        "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
    }
)
#: Packages whose map[ResourceName]Quantity fields are all v1.ResourceList.
_RESOURCE_LIST_PACKAGES = ("io.k8s.api.core.v1.", "io.k8s.api.node.v1.")
_INT_RANGES = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "int": (-(2**63), 2**63 - 1),
    "uint8": (0, 255),
}


class HardError(Exception):
    """An UnmarshalJSON error: decoding stops here (Go returns it at once)."""


class _State:
    """The first type error seen (Go's ``savedError``), and its parts: (value
    kind, JSON path, Go type)."""

    __slots__ = ("first", "parts", "normalize")

    def __init__(self, normalize: bool = False) -> None:
        self.first: str | None = None
        self.parts: tuple[str, str, str] | None = None
        #: make nulls what Go makes of them (see ``find_problem``)
        self.normalize = normalize

    def save(self, kind: str, struct: str, path: str, go_type: str) -> None:
        if self.first is None:
            self.first = type_error(kind, struct, path, go_type)
            self.parts = (kind, path, go_type)


def value_kind(value: Any) -> str:
    """How Go's UnmarshalTypeError names a JSON value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def type_error(kind: str, struct: str, path: str, go_type: str) -> str:
    """UnmarshalTypeError.Error(): with a struct field, or at the root."""
    if struct or path:
        return (
            f"json: cannot unmarshal {kind} into Go struct field {struct}.{path} "
            f"of type {go_type}"
        )
    return f"json: cannot unmarshal {kind} into Go value of type {go_type}"


def _number_text(value: int | float) -> str:
    return repr(value)


# --------------------------------------------------------------------------- nodes
#
# ``check(value, struct, path, state)``: ``value`` is not None (null fits every
# field); ``struct`` is the innermost Go struct's name and ``path`` the dotted JSON
# path from the root (no list indexes, no map keys), as Go's error context keeps
# them.


#: zero() of types whose zero value Go encodes as null (pointers, slices, maps)
KEEP_NULL: Any = object()


class Node:
    __slots__ = ("go_type",)

    def __init__(self, go_type: str) -> None:
        self.go_type = go_type

    def zero(self) -> Any:
        """What a null list item or map value decodes to, re-encoded."""
        return KEEP_NULL

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        raise NotImplementedError

    def mismatch(self, value: Any, struct: str, path: str, state: _State) -> None:
        state.save(value_kind(value), struct, path, self.go_type)


class _Any(Node):
    __slots__ = ()

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        return


class _String(Node):
    __slots__ = ()

    def zero(self) -> Any:
        return ""

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if not isinstance(value, str):
            self.mismatch(value, struct, path, state)


class _Bool(Node):
    __slots__ = ()

    def zero(self) -> Any:
        return False

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if not isinstance(value, bool):
            self.mismatch(value, struct, path, state)


class _Int(Node):
    __slots__ = ("low", "high")

    def __init__(self, go_type: str) -> None:
        super().__init__(go_type)
        self.low, self.high = _INT_RANGES[go_type]

    def zero(self) -> Any:
        return 0

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if isinstance(value, int) and not isinstance(value, bool):
            if self.low <= value <= self.high:
                return
        elif not isinstance(value, float):
            self.mismatch(value, struct, path, state)
            return
        # a number that is no integer of this size: Go names its text
        state.save(f"number {_number_text(value)}", struct, path, self.go_type)


class _Float(Node):
    __slots__ = ()

    def zero(self) -> Any:
        return 0

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.mismatch(value, struct, path, state)


class _Bytes(Node):
    """[]byte: a base64 string (or, as Go allows, an array of byte numbers)."""

    __slots__ = ("byte",)

    def __init__(self) -> None:
        super().__init__("[]uint8")
        self.byte = _Int("uint8")

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if isinstance(value, str):
            problem = base64_problem(value)
            if problem is not None and state.first is None:
                state.first = problem
        elif isinstance(value, list):
            for item in value:
                if item is not None:
                    self.byte.check(item, struct, path, state)
        else:
            self.mismatch(value, struct, path, state)


class _List(Node):
    __slots__ = ("item",)

    def __init__(self, item: Node) -> None:
        super().__init__("[]" + item.go_type)
        self.item = item

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if not isinstance(value, list):
            self.mismatch(value, struct, path, state)
            return
        item = self.item
        if isinstance(item, _Any):
            return
        for index, element in enumerate(value):
            if element is not None:
                item.check(element, struct, path, state)
            elif state.normalize:
                zero = item.zero()
                if zero is not KEEP_NULL:
                    value[index] = zero


class _Map(Node):
    __slots__ = ("item",)

    def __init__(self, item: Node, go_type: str = "") -> None:
        super().__init__(go_type or "map[string]" + item.go_type)
        self.item = item

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if not isinstance(value, dict):
            self.mismatch(value, struct, path, state)
            return
        item = self.item
        if isinstance(item, _Any):
            return
        for key, element in value.items():
            if element is not None:
                item.check(element, struct, path, state)
            elif state.normalize:
                zero = item.zero()
                if zero is not KEEP_NULL:
                    value[key] = zero  # same keys: no resize while iterating


class Struct(Node):
    __slots__ = ("name", "fields")

    def __init__(self, go_type: str, name: str) -> None:
        super().__init__(go_type)
        self.name = name
        self.fields: dict[str, Node] = {}

    def zero(self) -> Any:
        return {}

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if not isinstance(value, dict):
            self.mismatch(value, struct, path, state)
            return
        self.check_fields(value, path, state)

    def check_fields(self, value: dict[str, Any], path: str, state: _State) -> None:
        fields = self.fields
        name = self.name
        nulls: list[str] | None = None
        for key, item in value.items():
            node = fields.get(key)  # unknown fields: strict decoding's business
            if node is None:
                continue
            if item is not None:
                node.check(item, name, f"{path}.{key}" if path else key, state)
            elif state.normalize:
                if nulls is None:
                    nulls = []
                nulls.append(key)
        for key in nulls or ():
            del value[key]  # a null field is the zero value: omitted when encoded


class _Time(Node):
    """metav1.Time / MicroTime: a JSON string in RFC 3339."""

    __slots__ = ()

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if not isinstance(value, str):
            # UnmarshalJSON decodes into a string first: its type error, in the
            # field's context
            raise HardError(type_error(value_kind(value), struct, path, "string"))
        problem = rfc3339_problem(value)
        if problem is not None:
            raise HardError(problem)


class _Quantity(Node):
    """resource.Quantity: the JSON text (a string's content) must parse."""

    __slots__ = ()

    def zero(self) -> Any:
        return "0"

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if isinstance(value, str):
            text = value.strip()
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise HardError(QUANTITY_FORMAT)  # true, {...}, [...]: no number
        else:
            text = _number_text(value)
        problem = quantity_problem(text)
        if problem is not None:
            raise HardError(problem)


class _IntOrString(Node):
    """intstr.IntOrString: a string, else decoded as an int32."""

    __slots__ = ("int32",)

    def __init__(self) -> None:
        super().__init__("intstr.IntOrString")
        self.int32 = _Int("int32")

    def zero(self) -> Any:
        return 0

    def check(self, value: Any, struct: str, path: str, state: _State) -> None:
        if isinstance(value, str):
            return
        inner = _State()
        self.int32.check(value, struct, path, inner)
        if inner.first is not None:
            raise HardError(inner.first)


def check_type_meta(kind: str, obj: dict[str, Any]) -> None:
    """apiVersion and kind are read first (the serializer's version/kind sniff,
    into an anonymous struct): not strings, the body is unrecognized."""
    for field in ("apiVersion", "kind"):
        value = obj.get(field)
        if value is not None and not isinstance(value, str):
            error = type_error(value_kind(value), "", field, "string")
            raise bad_request(
                f"the object provided is unrecognized (must be of type {kind}): "
                f"couldn't get version/kind; json parse error: {error} "
                f"({summarize(obj)})"
            )


def summarize(obj: Any) -> str:
    """summarizeData(body, 30), of the body as re-encoded (compact)."""
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
    return text[:30] + " ..." if len(text) > 30 else text


# --------------------------------------------------------------------------- compiling


def go_type_name(ref: str) -> tuple[str, str]:
    """(``v1.PodSpec``, ``PodSpec``) for ``io.k8s.api.core.v1.PodSpec``."""
    parts = ref.split(".")
    return f"{parts[-2]}.{parts[-1]}" if len(parts) > 1 else parts[-1], parts[-1]


class Compiler:
    """Compiles component schemas into nodes, each named type once."""

    def __init__(self, schemas: dict[str, Schema]) -> None:
        self.schemas = schemas
        self.named: dict[str, Node] = {}

    def ref(self, name: str) -> Node:
        found = self.named.get(name)
        if found is not None:
            return found
        go_type, bare = go_type_name(name)
        schema = self.schemas.get(name) or {}
        node: Node
        if name in (_TIME, _MICRO_TIME):
            node = _Time(go_type)
        elif name == _QUANTITY:
            node = _Quantity(go_type)
        elif name == _INT_OR_STRING:
            node = _IntOrString()
        elif name in _FREE_FORM or not schema:
            node = _Any(go_type)
        elif schema.get("properties"):
            struct = Struct(go_type, bare)
            self.named[name] = struct  # before its fields: types may recurse
            resource_lists = name.startswith(_RESOURCE_LIST_PACKAGES)
            for key, sub in schema["properties"].items():
                struct.fields[key] = self.inline(sub, resource_lists)
            return struct
        else:
            node = self.inline(schema)
        self.named[name] = node
        return node

    def inline(self, schema: Schema, resource_lists: bool = False) -> Node:
        """``resource_lists``: in a package whose maps of quantities are the
        named type v1.ResourceList (as Go's messages name it)."""
        ref = schema.get("$ref")
        if ref is None:
            for part in schema.get("allOf") or ():
                if isinstance(part, dict) and "$ref" in part:
                    ref = part["$ref"]
                    break
        if isinstance(ref, str):
            return self.ref(ref.removeprefix(_REF_PREFIX))
        kind = schema.get("type")
        fmt = schema.get("format")
        if kind == "string":
            return _Bytes() if fmt == "byte" else _String("string")
        if kind == "boolean":
            return _Bool("bool")
        if kind == "integer":
            return _Int(fmt if fmt in ("int32", "int64") else "int")
        if kind == "number":
            return _Float("float32" if fmt == "float" else "float64")
        if kind == "array":
            items = schema.get("items")
            if not isinstance(items, dict):
                return _List(_Any("interface {}"))
            return _List(self.inline(items))
        if kind == "object":
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict):
                item = self.inline(extra)
                if resource_lists and isinstance(item, _Quantity):
                    return _Map(item, "v1.ResourceList")
                return _Map(item)
            if schema.get("properties"):
                struct = Struct("struct", "")
                for key, sub in schema["properties"].items():
                    struct.fields[key] = self.inline(sub)
                return struct
        if schema.get("x-kubernetes-int-or-string"):
            return _IntOrString()
        return _Any("interface {}")


class TypeChecks:
    """Per-kind checkers, compiled on first use from ``load()``'s component
    schemas (name -> schema, every served document's merged)."""

    def __init__(self, load: Callable[[], dict[str, Schema]]) -> None:
        self._load = load
        self._lock = threading.Lock()
        self._compiler: Compiler | None = None
        self._by_gvk: dict[tuple[str, str, str], str] = {}
        self._kinds: dict[tuple[str, str, str], Struct | None] = {}

    def _ready(self) -> Compiler:
        compiler = self._compiler
        if compiler is None:
            schemas = self._load()
            for name, schema in schemas.items():
                for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                    if isinstance(gvk, dict):
                        key = (
                            gvk.get("group", ""),
                            gvk.get("version"),
                            gvk.get("kind"),
                        )
                        self._by_gvk.setdefault(key, name)  # type: ignore[arg-type]
            compiler = self._compiler = Compiler(schemas)
        return compiler

    def kind(self, group: str, version: str, kind: str) -> Struct | None:
        """The checker of a built-in kind's whole body (None: no schema)."""
        key = (group, version, kind)
        try:
            return self._kinds[key]
        except KeyError:
            pass
        with self._lock:
            compiler = self._ready()
            name = self._by_gvk.get(key)
            node = compiler.ref(name) if name else None
            found = node if isinstance(node, Struct) else None
            self._kinds[key] = found
            return found

    def object_meta(self) -> Struct | None:
        with self._lock:
            node = self._ready().ref(OBJECT_META)
        return node if isinstance(node, Struct) else None


@dataclass(frozen=True)
class Problem:
    """What Go's json.Unmarshal reports: its error text and, for a type error,
    (value kind, JSON path, Go type)."""

    message: str
    parts: tuple[str, str, str] | None = None


def find_problem(node: Node, value: Any, *, normalize: bool = False) -> Problem | None:
    """The error decoding ``value`` into ``node``'s type gives, if any: an
    UnmarshalJSON error at once, else the first type error. ``normalize``: also
    turn nulls into what decoding and encoding again makes of them, in place
    (a null field is dropped, a null list item or map value becomes the item
    type's zero value), so that what is stored is what the real server stores."""
    state = _State(normalize)
    try:
        node.check(value, "", "", state)
    except HardError as error:
        return Problem(str(error))
    return None if state.first is None else Problem(state.first, state.parts)


def decode_error(kind: str, version: str, problem: Problem) -> ApiError:
    """transformDecodeError: a create or update body that does not decode."""
    return bad_request(
        f'{kind} in version "{version}" cannot be handled as a {kind}: '
        f"{problem.message}"
    )


def go_json(value: Any) -> str:
    """json.Marshal of a decoded value: sorted keys, compact, HTML-escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def patch_error(patched: Any, problem: Problem) -> ApiError:
    """A patch whose result does not decode: the patch handler's Invalid with
    the patched object as the value (``NewInvalid(schema.GroupKind{}, "", ...)``)."""
    detail = json.dumps(go_json(patched), ensure_ascii=False)  # Go's %q, nearly
    message = f"Invalid value: {detail}: {problem.message}"
    return ApiError(
        422,
        "Invalid",
        f' "" is invalid: patch: {message}',
        {
            "causes": [
                {"reason": "FieldValueInvalid", "message": message, "field": "patch"}
            ]
        },
    )


_SMD_EXPECTED = {
    "string": "string",
    "[]uint8": "string",
    "bool": "boolean",
}


def apply_error(
    namespace: str, name: str, api_version: str, kind: str, problem: Problem
) -> ApiError:
    """An apply configuration that does not fit the schema: the field manager's
    error, which the real server answers 500 (a plain error, no reason)."""
    group, _, version = api_version.rpartition("/")
    where = f"{namespace}/{name}; {group}/{version}, Kind={kind}"
    detail = problem.message
    if problem.parts is not None:
        value, path, go_type = problem.parts
        if go_type.startswith(("int", "float", "uint")):
            expected = "numeric (int or float)"
        elif go_type.startswith("[]"):
            expected = _SMD_EXPECTED.get(go_type, "list")
        else:
            expected = _SMD_EXPECTED.get(go_type, "map")
        got = value.partition(" ")[0]
        detail = f".{path}: expected {expected}, got {got}"
    return ApiError(500, "", f"failed to create typed patch object ({where}): {detail}")
