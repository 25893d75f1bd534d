"""Safe Python source fragments from untrusted spec text.

Everything a spec provides (names, descriptions, enum values) reaches generated
code only through these functions, so nothing in a spec can inject code. The
output is also what black would write, so formatting it again changes nothing.
"""

from __future__ import annotations

import functools
import re
import textwrap

LINE_LENGTH = 88


def _escape_char(ch: str) -> str:
    code = ord(ch)
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
    if ch in named:
        return named[ch]
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _needs_escape(ch: str) -> bool:
    # Non-printable characters include line and paragraph separators, which
    # str.splitlines() (used by formatters) would treat as line ends.
    return ch == "\\" or not ch.isprintable()


def py_str(text: str) -> str:
    """A string literal for ``text``, quoted the way black prefers."""
    body = "".join(_escape_char(c) if _needs_escape(c) else c for c in text)
    if body.count('"') > body.count("'"):
        return "'" + body.replace("'", "\\'") + "'"
    return '"' + body.replace('"', '\\"') + '"'


def _docstring_line(line: str) -> str:
    if "\\" in line or not line.isprintable():  # the common case needs no escape
        line = "".join(
            _escape_char(c) if _needs_escape(c) and c != "\n" else c for c in line
        )
    # No run of three quotes may close the literal early.
    return re.sub(r'"{3,}', lambda m: '\\"' * len(m.group()), line)


def wrap_text(text: str, width: int, first_width: int | None = None) -> list[str]:
    """Paragraph-aware wrapping that keeps the spec's own line breaks and indents."""
    lines: list[str] = []
    for raw in text.strip().splitlines():
        raw = raw.rstrip()
        if not raw.strip():
            if lines and lines[-1]:
                lines.append("")
            continue
        indent = raw[: len(raw) - len(raw.lstrip())]
        room = first_width if (first_width is not None and not lines) else width
        wrapped = textwrap.wrap(
            raw.strip(),
            width=max(room - len(indent), 20),
            break_long_words=False,
            break_on_hyphens=False,
        )
        if lines or first_width is None:
            lines.extend(indent + w for w in wrapped)
        else:  # the first line follows the opening quotes
            lines.append(indent + wrapped[0])
            lines.extend(
                indent + w
                for w in textwrap.wrap(
                    " ".join(wrapped[1:]),
                    width=max(width - len(indent), 20),
                    break_long_words=False,
                    break_on_hyphens=False,
                )
            )
    while lines and not lines[-1]:
        lines.pop()
    return lines


@functools.lru_cache(maxsize=4096)
def docstring(text: str, indent: int) -> str:
    """A triple-quoted docstring in the exact shape black gives docstrings.

    black strips the first line, dedents the others by their common indent,
    keeps a one-line docstring on one line, and pads a closing quote mark.
    (Cached: Kubernetes repeats descriptions, apiVersion's and kind's above all.)
    """
    pad = " " * indent
    if not text.replace("\n", "").isprintable():
        text = "".join(
            " " if (c != "\n" and not c.isprintable() and c.isspace()) else c
            for c in text
        )
    lines = [
        _docstring_line(line)
        for line in wrap_text(text, LINE_LENGTH - indent, LINE_LENGTH - indent - 3)
    ]
    if not lines:
        return '""" """'
    first = lines[0].strip()
    if first.startswith('"'):
        first = "\\" + first
    rest = lines[1:]
    common = min(
        (len(line) - len(line.lstrip()) for line in rest if line.strip()), default=0
    )
    rest = [line[common:] for line in rest]
    if not any(line.strip() for line in rest):
        pad_quote = " " if first.endswith('"') else ""
        return '"""' + first + pad_quote + '"""'
    body = "\n".join(pad + line if line else "" for line in rest)
    return f'"""{first}\n{body}\n{pad}"""'


def call(
    name: str,
    args: list[str],
    prefix: str,
    indent: int,
    suffix: str = "",
    *,
    brackets: str = "()",
    lone_comma: bool = False,
) -> str:
    """``prefix + name(args) + suffix`` laid out as black lays out a call, a def or
    a subscript (``brackets="[]"``): on one line if it fits, else the arguments on
    one line of their own, else one a line with trailing commas. ``lone_comma``:
    black's rule for a def with a single parameter, which gets a trailing comma
    once split."""
    opening, closing = brackets[0], brackets[1]
    one_line = f"{prefix}{name}{opening}{', '.join(args)}{closing}{suffix}"
    if indent + len(one_line) <= LINE_LENGTH:
        return one_line
    inner = " " * (indent + 4)
    joined = ", ".join(args)
    if lone_comma and len(args) == 1:
        joined += ","
    if indent + 4 + len(joined) <= LINE_LENGTH:
        return (
            f"{prefix}{name}{opening}\n{inner}{joined}\n{' ' * indent}{closing}{suffix}"
        )
    body = "".join(f"{inner}{a},\n" for a in args)
    return f"{prefix}{name}{opening}\n{body}{' ' * indent}{closing}{suffix}"


