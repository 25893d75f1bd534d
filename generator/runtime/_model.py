"""Typed views over Kubernetes wire dicts.

A model instance holds the JSON dict exactly as it came off the wire (as its
``__dict__``) and decodes fields on attribute access, so:

* decoding a response costs one ``json.loads`` plus a few small wrappers, and
  reading ``pod.metadata.name`` touches nothing else;
* ``to_dict(from_dict(d)) == d`` for every valid object, including fields this
  code does not know (a newer server's fields survive read-modify-write), and
  timestamps keep their wire spelling until they are assigned;
* writes go straight into the wire dict, so nested objects, list views and map
  views all share one source of truth.

Generated classes declare fields as ``name: Opt[str] = F("wireName", default=None)``;
``dataclass_transform`` gives type checkers the keyword constructor.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import (
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    MutableSequence,
    Sequence,
)
from datetime import datetime, timezone
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, overload

from ._json import JSONDepthError, deepcopy_json, dumps, loads
from ._json import _json_codec as _json_codec  # re-exported: the benchmarks use it

if sys.version_info >= (3, 11) or TYPE_CHECKING:
    from typing import Self, TypeAlias, dataclass_transform
else:  # pragma: no cover - Python 3.10 only affects static typing
    from typing import TypeAlias

    Self = Any

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda cls: cls


__all__ = [
    "D",
    "F",
    "Field",
    "JSONDepthError",
    "FieldProperty",
    "L",
    "ListView",
    "Lst",
    "MICROTIME",
    "Map",
    "MapView",
    "MicroTime",
    "Model",
    "Obj",
    "Opt",
    "PlainField",
    "Quantity",
    "TIME",
    "Time",
    "deepcopy_json",
    "dumps",
    "format_time",
    "loads",
    "parse_time",
]

G = TypeVar("G")
S = TypeVar("S")
T = TypeVar("T")
ModelT = TypeVar("ModelT", bound="Model")

#: ``resource.Quantity`` on the wire: a string such as ``"500m"``; manifests may use numbers.
Quantity: TypeAlias = str | int | float


# --------------------------------------------------------------------------- codecs


class Codec:
    """Converts one wire value to its Python form and back."""

    __slots__ = ()

    def bind(self, module: str) -> None:
        """Learn the module that declared the field, to resolve model names lazily."""

    def decode(self, raw: Any) -> Any:
        raise NotImplementedError

    def encode(self, value: Any) -> Any:
        raise NotImplementedError

    def annotation(self) -> str:
        raise NotImplementedError


class ModelCodec(Codec):
    """A reference to a model class, by name: ``"Container"`` in the declaring
    module, ``"meta_v1.ObjectMeta"`` in a sibling module, or
    ``"kubeclient.models.meta_v1:ObjectMeta"`` in another package (a base package
    of CRD models). Resolved on first use, so importing one group-version never
    imports the others."""

    __slots__ = ("ref", "module", "_cls")

    def __init__(self, ref: str | type[Model]) -> None:
        self.module = ""
        if isinstance(ref, str):
            self.ref = ref
            self._cls: type[Model] | None = None
        else:
            self.ref = ref.__name__
            self._cls = ref

    def bind(self, module: str) -> None:
        if not self.module:
            self.module = module

    @property
    def cls(self) -> type[Model]:
        cls = self._cls
        if cls is None:
            cls = self._cls = self._resolve()
        return cls

    def _resolve(self) -> type[Model]:
        if ":" in self.ref:  # "pkg.models.meta_v1:ObjectMeta": another package's class
            absolute, _, class_name = self.ref.partition(":")
            return self._checked(getattr(importlib.import_module(absolute), class_name))
        module_name, _, class_name = self.ref.rpartition(".")
        if module_name:
            package = self.module.rpartition(".")[0]
            module = importlib.import_module(f"{package}.{module_name}")
        else:
            module = sys.modules[self.module]
        return self._checked(getattr(module, class_name))

    def _checked(self, cls: object) -> type[Model]:
        if not (isinstance(cls, type) and issubclass(cls, Model)):
            raise TypeError(f"{self.ref} in {self.module} is not a Model class")
        return cls

    def decode(self, raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw  # malformed input stays visible as-is rather than crashing
        obj = object.__new__(self._cls or self.cls)
        _set_wire_dict(obj, raw)
        return obj

    def encode(self, value: Any) -> Any:
        if isinstance(value, Model):
            return value.__dict__
        if isinstance(value, Mapping):
            return value if isinstance(value, dict) else dict(value)
        raise TypeError(f"expected {self.ref} or a mapping, got {type(value).__name__}")

    def annotation(self) -> str:
        return self.ref.replace(":", ".").rpartition(".")[2]


def parse_time(raw: str) -> datetime:
    """RFC 3339 as Kubernetes writes it (``2024-05-01T10:00:00Z``, optional fraction)."""
    return datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1:] in "zZ" else raw)


def format_time(value: datetime, micro: bool = False) -> str:
    """Format as Kubernetes does: UTC, ``Z`` suffix, seconds or microseconds."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    if micro:
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


