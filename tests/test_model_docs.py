"""Field docs at run time: ``help(Model)`` and ``Model.field.__doc__`` show the
spec's descriptions, read lazily from the attribute docstrings in the source."""

from __future__ import annotations

import json
import pydoc
import subprocess
import sys
from pathlib import Path
from typing import Any

from generator.runtime._model import (
    F,
    Field,
    FieldProperty,
    Model,
    Obj,
    Opt,
    PlainField,
)

from .conftest import spec_dir


class Probe(Model):
    """A probe of the docs."""

    __slots__ = ()
    name: Opt[str] = F("name", default=None)
    """The name.

    Required."""
    image_pull_policy: Opt[str] = F("imagePullPolicy", default=None)
    """How to pull."""
    inner: Obj[Probe] = F("inner", "Probe", default=None)
    """A nested probe."""
    explicit: Opt[int] = F("explicit", default=None, doc="Given in the code.")
    undocumented: Opt[int] = F("undocumented", default=None)


def squash(text: str) -> str:
    return " ".join(text.split())


def test_every_field_is_a_class_attribute_with_its_doc() -> None:
    assert Probe.name.__doc__ == "The name.\n\nRequired."
    assert Probe.image_pull_policy.__doc__ == "How to pull."
    assert Probe.inner.__doc__ == "A nested probe."
    assert Probe.explicit.__doc__ == "Given in the code."
    assert Probe.undocumented.__doc__ == ""
    assert isinstance(Probe.name, Field) and Probe.name.wire == "name"
    assert Probe.__doc__ == "A probe of the docs."


def test_plain_fields_stay_c_level_reads() -> None:
    accessor = vars(Probe)["name"]
    # A non-data descriptor: the wire dict (the instance __dict__) wins on reads.
    assert isinstance(accessor, PlainField) and not hasattr(type(accessor), "__set__")
    assert isinstance(vars(Probe)["image_pull_policy"], FieldProperty)
    probe = Probe(name="n")
    assert probe.name == "n" and probe.explicit is None and probe.inner is None
    probe.name = None
    assert probe.name is None and probe.to_dict() == {}
    wired = Probe.from_dict({"name": "a", "imagePullPolicy": "Always", "inner": {}})
    assert (wired.name, wired.image_pull_policy) == ("a", "Always")
    assert isinstance(wired.inner, Probe)


def test_help_shows_field_docs() -> None:
    text = pydoc.plain(pydoc.render_doc(Probe))
    for expected in ["The name.", "Required.", "How to pull.", "A nested probe."]:
        assert expected in text, expected
    assert "Given in the code." in text
    assert "A probe of the docs." in text


def spec_schema(name: str) -> dict[str, Any]:
    for path in sorted(spec_dir().glob("apis__apps__v1_openapi.json")):
        schemas = json.loads(path.read_text())["components"]["schemas"]
        return schemas[name]  # type: ignore[no-any-return]
    raise AssertionError("no apps/v1 spec")


def test_generated_models_show_the_spec_descriptions(generated: Path) -> None:
    from kubeclient.models import apps_v1, core_v1

    spec = spec_schema("io.k8s.api.apps.v1.DeploymentSpec")
    for wire, prop in spec["properties"].items():
        field = apps_v1.DeploymentSpec._wire_fields_[wire]
        doc = getattr(apps_v1.DeploymentSpec, field.name).__doc__
        assert squash(doc).startswith(squash(prop["description"])), wire
    replicas = apps_v1.DeploymentSpec.replicas
    assert "Number of desired pods" in replicas.__doc__
    assert squash(apps_v1.DeploymentSpec.selector.__doc__).endswith("Required.")
    text = pydoc.plain(pydoc.render_doc(apps_v1.DeploymentSpec))
    assert "Number of desired pods" in text and "Label selector for pods" in text
    assert "DeploymentSpec is the specification" in text
    # Every field of every class has its doc (the spec documents nearly all).
    missing = [
        f"{cls.__name__}.{name}"
        for module in (apps_v1, core_v1)
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, Model)
        for name in cls._fields_
        if not getattr(cls, name).__doc__
    ]
    assert len(missing) < 10, missing


def test_docs_cost_nothing_until_asked(generated: Path) -> None:
    code = (
        "import sys\n"
        "from kubeclient.models.apps_v1 import DeploymentSpec\n"
        "assert 'kubeclient._docs' not in sys.modules and 'ast' not in sys.modules\n"
        "d = DeploymentSpec(replicas=2)\n"
        "assert d.replicas == 2 and d.paused is None\n"
        "assert 'kubeclient._docs' not in sys.modules\n"
        "assert 'desired pods' in DeploymentSpec.replicas.__doc__\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(generated)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr
