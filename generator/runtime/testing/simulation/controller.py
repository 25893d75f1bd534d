"""The base of the simulated controllers, and the loop that runs them all on
one thread: it reads the store's own event history (what a watch would get),
hands each event to every controller, and runs the syncs they queue and the
timers they set on the simulated clock."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from ..engine.store import Compacted, Event
from .api import PODS, Api
from .clock import SimClock
from .podutil import controller_ref, deleting, name_of, namespace_of

if TYPE_CHECKING:
    from ..engine.core import Core

log = logging.getLogger(__name__)


class Controller:
    """One simulated controller: ``observe`` the store's events, queue keys,
    ``sync`` a key (under the store's lock: reads and writes are atomic)."""

    name = "controller"

    def __init__(self, loop: Loop) -> None:
        self.loop = loop
        self.api: Api = loop.api
        self.clock: SimClock = loop.clock

    def start(self) -> None:
        """Once, before any event: queue what already exists."""

    def observe(self, event: Event) -> None:
        """One committed change (any resource)."""

    def sync(self, key: Hashable) -> None:
        """Bring one thing to where it should be."""

    def enqueue(self, key: Hashable) -> None:
        self.loop.enqueue(self, key)

    def after(self, simulated_seconds: float, key: Hashable) -> None:
        """Sync ``key`` again once the simulated clock has moved on this much."""
        self.loop.after(simulated_seconds, self, key)


class WorkloadController(Controller):
    """The controller of one workload kind (``owner``) whose objects own others
    (``owned``) through controller ownerReferences: a change of either queues the
    owner's key, as the real controllers' event handlers do."""

    owner: tuple[str, str, str] = ("", "", "")  # group, version, plural
    owner_kind = ""
    owned: tuple[str, str, str] = PODS

    def start(self) -> None:
        for obj in self.api.list(self.owner):
            self.enqueue((namespace_of(obj), name_of(obj)))

    def observe(self, event: Event) -> None:
        if event.key == (self.owner[0], self.owner[2]):
            self.enqueue((namespace_of(event.obj), name_of(event.obj)))
        elif event.key == (self.owned[0], self.owned[2]):
            ref = controller_ref(event.obj)
            if ref is not None and ref.get("kind") == self.owner_kind:
                self.enqueue((namespace_of(event.obj), str(ref.get("name") or "")))

    def owner_to_sync(self, key: Hashable) -> Any:
        """The owner object of ``key``, or None when it is gone or being deleted
        (the garbage collector takes its dependents then)."""
        assert isinstance(key, tuple)
        obj = self.api.get(self.owner, *key)
        return None if obj is None or deleting(obj) else obj


class Loop:
    """Runs every controller on one daemon thread until ``stop``."""

    def __init__(self, core: Core, clock: SimClock) -> None:
        self.core = core
        self.store = core.store
        self.clock = clock
        self.api = Api(core)
        self.controllers: list[Controller] = []
        self._queue: dict[tuple[int, Hashable], Controller] = {}
        self._timers: list[tuple[float, int, int, Hashable]] = []
        self._due: dict[tuple[int, Hashable], float] = {}
        self._seq = itertools.count()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._rv = 0
        #: syncs that raised (a bug, or an object odder than expected); kept
        #: for tests to look at, the loop goes on
        self.errors: list[str] = []
        self.idle = threading.Event()

    def enqueue(self, controller: Controller, key: Hashable) -> None:
        self._queue.setdefault((id(controller), key), controller)

    def after(self, simulated: float, controller: Controller, key: Hashable) -> None:
        """One pending timer per (controller, key): the earliest wins (a sync
        sets its next timer again, so a later one is not lost)."""
        due = self.clock.now() + max(simulated, 0.0)
        index = self.controllers.index(controller)
        pending = self._due.get((index, key))
        if pending is not None and pending <= due:
            return
        self._due[(index, key)] = due
        heapq.heappush(self._timers, (due, next(self._seq), index, key))

    # ------------------------------------------------------------------ running

    def start(self) -> None:
        with self.store.lock:
            self._rv = self.store.rv
            for controller in self.controllers:
                self._guard(controller, controller.start)
        self._thread = threading.Thread(
            target=self._run, name="kubeclient-simulation", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        with self.store.changed:
            self.store.changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stopped.is_set() and not self.store.closed:
            try:
                self._step()
            except Exception:  # never let the loop die
                log.exception("simulation loop")
                self.errors.append("loop")

    def _wait(self) -> float:
        if self._queue:
            return 0.0
        if not self._timers:
            return 0.5
        return min(
            max(self.clock.real_seconds(self._timers[0][0] - self.clock.now()), 0), 0.5
        )

    def _step(self) -> None:
        timeout = self._wait()
        if timeout > 0:
            self.idle.set()
        try:
            events = self.store.wait_events(self._rv, timeout, limit=2000)
        except Compacted:  # fell behind the history: look at everything again
            with self.store.lock:
                self._rv = self.store.rv
                for controller in self.controllers:
                    self._guard(controller, controller.start)
            return
        if events:
            self.idle.clear()
        for event in events:
            self._rv = event.rv
            for controller in self.controllers:
                self._guard(controller, controller.observe, event)
        now = self.clock.now()
        while self._timers and self._timers[0][0] <= now:
            due, _, index, key = heapq.heappop(self._timers)
            if self._due.get((index, key)) != due:
                continue  # replaced by an earlier one, which has fired
            del self._due[(index, key)]
            self.enqueue(self.controllers[index], key)
        if self._queue:
            self.idle.clear()
        queued, self._queue = self._queue, {}
        for (_, key), controller in queued.items():
            if self._stopped.is_set():
                return
            with self.store.lock:
                self._guard(controller, controller.sync, key)

    def _guard(self, controller: Controller, method: Any, *args: Any) -> None:
        try:
            method(*args)
        except Exception as error:  # an odd object must not stop the cluster
            log.exception("simulation: %s failed", controller.name)
            if len(self.errors) < 1000:
                self.errors.append(f"{controller.name}: {error!r}")
