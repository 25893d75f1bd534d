"""Fixtures for the leader election tests: candidates, each an elector on its own
connection (which a test can cut or hold), run on a thread, noting when it
started and stopped leading on its elector's clock."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


class Link:
    """A transport wrapper: ``cut`` makes this candidate's Lease requests fail as
    a network partition would (``fail_gets``: only its reads); ``hold`` (an
    Event) keeps its writes waiting until set; ``before_write`` runs just before
    a write is sent; ``lose_next_write``: the next write is done but its answer
    lost. Counts failed requests and 409 answers."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.config = getattr(inner, "config", None)
        self.cut = False
        self.hold: threading.Event | None = None
        self.before_write: Callable[[], None] | None = None
        self.observer: Callable[[Any], None] | None = None
        self.writes: list[str] = []
        self.failed = 0
        self.conflicts = 0
        self.fail_gets = False
        self.lose_next_write = False

    def send(self, request: Any) -> Any:
        from kubeclient.errors import CannotConnect, ResponseTimeout

        if "/leases" in request.path:
            if self.observer is not None:
                self.observer(request)
            if self.cut:
                self.failed += 1
                raise CannotConnect("injected partition: no route to the server")
            if request.method in ("PUT", "POST"):
                self.writes.append(request.method)
                if self.before_write is not None:
                    self.before_write()
                if self.hold is not None and not self.hold.is_set():
                    self.hold.wait(10)
                    # a late packet still arrives, whatever the sender gave up on
                    request = dataclasses.replace(request, context=None)
        if self.fail_gets and request.method == "GET" and "/leases" in request.path:
            self.failed += 1
            raise CannotConnect("injected partition: no route to the server")
        response = self.inner.send(request)
        if self.lose_next_write and request.method in ("PUT", "POST"):
            self.lose_next_write = False  # written, but the answer never comes
            raise ResponseTimeout("injected fault: the response was lost")
        if "/leases" in request.path and response.status == 409:
            self.conflicts += 1
        return response

    def close(self) -> None:
        self.inner.close()


class Candidate:
    """One elector and what it lived through (times on its elector's clock)."""

    def __init__(
        self,
        kc: Any,
        transport: Any,
        identity: str,
        *,
        lease: float,
        renew: float,
        retry: float,
        release_on_cancel: bool = False,
        clock: Any = None,
        jitter: Callable[[], float] | None = None,
        name: str = "ctl",
        namespace: str = "kube-system",
    ) -> None:
        from kubeclient.leaderelection import (
            LeaderCallbacks,
            LeaderElectionConfig,
            LeaderElector,
            LeaseLock,
        )
        from kubeclient.pipeline import RetryPolicy
        from kubeclient.rest import RESTClient

        self.kc = kc
        self.identity = identity
        self.link = Link(transport)
        rest = RESTClient(transport=self.link)
        # a partition fails fast: no long backoff inside one renewal attempt
        rest.pipeline.retry = RetryPolicy(max_retries=1, backoff_base=0.01)
        self.lock = LeaseLock(rest, namespace=namespace, name=name, identity=identity)
        self.started: list[float] = []
        self.leader_ctx_done: list[float] = []
        self.stopped: list[float] = []
        self.new_leaders: list[str] = []
        self.events: list[str] = []
        self._cond = threading.Condition()
        self.elector = LeaderElector(
            LeaderElectionConfig(
                lock=self.lock,
                lease_duration=lease,
                renew_deadline=renew,
                retry_period=retry,
                callbacks=LeaderCallbacks(
                    on_started_leading=self._lead,
                    on_stopped_leading=self._stopped,
                    on_new_leader=self._new_leader,
                ),
                release_on_cancel=release_on_cancel,
                name=name,
            ),
            clock=clock,
            jitter=jitter,
        )
        self.ctx = kc.Context()
        self.thread = threading.Thread(
            target=self.elector.run, args=(self.ctx,), name=f"candidate {identity}"
        )

    def _now(self) -> float:
        now: float = self.elector.clock.now()
        return now

    def _note(self, what: str, into: list[Any], value: Any) -> None:
        with self._cond:
            into.append(value)
            self.events.append(what)
            self._cond.notify_all()

    def _lead(self, ctx: Any) -> None:
        self._note("started", self.started, self._now())
        while not ctx.wait(3600):
            pass
        self._note("ctx done", self.leader_ctx_done, self._now())

    def _stopped(self) -> None:
        self._note("stopped", self.stopped, self._now())

    def _new_leader(self, identity: str) -> None:
        self._note(f"new leader {identity}", self.new_leaders, identity)

    def start(self) -> Candidate:
        self.thread.start()
        return self

    def kill(self) -> None:
        """Stop renewing, without releasing (unless configured to)."""
        self.ctx.cancel()
        self.thread.join(10)
        assert not self.thread.is_alive(), f"{self.identity} did not stop"

    def wait(self, check: Callable[[Candidate], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not check(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True


def first_write_waits_at(barrier: threading.Barrier) -> Callable[[], None]:
    """A ``before_write`` hook: the candidate's first write waits for the others
    at ``barrier``; later writes (renewals) go straight through."""
    waited = threading.Event()

    def hook() -> None:
        if not waited.is_set():
            waited.set()
            barrier.wait()

    return hook


@pytest.fixture
def kc(generated: Path) -> Any:
    import kubeclient

    return kubeclient


@pytest.fixture
def candidates() -> Iterator[list[Candidate]]:
    """Candidates made by the test; all stopped and joined at its end."""
    made: list[Candidate] = []
    yield made
    for candidate in made:
        candidate.ctx.cancel()
    for candidate in made:
        if candidate.thread.is_alive():
            candidate.thread.join(10)
        assert not candidate.thread.is_alive(), f"{candidate.identity} still runs"
    leftovers = [t.name for t in threading.enumerate() if "leader-election" in t.name]
    assert leftovers == [], leftovers


def lease_of(kc: Any, core_or_cs: Any, namespace: str = "kube-system") -> Any:
    """The Lease ``ctl`` as stored (a wire dict), None if there is none."""
    stored = core_or_cs.store.get(("coordination.k8s.io", "leases"), namespace, "ctl")
    return stored
