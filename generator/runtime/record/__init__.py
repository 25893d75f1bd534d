"""Events about objects, written in the background (client-go's
``tools/record`` and ``tools/events``)::

    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(clientset)      # or a Config, RESTClient, DynamicClient
    recorder = broadcaster.new_recorder(component="sample-controller")
    recorder.event(foo, "Normal", "Synced", "Foo synced successfully")
    recorder.eventf(foo, "Warning", "ErrResourceExists", "Resource %q already exists", name)
    ...
    broadcaster.shutdown(timeout=5)                # writes what is queued, stops the sender

``event()`` returns at once and never raises (a bad event is logged): the event
goes to a bounded queue (1000; a full queue drops and counts) that one sender
thread writes, as events.k8s.io/v1 Events when the server serves them (else
core/v1). The object, a typed model or a wire dict, becomes the event's
``regarding`` (``involvedObject``); the event is named ``<object>.<hex nanos>``
in the object's namespace ("default" for a cluster-scoped one). Connection
failures, 429 and 5xx are retried (12 tries, 10 s apart, without holding up
the events behind); other refusals are logged and dropped.

Repeats are aggregated as client-go does. events.k8s.io: the second identical
event turns the first into a ``series`` (count 2) at once; later counts are
written every 30 minutes, when the series ends (6 minutes without a repeat)
and at shutdown. core/v1: each repeat patches ``count`` and ``lastTimestamp``,
and beyond 10 events differing only in their message within 10 minutes, they
are combined into one "(combined from similar events): ..." event. A token
bucket per source and object (burst 25, one more every 5 minutes) drops
floods. ``broadcaster.stats`` counts what was recorded, written and dropped;
``start_logging()`` logs each event too; ``shutdown(timeout, ctx=)`` writes
what is queued, then stops. ``clock=`` (unix seconds) lets tests move time.

For unit tests, :class:`FakeRecorder` keeps events as ``"Normal Synced
message"`` strings, as client-go's ``record.FakeRecorder``.

Modules: ``recorder`` (the recorder API), ``broadcaster`` (queue and sender),
``sink`` (the API writes), ``correlator`` (core/v1 aggregation), ``series``
(events.k8s.io series), ``spam`` (the spam filter), ``wire`` and ``reference``
(the Event bodies), ``goformat`` (Go's Sprintf), ``fake``.
"""

from __future__ import annotations

from .broadcaster import BroadcasterStats, EventBroadcaster
from .fake import FakeRecorder
from .recorder import EventRecorder, Recorder
from .reference import InvalidEvent

__all__ = [
    "BroadcasterStats",
    "EventBroadcaster",
    "EventRecorder",
    "FakeRecorder",
    "InvalidEvent",
    "Recorder",
]
