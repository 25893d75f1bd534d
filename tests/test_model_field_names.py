"""CRD properties named like the constructor's own parameters (``self``, ``cls``,
``kwargs`` ...): the generated constructor works and type-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from generator.runtime._model import F, Model, Opt

from .conftest import generate
from .specbuilder import (
    base_schemas,
    document,
    kind_schema,
    list_schema,
    resource_paths,
    write,
)

G = "names.example.com"
SID = "com.example.names.v1"
#: Names of parameters and locals of Model's constructor and conversion methods.
AWKWARD = ["self", "cls", "kwargs", "data", "copy", "name", "value", "field", "memo"]


class Selfish(Model):
    __slots__ = ()
    self: Opt[str] = F("self", default=None)
    kwargs: Opt[str] = F("kwargs", default=None)


def test_runtime_constructor_takes_a_field_called_self() -> None:
    obj = Selfish(self="me", kwargs="k")
    assert obj.self == "me" and obj.to_dict() == {"self": "me", "kwargs": "k"}


@pytest.fixture(scope="module")
def names_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("names")
    props: dict[str, Any] = {name: {"type": "string"} for name in AWKWARD}
    schemas = base_schemas()
    schemas[f"{SID}.Awkward"] = kind_schema(G, "v1", "Awkward", props)
    schemas[f"{SID}.AwkwardList"] = list_schema(G, "v1", "Awkward", f"{SID}.Awkward")
    doc = document(
        schemas, resource_paths(G, "v1", "awkwards", "Awkward", f"{SID}.Awkward")
    )
    spec = write(root / "spec" / "apis__names.example.com__v1_openapi.json", doc)
    return generate(spec, root / "out", package="namespkg")


def test_generated_constructor_takes_every_awkward_name(
    names_package: Path, tmp_path: Path
) -> None:
    code = (
        "from namespkg.models.names_v1 import Awkward\n"
        "fields = {f.wire: n for n, f in Awkward._fields_.items()}\n"
        f"obj = Awkward(**{{fields[w]: w.upper() for w in {AWKWARD!r}}})\n"
        "d = obj.to_dict()\n"
        f"assert all(d[w] == w.upper() for w in {AWKWARD!r}), d\n"
        "assert Awkward.from_dict(d) == obj\n"
        "print(sorted(fields.values()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(names_package)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_generated_package_type_checks_a_constructor_call(
    names_package: Path,
) -> None:
    # A constructor call with every field: mypy checks it against the
    # constructor dataclass_transform synthesizes from the fields.
    names = _python_names(names_package)
    call = ", ".join(f"{names[w]}={w!r}" for w in AWKWARD)
    usage = names_package / "namespkg" / "usage_check.py"
    usage.write_text(
        "from namespkg.models.names_v1 import Awkward\n\n"
        f"built = Awkward({call})\n"
        f"first: str | None = built.{names['self']}\n"
    )
    mypy = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            "namespkg",
        ],
        cwd=names_package,
        capture_output=True,
        text=True,
        check=False,
    )
    usage.unlink()
    assert mypy.returncode == 0, mypy.stdout


def _python_names(package: Path) -> dict[str, str]:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from namespkg.models.names_v1 import Awkward\n"
            "print({f.wire: n for n, f in Awkward._fields_.items()})",
        ],
        env={"PYTHONPATH": str(package)},
        capture_output=True,
        text=True,
        check=True,
    )
    names: dict[str, str] = eval(result.stdout)  # a dict of str literals
    return names
