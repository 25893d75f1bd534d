"""``ApiServer``: the core behind a loopback HTTP(S) listener, with credentials,
kubeconfig files and test helpers."""

from __future__ import annotations

import base64
import secrets
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .._model import Model
from ..resources import ResourceInfo
from .engine.core import Core
from .engine.faults import Faults
from .engine.registry import Registry
from .engine.store import Store
from .engine.streaming.runtime import PodRuntime
from .protocol.wire import ServerRequest, ServerResponse

if TYPE_CHECKING:  # imported when used: keeps ``import <pkg>.testing`` quick
    from ..config import Config
    from .front.certs import CertPair, Pki
    from .simulation import Simulation

ADMIN = "admin"
ADMIN_GROUPS = ("system:masters",)


def _kubernetes_version() -> str:
    import importlib

    package = importlib.import_module(__name__.rsplit(".", 2)[0])
    return str(getattr(package, "KUBERNETES_VERSION", "v0.0.0"))


class ApiServer:
    """A Kubernetes API server on 127.0.0.1 for tests::

        with ApiServer(tls=True, objects=[pod]) as server:
            kubeconfig = server.write_kubeconfig(tmp_path / "config")
            ...

    ``url``, ``token`` (an admin bearer token), ``ca_file`` (TLS), ``store`` (the
    storage engine), ``faults`` (fault injection), ``requests`` (what was asked),
    ``handle(request)`` (the core, without sockets).

    ``aggregated_discovery=False`` makes it answer as a server older than 1.26:
    /api and /apis ignore the aggregated discovery Accept header.
    ``watch_list=False`` answers as a server with the WatchList feature off:
    a streaming list (``sendInitialEvents``) is 422 Invalid.

    Without ``tls`` the server is unsecured, as kube-apiserver's old insecure
    port: requests without credentials are served as ``system:unsecured``
    (system:masters), since clients send no credentials to http:// servers; a
    bearer token that is sent is still checked. With ``tls``, requests without
    credentials are 401 unless ``anonymous=True``. ``read_timeout``: seconds a
    client may stay silent while sending a request (then 408) or between
    requests (then it is disconnected).
    """

    def __init__(
        self,
        *,
        tls: bool = False,
        port: int = 0,
        objects: Iterable[Model | dict[str, Any]] = (),
        anonymous: bool = False,
        token: str | None = None,
        history: int = 10_000,
        bookmark_interval: float = 60.0,
        resources: Sequence[ResourceInfo] | None = None,
        aggregated_discovery: bool = True,
        read_timeout: float = 60.0,
        watch_list: bool = True,
        authorization: str = "AlwaysAllow",
        simulate: bool = False,
        nodes: int = 3,
        time_scale: float = 1.0,
    ) -> None:
        core_args: dict[str, Any] = {}
        if resources is not None:
            core_args["resources"] = tuple(resources)
        self.core = Core(
            kubernetes_version=_kubernetes_version(),
            anonymous=anonymous,
            unsecured=not tls,
            history=history,
            bookmark_interval=bookmark_interval,
            aggregated_discovery=aggregated_discovery,
            watch_list=watch_list,
            authorization=authorization,
            **core_args,
        )
        self.token = token or secrets.token_urlsafe(24)
        self.core.auth.add_token(self.token, ADMIN, ADMIN_GROUPS)
        for obj in objects:
            self.core.seed(obj)
        self.simulation: Simulation | None = None
        if simulate:  # options checked before anything starts
            from .simulation import SimulationOptions

            options = SimulationOptions(nodes=nodes, time_scale=time_scale)
            options.check()
        from .front.httpd import HTTPServer, serve_in_thread, tls_context

        self._dir = Path(tempfile.mkdtemp(prefix="kubeclient-apiserver-"))
        self.pki: Pki | None = None
        context = None
        if tls:
            from .front.certs import Pki

            self.pki = Pki(self._dir / "pki")
            context = tls_context(
                str(self.pki.server.cert),
                str(self.pki.server.key),
                str(self.pki.ca.cert),
            )
        self._httpd = HTTPServer(
            ("127.0.0.1", port), self.core.handle, context, read_timeout=read_timeout
        )
        self.port: int = self._httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.core.server_address = f"127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = serve_in_thread(self._httpd)
        if simulate:
            from .simulation import Simulation

            self.simulation = Simulation(self.core, options)

    # ------------------------------------------------------------------ parts

    @property
    def store(self) -> Store:
        return self.core.store

    @property
    def faults(self) -> Faults:
        return self.core.faults

    @property
    def pod_runtime(self) -> PodRuntime:
        """What runs in the pods: exec/attach handlers, port-forward targets,
        in-memory files (see testing/engine/streaming/runtime.py)."""
        return self.core.pod_runtime

    @property
    def registry(self) -> Registry:
        return self.core.registry

    @property
    def requests(self) -> deque[tuple[str, str]]:
        """(method, path) of the requests handled so far (the latest 10,000),
        oldest first; ``server.requests.clear()`` to start counting afresh."""
        return self.core.requests

    @property
    def ca_file(self) -> str | None:
        return str(self.pki.ca.cert) if self.pki else None

    def handle(self, request: ServerRequest) -> ServerResponse:
        """Serve one request without sockets (what an in-process client calls)."""
        return self.core.handle(request)

    # ------------------------------------------------------------------ credentials

    def add_token(self, token: str, user: str, groups: Sequence[str] = ()) -> None:
        self.core.auth.add_token(token, user, (*groups, "system:authenticated"))

    def client_cert(self, user: str = ADMIN, groups: Sequence[str] = ()) -> CertPair:
        """A client certificate the server accepts (CN = user, O = groups)."""
        if self.pki is None:
            raise RuntimeError("client certificates need ApiServer(tls=True)")
        if user == ADMIN and not groups:
            groups = ADMIN_GROUPS
        return self.pki.client(user, groups)

    def write_kubeconfig(
        self, path: str | Path, *, user: str = ADMIN, client_cert: bool = False
    ) -> Path:
        """A kubeconfig for this server, usable by kubectl, the official Python
        client and ours: token auth (``user``'s own token), or a client
        certificate with ``client_cert=True``."""
        import yaml

        path = Path(path)
        cluster: dict[str, Any] = {"server": self.url}
        if self.pki is not None:
            cluster["certificate-authority-data"] = _b64(self.pki.ca.cert)
        credentials: dict[str, Any]
        if client_cert:
            pair = self.client_cert(user)
            credentials = {
                "client-certificate-data": _b64(pair.cert),
                "client-key-data": _b64(pair.key),
            }
        else:
            token = self.token
            if user != ADMIN:
                token = secrets.token_urlsafe(24)
                self.add_token(token, user)
            credentials = {"token": token}
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "test", "cluster": cluster}],
            "users": [{"name": user, "user": credentials}],
            "contexts": [
                {
                    "name": "test",
                    "context": {
                        "cluster": "test",
                        "user": user,
                        "namespace": "default",
                    },
                }
            ],
            "current-context": "test",
            "preferences": {},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        path.chmod(0o600)
        return path

    def config(self) -> Config:
        """Our client's Config for this server (admin token)."""
        from ..config import BearerToken, Config

        return Config(
            host=self.url,
            ca_file=self.ca_file,
            auth=BearerToken(self.token),
            context="test",
            cluster="test",
            user=ADMIN,
            source=self.url,
        )

    # ------------------------------------------------------------------ fixtures

    def seed(self, obj: Model | dict[str, Any]) -> dict[str, Any]:
        """Add a fixture object (validated, status kept, namespace created)."""
        return self.core.seed(obj)

    def set_pod_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        text: str,
        *,
        previous: bool = False,
    ) -> None:
        """What ``pods/log`` serves for that container (replacing earlier text)."""
        self.core.logs.set((namespace, pod, container, previous), text)

    def append_pod_log(
        self,
        namespace: str,
        pod: str,
        container: str,
        text: str,
        *,
        previous: bool = False,
    ) -> None:
        """More log lines; ``follow=true`` readers get them at once."""
        self.core.logs.append((namespace, pod, container, previous), text)

    def register(
        self, info: ResourceInfo, schema: dict[str, Any] | None = None
    ) -> None:
        """Serve another resource from now on, without a CRD (discovery, CRUD,
        watch; ``schema``: an openAPIV3Schema to validate and prune with).
        Creating a CustomResourceDefinition does this and more."""
        self.core.registry.register(info, schema)

    def unregister(self, group: str, version: str, plural: str) -> None:
        """Stop serving a resource registered by hand (open watches end)."""
        self.core.registry.unregister(group, version, plural, self.core.store.rv)

    # ------------------------------------------------------------------ lifecycle

    def stop(self) -> None:
        """End every stream, close every connection, stop listening."""
        if self._thread is None:
            return
        if self.simulation is not None:
            self.simulation.stop()
        self.core.store.close()
        self.core.logs.close()
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)
        self._thread = None
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> ApiServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ApiServer(url={self.url!r})"


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()
