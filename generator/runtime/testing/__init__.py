"""A loopback Kubernetes API server for tests: kubectl, the official Python client,
this package's clients and your own code can talk to it as to a real cluster::

    from kubeclient.testing import ApiServer

    with ApiServer(tls=True) as server:
        path = server.write_kubeconfig(tmp_path / "kubeconfig")
        subprocess.run(["kubectl", "--kubeconfig", path, "get", "pods"])

or from a shell: ``python -m kubeclient.testing serve --tls --kubeconfig PATH``
(prints ``ready <url>``, runs until SIGINT/SIGTERM).

Everything lives in a socket-free core, ``ApiServer.handle(ServerRequest) ->
ServerResponse``; the HTTP(S) layer only translates. The code is in four rooms,
each importing only the rooms after it (tests/test_import_cycles.py checks it):

* ``front``: the HTTP(S) listener (``httpd``: HTTP/1.1, keep-alive, chunked
  streams, Status answers to malformed requests) and the throw-away PKI (``certs``);
* ``engine``: storage and request handling: the router (``core``), the server's
  state, the verbs, subresources, watch, the store and its history, the registry
  of served resources, CRD controllers, credentials, faults, discovery and OpenAPI;
* ``semantics``: what the API means, independent of storage: validation, names,
  CRD validation, structural schemas, defaulting, selectors, patch/apply merges,
  Tables, how each resource is treated (``resource``);
* ``protocol``: the base: ServerRequest/ServerResponse, media types, metav1.Status
  errors (``ApiError``).

The top level puts them together: ``server`` (ApiServer), ``fake`` (the fake
ClientSet, calling the engine in-process) and ``__main__`` (the serve CLI).

Served: discovery (legacy and
aggregated), /openapi/v3, CRUD with the real status codes and Status bodies,
resourceVersion / generation / uid / managedFields, label and field selectors,
pagination, watch (bookmarks, watch-list, 410 Expired), the four patch types,
server-side apply, status and scale subresources, finalizers, dry-run, cascading
deletion, namespace deletion, pod logs, eviction, binding, service account tokens,
meta.k8s.io Tables for kubectl, metadata-only answers (``Accept:
...;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1``, as the metadata client
and informers ask) for every verb and watch, bearer tokens and client certificates, fault
injection (``server.faults``) and a record of the requests (``server.requests``).
``ApiServer(aggregated_discovery=False)`` answers discovery as a server < 1.26.

CustomResourceDefinitions (apiextensions.k8s.io/v1, created through the API or
seeded) are served at once: their versions' resources (CRUD, list, watch, json /
merge / apply patches, strategic merge refused with 415 as the real server, status
and scale subresources through the CRD's paths, additionalPrinterColumns Tables),
in discovery (legacy and aggregated) and in /openapi/v3 (documents built by
``crd.crd_documents`` with this server's own meta schemas). The CRD gets its
status as from the naming and establishing controllers (acceptedNames, name
conflicts within the group, NamesAccepted, Established); an update changes what
is served; a CRD failing validation is 422 Invalid with the real causes; DELETE
runs the cleanup finalizer: every custom resource is deleted (watchers get
DELETED events, then their watches end) and the resources stop being served.

Simplified compared with a real API server:

* No controllers, scheduler or kubelet unless ``ApiServer(simulate=True)`` (the
  ``simulation`` package: nodes, scheduler, kubelets, Deployment, ReplicaSet,
  StatefulSet, DaemonSet, Job, CronJob, Endpoints; README "A simulated cluster"): pods stay Pending until a test changes
  their status; deployments create no replica sets. What the namespace controller, the
  garbage collector and the service-account controller do is done synchronously
  inside the request (a namespace's contents are deleted during its DELETE,
  dependents right after their owner; a new namespace gets its "default"
  ServiceAccount); with the simulation, the garbage collector and the namespace
  controller run asynchronously, as kube-controller-manager's.
* Graceful deletion is immediate without the simulation: a pod is deleted at once
  whatever its grace period (no Terminating phase without finalizers). Foreground deletion deletes the
  dependents first and then the owner, without waiting for dependents held by
  finalizers; blockOwnerDeletion is not honoured.
* No version conversion: the versions of a resource share one storage and objects
  are served with only their apiVersion rewritten.
* Validation covers names (DNS-1123 subdomain / label, DNS-1035 for services, path
  segments for RBAC), labels, annotations, generateName, immutable metadata,
  finalizers on deleting objects, required pod containers, workload selectors and
  ConfigMap keys; no other per-kind rules. Defaulting: the OpenAPI documents'
  property defaults and the core kinds' defaulting functions
  (``semantics.defaulting``), not every kind's.
* Bodies are type-checked as Go's decoding into the kind's struct does (400
  ``... cannot be handled as a ...: json: cannot unmarshal ...``), from the served
  OpenAPI schemas, simplified: named Go types that are only aliases
  (``v1.RestartPolicy``, ``[]v1.PersistentVolumeAccessMode``) are named by their
  underlying type (``string``, ``[]string``; ``v1.ResourceList`` is known); nulls
  are stored as decoding makes them (a null field is absent, a null list item the
  zero value); a number's text in messages is Python's
  (``1e+20``, not the client's ``1e20``); metav1.Duration is any string,
  MicroTime any RFC 3339 time; Quantity's range and precision are not checked.
  A patch's type error is the patch handler's 422 on ``patch`` (the patched
  object as sorted JSON, also for strategic merge patches), an apply's is the
  field manager's 500 with a dotted path (no ``[name="x"]`` list keys), a
  DeleteOptions body's a 400 with Go's message alone. Bodies
  nested deeper than 100 levels are refused (400) before decoding, and so are
  NaN and Infinity (Python's JSON extensions).
* Custom resources: metadata is validated as for any object and the body against
  the version's structural schema, simplified: unknown fields are pruned (warning,
  or 400 with fieldValidation=Strict; metadata is not pruned) and ``default``
  values filled in; checked are type, nullable, required, enum, minimum/maximum,
  min/maxLength, min/maxItems, pattern and int-or-string, not allOf/anyOf/oneOf/
  not, formats, list-type uniqueness, CEL rules (x-kubernetes-validations) nor the
  value at the scale subresource's specReplicasPath. No selectableFields (field
  selectors know metadata.name and metadata.namespace), no conversion webhooks
  (the versions share one storage, as for built-in kinds).
* CRDs: the controllers run synchronously inside the request, so a CRD is served
  when the POST returns (the POST answers it as stored before them, with empty
  acceptedNames, as the real server; a GET shows it Established). Validation
  covers names (metadata.name = <plural>.<group>, DNS-1035 names, kind/listKind),
  group, scope, versions (one storage version, unique names, a structural schema
  each), scale paths, storedVersions and the immutable fields; not default values,
  printer columns, CEL rules, conversion webhook settings nor the
  api-approved.kubernetes.io annotation of *.k8s.io groups; values of whole
  structs are abbreviated in messages. Custom resources held by finalizers keep a
  deleted CRD Terminating until they are gone (creates refused meanwhile), without
  the real minute-long wait. Watches of a version end when it stops being served,
  not when only its schema changes. CRD groups come after the built-in ones in
  discovery, by name, versions by kube-aware priority.
* No admission (quota, limit ranges, pod security, PodDisruptionBudgets on eviction).
  Authorization: every authenticated request is allowed, unless the server runs
  with ``authorization="rbac"`` (``serve --authorization rbac``): then
  kube-apiserver's RBAC authorizer over the stored roles and bindings, with the
  bootstrap roles, aggregation (applied at once), escalation prevention and the
  real 403s (``.authz``). Impersonate-* headers are honoured in both modes.
  Service-account tokens are JWTs signed HS256 with a per-server key (the real
  server: RS256), verified on use. Over TLS, requests
  without credentials get 401 (the real server would treat them as
  system:anonymous), except /healthz, /livez, /readyz and /version; with
  ``anonymous=True`` they are served as system:anonymous.
* Plain http (``ApiServer()``, ``serve`` without ``--tls``) is unsecured, as
  kube-apiserver's old insecure port: client-go, kubectl, the official Python client
  and this package's client never send credentials to an http:// server, so a
  request without credentials is served as "system:unsecured" (groups
  system:masters, system:authenticated). A request that presents a bearer token is
  still authenticated by it (a bad token is 401).
* The HTTP front follows Go's net/http limits: a request head of at most 1 MiB
  (431 beyond), bodies of at most 3 MiB (413, kube-apiserver's
  MaxRequestBodyBytes), Content-Length or chunked (501 for other transfer
  encodings), HTTP/1.x (505 otherwise). What cannot be read is answered with a
  metav1.Status and ``Connection: close`` (Go answers these in text/plain). A client
  silent for ``read_timeout`` seconds (60) while sending a request gets 408; HEAD is
  served as GET without the body; a failure while handling is a 500 Status.
* Tables (kubectl get) have the real columns for pods, deployments, services,
  namespaces, nodes, configmaps, secrets and service accounts, custom resources
  their CRD's additionalPrinterColumns (simple JSON paths only); other kinds get
  the default "Name / Created At" table.
* JSON and YAML only: protobuf request bodies are refused (415), except the
  *Review kinds kubectl posts that way (``kubectl auth can-i``); protobuf Accept
  headers fall back to JSON (the next media range; 406 when none is left, as the
  real negotiation). Where Tables are not served (writes, subresources) a request
  asking only for a Table gets the plain object, not a Table of it. /openapi/v2 is served only in its protobuf form
  (converted from the v3 documents, for kubectl 1.27/1.28), not as JSON.
* Server-side apply: see ``machinery.apply`` for its simplifications; the
  last-applied-configuration annotation is not kept in sync by the server. As on
  the real server, the defaults filled in after an apply belong to nobody (an
  unchanged re-apply writes nothing), and custom resources' managed fields follow
  their structural schema (list-type map/set, map-type atomic, ObjectMeta).
* Events of the versions of one resource share a history; watch bookmarks come every
  ``bookmark_interval`` seconds (60 by default) and just before a timeout; a watcher
  that falls further behind than the history (``history`` events, 10,000 by
  default) is ended, as the real cacher drops slow watchers.
* exec, attach and port-forward (WebSocket v5/v4, SPDY/3.1, SPDY over WebSocket)
  run in the pluggable ``ApiServer.pod_runtime``: registered handlers, else exec
  emulates a few commands on in-memory files (engine/streaming/emulation.py; never a
  host command); the pod and service proxies forward to registered loopback targets
  (503 without one). A plain request to exec, attach or portforward is 400 "Upgrade
  request required".
* Delete of an object held by finalizers answers 200 with the object (202 only with
  orphanDependents=false), as the real handler does.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .engine.faults import Fault, Faults
    from .engine.store import Store
    from .fake import Action, FakeClientSet, FakeTransport, fake_clientset
    from .protocol.status import ApiError
    from .protocol.wire import ConnectionDropped, ServerRequest, ServerResponse
    from .server import ApiServer

#: name -> module: loaded on first use, so importing the package costs nothing
_EXPORTS = {
    "Action": "fake",
    "ApiError": "protocol.status",
    "ApiServer": "server",
    "ConnectionDropped": "protocol.wire",
    "Fault": "engine.faults",
    "Faults": "engine.faults",
    "FakeClientSet": "fake",
    "FakeTransport": "fake",
    "ServerRequest": "protocol.wire",
    "ServerResponse": "protocol.wire",
    "Store": "engine.store",
    "fake_clientset": "fake",
}

__all__ = [
    "Action",
    "ApiError",
    "ApiServer",
    "ConnectionDropped",
    "Fault",
    "FakeClientSet",
    "FakeTransport",
    "Faults",
    "ServerRequest",
    "ServerResponse",
    "Store",
    "fake_clientset",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
