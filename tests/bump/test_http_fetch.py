"""Downloading a release's spec folder: complete, or nothing written."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.bump.http_fetch import (
    ATTEMPTS,
    _listing_url,
    document_names,
    fetch_release,
    release_url,
)
from generator.errors import GeneratorError
from tests.conftest import spec_dir

from .spec_server import SpecServer

#: small upstream documents (discovery, version, logs ...): quick to validate
SMALL = (
    "apis__apps_openapi.json",
    "logs_openapi.json",
    "openid__v1__jwks_openapi.json",
    "version_openapi.json",
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SpecServer]:
    release = tmp_path / "served" / "v1.36"
    release.mkdir(parents=True)
    for name in SMALL:
        shutil.copyfile(spec_dir("1.36") / name, release / name)
    (release / ".version").write_text("v1.36.2\n")
    (release / "README.md").write_text("not a document: not in the listing\n")
    with SpecServer(tmp_path / "served") as running:
        yield running


def template(server: SpecServer) -> str:
    return server.url + "v{version}/"


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_release_is_downloaded_with_its_version(
    server: SpecServer, tmp_path: Path
) -> None:
    dest = tmp_path / "specs" / "v1.36"
    assert fetch_release(template(server), "1.36", dest) == dest
    assert leftovers(dest) == sorted([".version", *SMALL])
    for name in SMALL:
        assert (dest / name).read_bytes() == (spec_dir("1.36") / name).read_bytes()
    assert (dest / ".version").read_text() == "v1.36.2\n"
    assert leftovers(dest.parent) == ["v1.36"]  # no staging folder left


def test_a_release_that_does_not_exist_writes_nothing(
    server: SpecServer, tmp_path: Path
) -> None:
    dest = tmp_path / "specs" / "v1.99"
    with pytest.raises(GeneratorError, match=r"v1\.99/: HTTP 404.*version right"):
        fetch_release(template(server), "1.99", dest)
    assert leftovers(dest.parent) == []
    with pytest.raises(GeneratorError, match=r"tags patch releases: .*--to 1\.99\.0"):
        fetch_release(server.url + "tags/v{version}/", "1.99", dest)
    with pytest.raises(GeneratorError, match=r"HTTP 404") as raised:
        fetch_release(template(server), "1.99.1", dest)
    assert "patch releases" not in str(raised.value)
    assert leftovers(dest.parent) == []


def _previous(dest: Path) -> None:
    dest.mkdir(parents=True)
    (dest / "old_openapi.json").write_text("{}")


@pytest.mark.parametrize(
    "fault, message",
    [
        ("missing", r"logs_openapi\.json: HTTP 404"),
        ("cut", rf"logs_openapi\.json: download failed: .*tried {ATTEMPTS} times"),
        (
            b'{"openapi": "3.0.0", "info": {"title": "x"}, "paths": {}}',
            r"^http://127\.0\.0\.1:\d+/v1\.36/logs_openapi\.json#/info: .*version",
        ),
        (b"{not json", r"logs_openapi\.json: invalid JSON at line 1"),
        (b'{"swagger": "2.0"}', "OpenAPI v2"),
    ],
    ids=["404", "connection-cut", "does-not-validate", "not-json", "swagger"],
)
def test_a_bad_document_leaves_the_previous_download_as_it_was(
    server: SpecServer, tmp_path: Path, fault: str | bytes, message: str
) -> None:
    dest = tmp_path / "specs" / "v1.36"
    _previous(dest)
    server.faults["/v1.36/logs_openapi.json"] = fault
    with pytest.raises(GeneratorError, match=message):
        fetch_release(template(server), "1.36", dest)
    assert leftovers(dest) == ["old_openapi.json"]
    assert leftovers(dest.parent) == ["v1.36"]


def test_a_short_body_is_a_partial_download_not_a_document(
    server: SpecServer, tmp_path: Path
) -> None:
    """Content-Length says N, the connection closes after N/2: never saved as is."""
    server.faults["/v1.36/version_openapi.json"] = "cut"
    with pytest.raises(GeneratorError, match=r"version_openapi\.json: .*tried"):
        fetch_release(template(server), "1.36", tmp_path / "v1.36")
    assert server.requests.count("/v1.36/version_openapi.json") == ATTEMPTS
    assert not (tmp_path / "v1.36").exists()


def test_a_download_cut_once_is_retried(server: SpecServer, tmp_path: Path) -> None:
    server.faults["/v1.36/version_openapi.json"] = "cut-once"
    dest = fetch_release(template(server), "1.36", tmp_path / "v1.36")
    assert (dest / "version_openapi.json").read_bytes() == (
        spec_dir("1.36") / "version_openapi.json"
    ).read_bytes()
    assert server.requests.count("/v1.36/version_openapi.json") == 2


def test_without_a_version_file_the_patch_release_asked_for_is_the_version(
    server: SpecServer, tmp_path: Path
) -> None:
    server.faults["/v1.36/.version"] = "missing"
    dest = fetch_release(server.url + "v1.36/", "1.36.7", tmp_path / "a")
    assert (dest / ".version").read_text() == "v1.36.7\n"
    dest = fetch_release(server.url + "v1.36/", "1.36", tmp_path / "b")
    assert not (dest / ".version").exists()  # the version step asks for one


def test_listings() -> None:
    github = [
        {"name": "api__v1_openapi.json", "type": "file"},
        {"name": "README.md", "type": "file"},
        {"name": "sub_openapi.json", "type": "dir"},
        {"name": "../../etc_openapi.json", "type": "file"},
    ]
    assert document_names("u", json.dumps(github).encode()) == ["api__v1_openapi.json"]
    index = b'<a href="apis__apps__v1_openapi.json">x</a> <a href="/x/.well-known__openid-configuration_openapi.json?raw=1">'
    assert document_names("u", index) == [
        ".well-known__openid-configuration_openapi.json",
        "apis__apps__v1_openapi.json",
    ]
    with pytest.raises(GeneratorError, match="lists no"):
        document_names("u", b"<html>nothing</html>")
    with pytest.raises(GeneratorError, match="not a list"):
        document_names("u", b'{"message": "Not Found"}')


def test_the_kubernetes_repository_is_listed_through_the_github_api() -> None:
    base = release_url(
        "https://raw.githubusercontent.com/kubernetes/kubernetes/v{version}/api/openapi-spec/v3/",
        "1.36.2",
    )
    assert base.endswith("/v1.36.2/api/openapi-spec/v3/")
    assert _listing_url(base) == (
        "https://api.github.com/repos/kubernetes/kubernetes/contents/"
        "api/openapi-spec/v3?ref=v1.36.2"
    )
    assert _listing_url("http://mirror/v1.36/") == "http://mirror/v1.36/"
    with pytest.raises(GeneratorError, match="not an http"):
        release_url("file:///specs/v{version}", "1.36")
