"""RFC 6902 JSON patch: the RFC's examples, the statuses the API server answers with."""

from __future__ import annotations

import json
from typing import Any

import pytest

from generator.runtime.machinery.errors import PatchError
from generator.runtime.machinery.jsonpatch import json_patch

# --------------------------------------------------------------------------- JSON patch


RFC6902_EXAMPLES = [
    (  # A.1 adding an object member
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux"}],
        {"baz": "qux", "foo": "bar"},
    ),
    (  # A.2 adding an array element
        {"foo": ["bar", "baz"]},
        [{"op": "add", "path": "/foo/1", "value": "qux"}],
        {"foo": ["bar", "qux", "baz"]},
    ),
    (  # A.3 removing an object member
        {"baz": "qux", "foo": "bar"},
        [{"op": "remove", "path": "/baz"}],
        {"foo": "bar"},
    ),
    (  # A.4 removing an array element
        {"foo": ["bar", "qux", "baz"]},
        [{"op": "remove", "path": "/foo/1"}],
        {"foo": ["bar", "baz"]},
    ),
    (  # A.5 replacing a value
        {"baz": "qux", "foo": "bar"},
        [{"op": "replace", "path": "/baz", "value": "boo"}],
        {"baz": "boo", "foo": "bar"},
    ),
    (  # A.6 moving a value
        {"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
        [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
        {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}},
    ),
    (  # A.7 moving an array element
        {"foo": ["all", "grass", "cows", "eat"]},
        [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
        {"foo": ["all", "cows", "eat", "grass"]},
    ),
    (  # A.8 testing a value: success
        {"baz": "qux", "foo": ["a", 2, "c"]},
        [
            {"op": "test", "path": "/baz", "value": "qux"},
            {"op": "test", "path": "/foo/1", "value": 2},
        ],
        {"baz": "qux", "foo": ["a", 2, "c"]},
    ),
    (  # A.10 adding a nested member object
        {"foo": "bar"},
        [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
        {"foo": "bar", "child": {"grandchild": {}}},
    ),
    (  # A.11 ignoring unrecognized elements
        {"foo": "bar"},
        [{"op": "add", "path": "/baz", "value": "qux", "xyz": 123}],
        {"foo": "bar", "baz": "qux"},
    ),
    (  # A.14 ~ escape ordering
        {"/": 9, "~1": 10},
        [{"op": "test", "path": "/~01", "value": 10}],
        {"/": 9, "~1": 10},
    ),
    (  # A.16 adding an array value
        {"foo": ["bar"]},
        [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
        {"foo": ["bar", ["abc", "def"]]},
    ),
    (  # copy is deep, and "" is the whole document
        {"a": {"b": [1]}},
        [
            {"op": "copy", "from": "/a", "path": "/c"},
            {"op": "add", "path": "/c/b/-", "value": 2},
        ],
        {"a": {"b": [1]}, "c": {"b": [1, 2]}},
    ),
    ({"a": 1}, [{"op": "replace", "path": "", "value": [1]}], [1]),
    ({"a/b": 1}, [{"op": "move", "from": "/a~1b", "path": "/c~0d"}], {"c~d": 1}),
]


@pytest.mark.parametrize(("doc", "ops", "expected"), RFC6902_EXAMPLES)
def test_json_patch_rfc6902_examples(doc: Any, ops: list[Any], expected: Any) -> None:
    before = json.dumps(doc)
    assert json_patch(doc, ops) == expected
    assert json.dumps(doc) == before  # the input is untouched


@pytest.mark.parametrize(
    ("doc", "ops", "fragment"),
    [
        # A.9 testing a value: error
        ({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}], "test"),
        # A.12 adding to a nonexistent target
        ({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}], "baz"),
        # A.15 comparing strings and numbers
        ({"/": 9, "~1": 10}, [{"op": "test", "path": "/~01", "value": "10"}], "test"),
        # JSON's true is not 1, whatever Python thinks
        ({"a": 1}, [{"op": "test", "path": "/a", "value": True}], "test"),
        ({"a": 1}, [{"op": "remove", "path": "/b"}], "'b'"),
        ({"a": 1}, [{"op": "replace", "path": "/b", "value": 1}], "'b'"),
        ({"a": [1]}, [{"op": "add", "path": "/a/2", "value": 1}], "out of range"),
        ({"a": [1, 2]}, [{"op": "remove", "path": "/a/01"}], "array index"),
        ({"a": [1]}, [{"op": "remove", "path": "/a/-"}], "array index"),
        ({"a": 1}, [{"op": "add", "path": "a", "value": 1}], "'/'"),
        ({"a": 1}, [{"op": "add", "path": "/~2", "value": 1}], "escape"),
        ({"a": 1}, [{"op": "add", "path": "/b"}], "value"),
        ({"a": 1}, [{"op": "frobnicate", "path": "/a"}], "Unexpected kind"),
        ({"a": {"b": 1}}, [{"op": "move", "from": "/a", "path": "/a/b/c"}], "child"),
        ({"a": 1}, [{"op": "add", "value": 1}], "path"),
    ],
)
def test_json_patch_failures_are_422(doc: Any, ops: list[Any], fragment: str) -> None:
    with pytest.raises(PatchError) as err:
        json_patch(doc, ops)
    assert err.value.status == 422
    assert err.value.reason == "Invalid"
    assert fragment in str(err.value)


def test_json_patch_test_treats_missing_members_as_null() -> None:
    # evanphx/json-patch v4, which the API server runs, does so
    doc = {"metadata": {"name": "a"}}
    assert (
        json_patch(doc, [{"op": "test", "path": "/metadata/uid", "value": None}]) == doc
    )
    assert json_patch(doc, [{"op": "test", "path": "/metadata/uid"}]) == doc
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/metadata/name", "value": None}])
    with pytest.raises(PatchError):
        json_patch(doc, [{"op": "test", "path": "/spec/x", "value": None}])


def test_json_patch_is_all_or_nothing() -> None:
    doc = {"a": 1}
    ops = [
        {"op": "add", "path": "/b", "value": 2},
        {"op": "test", "path": "/a", "value": 2},
    ]
    with pytest.raises(PatchError):
        json_patch(doc, ops)
    assert doc == {"a": 1}


@pytest.mark.parametrize("ops", [{"op": "add"}, ["add"], None, [{"op": "add"}, 1]])
def test_json_patch_malformed_document_is_400(ops: Any) -> None:
    with pytest.raises(PatchError) as err:
        json_patch({}, ops)
    assert err.value.status == 400


def test_json_patch_operation_limit_is_413() -> None:
    ops = [{"op": "test", "path": "", "value": {}}] * 10000
    assert json_patch({}, ops) == {}
    with pytest.raises(PatchError) as err:
        json_patch({}, [*ops, ops[0]])
    assert err.value.status == 413