class TimeCodec(Codec):
    """``metav1.Time`` (seconds) and ``metav1.MicroTime`` (microseconds)."""

    __slots__ = ("micro",)

    def __init__(self, micro: bool) -> None:
        self.micro = micro

    def decode(self, raw: Any) -> Any:
        return parse_time(raw) if isinstance(raw, str) and raw else raw

    def encode(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return format_time(value, self.micro)
        if isinstance(value, str):
            parse_time(value)  # reject garbage early, keep the caller's spelling
            return value
        raise TypeError(
            f"expected datetime or RFC 3339 string, got {type(value).__name__}"
        )

    def annotation(self) -> str:
        return "datetime"


TIME = TimeCodec(micro=False)
MICROTIME = TimeCodec(micro=True)


class ListCodec(Codec):
    __slots__ = ("item",)

    def __init__(self, item: Codec) -> None:
        self.item = item

    def bind(self, module: str) -> None:
        self.item.bind(module)

    def decode(self, raw: Any) -> Any:
        return ListView(raw, self.item) if isinstance(raw, list) else raw

    def encode(self, value: Any) -> Any:
        if isinstance(value, ListView):
            return value._raw
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            raise TypeError(f"expected a sequence, got {type(value).__name__}")
        encode = self.item.encode
        return [None if v is None else encode(v) for v in value]

    def annotation(self) -> str:
        return f"list[{self.item.annotation()}]"


class MapCodec(Codec):
    __slots__ = ("item",)

    def __init__(self, item: Codec) -> None:
        self.item = item

    def bind(self, module: str) -> None:
        self.item.bind(module)

    def decode(self, raw: Any) -> Any:
        return MapView(raw, self.item) if isinstance(raw, dict) else raw

    def encode(self, value: Any) -> Any:
        if isinstance(value, MapView):
            return value._raw
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a mapping, got {type(value).__name__}")
        encode = self.item.encode
        return {str(k): None if v is None else encode(v) for k, v in value.items()}

    def annotation(self) -> str:
        return f"dict[str, {self.item.annotation()}]"


def _codec(spec: Codec | str | type[Model]) -> Codec:
    return spec if isinstance(spec, Codec) else ModelCodec(spec)


def L(item: Codec | str | type[Model]) -> ListCodec:
    """List of models (or times); ``L("Container")``."""
    return ListCodec(_codec(item))


def D(item: Codec | str | type[Model]) -> MapCodec:
    """Map from string to models (or times); ``D("JSONSchemaProps")``."""
    return MapCodec(_codec(item))


# --------------------------------------------------------------------------- views

# The views are typed as MutableSequence / MutableMapping but do not inherit from
# the ABCs at run time: ``isinstance`` against an ABC runs Python code, and code
# that walks objects checks types a lot. They are registered as virtual
# subclasses and borrow the ABCs' mixin methods instead (see the end of section).
if TYPE_CHECKING:
    _SequenceBase = MutableSequence
    _MappingBase = MutableMapping
else:

    class _SequenceBase(Generic[T]):
        __slots__ = ()

    class _MappingBase(Generic[G, T]):
        __slots__ = ()


class ListView(_SequenceBase[T]):
    """A list of models that reads and writes the wire list underneath.

    ``pod.spec.containers.append(c)`` changes the pod; items are wrapped on access.
    """

    __slots__ = ("_raw", "_codec")

    def __init__(self, raw: list[Any], codec: Codec) -> None:
        self._raw = raw
        self._codec = codec

    def __len__(self) -> int:
        return len(self._raw)

    def __iter__(self) -> Iterator[T]:
        return map(self._codec.decode, self._raw)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return list(map(self._codec.decode, self._raw[index]))
        return self._codec.decode(self._raw[index])  # type: ignore[no-any-return]

    @overload
    def __setitem__(self, index: int, value: T) -> None: ...

    @overload
    def __setitem__(self, index: slice, value: Iterable[T]) -> None: ...

    def __setitem__(self, index: int | slice, value: Any) -> None:
        if isinstance(index, slice):
            self._raw[index] = [self._codec.encode(v) for v in value]
        else:
            self._raw[index] = self._codec.encode(value)

    def __delitem__(self, index: int | slice) -> None:
        del self._raw[index]

    def insert(self, index: int, value: T) -> None:
        self._raw.insert(index, self._codec.encode(value))

    def append(self, value: T) -> None:
        self._raw.append(self._codec.encode(value))

    def clear(self) -> None:
        self._raw.clear()

    def copy(self) -> list[T]:
        """A plain list of the items (the items still share their wire data)."""
        return list(self)

    def sort(self, *, key: Callable[[T], Any], reverse: bool = False) -> None:
        decode = self._codec.decode
        self._raw.sort(key=lambda raw: key(decode(raw)), reverse=reverse)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ListView):
            return self._raw == other._raw
        if isinstance(other, list):
            return list(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(list(self))


class MapView(_MappingBase[str, T]):
    """A ``dict[str, Model]`` view over the wire dict (e.g. JSONSchemaProps.properties)."""

    __slots__ = ("_raw", "_codec")

    def __init__(self, raw: dict[str, Any], codec: Codec) -> None:
        self._raw = raw
        self._codec = codec

    def __len__(self) -> int:
        return len(self._raw)

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __getitem__(self, key: str) -> T:
        return self._codec.decode(self._raw[key])  # type: ignore[no-any-return]

    def __setitem__(self, key: str, value: T) -> None:
        self._raw[key] = self._codec.encode(value)

    def __delitem__(self, key: str) -> None:
        del self._raw[key]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MapView):
            return self._raw == other._raw
        if isinstance(other, dict):
            return dict(self) == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(dict(self))


