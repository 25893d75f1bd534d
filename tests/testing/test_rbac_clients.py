"""Clients against ApiServer(authorization="rbac"): our can_i / whoami agree with
kubectl auth can-i / whoami, impersonation through Config, an in-cluster config
from a TokenRequest token, and an informer whose Role lacks ``watch``."""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .rbac_objects import a_role, a_user, role_binding, rule
from .test_real_clients import kubectl_binary

if TYPE_CHECKING:
    from kubeclient.testing import ApiServer

#: "path": the kubectl on PATH (/usr/bin/kubectl)
VERSIONS = ("path", "1.33", "1.27")
#: ``auth whoami`` came in kubectl 1.27 on authentication.k8s.io/v1beta1, which a
#: 1.36 server no longer serves; 1.28 is the first to use v1
WHOAMI_VERSIONS = ("path", "1.33", "1.28")


def kubectl_for(version: str) -> Path:
    if version != "path":
        return kubectl_binary(version)
    found = shutil.which("kubectl")
    if found is None:
        pytest.fail(
            "kubectl is expected on PATH (/usr/bin/kubectl on the machine image; "
            "https://kubernetes.io/docs/tasks/tools/ to install it)",
            pytrace=False,
        )
    return Path(found)


@pytest.fixture(scope="module")
def cluster(generated: Path) -> Iterator[ApiServer]:
    """jane: view in "team", get on secret "settings", GET /logs/*."""
    from kubeclient.testing import ApiServer

    with ApiServer(tls=True, authorization="rbac") as api:
        api.seed(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
        )
        api.seed(role_binding("jane-view", "view", a_user("jane")))
        api.seed(
            a_role(
                "settings",
                rule([""], ["secrets"], ["get"], resourceNames=["settings"]),
            )
        )
        api.seed(role_binding("jane-settings", "role:settings", a_user("jane")))
        api.seed(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "logs"},
                "rules": [{"nonResourceURLs": ["/logs/*"], "verbs": ["get"]}],
            }
        )
        api.seed(role_binding("jane-logs", "logs", a_user("jane"), namespace=None))
        yield api


#: (verb, resource, namespace, name, subresource, group) -> allowed for jane
QUESTIONS: list[
    tuple[tuple[str, str, str | None, str | None, str | None, str], bool]
] = [
    (("list", "pods", "team", None, None, ""), True),
    (("create", "pods", "team", None, None, ""), False),
    (("get", "secrets", "team", None, None, ""), False),
    (("list", "pods", "default", None, None, ""), False),
    (("list", "pods", None, None, None, ""), False),
    (("get", "pods", "team", None, "log", ""), True),
    (("get", "pods", "team", None, "exec", ""), False),
    (("watch", "deployments", "team", None, None, "apps"), True),
    (("get", "secrets", "team", "settings", None, ""), True),
    (("get", "secrets", "team", "other", None, ""), False),
    (("get", "/logs/kube.log", None, None, None, ""), True),
    (("get", "/metrics", None, None, None, ""), False),
]


def _kubectl_args(
    verb: str,
    resource: str,
    namespace: str | None,
    name: str | None,
    subresource: str | None,
    group: str,
) -> list[str]:
    target = f"{resource}.{group}" if group else resource
    if name:
        target += f"/{name}"
    args = ["auth", "can-i", verb, target]
    if subresource:
        args.append(f"--subresource={subresource}")
    if not resource.startswith("/"):
        args += ["-n", namespace] if namespace else ["-A"]
    return args


def _token_of(issued: Any) -> str:
    """The token of a TokenRequest answer."""
    token = issued.status.token
    assert isinstance(token, str) and token
    return token


def _config_for(server: ApiServer, user: str) -> Any:
    from kubeclient.config import BearerToken, Config

    token = f"token-{user}"
    server.add_token(token, user)
    return Config(host=server.url, ca_file=server.ca_file, auth=BearerToken(token))


