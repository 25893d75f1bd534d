"""The generated v1.36 models: lossless round trip over the upstream fixtures, YAML,
dispatch, laziness, typing and formatting of the generated package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .conftest import upstream_testdata

if TYPE_CHECKING:
    from kubeclient import Model


def fixture_files() -> list[Path]:
    return sorted(p for p in upstream_testdata().glob("*.json"))


def walk(obj: Any) -> int:
    """Read every field of a model tree (decoding timestamps, wrapping nested models)."""
    from kubeclient._model import ListView, MapView, Model

    count = 0
    for name in type(obj)._fields_:
        value = getattr(obj, name)
        count += 1
        children = (
            [value]
            if isinstance(value, Model)
            else (
                list(value)
                if isinstance(value, ListView)
                else list(value.values()) if isinstance(value, MapView) else []
            )
        )
        for child in children:
            if isinstance(child, Model):
                count += walk(child)
            elif isinstance(child, ListView):
                count += sum(walk(c) for c in child)
    return count


def model_for_fixture(path: Path) -> tuple[type[Model], str]:
    """The class for a fixture named <group>.<version>.<Kind>[.after_roundtrip].json.

    Exact apiVersion/kind first; a kind whose version the v1.36 API no longer
    serves (extensions/v1beta1 Deployment ...) is decoded with the served version's
    model: every field it does not know must survive as an unknown field. Kinds
    the API has no schema for at all (AdmissionReview, the *Options kinds ...) go
    through the Model base, unknown fields only.
    """
    import kubeclient
    from kubeclient.models import KINDS, model_class

    data = json.loads(path.read_text())
    name = path.name.removesuffix(".json").removesuffix(".after_roundtrip")
    group_version, kind = name.rsplit(".", 1)
    group, _, version = group_version.rpartition(".")
    api_version = version if group in ("", "core") else f"{group}/{version}"
    cls = model_class(data.get("apiVersion", api_version), data.get("kind", kind))
    if cls is not None:
        return cls, "exact"
    if kind == "WatchEvent" and model_class("v1", "WatchEvent") is not None:
        return model_class("v1", "WatchEvent") or kubeclient.Model, "exact"
    same_kind = sorted(
        av
        for av, kinds in KINDS.items()
        if kind in kinds and av.split("/")[0] == api_version.split("/")[0]
    )
    if same_kind:
        return model_class(same_kind[-1], kind) or kubeclient.Model, "other-version"
    return kubeclient.Model, "unknown"


def test_every_upstream_fixture_round_trips(generated: Path) -> None:
    counts: dict[str, int] = {}
    touched = 0
    for path in fixture_files():
        data = json.loads(path.read_text())
        cls, how = model_for_fixture(path)
        counts[how] = counts.get(how, 0) + 1
        obj = cls.from_dict(data)
        touched += walk(obj)
        assert obj.to_dict() == data, path.name
        assert json.loads(obj.to_json()) == data, path.name
        assert cls.from_json(path.read_bytes()).to_dict() == data, path.name
    assert (
        counts["exact"] >= 100
    ), counts  # a kind dropped by the generator would show here
    assert touched > 10000


def test_yaml_fixtures_match_json(generated: Path) -> None:
    import kubeclient
    from kubeclient._serialization import load_yaml_documents

    checked = 0
    for path in fixture_files():
        yaml_path = path.with_suffix(".yaml")
        cls, how = model_for_fixture(path)
        if how != "exact" or not yaml_path.exists():
            continue
        expected = json.loads(path.read_text())
        if "kind" not in expected:  # WatchEvent: no apiVersion/kind to dispatch on
            (doc,) = load_yaml_documents(yaml_path.read_text())
            assert cls.from_dict(doc).to_dict() == expected
            continue
        objs = kubeclient.load_yaml(yaml_path.read_text())
        assert len(objs) == 1 and objs[0].to_dict() == expected, path.name
        again = kubeclient.load_yaml(kubeclient.dump_yaml(objs))
        assert again == objs
        checked += 1
    assert checked >= 100


def test_every_field_type_round_trips(generated: Path) -> None:
    """An object we wrote with every type of field set, plus unknown fields at each level."""
    from kubeclient.models.apiextensions_v1 import CustomResourceDefinition
    from kubeclient.models.core_v1 import Pod, Secret
    from kubeclient.models.events_v1 import Event

    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "p",
            "creationTimestamp": "2024-01-02T03:04:05Z",  # date-time
            "generation": 9007199254740993,  # int64 beyond float precision
            "labels": {"app": "web"},  # map of strings
            "managedFields": [
                {"manager": "m", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}
            ],
            "futureMeta": {"nested": [1, "two", None]},
        },
        "spec": {
            "containers": [
                {
                    "name": "c",
                    "resources": {
                        "limits": {"cpu": "500m", "memory": 1073741824}
                    },  # Quantity
                    "ports": [{"containerPort": 80}],  # int32
                    "livenessProbe": {
                        "httpGet": {"port": "http"}
                    },  # int-or-string (string)
                    "readinessProbe": {
                        "httpGet": {"port": 8080}
                    },  # int-or-string (int)
                    "futureContainerField": True,
                }
            ],
            "hostNetwork": False,  # boolean
            "overhead": {"cpu": 0.5},  # number as Quantity
            "activeDeadlineSeconds": 0,
        },
        "status": {"phase": "Running", "startTime": "2024-01-02T03:04:05.123Z"},
        "futureTopLevel": [{"a": 1}],
    }
    obj = Pod.from_dict(pod)
    assert obj.to_dict() == pod
    assert obj.metadata is not None and obj.metadata.generation == 9007199254740993
    assert obj.spec is not None and obj.spec.containers is not None
    container = obj.spec.containers[0]
    assert container.resources is not None and container.resources.limits == {
        "cpu": "500m",
        "memory": 1073741824,
    }
    assert (
        container.liveness_probe is not None
        and container.liveness_probe.http_get is not None
    )
    assert container.liveness_probe.http_get.port == "http"
    assert (
        obj.status is not None
        and obj.status.start_time is not None
        and obj.status.start_time.microsecond == 123000
    )
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "data": {"k": "dmFsdWU="},
        "type": "Opaque",
    }  # byte
    assert Secret.from_dict(secret).to_dict() == secret
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "eventTime": "2024-01-02T03:04:05.000001Z",
    }  # micro-time
    assert Event.from_dict(event).to_dict() == event
    crd = {  # free-form JSON, preserve-unknown-fields, recursive JSONSchemaProps, $ref/not fields
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "versions": [
                {
                    "name": "v1",
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"x": {"default": {"a": [1]}}},
                                }
                            },
                            "not": {"required": ["y"]},
                            "$ref": "#/definitions/z",
                        }
                    },
                }
            ]
        },
    }
    decoded = CustomResourceDefinition.from_dict(crd)
    assert decoded.to_dict() == crd
    assert decoded.spec is not None and decoded.spec.versions is not None
    schema = decoded.spec.versions[0].schema
    assert schema is not None and schema.open_apiv3_schema is not None
    props = schema.open_apiv3_schema.properties
    assert props is not None and props["spec"].properties is not None
    assert props["spec"].properties["x"].default == {"a": [1]}
    assert schema.open_apiv3_schema.x_kubernetes_preserve_unknown_fields is True
    assert schema.open_apiv3_schema.ref == "#/definitions/z"
    assert schema.open_apiv3_schema.not_ is not None


def test_building_objects_in_python(generated: Path) -> None:
    from kubeclient.models.apps_v1 import Deployment, DeploymentSpec
    from kubeclient.models.core_v1 import (
        Container,
        ContainerPort,
        PodSpec,
        PodTemplateSpec,
    )
    from kubeclient.models.meta_v1 import LabelSelector, ObjectMeta

    dep = Deployment(
        metadata=ObjectMeta(name="web", labels={"app": "web"}),
        spec=DeploymentSpec(
            replicas=2,
            selector=LabelSelector(match_labels={"app": "web"}),
            template=PodTemplateSpec(
                metadata=ObjectMeta(labels={"app": "web"}),
                spec=PodSpec(
                    containers=[
                        Container(
                            name="web",
                            image="nginx",
                            ports=[ContainerPort(container_port=80)],
                        )
                    ]
                ),
            ),
        ),
    )
    assert dep.to_dict() == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx",
                            "ports": [{"containerPort": 80}],
                        }
                    ]
                },
            },
        },
    }
    assert (
        dep.spec is not None
        and dep.spec.template is not None
        and dep.spec.template.spec is not None
    )
    containers = dep.spec.template.spec.containers
    assert containers is not None
    containers[0].image_pull_policy = "Always"
    assert (
        dep.to_dict()["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"]
        == "Always"
    )


def test_from_dict_and_yaml_dispatch(generated: Path) -> None:
    import kubeclient
    from kubeclient.models.apps_v1 import Deployment
    from kubeclient.models.core_v1 import ConfigMap

    docs = kubeclient.load_yaml(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  creationTimestamp: 2024-01-01T00:00:00Z\n"
        "data:\n  on: 'yes'\n---\n# comment only\n---\n"
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
    )
    assert [type(d) for d in docs] == [ConfigMap, Deployment]
    assert (
        docs[0].to_dict()["metadata"]["creationTimestamp"] == "2024-01-01T00:00:00Z"
    )  # stays a string
    text = kubeclient.dump_yaml(docs)
    assert (
        text.count("---") == 1 and "creationTimestamp: '2024-01-01T00:00:00Z'" in text
    )
    assert kubeclient.load_yaml(text) == docs
    with pytest.raises(ValueError, match="no model for apiVersion 'nope/v1', kind 'X'"):
        kubeclient.from_dict({"apiVersion": "nope/v1", "kind": "X"})
    with pytest.raises(ValueError, match="no apiVersion and kind"):
        kubeclient.from_dict({"metadata": {}})
    with pytest.raises(ValueError, match="YAML document 2 is not a mapping"):
        kubeclient.load_yaml("apiVersion: v1\nkind: ConfigMap\n---\n- a list\n")
    with pytest.raises(ValueError, match="invalid YAML at line"):
        kubeclient.load_yaml("a: [unclosed\n")


def run_python(code: str, generated: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(generated), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_a_model_does_not_import_other_group_versions(
    generated: Path,
) -> None:
    out = run_python(
        "import sys\n"
        "from kubeclient.models.core_v1 import Pod\n"
        "mods = sorted(m for m in sys.modules if m.startswith('kubeclient.models.'))\n"
        "print(mods)\n"
        "print('yaml' in sys.modules, 'requests' in sys.modules)\n"
        "Pod.from_dict({'metadata': {'name': 'x'}}).metadata\n"
        "print('kubeclient.models.meta_v1' in sys.modules)\n",
        generated,
    )
    lines = out.splitlines()
    assert lines[0] == "['kubeclient.models.core_v1']"
    assert lines[1] == "False False"
    assert lines[2] == "True"  # loaded on first use of a field typed with it


def test_package_is_typed_and_installable_layout(generated: Path) -> None:
    pkg = generated / "kubeclient"
    assert (pkg / "py.typed").exists()
    assert (generated / "pyproject.toml").exists() and (pkg / "pyproject.toml").exists()
    pyproject = (generated / "pyproject.toml").read_text()
    assert 'packages = ["kubeclient"]' in pyproject  # with its subpackages and data


def test_generated_package_is_black_clean_and_mypy_strict(
    generated: Path, tmp_path: Path
) -> None:
    black = subprocess.run(
        [
            sys.executable,
            "-m",
            "black",
            "--check",
            "--quiet",
            str(generated / "kubeclient"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert black.returncode == 0, black.stderr
    usage = tmp_path / "usage.py"
    usage.write_text(
        "from kubeclient.models.core_v1 import Container, Pod, PodSpec\n"
        "from kubeclient.models.meta_v1 import ObjectMeta\n"
        "pod = Pod(metadata=ObjectMeta(name='x'), spec=PodSpec(containers=[Container(name='c')]))\n"
        "assert pod.spec is not None and pod.spec.containers is not None\n"
        "name: str | None = pod.spec.containers[0].name\n"
        "pod.spec.containers.append(Container(name='d'))\n"
        "bad: int = pod.spec.containers[0].name  # E: wrong type\n"
        "Pod(spec=3)  # E: wrong argument\n"
        "Pod(specs=PodSpec())  # E: unknown argument\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir=/dev/null",
            str(generated / "kubeclient"),
            str(usage),
        ],
        cwd=generated,
        capture_output=True,
        text=True,
        check=False,
        env={"MYPYPATH": str(generated), "PATH": str(Path(sys.executable).parent)},
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert all("usage.py" in line for line in errors), result.stdout
    assert sorted(int(line.split(":")[1]) for line in errors) == [
        7,
        8,
        9,
    ], result.stdout


@pytest.mark.parametrize("where", [".", "kubeclient"])
def test_package_installs_with_pip(generated: Path, tmp_path: Path, where: str) -> None:
    """``pip install ./generated`` and ``pip install generated/kubeclient`` both work,
    and leave the source folder as it was (no build/ or *.egg-info for mypy to trip on).
    """

    def source_tree() -> set[str]:
        return {p.relative_to(generated).as_posix() for p in generated.rglob("*")}

    before = source_tree()
    target = tmp_path / "site"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(generated / where),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(source_tree() - before) == []
    installed = target / "kubeclient"
    assert not (installed / "pyproject.toml").exists()
    assert (installed / "py.typed").exists() and (
        installed / "models" / "core_v1.py"
    ).exists()
    # runtime subpackages ship too (the server-side machinery the test server runs on)
    assert (installed / "machinery" / "strategic.py").exists()
    assert (installed / "testing" / "openapi_v3.json.gz").exists() or not (
        generated / "kubeclient" / "testing" / "openapi_v3.json.gz"
    ).exists()
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import kubeclient, kubeclient.clientset, kubeclient.machinery.apply, "
            "kubeclient.testing; print(kubeclient.__file__)",
        ],
        env={"PYTHONPATH": str(target), "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0 and check.stdout.startswith(str(target)), check.stderr
