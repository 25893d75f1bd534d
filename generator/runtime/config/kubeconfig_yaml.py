"""Reading one kubeconfig file's YAML, with checks that name the file and field.

client-go decodes kubeconfig YAML into typed structs; :class:`Section` plays that
part here: each accessor checks the type it expects and raises a
:class:`~.common.ConfigError` naming ``file: path.to.field`` otherwise.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from dataclasses import dataclass
from typing import Any

import yaml

from .._yaml import YAMLLimitError, load_single
from .common import ConfigError, read_problem, short

__all__ = ["MAX_KUBECONFIG_BYTES", "Origin", "Section", "parse_yaml_file"]

#: Larger kubeconfig files are refused: real ones are kilobytes, and PyYAML's
#: pure-Python parser takes about a second per megabyte.
MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024


class _Plain(str):
    """An unquoted YAML scalar: a string field, or a typed value in free-form data."""

    __slots__ = ()


class _KubeconfigLoader(yaml.SafeLoader):
    """Keeps scalars as their text, as client-go does for string fields.

    client-go decodes YAML against typed structs, so ``token: 0123`` is the string
    "0123", not the integer 83 PyYAML's YAML 1.1 rules would make of it. Only null
    and merge keys keep their implicit meaning; booleans are parsed per field.
    """


_KubeconfigLoader.yaml_implicit_resolvers = {
    first: [
        (tag, pattern)
        for tag, pattern in resolvers
        if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_string(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    text = loader.construct_scalar(node)
    return _Plain(text) if node.style is None else text


_KubeconfigLoader.add_constructor("tag:yaml.org,2002:str", _construct_string)

# YAML 1.1 booleans as go-yaml v2 (used by client-go) reads them.
_TRUE = frozenset(
    ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON")
)
_FALSE = frozenset(
    ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF")
)


def parse_yaml_file(path: str) -> Any:
    """The data of the kubeconfig file at ``path``; every failure a ConfigError."""
    try:
        with open(path, "rb") as file:
            content = file.read(MAX_KUBECONFIG_BYTES + 1)
    except (OSError, ValueError) as error:  # ValueError: a NUL byte in the path
        raise ConfigError(f"{path}: {read_problem(path, error)}") from None
    if len(content) > MAX_KUBECONFIG_BYTES:
        raise ConfigError(
            f"{path}: refused: larger than {MAX_KUBECONFIG_BYTES // (1024 * 1024)} MiB"
            ", which no kubeconfig needs"
        )
    try:
        return load_single(content, _KubeconfigLoader)
    except yaml.MarkedYAMLError as error:
        # Built from parts: str(error) quotes the offending line, which may be a
        # token.
        raise ConfigError(f"{path}: {_describe_yaml_error(error)}") from None
    except yaml.reader.ReaderError as error:
        problem = f"byte {error.position}: not valid text ({error.reason})"
        raise ConfigError(f"{path}: {problem}") from None
    except YAMLLimitError as error:  # excessive aliasing or nesting, said as such
        raise ConfigError(f"{path}: {error}") from None
    except yaml.YAMLError as error:
        problem = f"invalid YAML ({type(error).__name__})"
        raise ConfigError(f"{path}: {problem}") from None


def _describe_yaml_error(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
    what = "; ".join(part for part in (error.context, error.problem) if part)
    return f"{where}: invalid YAML: {what or 'syntax error'}"


def kind_of(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__


@dataclass(frozen=True)
class Origin:
    """Which file and which entry a value came from, for messages."""

    file: str
    path: str  # e.g. "users[name=admin].user"

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.describe(key)}: {problem}")

    def describe(self, key: str) -> str:
        return f"{self.file}: {self.path}.{key}"


class Section:
    """One mapping of a kubeconfig file, read with checks that name file and field."""

    def __init__(self, file: str, path: str, value: object) -> None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            where = path or "top level"
            raise ConfigError(
                f"{file}: {where}: expected a mapping, got {kind_of(value)}"
            )
        self.file = file
        self.path = path
        self._values: dict[Any, Any] = value

    def field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.field(key)}: {problem}")

    def raw(self, key: str) -> Any:
        return self._values.get(key)

    def string(self, key: str) -> str:
        """The string at ``key``; "" when absent or null, as in client-go."""
        value = self._values.get(key)
        if value is None:
            return ""
        if not isinstance(value, str):
            raise self.error(key, f"expected a string, got {kind_of(value)}")
        if _has_lone_surrogate(value):
            raise self.error(key, _NOT_UNICODE)
        return str(value)

    def boolean(self, key: str) -> bool:
        value = self._values.get(key)
        if value is None:
            return False
        if isinstance(value, _Plain) and value in _TRUE | _FALSE:
            return value in _TRUE
        shown = short(value) if isinstance(value, str) else kind_of(value)
        raise self.error(key, f"expected true or false, got {shown}")

    def base64_data(self, key: str) -> bytes | None:
        text = self.string(key)
        if not text:
            return None
        try:
            # Go's decoder skips line breaks, which YAML block scalars leave in.
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            raise self.error(key, "is not valid base64") from None

    @property
    def origin(self) -> Origin:
        return Origin(self.file, self.path)

    @property
    def base_dir(self) -> str:
        """The kubeconfig's folder: client-go resolves relative paths per file."""
        return os.path.dirname(os.path.abspath(self.file))

    def file_path(self, key: str) -> str:
        """A path, resolved against the kubeconfig's own folder if relative."""
        return resolve_path(self.string(key), self.base_dir)

    def strings(self, key: str) -> list[str]:
        items = self._list(key)
        for index, item in enumerate(items):
            where = f"{self.file}: {self.field(key)}[{index}]"
            if not isinstance(item, str):
                problem = f"expected a string, got {kind_of(item)}"
                raise ConfigError(f"{where}: {problem}")
            if _has_lone_surrogate(item):
                raise ConfigError(f"{where}: {_NOT_UNICODE}")
        return [str(item) for item in items]

    def string_lists(self, key: str) -> dict[str, list[str]]:
        """A mapping of strings to lists of strings (``as-user-extra``)."""
        body = self.section(key)
        out: dict[str, list[str]] = {}
        for name in body._values:
            if not isinstance(name, str) or _has_lone_surrogate(name):
                raise self.error(key, f"key {short(str(name))} is not a string")
            out[name] = body.strings(name)
        return out

    def section(self, key: str) -> Section:
        return Section(self.file, self.field(key), self._values.get(key))

    def has(self, key: str) -> bool:
        return self._values.get(key) is not None

    def sections(self, key: str) -> list[Section]:
        return [
            Section(self.file, f"{self.field(key)}[{index}]", item)
            for index, item in enumerate(self._list(key))
        ]

    def json_data(self, key: str) -> Any:
        """Free-form data (an extension) as client-go would pass it on: JSON."""
        try:
            value = _json_value(self._values.get(key))
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError):
            raise self.error(key, "is not plain JSON-compatible data") from None
        return value

    def _list(self, key: str) -> list[Any]:
        value = self._values.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {kind_of(value)}")
        return value


_NOT_UNICODE = "is not valid Unicode text (it holds a lone surrogate)"


def _has_lone_surrogate(value: str) -> bool:
    """A ``\\ud800`` escape makes one: no file name, header or argument can hold it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def resolve_path(path: str, base_dir: str) -> str:
    if not path or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base_dir, path))


def _json_value(value: Any) -> Any:
    """Free-form YAML with typed scalars, as go-yaml reads untyped data."""
    if isinstance(value, dict):
        return {_json_key(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if isinstance(value, _Plain):
        try:
            typed = yaml.safe_load(value)
        except yaml.YAMLError:
            return str(value)
        return typed if isinstance(typed, bool | int | float) else str(value)
    return value


def _json_key(key: Any) -> str:
    if isinstance(key, str):
        return str(key)
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)
    raise TypeError("a mapping key that is not a scalar")
