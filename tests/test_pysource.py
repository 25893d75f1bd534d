"""Spec text reaches generated code only through pysource: it must be inert and stable."""

from __future__ import annotations

import ast

import black
import pytest

from generator import pysource
from generator.formatting import MODE

HOSTILE = [
    "plain",
    'with "double" quotes',
    "with 'single' quotes",
    "both ' and \" quotes",
    'triple """ quotes """',
    "triple ''' quotes",
    'ends with a quote"',
    '"starts with a quote',
    'back\\slash and \\" escaped quote',
    "ends with backslash\\",
    "non-ASCII: ñ, 中文, emoji 🚀",
    "control \x00 \x07 \x1b characters",
    "line\nbreaks\rand\r\ncarriage returns",
    "separators \u2028 \u2029 \x85 \x0b \x0c",
    "lone surrogate \ud800",
    '"""; import os; os.system("echo pwned") #',
    "'); __import__('os').system('x'); ('",
    "{{ jinja }} {% if x %}",
    "\t tabs \t",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_py_str_round_trips_and_is_black_stable(text: str) -> None:
    literal = pysource.py_str(text)
    assert ast.literal_eval(literal) == text
    source = f"x = {literal}\n"
    assert black.format_str(source, mode=MODE) == source
    source.encode("utf-8")  # never writes unencodable characters


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("indent", [0, 4])
def test_docstring_is_a_single_inert_literal_and_black_stable(
    text: str, indent: int
) -> None:
    doc = pysource.docstring(text, indent)
    pad = " " * indent
    if indent:
        source = f"class C:\n{pad}{doc}\n\n{pad}x = 1\n"
    else:
        source = f"{doc}\n\nx = 1\n"
    tree = ast.parse(source)
    body = tree.body[0].body if indent else tree.body  # type: ignore[attr-defined]
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    value = body[0].value.value
    assert isinstance(value, str)
    # The text survives (wrapped); every non-blank word of the original is there.
    for word in text.split():
        if word.isprintable():
            assert word.strip('"') in value
    assert black.format_str(source, mode=MODE) == source
    source.encode("utf-8")


def test_docstring_wraps_long_text_and_keeps_paragraphs() -> None:
    text = (
        "word " * 60
    ).strip() + "\n\nSecond paragraph.\n  - indented item\n  - another"
    doc = pysource.docstring(text, 4)
    lines = doc.splitlines()
    assert len(lines) > 3
    assert 4 + len(lines[0]) <= 88  # the first line follows the indentation
    assert all(len(line) <= 88 for line in lines[1:])  # the others carry it
    assert "" in lines  # paragraph break kept
    assert any(line.lstrip().startswith("- indented item") for line in lines)


def test_call_layout_matches_black() -> None:
    args = [
        pysource.py_str("x" * 30),
        "default=None",
        "patch_strategy=" + pysource.py_str("merge"),
    ]
    for prefix in [
        "short: Opt[str] = ",
        "a_much_longer_attribute_name_here: Lst[Thing] = ",
    ]:
        code = pysource.call("F", args, prefix, 4)
        source = f"class C:\n    {code}\n"
        assert black.format_str(source, mode=MODE) == source