def import_at(module: str, name: str, indent: int) -> str:
    """``from module import name`` at ``indent`` (inside ``if TYPE_CHECKING:``),
    parenthesised as black does when too long."""
    line = f"from {module} import {name}"
    if indent + len(line) <= LINE_LENGTH:
        return line
    pad = " " * indent
    return f"from {module} import (\n{pad}    {name},\n{pad})"


def import_from(module: str, names: list[str]) -> str:
    """``from module import a, b`` -- exploded one per line when too long, as black does."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line
    body = "".join(f"    {n},\n" for n in names)
    return f"from {module} import (\n{body})"


def py_tuple(values: tuple[str, ...] | list[str]) -> str:
    """A tuple literal of strings, as black writes a short one."""
    items = [py_str(v) for v in values]
    if len(items) == 1:
        return f"({items[0]},)"
    return f"({', '.join(items)})"


def tuple_line(values: tuple[str, ...] | list[str], prefix: str, indent: int) -> str:
    """``prefix(values),`` at ``indent``, as black lays a tuple argument out: on one
    line if it fits, else one value a line (a split collection gets a trailing
    comma, which keeps it exploded)."""
    one_line = f"{prefix}{py_tuple(values)},"
    if indent + len(one_line) <= LINE_LENGTH or len(values) < 2:
        return one_line
    inner = " " * (indent + 4)
    body = "".join(f"{inner}{py_str(v)},\n" for v in values)
    return f"{prefix}(\n{body}{' ' * indent}),"


def isort_key(name: str) -> tuple[int, str]:
    """Order of names in a ``from`` import as isort and ruff sort them:
    CONSTANTS, then Classes, then functions and modules."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    return (1, name) if name[:1].isupper() else (2, name)


def import_block(*groups: list[str]) -> str:
    """Import statements, one group per paragraph, empty groups left out."""
    return "\n\n".join("\n".join(g) for g in groups if g)


def from_import(module: str, names: set[str] | list[str]) -> list[str]:
    """``[from module import a, b]`` sorted as isort does, or nothing for no names."""
    if not names:
        return []
    return [import_from(module, sorted(set(names), key=isort_key))]


def query_constant(name: str, pairs: list[tuple[str, str]]) -> str:
    """``NAME = (("wire", "python"), ...)`` laid out as black does: one pair a line
    (their trailing commas keep it so), or one line for a single pair that fits;
    a pair too long for its line split in two."""
    items = [call("", [py_str(a), py_str(b)], "", 4) for a, b in pairs]
    if not items:
        return f"{name} = ()"
    if len(items) == 1:
        one_line = f"{name} = ({items[0]},)"
        if len(one_line) <= LINE_LENGTH and "\n" not in items[0]:
            return one_line
    body = "".join(f"    {item},\n" for item in items)
    return f"{name} = (\n{body})"


def client_call(attribute: str, client_class: str) -> str:
    """The ClientSet property body: ``client: Cls = self._client("mod", "Cls")``."""
    args = [py_str(attribute), py_str(client_class)]
    return call("self._client", args, f"client: {client_class} = ", 8)


def annotated_call(
    name: str, annotation: str, function: str, args: list[str], indent: int
) -> str:
    """``name: annotation = function(args)`` as black lays it out: when even the
    head ``name: Alias[Inner] = function(`` is too long, black splits the
    annotation's brackets first (``name: Alias[`` / ``Inner`` / ``] = function(``)."""
    prefix = f"{name}: {annotation} = "
    alias, bracket, inner = annotation.partition("[")
    if indent + len(prefix) + len(function) + 1 <= LINE_LENGTH or not bracket:
        return call(function, args, prefix, indent)
    pad = " " * indent
    tail = call(function, args, "] = ", indent)
    return f"{name}: {alias}[\n{pad}    {inner[:-1]}\n{pad}{tail}"


def gvk_call(kind: object) -> str:
    """``GVK("group", "version", "Kind"),`` inside a SubresourceInfo of _api.py."""
    args = [py_str(str(getattr(kind, part))) for part in ("group", "version", "kind")]
    return call("GVK", args, "", 16, ",")


_STRING_LITERAL = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'")


def black_may_split(source: str) -> bool:
    """Whether black could change code rendered by a black-stable template: a line
    longer than its 88 columns with brackets it could split at, outside strings,
    comments and docstrings (which black leaves as they are). A name too long to
    fit is the case: black splits such a line in its own way. UTF-8 bytes bound
    the display width black measures."""
    in_docstring = False
    for line in source.splitlines():
        quotes = line.count('"""')
        if in_docstring or quotes:
            in_docstring = in_docstring != (quotes % 2 == 1)
            continue
        if len(line.encode()) <= LINE_LENGTH:
            continue
        code = _STRING_LITERAL.sub('""', line).split("#", 1)[0]
        if any(bracket in code for bracket in "([{"):
            return True
    return False
