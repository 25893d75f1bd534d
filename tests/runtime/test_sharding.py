"""Tests for generator/runtime/sharding.py: FNV-1a 64 against published vectors, the
spec's shardSelector examples byte for byte, shards partitioning the hash space, and
parsing (every malformed form rejected with the problem named)."""

from __future__ import annotations

import itertools
import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest

from generator.runtime.sharding import (
    HASH_SPACE,
    HashRange,
    Shard,
    ShardField,
    ShardSelector,
    ShardSelectorError,
    any_of,
    fnv1a_64,
    hash_field,
    parse_selector,
)
from tests.conftest import spec_dir

# FNV-1a 64 test vectors (Landon Curt Noll's reference test suite, as Go's
# hash/fnv tests use them).
VECTORS = [
    (b"", 0xCBF29CE484222325),
    (b"a", 0xAF63DC4C8601EC8C),
    (b"ab", 0x089C4407B545986A),
    (b"abc", 0xE71FA2190541574B),
    (b"foobar", 0x85944171F73967E8),
    (b"chongo was here!\n", 0x46810940EFF5F915),
]


@pytest.mark.parametrize(("data", "expected"), VECTORS)
def test_fnv1a_64_vectors(data: bytes, expected: int) -> None:
    assert fnv1a_64(data) == expected


def test_hash_field_hashes_the_utf8_of_the_field() -> None:
    obj = {"metadata": {"uid": "ünï", "namespace": "prod"}}
    assert hash_field(obj) == fnv1a_64("ünï".encode())
    assert hash_field(obj, "namespace") == fnv1a_64(b"prod")
    # a cluster-scoped object (no namespace) and garbage hash as ""
    assert hash_field({"metadata": {}}, "namespace") == fnv1a_64(b"")
    assert hash_field({"metadata": "x"}) == fnv1a_64(b"")
    assert hash_field({"metadata": {"uid": 7}}) == fnv1a_64(b"")
    # a lone surrogate (JSON allows "\ud800") is U+FFFD, as Go decodes it
    lone = json.loads('{"metadata": {"uid": "a\\ud800"}}')
    assert hash_field(lone) == fnv1a_64("a\ufffd".encode())


def _spec_examples() -> tuple[list[str], list[str]]:
    doc = json.loads((spec_dir() / "api__v1_openapi.json").read_text())
    params = doc["paths"]["/api/v1/pods"]["parameters"]
    text = next(p for p in params if p["name"] == "shardSelector")["description"]
    lines = [line.strip() for line in text.splitlines()]
    two = lines.index("2-shard split:")
    four = lines.index("4-shard split:")

    def examples(start: int, n: int) -> list[str]:
        out = []
        for i in range(n):
            prefix = f"shard {i}: "
            assert lines[start + 1 + i].startswith(prefix)
            out.append(lines[start + 1 + i][len(prefix) :])
        return out

    return examples(two, 2), examples(four, 4)


def test_selectors_match_the_spec_examples_byte_for_byte() -> None:
    two, four = _spec_examples()
    assert [Shard(i, 2).selector for i in range(2)] == two
    assert [str(Shard(i, 4)) for i in range(4)] == four
    assert two[1] == (
        "shardRange(object.metadata.uid, '0x8000000000000000', '0x10000000000000000')"
    )
    # and they parse back to the same ranges
    for i, text in enumerate(four):
        parsed = parse_selector(text)
        assert parsed is not None and parsed.ranges == (Shard(i, 4).range,)


def test_the_spec_description_examples_parse() -> None:
    short = "shardRange(object.metadata.uid, '0x0', '0x8000000000000000')"
    parsed = parse_selector(short)
    assert parsed == ShardSelector("uid", (HashRange(0, 1 << 63),))
    both = parse_selector(f"{short} || {Shard(1, 2)}")
    assert (
        both is not None
        and both.contains_hash(0)
        and both.contains_hash(HASH_SPACE - 1)
    )


def test_namespace_shards_name_the_namespace_path() -> None:
    assert Shard(0, 1, "namespace").selector == (
        "shardRange(object.metadata.namespace, '0x0000000000000000', "
        "'0x10000000000000000')"
    )


