"""Discovery documents: /version, /api, /apis, /apis/<group>, /api(s)/<gv>, the
aggregated APIGroupDiscoveryList (apidiscovery.k8s.io v2 and v2beta1, what kubectl
asks for first), and the OpenAPI v3 documents shipped with the package."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import threading
from importlib import resources as importlib_resources
from typing import Any

from ...resources import ResourceInfo, SubresourceInfo
from ..semantics.resource import Resource
from .registry import Registry

#: Verbs of connect subresources, as the real discovery lists them.
#: ``<package>.testing``: where the generator writes ``openapi_v3.json.gz``
_DATA_PACKAGE = __name__.rsplit(".", 2)[0]

_CONNECT_VERBS = {
    "proxy": ["create", "delete", "get", "patch", "update"],
}
_DEFAULT_CONNECT_VERBS = ["create", "get"]


def version_info(git_version: str) -> dict[str, Any]:
    parts = git_version.lstrip("v").split(".")
    major, minor = [*parts, "0", "0"][:2]
    return {
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": str(max(int(minor or 0) - 1, 0)),
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_version(group: str, version: str) -> dict[str, str]:
    return {"groupVersion": f"{group}/{version}", "version": version}


def api_group(group: str, versions: list[str]) -> dict[str, Any]:
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": [_group_version(group, v) for v in versions],
        "preferredVersion": _group_version(group, versions[0]),
    }


def api_group_list(registry: Registry) -> dict[str, Any]:
    groups = []
    for group, versions in registry.groups():
        if group:
            entry = api_group(group, versions)
            del entry["kind"], entry["apiVersion"]
            groups.append(entry)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _sub_verbs(sub: SubresourceInfo) -> list[str]:
    if sub.verbs == ("connect",):
        return _CONNECT_VERBS.get(sub.name, _DEFAULT_CONNECT_VERBS)
    return list(sub.verbs)


def _storage_hash(info: ResourceInfo) -> str:
    digest = hashlib.sha256(
        f"{info.group}/{info.version}/{info.kind}".encode()
    ).digest()
    return base64.b64encode(digest[:8]).decode()


def _sorted(resources: list[Resource]) -> list[Resource]:
    return sorted(resources, key=lambda r: r.info.plural)


def api_resource_list(registry: Registry, group: str, version: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    for res in _sorted(registry.resources(group, version)):
        info = res.info
        entry: dict[str, Any] = {
            "name": info.plural,
            "singularName": info.singular or info.kind.lower(),
            "namespaced": info.namespaced,
            "kind": info.kind,
            "verbs": list(info.verbs),
        }
        if info.short_names:
            entry["shortNames"] = list(info.short_names)
        if info.categories:
            entry["categories"] = list(info.categories)
        if "list" in info.verbs or "create" in info.verbs:
            entry["storageVersionHash"] = _storage_hash(info)
        entries.append(entry)
        for sub in info.subresources:
            sub_entry: dict[str, Any] = {
                "name": f"{info.plural}/{sub.name}",
                "singularName": "",
                "namespaced": info.namespaced,
            }
            kind = sub.kind
            if kind is not None and (kind.group, kind.version) != (group, version):
                sub_entry["group"] = kind.group
                sub_entry["version"] = kind.version
            sub_entry["kind"] = kind.kind if kind is not None else info.kind
            sub_entry["verbs"] = _sub_verbs(sub)
            entries.append(sub_entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }


# --------------------------------------------------------------------------- aggregated


def _response_kind(kind: Any, group: str, version: str, own: str) -> dict[str, str]:
    if kind is None:  # the resource's own kind, as the legacy list says
        return {"group": "", "version": "", "kind": own}
    same = (kind.group, kind.version) == (group, version)
    return {
        "group": "" if same else kind.group,
        "version": "" if same else kind.version,
        "kind": kind.kind,
    }


def _discovery_resource(res: Resource) -> dict[str, Any]:
    info = res.info
    entry: dict[str, Any] = {
        "resource": info.plural,
        "responseKind": {"group": "", "version": "", "kind": info.kind},
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": info.singular or info.kind.lower(),
        "verbs": list(info.verbs),
    }
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.categories:
        entry["categories"] = list(info.categories)
    if info.subresources:
        entry["subresources"] = [
            {
                "subresource": sub.name,
                "responseKind": _response_kind(
                    sub.kind, info.group, info.version, info.kind
                ),
                "verbs": _sub_verbs(sub),
            }
            for sub in info.subresources
        ]
    return entry


def aggregated(registry: Registry, legacy: bool, version: str) -> dict[str, Any]:
    """APIGroupDiscoveryList for /api (``legacy``) or /apis."""
    items = []
    for group, versions in registry.groups():
        if bool(group) == legacy:
            continue
        items.append(
            {
                "metadata": {"name": group, "creationTimestamp": None},
                "versions": [
                    {
                        "version": v,
                        "resources": [
                            _discovery_resource(r)
                            for r in _sorted(registry.resources(group, v))
                        ],
                        "freshness": "Current",
                    }
                    for v in versions
                ],
            }
        )
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": f"apidiscovery.k8s.io/{version}",
        "metadata": {},
        "items": items,
    }


def aggregated_content_type(version: str) -> str:
    return (
        f"application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"
    )


# --------------------------------------------------------------------------- OpenAPI


class OpenAPI:
    """The /openapi/v3 documents (``openapi_v3.json.gz`` in the testing package),
    loaded on first use, plus the documents of custom resources (set as CRDs come
    and go); each served as JSON bytes with its hash."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._docs: dict[str, bytes] | None = None
        self._hashes: dict[str, str] = {}
        self._custom: dict[str, bytes] = {}
        self._known: dict[str, Any] | None = None
        self._schemas: dict[str, Any] | None = None
        self._v2: bytes | None = None

    def _read(self) -> dict[str, Any]:
        source = importlib_resources.files(_DATA_PACKAGE).joinpath("openapi_v3.json.gz")
        try:
            data: dict[str, Any] = json.loads(gzip.decompress(source.read_bytes()))
        except FileNotFoundError:
            data = {}
        return data

    def _load(self) -> dict[str, bytes]:
        with self._lock:
            if self._docs is None:
                docs: dict[str, bytes] = {}
                for path, doc in self._read().items():
                    docs[path] = json.dumps(doc, separators=(",", ":")).encode()
                self._docs = docs
                self._hashes.update(
                    (p, _digest(d)) for p, d in docs.items() if p not in self._custom
                )
            return self._docs

    def known_schemas(self, names: list[str]) -> dict[str, Any]:
        """The named built-in schemas and what they refer to (the meta types a CRD
        document copies), read once from the built-in documents."""
        with self._lock:
            if self._known is None:
                from ...machinery.openapi import closure

                schemas: dict[str, Any] = {}
                for doc in self._read().values():
                    schemas.update((doc.get("components") or {}).get("schemas") or {})
                self._known = closure(names, schemas)
            return self._known

    def component_schemas(self) -> dict[str, Any]:
        """Every built-in component schema by name (the documents' merged), read
        once: what the request body type checks are compiled from."""
        with self._lock:
            if self._schemas is None:
                schemas: dict[str, Any] = {}
                for doc in self._read().values():
                    schemas.update((doc.get("components") or {}).get("schemas") or {})
                self._schemas = schemas
            return self._schemas

    def set_custom(self, documents: dict[str, dict[str, Any]]) -> None:
        """Serve exactly these custom resource documents (path -> document)."""
        encoded = {
            path: json.dumps(doc, separators=(",", ":")).encode()
            for path, doc in documents.items()
        }
        with self._lock:
            for path in self._custom:
                self._hashes.pop(path, None)
            self._custom = encoded
            if self._docs is not None:
                self._hashes.update((p, _digest(d)) for p, d in self._docs.items())
            self._hashes.update((p, _digest(d)) for p, d in encoded.items())
            self._v2 = None

    def _all(self) -> dict[str, bytes]:
        docs = self._load()
        custom = self._custom
        return {**docs, **custom} if custom else docs

    def index(self) -> dict[str, Any]:
        docs = self._all()
        return {
            "paths": {
                path: {
                    "serverRelativeURL": f"/openapi/v3/{path}?hash={self._hashes[path]}"
                }
                for path in sorted(docs)
            }
        }

    def document(self, path: str) -> tuple[bytes, str] | None:
        data = self._all().get(path)
        return None if data is None else (data, self._hashes[path])

    def v2(self, version: str) -> bytes:
        """The Swagger 2.0 protobuf kubectl 1.27/1.28 ask for (built once per set
        of documents)."""
        docs = self._all()
        with self._lock:
            if self._v2 is None:
                from .openapi_v2 import document

                parsed = (json.loads(data) for path, data in sorted(docs.items()))
                self._v2 = document(parsed, version)
            return self._v2


def _digest(data: bytes) -> str:
    return hashlib.sha512(data).hexdigest().upper()
