"""The streaming list keeps the cyclic garbage collector off what it builds.

A streaming list decodes one small event at a time and keeps every object: the
reflector moves them to the collector's oldest generation as they come, so that
young collections do not scan them again and again (3x the decoding time for
10,000 pods, bench/run.py informers).
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from generator.runtime.cache.reflector import INITIAL_EVENTS_END, Reflector
from generator.runtime.context import Context
from generator.runtime.watch import WatchEvent

COUNT = 150


def config_map(i: int) -> dict[str, Any]:
    return {
        "metadata": {"name": f"cm-{i}", "namespace": "default"},
        "data": {"n": str(i)},
    }


class StreamingListWatch:
    """COUNT initial events, then the initial-events-end bookmark."""

    description = "v1 configmaps"

    def watch(self, resource_version: str, ctx: Context, **options: Any) -> Any:
        assert options.get("send_initial_events")

        def events() -> Iterator[WatchEvent[dict[str, Any]]]:
            for i in range(COUNT):
                raw = config_map(i)
                yield WatchEvent("ADDED", raw, raw)
            end = {
                "metadata": {
                    "resourceVersion": "7",
                    "annotations": {INITIAL_EVENTS_END: "true"},
                }
            }
            yield WatchEvent("BOOKMARK", end, end)

        return events()


class Sink:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def replace(self, items: list[dict[str, Any]], resource_version: str) -> None:
        self.items = items

    def apply(self, event_type: str, raw: dict[str, Any]) -> None:
        raise AssertionError("no watch events expected")

    def bookmark(self, resource_version: str) -> None:
        pass


# --- run in a fresh interpreter (run_alone) with the code above: natural
# collections held off, so where the objects end up shows what the reflector did


def streaming_list() -> list[dict[str, Any]]:
    sink = Sink()
    reflector: Reflector[dict[str, Any]] = Reflector(
        StreamingListWatch(), sink  # type: ignore[arg-type]
    )
    assert reflector._streaming_list(Context()) is not None
    assert len(sink.items) == COUNT
    return sink.items


def in_oldest_generation(objects: list[dict[str, Any]]) -> set[int]:
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    return {id(o) for o in objects} & oldest


def hold_off_collections() -> None:
    gc.collect()
    gc.set_threshold(1_000_000, 1_000, 1_000)


def run_alone(code: str) -> None:
    """Run ``code`` after this module's helpers in a fresh interpreter: another
    thread's pause of the collector (the runtime's big decodes, informers left
    by other tests) would move objects to the oldest generation too."""
    source = Path(__file__).read_text().split("\ndef run_alone")[0]
    script = f"{source}\n{textwrap.dedent(code)}"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_streaming_list_moves_what_it_keeps_to_the_oldest_generation() -> None:
    run_alone("""
        hold_off_collections()
        items = streaming_list()
        settled = in_oldest_generation(items)
        # every 64 events: the first 128 of 150 moved, the rest still young
        assert {id(o) for o in items[:128]} <= settled
        assert not {id(o) for o in items[128:]} & settled
        """)


def test_streaming_list_leaves_an_apps_frozen_objects_alone() -> None:
    run_alone("""
        hold_off_collections()
        gc.freeze()
        frozen = gc.get_freeze_count()
        items = streaming_list()
        assert gc.get_freeze_count() == frozen
        assert not in_oldest_generation(items)
        """)