def test_can_i_answers_as_the_server_decides(cluster: ApiServer) -> None:
    from kubeclient import ClientSet
    from kubeclient.authz import can_i

    cs = ClientSet(_config_for(cluster, "jane"))
    for question, expected in QUESTIONS:
        verb, resource, namespace, name, subresource, group = question
        answer = can_i(cs, verb, resource, namespace, name, subresource, group)
        assert answer is expected, question
    # kubectl's own spellings of a group and a subresource
    assert can_i(cs, "watch", "deployments.apps", namespace="team")
    assert can_i(cs, "get", "pods/log", namespace="team")
    with pytest.raises(ValueError, match="verb"):
        can_i(cs, "", "pods")


@pytest.mark.parametrize("version", VERSIONS)
def test_kubectl_auth_can_i_agrees(
    cluster: ApiServer, tmp_path: Path, version: str
) -> None:
    kubectl = kubectl_for(version)
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig", user="jane")
    for question, expected in QUESTIONS:
        done = subprocess.run(
            [str(kubectl), "--kubeconfig", str(kubeconfig), *_kubectl_args(*question)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stdout.strip() == ("yes" if expected else "no"), (
            question,
            done.stdout,
            done.stderr,
        )
        assert done.returncode == (0 if expected else 1)


@pytest.mark.parametrize("version", WHOAMI_VERSIONS)
def test_kubectl_whoami_and_impersonation_agree(
    cluster: ApiServer, tmp_path: Path, version: str
) -> None:
    import json

    from kubeclient import ClientSet
    from kubeclient.authz import can_i, whoami
    from kubeclient.config import Config, Impersonation

    kubectl = kubectl_for(version)
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")  # the admin
    base = [str(kubectl), "--kubeconfig", str(kubeconfig)]
    as_jane = ["--as=jane", "--as-group=devs"]
    done = subprocess.run(
        [*base, "auth", "whoami", "-o", "json", *as_jane],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    theirs = json.loads(done.stdout)["status"]["userInfo"]
    admin = cluster.config()
    config = Config(
        host=admin.host,
        ca_file=admin.ca_file,
        auth=admin.auth,
        impersonate=Impersonation(user="jane", groups=["devs"]),
    )
    cs = ClientSet(config)
    ours = whoami(cs)
    assert (ours.username, list(ours.groups)) == (theirs["username"], theirs["groups"])
    assert ours.groups == ("devs", "system:authenticated")
    as_admin = whoami(ClientSet(admin))
    assert as_admin.username == "admin" and "system:masters" in as_admin.groups
    # impersonating, the admin has jane's rights only
    for question in (QUESTIONS[0], QUESTIONS[1]):
        verb, resource, namespace, name, subresource, group = question[0]
        kubectl_says = subprocess.run(
            [*base, *_kubectl_args(*question[0]), *as_jane],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        ours_says = can_i(cs, verb, resource, namespace, name, subresource, group)
        assert (
            kubectl_says
            == ("yes" if ours_says else "no")
            == ("yes" if question[1] else "no")
        )


def test_kubectl_1_27_whoami_meets_a_1_36_server_as_a_real_one(
    cluster: ApiServer, tmp_path: Path
) -> None:
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")
    done = subprocess.run(
        [
            str(kubectl_binary("1.27")),
            "--kubeconfig",
            str(kubeconfig),
            "auth",
            "whoami",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "the selfsubjectreviews API is not enabled in the cluster" in done.stderr


def test_impersonation_reaches_watches(cluster: ApiServer) -> None:
    from kubeclient import ClientSet
    from kubeclient.config import Config, Impersonation
    from kubeclient.errors import Forbidden

    admin = cluster.config()
    as_jane = Config(
        host=admin.host,
        ca_file=admin.ca_file,
        auth=admin.auth,
        impersonate=Impersonation(user="jane"),
    )
    cs = ClientSet(as_jane)
    with pytest.raises(Forbidden, match='User "jane" cannot watch resource "secrets"'):
        for _ in cs.core_v1.secrets("team").watch(timeout_seconds=1):
            pass
    assert list(cs.core_v1.pods("team").watch(timeout_seconds=1)) == []


def test_in_cluster_config_from_a_token_request(
    cluster: ApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubeclient import ClientSet
    from kubeclient.authz import can_i, whoami
    from kubeclient.config import in_cluster_config
    from kubeclient.models.authentication_v1 import TokenRequest, TokenRequestSpec
    from kubeclient.models.core_v1 import ServiceAccount
    from kubeclient.models.meta_v1 import ObjectMeta

    admin = ClientSet(cluster.config())
    accounts = admin.core_v1.service_accounts("team")
    accounts.create(ServiceAccount(metadata=ObjectMeta(name="reader")))
    cluster.seed(
        role_binding("reader", "view", {"kind": "ServiceAccount", "name": "reader"})
    )
    issued = accounts.create_token(
        "reader", TokenRequest(spec=TokenRequestSpec(expiration_seconds=3600))
    )
    folder = tmp_path / "serviceaccount"
    folder.mkdir()
    (folder / "token").write_text(_token_of(issued))
    assert cluster.ca_file is not None
    (folder / "ca.crt").write_text(Path(cluster.ca_file).read_text())
    (folder / "namespace").write_text("team")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(cluster.port))
    cs = ClientSet(in_cluster_config(base_dir=folder))
    me = whoami(cs)
    assert me.username == "system:serviceaccount:team:reader"
    assert me.groups == (
        "system:serviceaccounts",
        "system:serviceaccounts:team",
        "system:authenticated",
    )
    assert can_i(cs, "list", "pods", namespace="team")
    assert not can_i(cs, "list", "pods", namespace="default")
    assert not cs.core_v1.pods("team").list().items


def test_informer_fails_without_watch_and_recovers_with_it(
    cluster: ApiServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The controller's most common production failure, found in a test."""
    import time

    from kubeclient import ClientSet, Context
    from kubeclient.config import BearerToken, Config
    from kubeclient.informers import SharedInformerFactory
    from kubeclient.models.authentication_v1 import TokenRequest, TokenRequestSpec
    from kubeclient.models.core_v1 import ConfigMap, ServiceAccount
    from kubeclient.models.meta_v1 import ObjectMeta

    admin = ClientSet(cluster.config())
    admin.core_v1.service_accounts("team").create(
        ServiceAccount(metadata=ObjectMeta(name="ctl"))
    )
    cluster.seed(a_role("ctl", rule([""], ["configmaps"], ["get", "list"])))
    cluster.seed(
        role_binding("ctl", "role:ctl", {"kind": "ServiceAccount", "name": "ctl"})
    )
    token = admin.core_v1.service_accounts("team").create_token(
        "ctl", TokenRequest(spec=TokenRequestSpec())
    )
    cs = ClientSet(
        Config(
            host=cluster.url,
            ca_file=cluster.ca_file,
            auth=BearerToken(_token_of(token)),
        )
    )
    factory = SharedInformerFactory(cs, namespace="team")
    informer = factory.core_v1.config_maps()
    seen: list[str] = []
    informer.add_event_handler(on_add=lambda cm: seen.append(str(cm.metadata.name)))  # type: ignore[union-attr]
    ctx = Context()
    denied = (
        'configmaps is forbidden: User "system:serviceaccount:team:ctl" cannot '
        'watch resource "configmaps" in API group "" in the namespace "team"'
    )
    try:
        with caplog.at_level(logging.WARNING):
            factory.start(ctx)
            deadline = time.monotonic() + 10
            while denied not in caplog.text and time.monotonic() < deadline:
                time.sleep(0.05)
        assert denied in caplog.text
        # the fix: the Role gets watch
        role = admin.rbac_v1.roles("team").get("ctl")
        assert role.rules is not None
        role.rules[0].verbs = [*(role.rules[0].verbs or ()), "watch"]
        admin.rbac_v1.roles("team").update(role)
        assert factory.wait_for_cache_sync(ctx, timeout=30)
        admin.core_v1.config_maps("team").create(
            ConfigMap(metadata=ObjectMeta(name="late"))
        )
        deadline = time.monotonic() + 30
        while "late" not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "late" in seen
    finally:
        ctx.cancel()
        factory.shutdown()


RBAC_MANIFESTS = """\
apiVersion: v1
kind: Namespace
metadata: {name: team}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: team}
rules:
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, list]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: jane-reads, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: jane}
"""


def test_kubectl_auth_can_i_against_serve_authorization_rbac(
    generated: Path, tmp_path: Path
) -> None:
    """The issue's acceptance scenario: ``serve --authorization rbac`` and kubectl."""
    import os
    import signal
    import sys

    kubeconfig = tmp_path / "kubeconfig"
    manifests = tmp_path / "rbac.yaml"
    manifests.write_text(RBAC_MANIFESTS)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubeclient.testing",
            "serve",
            "--tls",
            "--authorization",
            "rbac",
            "--kubeconfig",
            str(kubeconfig),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(generated)},
    )
    kubectl = [str(kubectl_for("path")), "--kubeconfig", str(kubeconfig)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*kubectl, *args], capture_output=True, text=True, timeout=60
        )

    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("ready https://")
        applied = run("apply", "-f", str(manifests))
        assert applied.returncode == 0, applied.stderr
        expectations = [
            (["list", "pods", "-n", "team", "--as=jane"], "yes"),
            (["get", "pods", "--subresource=log", "-n", "team", "--as=jane"], "yes"),
            (["watch", "pods", "-n", "team", "--as=jane"], "no"),
            (["list", "pods", "-n", "default", "--as=jane"], "no"),
            (["list", "pods", "-n", "team", "--as=bob"], "no"),
            (["delete", "nodes"], "yes"),  # the kubeconfig's admin: system:masters
        ]
        for args, expected in expectations:
            done = run("auth", "can-i", *args)
            assert done.stdout.strip() == expected, (args, done.stdout, done.stderr)
        listed = run("auth", "can-i", "--list", "-n", "team", "--as=jane")
        assert listed.returncode == 0, listed.stderr
        assert any(
            line.split()[0] == "pods" and "[get list]" in line
            for line in listed.stdout.splitlines()
            if line.strip()
        ), listed.stdout
        denied = run("get", "secrets", "-n", "team", "--as=jane")
        assert denied.returncode == 1
        assert denied.stderr.strip() == (
            'Error from server (Forbidden): secrets is forbidden: User "jane" cannot '
            'list resource "secrets" in API group "" in the namespace "team"'
        )
        who = run("auth", "whoami", "--as=jane", "-o", "jsonpath={.status.userInfo}")
        assert '"username":"jane"' in who.stdout, who.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_serve_refuses_an_unknown_authorization_mode(
    generated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kubeclient.testing.__main__ import main

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--kubeconfig", str(tmp_path / "k"), "--authorization", "ABAC"])
    assert exited.value.code == 2
    assert "authorization mode 'ABAC' is not supported" in capsys.readouterr().err
    assert not (tmp_path / "k").exists()


def test_repeated_groups_and_escaped_extras_cross_the_wire(cluster: ApiServer) -> None:
    from kubeclient import ClientSet
    from kubeclient.authz import whoami
    from kubeclient.config import Config, Impersonation

    admin = cluster.config()
    acting = Impersonation(
        user="jane",
        uid="u-7",
        groups=["devs", "ops"],
        extra={"example.com/scopes": ["read", "write"], "Reason": ["audit"]},
    )
    config = Config(
        host=admin.host, ca_file=admin.ca_file, auth=admin.auth, impersonate=acting
    )
    me = whoami(ClientSet(config))
    assert me.username == "jane" and me.uid == "u-7"
    assert me.groups == ("devs", "ops", "system:authenticated")
    # header names are case-insensitive: the server sees extra keys lower-cased
    assert dict(me.extra) == {
        "example.com/scopes": ("read", "write"),
        "reason": ("audit",),
    }
