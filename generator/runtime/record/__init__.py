"""Events about objects, written in the background (client-go's
``tools/record`` and ``tools/events``)::

    from kubeclient.record import EventBroadcaster

    broadcaster = EventBroadcaster(clientset)      # or a Config, RESTClient, DynamicClient
    recorder = broadcaster.new_recorder(component="sample-controller")
    recorder.event(foo, "Normal", "Synced", "Foo synced successfully")
    recorder.eventf(foo, "Warning", "ErrResourceExists", "Resource %q already exists", name)
    ...
    broadcaster.shutdown(timeout=5)                # writes what is queued, stops the sender

``event()`` returns at once and never raises: the event goes to a bounded queue
(1000) that one sender thread writes, as events.k8s.io/v1 Events when the server
serves them (else core/v1). The object (a typed model or a wire dict) becomes
the event's ``regarding``/``involvedObject``. Repeats are aggregated as
client-go does: into a ``series`` (events.k8s.io) or a ``count`` (core/v1,
where more than 10 similar events in 10 minutes are also combined); a token
bucket per source and object (burst 25, one more every 5 minutes) drops
floods. ``broadcaster.stats`` counts what was written and dropped. For unit
tests, :class:`FakeRecorder` keeps events as ``"Normal Synced message"`` strings.

Modules: ``recorder`` (the recorder API), ``broadcaster`` (queue and sender),
``sink`` (the API writes), ``correlator`` (core/v1 aggregation), ``series``
(events.k8s.io series), ``spam`` (the spam filter), ``wire`` and ``reference``
(the Event bodies), ``goformat`` (Go's Sprintf), ``fake``.
"""

from __future__ import annotations

from .broadcaster import BroadcasterStats, EventBroadcaster
from .fake import FakeRecorder
from .recorder import EventRecorder
from .reference import InvalidEvent

__all__ = [
    "BroadcasterStats",
    "EventBroadcaster",
    "EventRecorder",
    "FakeRecorder",
    "InvalidEvent",
]
