"""Specs written to break the generator: every one yields importable, typed, inert
Python, or a clear error. Nothing in a spec may run code in the output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import generate
from .specbuilder import (
    base_schemas,
    document,
    kind_schema,
    list_schema,
    ref,
    resource_paths,
    write,
)

G = "hostile.example.com"
SID = "com.example.hostile.v1"
INJECT = '"""; import os; os.system("touch PWNED") #'


def hostile_doc() -> dict[str, Any]:
    schemas = base_schemas()
    props: dict[str, Any] = {
        # Python keywords, builtins used in annotations, model methods
        "class": {"type": "string"},
        "import": {"type": "string"},
        "None": {"type": "boolean"},
        "str": {"type": "integer"},
        "list": {"type": "array", "items": {"type": "string"}},
        "to_dict": {"type": "string"},
        "from_dict": {"type": "string"},
        "datetime": {"type": "string", "format": "date-time"},
        "meta_v1": {"type": "string"},
        # dunder and odd characters
        "__init__": {"type": "string"},
        "__class__": {"type": "string"},
        "_d": {
            "type": "string",
            "description": "shadows the wire dict slot if not escaped",
        },
        "$ref": {"type": "string"},
        "x-kubernetes-thing": {"type": "string"},
        "with space": {"type": "string"},
        "9lives": {"type": "string"},
        "ünïcödé": {"type": "string"},
        "中文": {"type": "string"},
        # names differing only in case
        "fooBar": {"type": "string"},
        "FooBar": {"type": "string"},
        "foobar": {"type": "string"},
        # quotes and injection attempts in names and texts
        'quote"name': {"type": "string", "description": INJECT},
        "single'quote": {
            "type": "string",
            "description": "'''; raise SystemExit('pwned') #",
        },
        "back\\slash": {"type": "string", "description": "ends with a backslash \\"},
        "newline\nname": {
            "type": "string",
            "description": "line one\nline two\r\n\x00\u2028 sep",
        },
        # very long name
        "a" * 300: {"type": "string"},
        # recursion and nested inline objects
        "children": {"type": "array", "items": ref(f"{SID}.Weird")},
        "inline": {
            "type": "object",
            "properties": {
                "class": {"type": "object", "properties": {"def": {"type": "string"}}}
            },
        },
        "anything": {"x-kubernetes-preserve-unknown-fields": True},
    }
    schemas[f"{SID}.Weird"] = kind_schema(
        G,
        "v1",
        "Weird",
        props,
        description=f'Triple """ quotes {INJECT} and ünïcödé \\ done"',
    )
    schemas[f"{SID}.WeirdList"] = list_schema(G, "v1", "Weird", f"{SID}.Weird")
    # schema names that are keywords / runtime names / differ only in case
    schemas[f"{SID}.class"] = {
        "type": "object",
        "properties": {"x": {"type": "string"}},
    }
    schemas[f"{SID}.Model"] = {
        "type": "object",
        "properties": {"x": {"type": "string"}},
    }
    schemas[f"{SID}.Thing"] = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
    }
    schemas[f"{SID}.thing"] = {
        "type": "object",
        "properties": {"b": {"type": "string"}},
    }
    schemas[f"{SID}." + "Long" * 60] = {
        "type": "object",
        "properties": {"c": {"type": "string"}},
    }
    schemas[f"{SID}.Weird"]["properties"]["thing"] = ref(f"{SID}.thing")
    schemas[f"{SID}.Weird"]["properties"]["model"] = ref(f"{SID}.Model")
    return document(schemas, resource_paths(G, "v1", "weirds", "Weird", f"{SID}.Weird"))


@pytest.fixture(scope="module")
def hostile_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    spec = write(
        root / "spec" / "apis__hostile.example.com__v1_openapi.json", hostile_doc()
    )
    return generate(spec, root / "out", package="hostilepkg")


def run(code: str, package: Path, cwd: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env={"PYTHONPATH": str(package)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_hostile_names_give_importable_inert_code(
    hostile_package: Path, tmp_path: Path
) -> None:
    out = run(
        "import hostilepkg.models.hostile_v1 as m\n"
        "fields = m.Weird._fields_\n"
        "print(sorted(fields))\n"
        "print(sorted(f.wire for f in fields.values()) == sorted(m.Weird._wire_fields_))\n"
        "print(m.Class, m.Model_, m.Thing, m.Thing2)\n",
        hostile_package,
        tmp_path,
    )
    assert (
        not (tmp_path / "PWNED").exists() and not (hostile_package / "PWNED").exists()
    )
    names = eval(out.splitlines()[0])  # a list of str literals printed by repr
    for expected in [
        "class_",
        "import_",
        "none",
        "str_",
        "list_",
        "to_dict_",
        "from_dict_",
        "datetime_",
        "meta_v1_",  # a module name used in annotations
        "init",
        "class__2",  # __class__, after the keyword class took class_
        "d",
        "ref",
        "x_kubernetes_thing",
        "with_space",
        "f_9lives",
        "unicode",
        "field",  # 中文: nothing ASCII left
        "foo_bar",
        "foobar",
        "quote_name",
        "single_quote",
        "back_slash",
        "newline_name",
        "children",
        "inline",
        "anything",
    ]:
        assert expected in names, expected
    assert len([n for n in names if n.startswith("foo_bar")]) == 2  # fooBar / FooBar
    assert all(n.isidentifier() and len(n) <= 120 for n in names)
    assert out.splitlines()[1] == "True"


def test_hostile_objects_round_trip(hostile_package: Path, tmp_path: Path) -> None:
    out = run(
        "import json, hostilepkg\n"
        "from hostilepkg.models.hostile_v1 import Weird\n"
        "raw = {'apiVersion': 'hostile.example.com/v1', 'kind': 'Weird', 'class': 'c',\n"
        "       'quote\"name': 'q', 'newline\\nname': 'n', '_d': 'not the slot', '__init__': 'i',\n"
        "       'children': [{'children': [{'class': 'deep'}]}], 'inline': {'class': {'def': 'x'}},\n"
        "       'anything': {'any': ['thing']}, 'unknown': 1}\n"
        "w = hostilepkg.from_dict(raw)\n"
        "assert isinstance(w, Weird) and w.to_dict() == raw\n"
        "assert w.class_ == 'c' and w.quote_name == 'q' and w.newline_name == 'n' and w.d == 'not the slot'\n"
        "assert w.children[0].children[0].class_ == 'deep'\n"
        "assert w.inline.class_.def_ == 'x'\n"
        "w.class_ = 'changed'\n"
        "assert w.to_dict()['class'] == 'changed'\n"
        "print(Weird.__doc__)\n",
        hostile_package,
        tmp_path,
    )
    assert 'Triple """ quotes' in out and "ünïcödé" in out


def test_hostile_package_is_black_clean_and_mypy_strict(hostile_package: Path) -> None:
    black = subprocess.run(
        [
            sys.executable,
            "-m",
            "black",
            "--check",
            "--quiet",
            str(hostile_package / "hostilepkg"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert black.returncode == 0, black.stderr
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "hostilepkg",
        ],
        cwd=hostile_package,
        capture_output=True,
        text=True,
        check=False,
    )
    assert mypy.returncode == 0, mypy.stdout


def test_hostile_package_name_is_rejected(tmp_path: Path) -> None:
    from generator.cli import main

    spec = write(tmp_path / "s.json", document(base_schemas()))
    for bad in ["class", "my-pkg", "1pkg", "pkg; rm"]:
        assert (
            main(["--spec", str(spec), "--out", str(tmp_path / "o"), "--package", bad])
            == 1
        )
    assert not (tmp_path / "o").exists()
