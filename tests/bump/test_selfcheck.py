"""Step 'check' finds what is wrong with a package, and names it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.bump.selfcheck import check_imports, check_round_trip, check_types
from generator.errors import GeneratorError

#: a package as small as can be, with the ``models.model_class`` a generated one has
_MODELS = """
from typing import Any


class ConfigMap:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ConfigMap":
        return cls(data)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.data.items() if k != "dropped"}

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict())


def model_class(api_version: str, kind: str) -> type[ConfigMap] | None:
    return ConfigMap if (api_version, kind) == ("v1", "ConfigMap") else None
"""


def package(tmp_path: Path, **modules: str) -> Path:
    root = tmp_path / "out" / "tiny"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "sub" / "__init__.py").write_text("")
    (root / "models.py").write_text(_MODELS)
    for name, source in modules.items():
        (root / f"{name.replace('.', '/')}.py").write_text(source)
    return root.parent


def test_every_module_is_imported_and_one_that_fails_is_named(tmp_path: Path) -> None:
    out = package(tmp_path, **{"sub.fine": "X = 1\n"})
    assert check_imports(out, "tiny") == 4  # tiny, tiny.models, tiny.sub, tiny.sub.fine
    assert not list(out.rglob("__pycache__"))  # the sdist is built from there next
    (out / "tiny" / "sub" / "broken.py").write_text("import no_such_module\n")
    with pytest.raises(
        GeneratorError,
        match=r"1 modules of tiny do not import: "
        r"tiny\.sub\.broken: ModuleNotFoundError",
    ):
        check_imports(out, "tiny")


def test_fixtures_must_come_back_the_same(tmp_path: Path) -> None:
    out = package(tmp_path)
    fixtures = tmp_path / "fixtures"
    fixtures.mkdir()
    good = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"a": "b"}}
    (fixtures / "v1.ConfigMap.json").write_text(json.dumps(good))
    (fixtures / "v1.Unknown.json").write_text('{"apiVersion": "v1", "kind": "Nope"}')
    assert check_round_trip(out, "tiny", fixtures) == 1
    (fixtures / "v1.Lossy.json").write_text(json.dumps({**good, "dropped": 1}))
    with pytest.raises(GeneratorError, match=r"v1\.Lossy\.json: not the same object"):
        check_round_trip(out, "tiny", fixtures)


def test_mypy_strict_errors_are_shown(tmp_path: Path) -> None:
    out = package(tmp_path, **{"sub.typed": "def f(x: int) -> str:\n    return x\n"})
    with pytest.raises(
        GeneratorError, match=r"mypy --strict -p tiny failed:\n.*typed\.py:2: error"
    ):
        check_types(out, "tiny", tmp_path / "mypy-cache")
