"""manifests.load: YAML and JSON manifests from text, files and directories
(recursive, in path order, as ``kubectl apply -R -f``), multi-document streams,
``kind: List`` and typed ``*List`` documents expanded into their items. Every
object remembers where it came from, for the errors of later steps."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .._yaml import iter_documents
from ..unstructured import Unstructured
from .errors import ManifestError
from .yaml12 import Loader

__all__ = ["MANIFEST_SUFFIXES", "Manifest", "Origin", "load"]

#: The files a directory contributes, as kubectl's (``.json``, ``.yaml``, ``.yml``).
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Origin:
    """Where an object was read: the file (or ``<text>``), the document's index in
    it (1-based), the line the document starts at, and the index in its List."""

    source: str
    document: int
    line: int
    item: int | None = None

    def __str__(self) -> str:
        where = f"{self.source}: document {self.document} (line {self.line})"
        return where if self.item is None else f"{where}, item {self.item}"


class Manifest(Unstructured):
    """A loaded object (an :class:`~..unstructured.Unstructured`) and its
    :class:`Origin`."""

    __slots__ = ("origin",)

    def __init__(self, data: dict[str, Any], origin: Origin) -> None:
        super().__init__(data)
        self.origin = origin

    def __reduce__(self) -> Any:
        return (Manifest, (dict(self), self.origin))


def load(source: str | bytes | os.PathLike[str] | Iterable[Any]) -> list[Manifest]:
    """Every object of ``source``: YAML or JSON text (a ``str`` with a newline, or
    bytes), a file, a directory (recursively, files ending in .yaml, .yml or
    .json, in path order), or a list of those. Empty documents are skipped.

    Raises :class:`~.errors.ManifestError` naming the file, the document and the
    line of the first problem (unreadable file, YAML syntax, a document that is
    not an object or has no apiVersion/kind).
    """
    out: list[Manifest] = []
    for name, text in _sources(source):
        out.extend(_load_text(text, name))
    return out


def _sources(source: Any) -> Iterator[tuple[str, str | bytes]]:
    if isinstance(source, bytes) or (
        isinstance(source, str) and ("\n" in source or not source.strip())
    ):
        yield "<text>", source
    elif isinstance(source, (str, os.PathLike)):
        yield from _files(Path(source))
    elif isinstance(source, Iterable):
        for part in source:
            yield from _sources(part)
    else:
        raise TypeError(
            "manifests.load needs YAML text, a path or a list of them, not "
            f"{type(source).__name__}"
        )


def _files(path: Path) -> Iterator[tuple[str, str | bytes]]:
    if path.is_dir():
        try:
            found = sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in MANIFEST_SUFFIXES and p.is_file()
            )
        except OSError as err:
            raise ManifestError(f"{path}: cannot list the directory: {err}") from None
        for file in found:
            yield from _files(file)
        return
    try:
        yield str(path), path.read_bytes()
    except OSError as err:
        reason = err.strerror or str(err)
        raise ManifestError(f"{path}: cannot read the file: {reason}") from None


def _load_text(text: str | bytes, name: str) -> list[Manifest]:
    out: list[Manifest] = []
    index = 0
    try:
        for index, (line, document) in enumerate(iter_documents(text, Loader), 1):
            if document is None:
                continue
            out.extend(_objects(document, Origin(name, index, line)))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        problem = getattr(err, "problem", None) or str(err)
        raise ManifestError(
            f"{name}: document {index + 1} ({where}): invalid YAML: {problem}"
        ) from None
    except UnicodeDecodeError as err:
        raise ManifestError(f"{name}: not UTF-8 text: {err.reason}") from None
    return out


def _objects(document: Any, origin: Origin) -> list[Manifest]:
    """The document's object, or the items of a List (``v1/List`` or a typed
    ``*List``, whose items may leave apiVersion and kind to the list)."""
    obj = _checked(document, origin)
    kind = obj["kind"]
    if not (kind.endswith("List") and isinstance(obj.get("items"), list)):
        return [Manifest(obj, origin)]
    item_kind = kind[: -len("List")] if kind != "List" else None
    out = []
    for number, item in enumerate(obj["items"]):
        at = Origin(origin.source, origin.document, origin.line, number)
        if isinstance(item, dict) and item_kind:
            item = {"apiVersion": obj["apiVersion"], "kind": item_kind, **item}
        out.extend(_objects(item, at))
    return out


def _checked(document: Any, origin: Origin) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise ManifestError(
            f"{origin}: a manifest must be an object, not {_shown_type(document)}"
        )
    for key in ("apiVersion", "kind"):
        value = document.get(key)
        if not isinstance(value, str) or not value:
            raise ManifestError(f"{origin}: the object has no {key}")
    keys = [k for k in document if not isinstance(k, str)]
    if keys:
        raise ManifestError(f"{origin}: keys must be strings, found {keys[0]!r}")
    return document


def _shown_type(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return type(value).__name__
