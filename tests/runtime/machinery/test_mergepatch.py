"""RFC 7386 JSON merge patch: the RFC's examples."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.runtime.machinery.mergepatch import merge_patch

# --------------------------------------------------------------------------- merge patch


RFC7386_EXAMPLES = [  # Appendix A
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    (  # section 3
        {
            "title": "Goodbye!",
            "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"],
            "content": "This will be unchanged",
        },
        {
            "title": "Hello!",
            "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": None},
            "tags": ["example"],
        },
        {
            "title": "Hello!",
            "author": {"givenName": "John"},
            "tags": ["example"],
            "content": "This will be unchanged",
            "phoneNumber": "+01-123-456-7890",
        },
    ),
]


@pytest.mark.parametrize(("doc", "patch", "expected"), RFC7386_EXAMPLES)
def test_merge_patch_rfc7386_examples(doc: Any, patch: Any, expected: Any) -> None:
    before = json.dumps(doc)
    result = merge_patch(doc, patch)
    assert result == expected
    assert json.dumps(doc) == before


def test_merge_patch_result_shares_nothing_with_inputs() -> None:
    doc = {"keep": {"x": [1]}, "change": {"y": 1}}
    patch = {"change": {"z": {"deep": [1]}}}
    result = merge_patch(doc, patch)
    result["keep"]["x"].append(2)
    result["change"]["z"]["deep"].append(2)
    assert doc == {"keep": {"x": [1]}, "change": {"y": 1}}
    assert patch == {"change": {"z": {"deep": [1]}}}
