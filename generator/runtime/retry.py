"""Retrying a piece of work with backoff: client-go's ``util/retry``.

The usual read-modify-write of a controller, redone when someone else wrote the
object in between (409 Conflict on a stale resourceVersion)::

    from kubeclient.retry import retry_on_conflict

    def bump() -> Deployment:
        deployment = deployments.get("web")          # read afresh on every try
        deployment.spec.replicas = 3
        return deployments.update(deployment)

    updated = retry_on_conflict(bump)                # DEFAULT_RETRY: 5 tries, ~10 ms apart

Any other error, or the last conflict once the tries are used up, is raised as
it is. :func:`on_error` retries whatever ``retriable`` accepts::

    from kubeclient.errors import is_service_unavailable
    from kubeclient.retry import DEFAULT_BACKOFF, on_error

    on_error(DEFAULT_BACKOFF, is_service_unavailable, lambda: client.create(obj))

Both take ``ctx=`` (a :class:`~.context.Context`): cancelling it ends a wait
between tries at once, raising :class:`~.errors.Cancelled`.
"""

from __future__ import annotations

import math
import random as _random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from .context import Context
from .errors import is_conflict

__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_RETRY",
    "Backoff",
    "on_error",
    "retry_on_conflict",
]

R = TypeVar("R")


@dataclass(frozen=True)
class Backoff:
    """apimachinery's ``wait.Backoff``: at most ``steps`` tries; the pause after a
    try is ``duration`` seconds, multiplied by ``factor`` after each pause, plus up
    to ``jitter`` times itself at random. When a multiplication would exceed
    ``cap`` (seconds; 0: no cap) the tries end there, as in Go (``Step`` sets
    ``Steps`` to 0)."""

    duration: float
    factor: float = 1.0
    jitter: float = 0.0
    steps: int = 1
    cap: float = 0.0

    def __post_init__(self) -> None:
        for name in ("duration", "factor", "jitter", "cap"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                raise ValueError(f"Backoff.{name} must be a number >= 0, got {value!r}")
        if isinstance(self.steps, bool) or not isinstance(self.steps, int):
            raise ValueError(f"Backoff.steps must be an integer, got {self.steps!r}")

    def pauses(self, random: Callable[[], float] = _random.random) -> list[float]:
        """The pauses between the tries, in order: one fewer than :attr:`tries`."""
        pauses: list[float] = []
        steps, duration = self.steps, self.duration
        while steps > 1:  # wait.ExponentialBackoff: no pause after the last try
            steps -= 1
            pause = duration
            if self.factor != 0:
                duration *= self.factor
                if self.cap > 0 and duration > self.cap:
                    # Backoff.Step zeroes the steps: Go sleeps this pause and
                    # stops without another try, so the pause is not worth taking
                    break
            if self.jitter > 0:
                pause += random() * self.jitter * pause
            pauses.append(pause)
        return pauses

    @property
    def tries(self) -> int:
        """How many times the work runs at most."""
        return len(self.pauses(lambda: 0.0)) + 1 if self.steps > 0 else 0


#: client-go's retry.DefaultRetry: for conflicts, which clear up quickly
DEFAULT_RETRY = Backoff(duration=0.010, factor=1.0, jitter=0.1, steps=5)
#: client-go's retry.DefaultBackoff: for errors that take longer to clear
DEFAULT_BACKOFF = Backoff(duration=0.010, factor=5.0, jitter=0.1, steps=4)


def on_error(
    backoff: Backoff,
    retriable: Callable[[Exception], bool],
    fn: Callable[[], R],
    *,
    ctx: Context | None = None,
    sleep: Callable[[float], None] | None = None,
    random: Callable[[], float] = _random.random,
) -> R:
    """Run ``fn`` until it returns, at most ``backoff.tries`` times, pausing as
    ``backoff`` says after each error that ``retriable`` accepts; return what
    ``fn`` returned. An error it does not accept is raised at once, and the last
    error when the tries are used up (client-go returns it the same way).

    ``sleep`` and ``random`` replace the pause and the jitter (tests).
    """
    pauses = backoff.pauses(random)
    tries = len(pauses) + 1 if backoff.steps > 0 else 0
    if tries == 0:
        raise ValueError(f"{backoff!r} allows no try (steps must be at least 1)")
    for attempt in range(tries):
        if ctx is not None:
            ctx.check()
        try:
            return fn()
        except Exception as error:
            if attempt == tries - 1 or not retriable(error):
                raise
        _pause(pauses[attempt], ctx, sleep)
    raise AssertionError("unreachable: the last try returns or raises")


def retry_on_conflict(
    fn: Callable[[], R],
    backoff: Backoff = DEFAULT_RETRY,
    *,
    ctx: Context | None = None,
    sleep: Callable[[float], None] | None = None,
    random: Callable[[], float] = _random.random,
) -> R:
    """:func:`on_error` on 409 Conflict (:func:`~.errors.is_conflict`: not on
    AlreadyExists, which no retry can fix), with client-go's DefaultRetry."""
    return on_error(backoff, is_conflict, fn, ctx=ctx, sleep=sleep, random=random)


def _pause(
    seconds: float, ctx: Context | None, sleep: Callable[[float], None] | None
) -> None:
    if sleep is not None:
        sleep(seconds)
    elif ctx is not None:
        ctx.wait(seconds)
    else:
        time.sleep(seconds)
    if ctx is not None:
        ctx.check()
