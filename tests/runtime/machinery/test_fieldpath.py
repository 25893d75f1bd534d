"""FieldsV1 encoding and decoding, byte for byte as the API server writes it, and
the printed form of field paths."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.runtime.machinery.errors import PatchError
from generator.runtime.machinery.fieldpath import (
    FieldPath,
    decode_fields_v1,
    encode_fields_v1,
    format_path,
)

# --------------------------------------------------------------------------- FieldsV1


# Written the way the API server writes them (SMD's order: "." first, then f:, k:,
# v:, i:), from a Deployment and a Pod of a real cluster.
REAL_FIELDS_V1 = [
    '{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":'
    '{"k:{\\"name\\":\\"nginx\\"}":{".":{},"f:image":{}}}}}',
    '{"f:metadata":{"f:annotations":{".":{},"f:deployment.kubernetes.io/revision":{}}},'
    '"f:status":{"f:availableReplicas":{},"f:conditions":{".":{},'
    '"k:{\\"type\\":\\"Available\\"}":{".":{},"f:lastTransitionTime":{},'
    '"f:lastUpdateTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}},'
    '"k:{\\"type\\":\\"Progressing\\"}":{".":{},"f:lastTransitionTime":{},'
    '"f:lastUpdateTime":{},"f:message":{},"f:reason":{},"f:status":{},"f:type":{}}},'
    '"f:observedGeneration":{},"f:readyReplicas":{},"f:replicas":{},'
    '"f:updatedReplicas":{}}}',
    '{"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":'
    '{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"nginx\\"}":'
    '{".":{},"f:image":{},"f:name":{},"f:ports":{"k:{\\"containerPort\\":80,'
    '\\"protocol\\":\\"TCP\\"}":{".":{},"f:containerPort":{},"f:protocol":{}}}}}}}}}',
    '{"f:metadata":{"f:finalizers":{".":{},"v:\\"example.com/a\\"":{}},'
    '"f:ownerReferences":{".":{},"k:{\\"uid\\":\\"3f1c1a2e-5e0b-4c43-9b5f-6d2d1c0a7b11\\"}":{}}},'
    '"f:spec":{"f:args":{"i:0":{},"i:1":{}}}}',
]


@pytest.mark.parametrize("raw", REAL_FIELDS_V1)
def test_fields_v1_round_trip_is_byte_exact(raw: str) -> None:
    paths = decode_fields_v1(json.loads(raw))
    assert json.dumps(encode_fields_v1(paths), separators=(",", ":")) == raw


def test_fields_v1_decode_members() -> None:
    paths = decode_fields_v1(json.loads(REAL_FIELDS_V1[0]))
    container: FieldPath = ("f:spec", "f:containers", 'k:{"name":"nginx"}')
    assert paths == {
        ("f:metadata", "f:labels", "f:app"),
        container,
        (*container, "f:image"),
    }


def test_fields_v1_order_and_canonical_keys() -> None:
    paths: set[FieldPath] = {
        ("f:b",),
        ("f:a", "i:10"),
        ("f:a", "i:9"),
        ("f:a", "v:true"),
        ("f:a", 'v:"x"'),
        ("f:a", "v:2"),
        ("f:a", 'k:{"port":443}'),
        ("f:a", 'k:{"port":80}'),
        ("f:a", "f:z"),
        ("f:a",),
    }
    encoded = encode_fields_v1(paths)
    assert list(encoded) == ["f:a", "f:b"]
    assert list(encoded["f:a"]) == [
        ".",
        "f:z",
        'k:{"port":80}',  # numbers compare as numbers, not as text
        'k:{"port":443}',
        "v:2",  # numbers < strings < booleans
        'v:"x"',
        "v:true",
        "i:9",
        "i:10",
    ]
    # keys are normalized: sorted, compact, as SMD writes them
    odd: dict[str, Any] = {
        'k:{"protocol": "TCP", "containerPort": 80}': {},
        "x:unknown": {},
    }
    assert decode_fields_v1(odd) == {('k:{"containerPort":80,"protocol":"TCP"}',)}


def test_fields_v1_rejects_garbage() -> None:
    bad: Any
    for bad in ([], {"f:a": 1}, {"k:[1]": {}}, {"q": {}}):
        with pytest.raises(PatchError):
            decode_fields_v1(bad)


def test_format_path_as_the_server_prints_it() -> None:
    path: FieldPath = (
        "f:spec",
        "f:containers",
        'k:{"name":"nginx"}',
        "f:ports",
        'k:{"containerPort":80,"protocol":"TCP"}',
        "f:hostPort",
    )
    assert format_path(path) == (
        '.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"].hostPort'
    )
    assert (
        format_path(("f:metadata", "f:finalizers", 'v:"a"'))
        == '.metadata.finalizers[="a"]'
    )
    assert format_path(("f:args", "i:3")) == ".args[3]"
