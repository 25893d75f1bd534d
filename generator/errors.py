"""Errors the generator reports to its user: always with the place of the problem."""

from __future__ import annotations

from collections.abc import Iterable


def json_pointer(parts: Iterable[object]) -> str:
    """RFC 6901 pointer for a path of keys and indexes (``/paths/~1api~1v1/get``)."""
    return "".join(
        "/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts
    )


class GeneratorError(Exception):
    """Anything wrong with the input; the CLI prints it and exits non-zero."""


class SpecError(GeneratorError):
    """A problem in one spec document, located by file and JSON pointer."""

    def __init__(self, source: str, pointer: str, message: str) -> None:
        super().__init__(f"{source}{'#' + pointer if pointer else ''}: {message}")
        self.source = source
        self.pointer = pointer
        self.message = message
