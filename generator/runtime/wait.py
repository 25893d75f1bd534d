"""Waiting for something to happen: apimachinery's ``wait`` and ``kubectl wait``.

:func:`wait_for` waits on one object, as ``kubectl wait --for=...``, on a watch
(no polling: the server tells when the object changes)::

    from kubeclient.wait import wait_for

    deployments = cs.apps_v1.deployments("default")
    web = wait_for(deployments, "web", "Available", timeout=120)
    wait_for(cs.core_v1.pods("default"), "job-1", "Ready=False")
    wait_for(cs.core_v1.pods("default"), "job-1", lambda pod: pod.status.phase == "Succeeded")
    deployments.delete("web")
    wait_for(deployments, "web", "delete", timeout=60)

:func:`poll_until` runs any check at an interval, for what no watch can tell::

    from kubeclient.wait import poll_until

    poll_until(lambda: dns_resolves("web.default.svc"), interval=1.0, timeout=30)

Both raise :class:`~.errors.WaitTimeout` (a :class:`~.errors.DeadlineExceeded`)
when ``timeout`` seconds pass, and :class:`~.errors.Cancelled` when the caller's
``ctx`` ends first.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar, overload

from ._model import Model
from .context import Context
from .errors import Cancelled, NotFound, WaitTimeout
from .resource import ResourceClient

__all__ = ["WaitTimeout", "condition_met", "poll_until", "wait_for"]

R = TypeVar("R")
T = TypeVar("T")


# --- polling ---------------------------------------------------------------------------


def poll_until(
    condition: Callable[[], R],
    interval: float,
    timeout: float | None = None,
    ctx: Context | None = None,
    immediate: bool = True,
    *,
    sleep: Callable[[float], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> R:
    """Call ``condition`` every ``interval`` seconds until it returns something
    truthy, and return that (apimachinery's ``PollUntilContextTimeout``).

    ``immediate``: the first call is made at once, else after one interval. An
    exception from ``condition`` ends the wait and propagates. ``timeout``
    (seconds, None: no limit) raises :class:`~.errors.WaitTimeout`, after a last
    call at the deadline; ``ctx`` raises its own error when it ends first.
    ``sleep`` and ``clock`` replace the pause and the time source (tests).
    """
    _check_seconds("interval", interval, positive=True)
    if timeout is not None:
        _check_seconds("timeout", timeout)
    deadline = None if timeout is None else clock() + timeout
    pause = _pauser(ctx, sleep)
    if not immediate:
        pause(_until(interval, deadline, clock))
    while True:
        if ctx is not None:
            ctx.check()
        result = condition()
        if result:
            return result
        if deadline is not None and clock() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:g}s waiting for the condition")
        pause(_until(interval, deadline, clock))


def _pauser(
    ctx: Context | None, sleep: Callable[[float], None] | None
) -> Callable[[float], None]:
    def pause(seconds: float) -> None:
        if seconds > 0:
            if sleep is not None:
                sleep(seconds)
            elif ctx is not None:
                ctx.wait(seconds)
            else:
                time.sleep(seconds)
        if ctx is not None:
            ctx.check()

    return pause


def _until(
    interval: float, deadline: float | None, clock: Callable[[], float]
) -> float:
    if deadline is None:
        return interval
    return max(min(interval, deadline - clock()), 0.0)


def _check_seconds(name: str, value: object, *, positive: bool = False) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
        or (positive and value == 0)
    ):
        bound = "above 0" if positive else "of at least 0"
        raise ValueError(f"{name} must be a number of seconds {bound}, got {value!r}")


# --- kubectl wait ----------------------------------------------------------------------


def condition_met(obj: Mapping[str, Any], name: str, status: str = "True") -> bool:
    """kubectl wait's ``--for=condition=NAME[=STATUS]`` on a wire dict.

    The first entry of ``status.conditions`` whose ``type`` is ``name`` decides
    (both compared without case, as kubectl): its ``status`` must be ``status``,
    and the controller must have seen the latest spec: ``observedGeneration``
    (the condition's, else ``status.observedGeneration``), when there is one,
    must not be below ``metadata.generation``.
    """
    status_part = obj.get("status")
    conditions = (
        status_part.get("conditions") if isinstance(status_part, Mapping) else None
    )
    if not isinstance(conditions, list):
        return False
    wanted = name.casefold()
    for condition in conditions:
        if not isinstance(condition, Mapping):
            continue
        kind, value = condition.get("type"), condition.get("status")
        if not isinstance(kind, str) or kind.casefold() != wanted:
            continue
        if not isinstance(value, str):
            continue
        generation = _int_at(obj, "metadata", "generation")
        if generation is not None:
            observed = _int_at(condition, "observedGeneration")
            if observed is None:
                observed = _int_at(obj, "status", "observedGeneration")
            if observed is not None and observed < generation:
                return False
        return value.casefold() == status.casefold()
    return False


def _int_at(obj: Mapping[str, Any], *path: str) -> int | None:
    value: Any = obj
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _Goal:
    """What :func:`wait_for` waits for, parsed from its ``condition``."""

    def __init__(self, condition: str | Callable[[Any], object]) -> None:
        self.mode = "match"  # or "delete", "create"
        self.test: Callable[[Any, Mapping[str, Any]], bool]
        if callable(condition):
            self.text = getattr(condition, "__name__", None) or repr(condition)
            self.test = lambda obj, raw: bool(condition(obj))
            return
        if not isinstance(condition, str):
            raise TypeError(
                "condition must be a condition name ('Available', 'Ready=False'), "
                f"'delete', 'create' or a callable, got {type(condition).__name__}"
            )
        text = condition.strip()
        if text.casefold() in ("delete", "create"):
            self.mode, self.text = text.casefold(), text.casefold()
            self.test = lambda obj, raw: True
            return
        if text.casefold().startswith("jsonpath="):
            raise ValueError(
                f"condition {condition!r}: jsonpath conditions are not supported; "
                "pass a callable that gets the object"
            )
        if text.casefold().startswith("condition="):
            text = text[len("condition=") :]
        name, _, status = text.partition("=")
        name, status = name.strip(), status.strip() or "True"
        if not name or "=" in status:
            raise ValueError(
                f"condition {condition!r}: expected NAME or NAME=STATUS, as kubectl "
                "wait's --for=condition=NAME[=STATUS]"
            )
        self.text = f"condition={name}" + ("" if status == "True" else f"={status}")
        self.test = lambda obj, raw: condition_met(raw, name, status)


def _wire(obj: object) -> Mapping[str, Any]:
    if isinstance(obj, Model):
        return obj.to_dict(copy=False)
    if isinstance(obj, Mapping):
        return obj
    return {}


@overload
def wait_for(
    client: ResourceClient[T, Any],
    name: str,
    condition: Literal["delete"],
    *,
    timeout: float | None = None,
    ctx: Context | None = None,
) -> T | None: ...


@overload
def wait_for(
    client: ResourceClient[T, Any],
    name: str,
    condition: str | Callable[[T], object] = "Available",
    *,
    timeout: float | None = None,
    ctx: Context | None = None,
) -> T: ...


def wait_for(
    client: ResourceClient[T, Any],
    name: str,
    condition: str | Callable[[T], object] = "Available",
    *,
    timeout: float | None = None,
    ctx: Context | None = None,
) -> T | None:
    """Wait until the object ``name`` of ``client`` (a typed or dynamic client,
    bound to its namespace) satisfies ``condition``; return the object as it was
    then (for ``"delete"``: the last state seen, None if it was already gone).

    ``condition``, as ``kubectl wait --for``:

    * ``"Available"``, ``"condition=Ready"``, ``"Ready=False"``: the condition
      of that type in ``status.conditions`` has that status (default True), for
      the latest generation (see :func:`condition_met`);
    * ``"delete"``: the object is gone (at once if it does not exist);
    * ``"create"``: the object exists;
    * a callable: gets the (typed) object, returns truthy when done.

    One GET, then a watch of that object from the GET's resourceVersion, resumed
    when the connection drops and relisted after a 410: no state is missed and
    nothing is polled. A missing object, or one deleted while waiting for a
    condition, raises :class:`~.errors.NotFound`, as kubectl. ``timeout``
    seconds (0: check once) raise :class:`~.errors.WaitTimeout`.
    """
    goal = _Goal(condition)
    if timeout is not None:
        _check_seconds("timeout", timeout)
    deadline = None if timeout is None else time.monotonic() + timeout
    inner = Context(deadline=deadline, parent=ctx)
    try:
        # timeout 0 checks once: the GET then runs on the caller's context alone
        found = _get_if_exists(client, name, goal, inner if timeout != 0 else ctx)
        raw = _wire(found) if found is not None else None
        if goal.mode == "delete" and found is None:
            return None
        if raw is not None and goal.mode != "delete" and goal.test(found, raw):
            return found
        if inner.done:
            raise _timeout(client, name, goal, timeout)
        return _watch_until(client, name, goal, raw, inner)
    except WaitTimeout:
        raise
    except Cancelled:
        if (ctx is not None and ctx.done) or not inner.done:
            raise  # the caller's context, or not about time at all
        raise _timeout(client, name, goal, timeout) from None
    finally:
        inner.cancel()


def _get_if_exists(
    client: ResourceClient[T, Any], name: str, goal: _Goal, ctx: Context | None
) -> T | None:
    """The object, or None when it does not exist and the goal allows that."""
    try:
        return client._get(name, {}, None, ctx=ctx)
    except NotFound:
        if goal.mode in ("delete", "create"):
            return None
        raise


def _watch_until(
    client: ResourceClient[T, Any],
    name: str,
    goal: _Goal,
    raw: Mapping[str, Any] | None,
    ctx: Context,
) -> T | None:
    params: dict[str, Any] = {"fieldSelector": f"metadata.name={name}"}
    version = (raw or {}).get("metadata", {}).get("resourceVersion")
    if isinstance(version, str) and version:
        params["resourceVersion"] = version  # else: list first, then watch
    known = [raw] if raw is not None else []
    with client._watch(params, None, resume=True, ctx=ctx, known=known) as events:
        for event in events:
            if event.type in ("ADDED", "MODIFIED"):
                if goal.mode != "delete" and goal.test(event.object, event.raw):
                    return event.object
            elif event.type == "DELETED":
                if goal.mode == "delete":
                    return event.object
                if goal.mode == "match":
                    raise NotFound(
                        404,
                        "NotFound",
                        f"{_where(client, name)} was deleted while waiting for "
                        f"{goal.text}",
                    )
    ctx.check()
    raise Cancelled(f"the watch of {_where(client, name)} ended")


def _where(client: ResourceClient[Any, Any], name: str) -> str:
    where = f"{client.resource.plural}/{name}"
    if client.namespace:
        where += f" in namespace {client.namespace}"
    return where


def _timeout(
    client: ResourceClient[Any, Any],
    name: str,
    goal: _Goal,
    timeout: float | None,
) -> WaitTimeout:
    return WaitTimeout(
        f"timed out after {timeout or 0:g}s waiting for {goal.text} on "
        f"{_where(client, name)}",
        resource=client.resource.plural,
        name=name,
        namespace=client.namespace,
        condition=goal.text,
    )
