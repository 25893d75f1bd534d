"""Field docs at run time, read from the attribute docstrings in the model source.

Generated models document each field with the string literal after it (which IDEs
show), and the compiler drops those literals. ``help(PodSpec)`` and
``PodSpec.containers.__doc__`` read them back from the module source on first
use: importing a models module costs nothing for docs, and the source holds each
text once. Without the source (a bytecode-only install) fields have no doc.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
import sys
import threading

_lock = threading.Lock()
#: module name -> class qualname -> field name -> doc
_cache: dict[str, dict[str, dict[str, str]]] = {}


def field_doc(module: str, qualname: str, name: str) -> str:
    """The docstring under ``name`` in class ``qualname`` of ``module``, or ``""``."""
    docs = _cache.get(module)
    if docs is None:
        with _lock:
            docs = _cache.get(module)
            if docs is None:
                docs = _cache[module] = _module_docs(module)
    return docs.get(qualname, {}).get(name, "")


def _module_docs(module_name: str) -> dict[str, dict[str, str]]:
    module = sys.modules.get(module_name)
    filename = getattr(module, "__file__", None)
    if not filename:
        return {}
    # linecache asks the module's loader too (zip imports), and caches nothing
    # it cannot read.
    source = "".join(linecache.getlines(filename, vars(module)))
    if not source:
        return {}
    try:
        tree = ast.parse(source, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {}  # not the source this module was compiled from
    docs: dict[str, dict[str, str]] = {}
    _collect(tree.body, "", docs)
    return docs


def _collect(
    body: list[ast.stmt], prefix: str, docs: dict[str, dict[str, str]]
) -> None:
    for node in body:
        if isinstance(node, ast.ClassDef):
            qualname = prefix + node.name
            docs[qualname] = _attribute_docs(node.body)
            _collect(node.body, qualname + ".", docs)


def _attribute_docs(body: list[ast.stmt]) -> dict[str, str]:
    result: dict[str, str] = {}
    for node, after in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            result[node.target.id] = inspect.cleandoc(after.value.value)
    return result