@pytest.mark.parametrize("count", range(1, 18))
def test_shards_partition_the_hash_space(count: int) -> None:
    shards = Shard.split(count)
    assert [s.index for s in shards] == list(range(count))
    assert shards[0].range.start == 0
    assert shards[-1].range.end == HASH_SPACE
    for a, b in itertools.pairwise(shards):
        assert a.range.end == b.range.start  # no gap, no overlap
    for s in shards:
        assert s.range.start < s.range.end
        # each hash of the range boundaries belongs to exactly one shard
        for h in (s.range.start, s.range.end - 1):
            assert [t.index for t in shards if h in t.range] == [s.index]


def test_shard_contains_agrees_with_the_parsed_selector() -> None:
    rng = random.Random(5866)
    objs = [
        {
            "metadata": {
                "uid": str(uuid.UUID(int=rng.getrandbits(128))),
                "namespace": f"ns-{i % 5}",
            }
        }
        for i in range(200)
    ]
    fields: tuple[ShardField, ...] = ("uid", "namespace")
    for field in fields:
        shards = Shard.split(3, field)
        for obj in objs:
            owners = [s.index for s in shards if s.contains(obj)]
            assert len(owners) == 1
            parsed = parse_selector(shards[owners[0]].selector)
            assert parsed is not None and parsed.matches(obj)
    # 200 random uids over 3 shards: each gets some (the hash spreads them)
    assert all(any(s.contains(o) for o in objs) for s in Shard.split(3))