def _borrow_mixins(cls: type, abc: type) -> None:
    for name in dir(abc):
        if not name.startswith("_abc") and name not in vars(cls):
            member = getattr(abc, name)
            if (
                callable(member)
                and getattr(member, "__module__", None) == abc.__module__
            ):
                setattr(cls, name, member)
    abc.register(cls)  # type: ignore[attr-defined]


_borrow_mixins(ListView, MutableSequence)
_borrow_mixins(MapView, MutableMapping)


# --------------------------------------------------------------------------- fields


class Field(Generic[G, S]):
    # One wire field: its name, codec, merge metadata and doc; a descriptor for
    # typing. ``G`` is the type read, ``S`` the type accepted on assignment and in
    # the constructor (type checkers take the constructor parameter from
    # ``__set__``). Setting ``None`` removes the key, as Go's ``omitempty`` would
    # leave it out.
    #
    # At run time ``Model.__init_subclass__`` replaces it in the class with a
    # faster accessor (``PlainField``, ``FieldProperty``); it stays in
    # ``_fields_``, does the writes, and is what ``Model.some_plain_field`` gives.
    # Its ``__doc__`` is the field's (hence no class docstring: same name).

    __slots__ = (
        "wire",
        "name",
        "codec",
        "list_type",
        "map_keys",
        "map_type",
        "patch_strategy",
        "patch_merge_key",
        "owner",
        "_doc",
    )

    def __init__(
        self,
        wire: str,
        codec: Codec | None = None,
        *,
        list_type: str | None = None,
        map_keys: tuple[str, ...] = (),
        map_type: str | None = None,
        patch_strategy: str | None = None,
        patch_merge_key: str | None = None,
        doc: str | None = None,
    ) -> None:
        self.wire = wire
        self.name = wire
        self.codec = codec
        self.list_type = list_type
        self.map_keys = map_keys
        self.map_type = map_type
        self.patch_strategy = patch_strategy
        self.patch_merge_key = patch_merge_key
        self.owner: type | None = None
        self._doc = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.owner = owner
        if self.codec is not None:
            self.codec.bind(owner.__module__)

    @property
    def doc(self) -> str:
        """The field's description: ``doc=`` if given, else the attribute docstring
        under the field in its class's source (read on first use, see ``_docs``)."""
        doc = self._doc
        if doc is None:
            owner = self.owner
            if owner is None:
                return ""
            from ._docs import field_doc

            doc = self._doc = field_doc(owner.__module__, owner.__qualname__, self.name)
        return doc

    @property
    def __doc__(self) -> str:  # type: ignore[override]
        return self.doc

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Self: ...

    @overload
    def __get__(self, obj: Model, owner: type | None = None) -> G: ...

    def __get__(self, obj: Model | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        raw = obj.__dict__.get(self.wire)
        if raw is None or self.codec is None:
            return raw
        return self.codec.decode(raw)

    def __set__(self, obj: Model, value: S) -> None:
        wire = obj.__dict__
        if value is None:
            wire.pop(self.wire, None)
        elif self.codec is None:
            wire[self.wire] = value
        else:
            wire[self.wire] = self.codec.encode(value)

    def __delete__(self, obj: Model) -> None:
        obj.__dict__.pop(self.wire, None)

    def model_class(self) -> type[Model] | None:
        """The model class of the value, or of the items of a list or map field."""
        codec = self.codec
        while isinstance(codec, (ListCodec, MapCodec)):
            codec = codec.item
        return codec.cls if isinstance(codec, ModelCodec) else None

    def __repr__(self) -> str:
        return f"<field {self.name} ({self.wire!r})>"


def F(
    wire: str,
    codec: Codec | str | type[Model] | None = None,
    *,
    default: None = None,
    list_type: str | None = None,
    map_keys: tuple[str, ...] = (),
    map_type: str | None = None,
    patch_strategy: str | None = None,
    patch_merge_key: str | None = None,
    doc: str | None = None,
) -> Any:
    """Declare a field: wire name, how to decode it, its merge metadata and its doc.

    ``default=None`` only tells type checkers the constructor argument is optional.
    ``doc`` becomes the ``__doc__`` of the field's class attribute, for ``help()``;
    without it, that is the docstring under the field in the source.
    """
    return Field(
        wire,
        None if codec is None else _codec(codec),
        list_type=list_type,
        map_keys=map_keys,
        map_type=map_type,
        patch_strategy=patch_strategy,
        patch_merge_key=patch_merge_key,
        doc=doc,
    )


# Annotations used by generated code: what reading gives, what writing accepts.
Opt: TypeAlias = Field[T | None, T | None]
Obj: TypeAlias = Field[T | None, T | None]
Lst: TypeAlias = Field[ListView[T] | None, Sequence[T] | None]
Map: TypeAlias = Field[MapView[T] | None, Mapping[str, T] | None]
Time: TypeAlias = Field[datetime | None, datetime | str | None]
MicroTime: TypeAlias = Field[datetime | None, datetime | str | None]


# --------------------------------------------------------------------------- models


#: Names generated fields must not take (the generator escapes them with a ``_``).
MODEL_METHODS = frozenset({"to_dict", "from_dict", "to_json", "from_json"})


class _Guarded:
    """Wraps a method as a data descriptor, so that no key of the wire data (which
    is the instance ``__dict__``) can shadow it, whatever a server sends."""

    __slots__ = ("func",)

    def __init__(self, func: Any) -> None:
        self.func = func

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        return self.func.__get__(obj, owner)

    def __set__(self, obj: object, value: object) -> None:
        raise AttributeError("model methods cannot be replaced")


# Field getters, installed as ``property`` objects: a property calls its getter
# with one vectorcall, much cheaper than a Python ``__get__`` method.


def _raw_getter(wire: str) -> Callable[[Any], Any]:
    def get(self: Any) -> Any:
        return self.__dict__.get(wire)

    return get


def _decoding_getter(wire: str, codec: Codec) -> Callable[[Any], Any]:
    if isinstance(codec, ModelCodec):
        new = object.__new__

        def get_model(self: Any) -> Any:
            raw = self.__dict__.get(wire)
            if raw.__class__ is not dict:
                return raw  # None, or malformed data shown as is
            obj = new(codec._cls or codec.cls)
            _set_wire_dict(obj, raw)
            return obj

        return get_model
    if isinstance(codec, ListCodec):
        item = codec.item

        def get_list(self: Any) -> Any:
            raw = self.__dict__.get(wire)
            return ListView(raw, item) if raw.__class__ is list else raw

        return get_list
    decode = codec.decode

    def get(self: Any) -> Any:
        raw = self.__dict__.get(wire)
        return raw if raw is None else decode(raw)

    return get


class PlainField:
    """The class attribute of a plain field whose Python name is its wire name.

    A non-data descriptor: the wire dict (the instance ``__dict__``) wins, so a
    present key is read by a C lookup, and an absent one reads None. On the class
    it gives the ``Field``, whose ``__doc__`` is the field's, for ``help()``
    (which, seeing a data descriptor, lists it among the data attributes).
    """

    __slots__ = ("field",)

    def __init__(self, field: Field[Any, Any]) -> None:
        self.field = field

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        return self.field if obj is None else None

    def __repr__(self) -> str:
        return repr(self.field)


class FieldProperty(property):
    # The class attribute of a field read through a getter (renamed or decoding
    # fields): a property, whose ``__doc__`` is the field's, looked up on first use.
    __slots__ = ("field",)

    def __init__(self, getter: Callable[[Any], Any], field: Field[Any, Any]) -> None:
        self.field = field
        super().__init__(getter)

    @property
    def __doc__(self) -> str:
        return self.field.doc

    @__doc__.setter
    def __doc__(self, value: object) -> None:
        pass  # property.__init__ stores the getter's doc here: the field's wins


def _plain_wire_name(name: str, taken: Iterable[str]) -> bool:
    """A wire name usable as a class attribute default without shadowing anything."""
    return name.isidentifier() and not name.startswith("_") and name not in taken


@dataclass_transform(kw_only_default=True, field_specifiers=(F, Field))
class Model:
    """Base of every generated model: a typed view over one wire dict.

    The wire dict *is* the instance ``__dict__``. A field whose Python name is its
    wire name (``name``, ``labels``, ``image``) is then an ordinary attribute
    lookup done in C, with a non-data descriptor on the class (``PlainField``)
    answering None when it is absent; a renamed plain field
    (``image_pull_policy`` -> ``imagePullPolicy``) is a ``property`` over
    ``operator.attrgetter``, also C; only fields that decode (models, lists of
    models, timestamps) run Python code on access. All writes go through
    ``__setattr__``, which rejects unknown names (a typo must not add a key to the
    object) and encodes values.

    Every field's class attribute has the field's doc as ``__doc__`` (read from
    the source on first use), so ``help(PodSpec)`` documents the fields.
    """

    _fields_: ClassVar[dict[str, Field[Any, Any]]] = {}
    _wire_fields_: ClassVar[dict[str, Field[Any, Any]]] = {}
    _api_version_: ClassVar[str | None] = None
    _kind_: ClassVar[str | None] = None
    #: x-kubernetes-map-type of the type itself ("atomic": apply owns it as a whole)
    _map_type_: ClassVar[str | None] = None

    def __init_subclass__(
        cls,
        *,
        api_version: str | None = None,
        kind: str | None = None,
        map_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, Field[Any, Any]] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Field):
                    fields[name] = value
        clash = MODEL_METHODS.intersection(fields)
        if clash:
            raise TypeError(
                f"{cls.__name__}: field names shadow model methods: {sorted(clash)}"
            )
        cls._fields_ = fields
        cls._wire_fields_ = {f.wire: f for f in fields.values()}
        if kind is not None:
            cls._api_version_ = api_version
            cls._kind_ = kind
        if map_type is not None:
            cls._map_type_ = map_type
        taken = {*_MODEL_NAMES, *vars(cls), *fields}
        # Each field's class attribute carries its doc, for help() at run time.
        for name, field in fields.items():
            if field.codec is not None:
                getter = _decoding_getter(field.wire, field.codec)
                setattr(cls, name, FieldProperty(getter, field))
            elif not _plain_wire_name(field.wire, taken - {name}):
                setattr(cls, name, FieldProperty(_raw_getter(field.wire), field))
            elif field.wire == name:
                setattr(cls, name, PlainField(field))
            else:
                setattr(cls, name, FieldProperty(attrgetter(field.wire), field))
                setattr(cls, field.wire, None)
                taken.add(field.wire)

    # ``self`` positional-only: a field may be called ``self`` (a CRD's choice).
    def __init__(self, /, **kwargs: Any) -> None:
        cls = type(self)
        if cls._kind_ is not None:
            self.__dict__["apiVersion"] = cls._api_version_
            self.__dict__["kind"] = cls._kind_
        fields = cls._fields_
        for name, value in kwargs.items():
            field = fields.get(name)
            if field is None:
                raise TypeError(
                    f"{cls.__name__}() got an unexpected keyword argument {name!r}"
                )
            field.__set__(self, value)

    if not TYPE_CHECKING:  # hidden from type checkers, which then flag typos too

        def __setattr__(self, name: str, value: Any) -> None:
            field = type(self)._fields_.get(name)
            if field is None:
                raise AttributeError(f"{type(self).__name__} has no field {name!r}")
            field.__set__(self, value)

        def __delattr__(self, name: str) -> None:
            self.__setattr__(name, None)

    # -- conversion

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, copy: bool = True) -> Self:
        """Wrap a wire dict. With ``copy=False`` the object and ``data`` share state."""
        if not isinstance(data, Mapping):
            raise TypeError(
                f"{cls.__name__}.from_dict() needs a mapping, got {type(data).__name__}"
            )
        if not isinstance(data, dict):
            return wrap(cls, deepcopy_json(dict(data)))
        return wrap(cls, deepcopy_json(data) if copy else data)

    @classmethod
    def from_json(cls, data: bytes | bytearray | str) -> Self:
        """Decode JSON bytes (e.g. an API response) into this model."""
        raw = loads(data)
        if not isinstance(raw, dict):
            raise ValueError(
                f"{cls.__name__}.from_json(): expected a JSON object, got {type(raw).__name__}"
            )
        return wrap(cls, raw)

    def to_dict(self, *, copy: bool = True) -> dict[str, Any]:
        """The wire form, unknown fields included. ``copy=False`` returns the live dict."""
        return deepcopy_json(self.__dict__) if copy else self.__dict__

    def to_json(self) -> bytes:
        return dumps(self.__dict__)

    # -- Python protocol

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Model):
            return type(self) is type(other) and self.__dict__ == other.__dict__
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        wire = self.__dict__
        parts = [
            f"{name}={getattr(self, name)!r}"
            for name, field in type(self)._fields_.items()
            if wire.get(field.wire) is not None
        ]
        return f"{type(self).__name__}({', '.join(parts)})"

    def __copy__(self) -> Self:
        return wrap(type(self), dict(self.__dict__))

    def __deepcopy__(self, memo: dict[int, Any]) -> Self:
        return wrap(type(self), deepcopy_json(self.__dict__))

    def __reduce__(self) -> tuple[Any, ...]:
        return (wrap, (type(self), self.__dict__))


for _method in ("to_dict", "to_json", "from_dict", "from_json"):
    setattr(Model, _method, _Guarded(vars(Model)[_method]))


#: Attribute names every model has (a wire name among them gets no class default).
_MODEL_NAMES = frozenset(dir(Model))

#: The C setter of ``Model.__dict__``: adopting a wire dict costs one call.
_set_wire_dict = vars(Model)["__dict__"].__set__


def wrap(cls: type[ModelT], raw: dict[str, Any]) -> ModelT:
    """Wrap a wire dict without copying (internal fast path)."""
    obj = object.__new__(cls)
    _set_wire_dict(obj, raw)
    return obj
