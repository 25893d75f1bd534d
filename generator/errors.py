"""Errors the generator reports to its user: always with the place of the problem."""

from __future__ import annotations

from .runtime.machinery.openapi import json_pointer

__all__ = ["GeneratorError", "SpecError", "json_pointer"]


class GeneratorError(Exception):
    """Anything wrong with the input; the CLI prints it and exits non-zero."""


class SpecError(GeneratorError):
    """A problem in one spec document, located by file and JSON pointer."""

    def __init__(self, source: str, pointer: str, message: str) -> None:
        super().__init__(f"{source}{'#' + pointer if pointer else ''}: {message}")
        self.source = source
        self.pointer = pointer
        self.message = message
