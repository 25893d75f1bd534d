"""Loading YAML that may come from anyone, without being stalled by it.

PyYAML shares an anchored node between all its aliases, so parsing a "billion
laughs" document is quick, but anything that walks the result (JSON encoding, a
deep copy, a merge key) expands every alias: nine levels of ten aliases each, 500
bytes of input, become a billion nodes. Like go-yaml (which sigs.k8s.io/yaml and
so the kube-apiserver and client-go use), documents whose aliases expand too far
are refused with "excessive aliasing", and so are aliases that contain themselves.

Every YAML the runtime reads goes through :func:`load_single` or :func:`load_all`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import yaml

__all__ = [
    "MAX_ALIAS_EXPANSION",
    "YAMLLimitError",
    "iter_documents",
    "load_all",
    "load_single",
]

#: Nodes that aliases may add to a stream, beyond the nodes written in it. go-yaml
#: allows a similar order of magnitude (its ratio rule reaches 10 % at 4 million).
MAX_ALIAS_EXPANSION = 1_000_000


class YAMLLimitError(yaml.YAMLError):
    """A YAML document refused for its shape (aliases, nesting), not its syntax.

    A ``yaml.YAMLError``, so that callers' existing handlers report it.
    """


def load_single(
    stream: str | bytes,
    loader_class: type[Any],
    *,
    max_alias_expansion: int = MAX_ALIAS_EXPANSION,
) -> Any:
    """The one document of ``stream`` (None if empty), as ``yaml.load`` would."""
    loader = loader_class(stream)
    try:
        guard = _AliasBudget(stream, max_alias_expansion)
        node = _nested(loader.get_single_node)
        if node is None:
            return None
        guard.check(node, 1)
        return _nested(partial(loader.construct_document, node))
    finally:
        loader.dispose()


def load_all(
    stream: str | bytes,
    loader_class: type[Any],
    *,
    max_alias_expansion: int = MAX_ALIAS_EXPANSION,
) -> list[Any]:
    """Every document of ``stream`` (empty ones as None), as ``yaml.load_all``."""
    loader = loader_class(stream)
    try:
        guard = _AliasBudget(stream, max_alias_expansion)
        documents = []
        for number, node in enumerate(_nodes(loader), start=1):
            guard.check(node, number)
            documents.append(_nested(partial(loader.construct_document, node)))
        return documents
    finally:
        loader.dispose()


def iter_documents(
    stream: str | bytes,
    loader_class: type[Any],
    *,
    max_alias_expansion: int = MAX_ALIAS_EXPANSION,
) -> Iterator[tuple[int, Any]]:
    """(line the document starts at, 1-based; the document) for every document of
    ``stream``, as each is parsed, so that a caller knows which one failed."""
    loader = loader_class(stream)
    try:
        guard = _AliasBudget(stream, max_alias_expansion)
        for number, node in enumerate(_nodes(loader), start=1):
            guard.check(node, number)
            line = node.start_mark.line + 1 if node.start_mark else 1
            yield line, _nested(partial(loader.construct_document, node))
    finally:
        loader.dispose()


def _nodes(loader: Any) -> Iterator[Any]:
    while _nested(loader.check_node):
        yield _nested(loader.get_node)


def _nested(step: Callable[[], Any]) -> Any:
    """Run a parsing step; PyYAML's pure-Python composer recurses per nesting level."""
    try:
        return step()
    except RecursionError:
        raise YAMLLimitError("refused: the YAML is nested too deeply") from None


class _AliasBudget:
    """Counts the nodes aliases add over a stream, refusing past the limit."""

    def __init__(self, stream: str | bytes, limit: int) -> None:
        # An alias is written "*name": without a "*" anywhere there is none, and
        # the (linear) walk over the nodes can be skipped.
        if isinstance(stream, bytes):
            self._may_alias = b"*" in stream
        else:
            self._may_alias = "*" in stream
        self._limit = limit
        self._added = 0

    def check(self, root: Any, document: int) -> None:
        if not self._may_alias:
            return
        expanded, written = _expanded_size(root, document)
        self._added += expanded - written
        if self._added > self._limit:
            raise YAMLLimitError(
                f"refused: excessive aliasing in document {document}: its aliases "
                f"expand to {expanded:,} nodes from {written:,} written "
                f"(at most {self._limit:,} more are allowed)"
            )


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _expanded_size(root: Any, document: int) -> tuple[int, int]:
    """(nodes with every alias expanded, distinct nodes) under ``root``.

    Iterative (documents can nest deeply) and memoised per node, so the cost is
    the number of distinct nodes however far the aliases would expand.
    """
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()  # the ancestors of the node being walked
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            in_progress.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        in_progress.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in in_progress:
                mark = child.start_mark
                raise YAMLLimitError(
                    f"refused: excessive aliasing in document {document}: an alias "
                    f"contains itself (the node at line {mark.line + 1}, "
                    f"column {mark.column + 1})"
                )
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)], len(sizes)
