"""generator/runtime/_yaml.py: YAML whose aliases expand too far is refused, in
kubeconfigs (tests/runtime/config) and in manifests and request bodies (here)."""

from __future__ import annotations

import time
from typing import Any

import pytest
import yaml

from generator.runtime import _yaml
from generator.runtime._serialization import load_yaml_documents


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels):
        aliases = ",".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} [{aliases}]")
    return "\n".join(lines) + "\n"


LOADERS = [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_billion_laughs_refused_by_both_loaders(loader: type[Any]) -> None:
    started = time.monotonic()
    with pytest.raises(_yaml.YAMLLimitError) as caught:
        _yaml.load_single(billion_laughs(), loader)
    assert time.monotonic() - started < 1
    assert str(caught.value).startswith(
        "refused: excessive aliasing in document 1: its aliases expand to "
        "1,234,567,909 nodes from 29 written"
    )


def test_manifest_billion_laughs_is_a_value_error_quickly() -> None:
    # Before: load_yaml_documents returned a DAG that expanded to a billion nodes
    # when encoded (the test API server encodes YAML request bodies to JSON).
    started = time.monotonic()
    with pytest.raises(ValueError, match="excessive aliasing"):
        load_yaml_documents(billion_laughs())
    assert time.monotonic() - started < 1


def test_the_budget_is_per_stream_not_per_document() -> None:
    # 5 levels: 123,440 nodes added per document; the 9th goes over 1,000,000.
    one = billion_laughs(levels=5)
    assert len(load_yaml_documents("---\n".join([one] * 8))) == 8
    with pytest.raises(ValueError, match="excessive aliasing in document 9"):
        load_yaml_documents("---\n".join([one] * 9))


def test_legitimate_aliases_and_merge_keys_load() -> None:
    text = """\
base: &base {image: nginx, ports: [80, 443]}
web: {<<: *base, replicas: 3}
again: *base
---
kind: ConfigMap
data: {a: "*not an alias*"}
"""
    first, second = load_yaml_documents(text)
    assert first["web"] == {"image": "nginx", "ports": [80, 443], "replicas": 3}
    assert first["again"] == {"image": "nginx", "ports": [80, 443]}
    assert second == {"kind": "ConfigMap", "data": {"a": "*not an alias*"}}


@pytest.mark.parametrize("loader", LOADERS, ids=lambda loader: loader.__name__)
def test_alias_containing_itself(loader: type[Any]) -> None:
    with pytest.raises(_yaml.YAMLLimitError, match="an alias contains itself"):
        _yaml.load_all("a: &x {b: [1, *x]}\n", loader)


def test_limit_is_an_argument() -> None:
    text = "a: &x [1, 2, 3]\nb: [*x, *x]\n"
    assert _yaml.load_single(text, yaml.SafeLoader)["b"] == [[1, 2, 3]] * 2
    with pytest.raises(_yaml.YAMLLimitError):
        _yaml.load_single(text, yaml.SafeLoader, max_alias_expansion=7)
    assert _yaml.load_single(text, yaml.SafeLoader, max_alias_expansion=8)


def test_deep_nesting_in_the_pure_python_loader() -> None:
    with pytest.raises(_yaml.YAMLLimitError, match="nested too deeply"):
        _yaml.load_single("[" * 3000 + "]" * 3000, yaml.SafeLoader)


def test_deep_nesting_in_a_manifest_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid YAML"):
        load_yaml_documents("a: " + "[" * 3000 + "]" * 3000)


def test_same_results_as_pyyaml_for_ordinary_streams() -> None:
    text = "a: 1\n---\n---\n- x\n- {y: z}\n"
    assert _yaml.load_all(text, yaml.SafeLoader) == list(yaml.safe_load_all(text))
    assert _yaml.load_single("", yaml.SafeLoader) is None
    with pytest.raises(yaml.YAMLError, match="expected a single document"):
        _yaml.load_single(text, yaml.SafeLoader)
