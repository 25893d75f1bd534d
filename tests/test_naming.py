from __future__ import annotations

import keyword

import pytest

from generator import naming


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("apiVersion", "api_version"),
        ("creationTimestamp", "creation_timestamp"),
        ("imagePullPolicy", "image_pull_policy"),
        ("podIPs", "pod_ips"),
        ("podCIDRs", "pod_cidrs"),
        ("hostIPC", "host_ipc"),
        ("hostPID", "host_pid"),
        ("IPFamilies", "ip_families"),
        ("volumeID", "volume_id"),
        ("targetWWNs", "target_wwns"),
        ("fieldsV1", "fields_v1"),
        ("scaleIO", "scale_io"),
        ("serverAddressByClientCIDRs", "server_address_by_client_cidrs"),
        (
            "x-kubernetes-preserve-unknown-fields",
            "x_kubernetes_preserve_unknown_fields",
        ),
        ("$ref", "ref"),
        ("$schema", "schema"),
        ("__class__", "class"),
        ("9lives", "f_9lives"),
        ("", "field"),
        ("ñandú", "nandu"),
        ("a b.c", "a_b_c"),
    ],
)
def test_snake_case(wire: str, expected: str) -> None:
    assert naming.snake_case(wire) == expected


def test_escape_keywords_and_reserved() -> None:
    assert naming.escape("continue") == "continue_"
    assert naming.escape("not") == "not_"
    assert naming.escape("to_dict", {"to_dict"}) == "to_dict_"
    assert naming.escape("to_dict_", {"to_dict", "to_dict_"}) == "to_dict__"
    for kw in keyword.kwlist:
        escaped = naming.escape(kw)
        assert escaped.isidentifier() and not keyword.iskeyword(escaped)


def test_unique_names_resolve_collisions_deterministically() -> None:
    wires = ["fooBar", "foo_bar", "FooBar", "foo-bar"]
    names = naming.unique_names(wires, naming.snake_case)
    assert names["foo_bar"] == "foo_bar"  # already snake_case: keeps the bare name
    assert sorted(names.values()) == ["foo_bar", "foo_bar_2", "foo_bar_3", "foo_bar_4"]
    # same answer whatever the input order
    assert naming.unique_names(list(reversed(wires)), naming.snake_case) == names


def test_camel_case_class_names() -> None:
    assert naming.camel_case("PodSpec") == "PodSpec"
    assert naming.camel_case("foo-bar") == "FooBar"
    assert naming.camel_case("9lives") == "M9lives"
    assert naming.camel_case("class") == "Class"
    assert naming.camel_case("") == "Model"


def test_very_long_names_are_shortened_but_distinct() -> None:
    a = naming.snake_case("x" * 300 + "A")
    b = naming.snake_case("x" * 300 + "B")
    assert len(a) <= naming.MAX_IDENTIFIER and len(b) <= naming.MAX_IDENTIFIER
    assert a != b and a.isidentifier()


@pytest.mark.parametrize(
    ("group", "version", "module"),
    [
        ("", "v1", "core_v1"),
        ("apps", "v1", "apps_v1"),
        ("networking.k8s.io", "v1", "networking_v1"),
        ("internal.apiserver.k8s.io", "v1alpha1", "internal_v1alpha1"),
        ("stable.example.com", "v1beta2", "stable_v1beta2"),
    ],
)
def test_module_names(group: str, version: str, module: str) -> None:
    assert naming.module_name(group, version) == module


def test_version_priority_matches_kubernetes_order() -> None:
    versions = ["v1alpha1", "v2", "v1beta1", "v1", "v1beta2", "v10", "foo", "v2alpha1"]
    ordered = sorted(versions, key=naming.version_priority)
    assert ordered == [
        "v10",
        "v2",
        "v1",
        "v1beta2",
        "v1beta1",
        "v2alpha1",
        "v1alpha1",
        "foo",
    ]
