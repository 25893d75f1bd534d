"""Impersonation: kubeconfig as/as-uid/as-groups/as-user-extra and
Config(impersonate=...) become client-go's Impersonate-* headers on every request."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.runtime.config import Config, Impersonation
from generator.runtime.config.impersonation import (
    escape_extra_key,
    unescape_extra_key,
)
from generator.runtime.pipeline import Pipeline
from generator.runtime.request import Request
from generator.runtime.response import Response
from generator.runtime.transport.mock import MockTransport, json_response

from .helpers import TOKEN, kubeconfig, load


def _ok(request: Request) -> Response:
    return json_response(200, {})


def _sent(config: Config, request: Request | None = None) -> list[tuple[str, str]]:
    transport = MockTransport(_ok)
    Pipeline(transport, config).send(request or Request("GET", "/api/v1/pods"))
    return [pair for pair in transport.requests[0].headers if "impersonate" in pair[0]]


def test_kubeconfig_impersonation_fields_are_read(tmp_path: Path) -> None:
    user = {
        "token": TOKEN,
        "as": "jane",
        "as-uid": "u-1",
        "as-groups": ["devs", "ops"],
        "as-user-extra": {"scopes": ["view", "edit"], "reason": ["audit"]},
    }
    config = load(tmp_path, kubeconfig(user=user))
    assert config.impersonate == Impersonation(
        user="jane",
        uid="u-1",
        groups=("devs", "ops"),
        extra={"scopes": ("view", "edit"), "reason": ("audit",)},
    )
    assert _sent(config) == [
        ("impersonate-user", "jane"),
        ("impersonate-uid", "u-1"),
        ("impersonate-group", "devs"),
        ("impersonate-group", "ops"),
        ("impersonate-extra-reason", "audit"),  # the file's order (yaml sorted it)
        ("impersonate-extra-scopes", "view"),
        ("impersonate-extra-scopes", "edit"),
    ]


def test_no_impersonation_sends_no_header(tmp_path: Path) -> None:
    config = load(tmp_path, kubeconfig(user={"token": TOKEN}))
    assert config.impersonate is None
    assert _sent(config) == []


def test_plain_http_server_gets_no_impersonation(tmp_path: Path) -> None:
    # clientcmd reads the user's identity (impersonation included) only for TLS
    document = kubeconfig(cluster={"server": "http://k8s:8080"}, user={"as": "jane"})
    assert load(tmp_path, document).impersonate is None


def test_config_impersonate_applies_to_every_request() -> None:
    config = Config(
        host="https://k8s",
        impersonate=Impersonation(user="bob", groups=["g1"]),
    )
    watch = Request("GET", "/api/v1/pods", (("watch", "true"),), stream=True)
    assert _sent(config, watch) == [
        ("impersonate-user", "bob"),
        ("impersonate-group", "g1"),
    ]


def test_request_that_impersonates_itself_is_left_alone() -> None:
    config = Config(host="https://k8s", impersonate=Impersonation(user="bob"))
    own = Request("GET", "/api", headers=(("impersonate-user", "alice"),))
    assert _sent(config, own) == [("impersonate-user", "alice")]


@pytest.mark.parametrize(
    ("key", "escaped"),
    [
        ("scopes", "scopes"),
        ("example.com/scopes", "example.com%2Fscopes"),
        ("100%", "100%25"),
        ("a b", "a%20b"),
        ("clé", "cl%C3%A9"),
        ("x|y~z^_`'", "x|y~z^_`'"),
    ],
)
def test_extra_keys_escaped_as_client_go(key: str, escaped: str) -> None:
    assert escape_extra_key(key) == escaped
    assert unescape_extra_key(escaped) == key.lower()


def test_malformed_escape_is_refused_on_the_server_side() -> None:
    assert unescape_extra_key("bad%zz") is None
    assert unescape_extra_key("bad%2") is None


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        Impersonation(user="a\r\nAuthorization: x")


def test_impersonate_must_be_an_impersonation() -> None:
    with pytest.raises(TypeError, match="Impersonation"):
        Config(host="https://k8s", impersonate="bob")  # type: ignore[arg-type]