def test_any_of_joins_ranges() -> None:
    text = any_of([Shard(0, 4), Shard(3, 4)])
    assert text == f"{Shard(0, 4)} || {Shard(3, 4)}"
    parsed = parse_selector(text)
    assert parsed is not None
    assert parsed.contains_hash(0) and parsed.contains_hash(HASH_SPACE - 1)
    assert not parsed.contains_hash(HASH_SPACE // 2)
    with pytest.raises(ValueError, match="same field"):
        any_of([Shard(0, 2), Shard(1, 2, "namespace")])
    with pytest.raises(ValueError, match="at least one"):
        any_of([])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((2, 2), "index must be in 0..1"),
        ((-1, 2), "index must be in 0..1"),
        ((0, 0), "count must be in 1..2\\*\\*64"),
        ((0, 2**64 + 1), "count must be in"),
        ((True, 2), "index must be an int"),
        (("0", 2), "index must be an int"),
        ((0, 2, "name"), "field must be one of uid, namespace"),
    ],
)
def test_bad_shards_are_value_errors(args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Shard(*args)


def test_shard_is_frozen_and_hashable() -> None:
    shard = Shard(1, 3)
    assert shard == Shard(1, 3) and len({shard, Shard(1, 3)}) == 1
    with pytest.raises(AttributeError):
        shard.index = 2  # type: ignore[misc]


def test_bad_hash_ranges() -> None:
    with pytest.raises(ValueError, match="start <= end"):
        HashRange(2, 1)
    with pytest.raises(ValueError, match="<= 2\\*\\*64"):
        HashRange(0, HASH_SPACE + 1)


def test_empty_selector_is_none() -> None:
    assert parse_selector("") is None
    assert parse_selector("   ") is None


def test_whitespace_between_tokens_is_allowed() -> None:
    parsed = parse_selector(
        " shardRange ( object . metadata . namespace ,'0x0',\t'0x10' ) "
    )
    assert parsed == ShardSelector("namespace", (HashRange(0, 16),))


def test_ranges_are_inclusive_start_exclusive_end() -> None:
    parsed = parse_selector("shardRange(object.metadata.uid, '0x10', '0x20')")
    assert parsed is not None
    assert [parsed.contains_hash(h) for h in (15, 16, 31, 32)] == [
        False,
        True,
        True,
        False,
    ]
    empty = parse_selector("shardRange(object.metadata.uid, '0x10', '0x10')")
    assert empty is not None and not empty.contains_hash(16)


U = "shardRange(object.metadata.uid, '0x0', '0x1')"
BAD = [
    ("metadata.uid", "expected shardRange\\(...\\) but found 'metadata' at position 0"),
    (
        "shardRange(metadata.uid, '0x0', '0x1')",
        "'metadata.uid' is in fieldSelector form",
    ),
    (
        "shardRange(object.metadata.name, '0x0', '0x1')",
        "unsupported field path 'object.metadata.name'",
    ),
    ("shardRange(object.spec.uid, '0x0', '0x1')", "unsupported field path"),
    (
        "shardRange(object.metadata.uid, '0xg', '0x1')",
        "hexStart '0xg' at position 32 is not a hexadecimal number",
    ),
    (
        "shardRange(object.metadata.uid, '12', '0x1')",
        "hexStart '12' .* with a 0x prefix",
    ),
    (
        "shardRange(object.metadata.uid, '0x', '0x1')",
        "hexStart '0x' .* not a hexadecimal",
    ),
    (
        "shardRange(object.metadata.uid, 0x0, '0x1')",
        "expected hexStart as a single-quoted string",
    ),
    (
        "shardRange(object.metadata.uid, \"0x0\", '0x1')",
        'hexStart "0x0" .* must be single-quoted',
    ),
    (
        "shardRange(object.metadata.uid, '0x2', '0x1')",
        "hexStart 0x2 is greater than hexEnd 0x1",
    ),
    (
        "shardRange(object.metadata.uid, '0x0', '0x10000000000000001')",
        "hexEnd .* beyond the end of the hash space",
    ),
    (
        "shardRange(object.metadata.uid, '0x0', '0x" + "f" * 5000 + "')",
        "hexEnd .* beyond the end",
    ),
    (f"{U} ||", "trailing '\\|\\|'"),
    (f"{U} || ", "trailing '\\|\\|'"),
    (f"{U} |", "unexpected character '\\|'"),
    (f"{U} && {U}", "unexpected character '&'"),
    (
        f"{U} {U}",
        "expected '\\|\\|' or the end of the expression but found 'shardRange'",
    ),
    (
        f"{U} || shardRange(object.metadata.namespace, '0x0', '0x1')",
        "must hash the same field",
    ),
    (
        "shardRange(object.metadata.uid, '0x0', '0x1'",
        "expected '\\)' closing shardRange",
    ),
    ("shardRange(object.metadata.uid, '0x0')", "expected ',' after hexStart"),
    ("shardRange object.metadata.uid", "expected '\\(' after shardRange"),
    (
        "shardRange(object.metadata.uid, '0x0, '0x1')",
        "hexStart '0x0, ' at position 32 is not a hexadecimal",
    ),
    ("shardRange(object.metadata.uid, '0x0', '0x1", "unterminated string literal"),
    ("shardRange(object.metadata., '0x0', '0x1')", "expected a field name after '.'"),
    ("shardRange('0x0', '0x1')", "expected a field path"),
    ("(" + U + ")", "expected shardRange\\(...\\) but found '\\('"),
    ("ünïcode", "unexpected character 'ü' at position 0"),
    ("\u3000" + U, "unexpected character '\\\\u3000' at position 0"),
    (
        "shardRange(object.metadata.uid, '0x0', '0x1') || \x00",
        "unexpected character '\\\\x00'",
    ),
    ("x" * 100_000, "expected shardRange\\(...\\) but found 'xxxxxxxx"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_malformed_selectors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ShardSelectorError, match=message) as info:
        parse_selector(text)
    assert len(str(info.value)) < 300  # hostile input is not echoed in full


def test_many_ranges_parse_and_match_fast() -> None:
    many = " || ".join(Shard(i, 20_000).selector for i in range(0, 20_000, 2))
    parsed = parse_selector(many)
    assert parsed is not None and len(parsed.ranges) == 10_000
    assert parsed.contains_hash(Shard(2, 20_000).range.start)
    assert not parsed.contains_hash(Shard(3, 20_000).range.start)


def test_module_is_self_contained() -> None:
    """Copied into every generated package and imported by the test server: only
    the standard library."""
    source = (Path(__file__).parents[2] / "generator/runtime/sharding.py").read_text()
    imports = [
        line for line in source.splitlines() if line.startswith(("import ", "from "))
    ]
    assert all(not line.startswith("from .") for line in imports), imports
