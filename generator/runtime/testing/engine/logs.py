"""Container logs for ``pods/log``: what a kubelet would serve, set by the test.

Each line keeps the time it was added, for ``timestamps`` and ``sinceSeconds``;
``follow`` streams lines as they are appended until the pod is deleted, the
server stops, or the client goes away.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

LogKey = tuple[str, str, str, bool]  # namespace, pod, container, previous

#: How often an idle follow stream yields, so the HTTP layer notices a gone client.
HEARTBEAT = 0.5


@dataclass(frozen=True)
class Line:
    at: float  # time.time() when added
    text: str  # with its trailing newline

    def stamped(self) -> str:
        moment = datetime.fromtimestamp(self.at, timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f000Z ") + self.text


@dataclass(frozen=True)
class LogQuery:
    tail_lines: int | None = None
    limit_bytes: int | None = None
    timestamps: bool = False
    since: float | None = None  # epoch seconds


class PodLogs:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._lines: dict[LogKey, list[Line]] = {}
        self._epoch: dict[tuple[str, str], int] = {}  # bumped when a pod goes away
        #: containers that exited: their followers end once they have it all
        self._ended: set[tuple[str, str, str]] = set()
        self._restarts: dict[tuple[str, str, str], int] = {}  # ends followers too
        self.closed = False

    def set(self, key: LogKey, text: str) -> None:
        with self._changed:
            self._lines[key] = _split(text)
            self._changed.notify_all()

    def append(self, key: LogKey, text: str) -> None:
        with self._changed:
            self._lines.setdefault(key, []).extend(_split(text))
            self._changed.notify_all()

    def has(self, key: LogKey) -> bool:
        with self._changed:
            return key in self._lines

    def exited(self, namespace: str, pod: str, container: str) -> None:
        """The container stopped: ``follow`` readers get the rest, then the end."""
        with self._changed:
            self._ended.add((namespace, pod, container))
            self._changed.notify_all()

    def restarted(self, namespace: str, pod: str, container: str) -> None:
        """The container started again: its log so far becomes ``previous``."""
        with self._changed:
            container_key = (namespace, pod, container)
            self._lines[(*container_key, True)] = self._lines.pop(
                (*container_key, False), []
            )
            self._ended.discard(container_key)
            self._restarts[container_key] = self._restarts.get(container_key, 0) + 1
            self._changed.notify_all()

    def pod_gone(self, namespace: str, pod: str) -> None:
        """The pod was deleted: its logs go, followers end."""
        with self._changed:
            for key in [k for k in self._lines if k[:2] == (namespace, pod)]:
                del self._lines[key]
            self._ended = {k for k in self._ended if k[:2] != (namespace, pod)}
            for gone in [k for k in self._restarts if k[:2] == (namespace, pod)]:
                del self._restarts[gone]
            self._epoch[(namespace, pod)] = self._epoch.get((namespace, pod), 0) + 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def read(self, key: LogKey, query: LogQuery) -> bytes:
        with self._changed:
            lines = list(self._lines.get(key, ()))
        return _limit(_render(_select(lines, query), query), query.limit_bytes)

    def follow(self, key: LogKey, query: LogQuery) -> Iterator[bytes]:
        """The selected lines, then new ones as they come."""
        with self._changed:
            lines = list(self._lines.get(key, ()))
            epoch = self._epoch.get(key[:2], 0)
            restarts = self._restarts.get(key[:3], 0)
        budget = query.limit_bytes
        sent = len(lines)
        first = _limit(_render(_select(lines, query), query), budget)
        if first:
            yield first
        if budget is not None:
            budget -= len(first)
        while budget is None or budget > 0:
            with self._changed:
                current = self._lines.get(key)
                if (
                    self.closed
                    or self._epoch.get(key[:2], 0) != epoch
                    or self._restarts.get(key[:3], 0) != restarts
                ):
                    return
                if current is None or len(current) <= sent:
                    if key[:3] in self._ended:
                        return
                    self._changed.wait(HEARTBEAT)
                    current = self._lines.get(key) or []
                new = current[sent:]
                sent = len(current)
            if not new:
                yield b""  # heartbeat: lets the HTTP layer check the client
                continue
            chunk = _limit(_render(new, query), budget)
            if budget is not None:
                budget -= len(chunk)
            yield chunk


def _split(text: str) -> list[Line]:
    at = time.time()
    return [Line(at, line) for line in text.splitlines(keepends=True)]


def _select(lines: list[Line], query: LogQuery) -> list[Line]:
    if query.since is not None:
        lines = [line for line in lines if line.at >= query.since]
    if query.tail_lines is not None:
        lines = lines[-query.tail_lines :] if query.tail_lines > 0 else []
    return lines


def _render(lines: list[Line], query: LogQuery) -> bytes:
    if query.timestamps:
        return "".join(line.stamped() for line in lines).encode()
    return "".join(line.text for line in lines).encode()


def _limit(data: bytes, budget: int | None) -> bytes:
    return data if budget is None else data[: max(budget, 0)]
