"""DiscoveryClient and RESTMapper: what the server serves, and kind <-> resource.

As client-go's ``discovery.DiscoveryInterface``::

    disco = DiscoveryClient.for_config(config)      # or ClientSet(config).discovery
    disco.server_version().git_version
    disco.server_groups()                           # [APIGroup(name, versions, preferred_version)]
    disco.server_resources_for_group_version("apps/v1")
    disco.server_preferred_resources()

Aggregated discovery (one request for everything, Kubernetes >= 1.26) is used when
the server offers it, with a fallback to the per-group endpoints. Results are cached
in memory, and on disk with a TTL when a cache folder is given (as kubectl's
~/.kube/cache/discovery); ``invalidate()`` drops both.

A group-version that fails (an aggregated API server answering 503 ...) does not
fail the whole discovery: ``server_groups_and_resources`` and
``server_preferred_resources`` raise ``GroupDiscoveryFailed`` carrying the partial
result and the failed group-versions, as client-go's ErrGroupDiscoveryFailed.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ApiError
from .resources import (
    GroupVersionKind,
    ResourceInfo,
    SubresourceInfo,
    version_priority,
)
from .rest import RESTClient

if TYPE_CHECKING:
    from .config import Config

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
ACCEPT_DISCOVERY = f"{AGGREGATED},application/json"
DEFAULT_TTL = 6 * 3600.0  # kubectl's discovery cache lifetime


@dataclass(frozen=True)
class VersionInfo:
    major: str
    minor: str
    git_version: str
    git_commit: str = ""
    platform: str = ""
    go_version: str = ""
    build_date: str = ""


@dataclass(frozen=True)
class APIGroup:
    name: str  # "" for the legacy core group
    versions: tuple[str, ...]  # group-versions, preferred first ("apps/v1")
    preferred_version: str


@dataclass(frozen=True)
class APIResource:
    name: str  # plural, or "pods/status" for a subresource
    singular_name: str
    namespaced: bool
    kind: str
    verbs: tuple[str, ...]
    group: str = ""  # only when it differs from the list's (e.g. a Scale subresource)
    version: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class APIResourceList:
    group_version: str
    resources: tuple[APIResource, ...] = field(default=())

    @property
    def group(self) -> str:
        return self.group_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.group_version.rpartition("/")[2]


class GroupDiscoveryFailed(Exception):
    """Some group-versions could not be discovered; the rest is in ``groups`` and
    ``resources`` (client-go's ErrGroupDiscoveryFailed)."""

    def __init__(
        self,
        failed: dict[str, BaseException],
        groups: list[APIGroup],
        resources: list[APIResourceList],
    ) -> None:
        listing = ", ".join(f"{gv}: {err}" for gv, err in sorted(failed.items()))
        super().__init__(
            f"unable to retrieve the complete list of server APIs: {listing}"
        )
        self.failed = failed
        self.groups = groups
        self.resources = resources


# --------------------------------------------------------------------------- parsing


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _resource_list(data: dict[str, Any]) -> APIResourceList:
    resources = tuple(
        APIResource(
            name=str(r.get("name", "")),
            singular_name=str(r.get("singularName", "")),
            namespaced=bool(r.get("namespaced")),
            kind=str(r.get("kind", "")),
            verbs=_strings(r.get("verbs")),
            group=str(r.get("group", "")),
            version=str(r.get("version", "")),
            short_names=_strings(r.get("shortNames")),
            categories=_strings(r.get("categories")),
        )
        for r in data.get("resources") or ()
        if isinstance(r, dict)
    )
    return APIResourceList(str(data.get("groupVersion", "")), resources)


def _group(data: dict[str, Any]) -> APIGroup:
    versions = tuple(
        str(v.get("groupVersion"))
        for v in data.get("versions") or ()
        if isinstance(v, dict)
    )
    preferred = data.get("preferredVersion")
    preferred_gv = (
        preferred.get("groupVersion") if isinstance(preferred, dict) else None
    )
    return APIGroup(
        str(data.get("name", "")),
        versions,
        str(preferred_gv or _highest(versions)),
    )


def _highest(group_versions: Iterable[str]) -> str:
    """The group-version of the highest priority (when the server names none)."""
    ordered = sorted(
        group_versions, key=lambda gv: version_priority(gv.rpartition("/")[2])
    )
    return ordered[0] if ordered else ""


def _aggregated(
    document: dict[str, Any], failed: dict[str, BaseException]
) -> tuple[list[APIGroup], list[APIResourceList]]:
    """An APIGroupDiscoveryList -> groups and resource lists (stale versions fail)."""
    groups, lists = [], []
    for item in document.get("items") or ():
        name = str((item.get("metadata") or {}).get("name", ""))
        versions = []
        for entry in item.get("versions") or ():
            version = str(entry.get("version", ""))
            gv = f"{name}/{version}" if name else version
            if entry.get("freshness") == "Stale":
                failed[gv] = RuntimeError(
                    "stale: the server could not refresh this group-version"
                )
                continue
            versions.append(gv)
            lists.append(
                APIResourceList(gv, tuple(_aggregated_resources(name, version, entry)))
            )
        if versions:
            groups.append(APIGroup(name, tuple(versions), versions[0]))
    return groups, lists


def _aggregated_resources(
    group: str, version: str, entry: dict[str, Any]
) -> Iterable[APIResource]:
    for r in entry.get("resources") or ():
        kind = r.get("responseKind") or {}
        namespaced = r.get("scope") == "Namespaced"
        plural = str(r.get("resource", ""))
        yield APIResource(
            name=plural,
            singular_name=str(r.get("singularResource", "")),
            namespaced=namespaced,
            kind=str(kind.get("kind", "")),
            verbs=_strings(r.get("verbs")),
            short_names=_strings(r.get("shortNames")),
            categories=_strings(r.get("categories")),
        )
        for sub in r.get("subresources") or ():
            sub_kind = sub.get("responseKind") or {}
            sub_group = str(sub_kind.get("group") or "")
            sub_version = str(sub_kind.get("version") or "")
            if (sub_group or group, sub_version or version) == (group, version):
                sub_group = sub_version = ""  # the list's own group-version
            yield APIResource(
                name=f"{plural}/{sub.get('subresource', '')}",
                singular_name="",
                namespaced=namespaced,
                kind=str(sub_kind.get("kind", "")),
                verbs=_strings(sub.get("verbs")),
                group=sub_group,
                version=sub_version,
            )


# --------------------------------------------------------------------------- wire forms


def _group_version_ref(gv: str) -> dict[str, str]:
    return {"groupVersion": gv, "version": gv.rpartition("/")[2]}


def _group_list_body(groups: list[APIGroup]) -> dict[str, Any]:
    """An APIGroupList (the legacy group first, named ""), as kubectl caches it."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": g.name,
                "versions": [_group_version_ref(v) for v in g.versions],
                "preferredVersion": _group_version_ref(g.preferred_version),
            }
            for g in groups
        ],
    }


def _resource_list_body(rl: APIResourceList) -> dict[str, Any]:
    resources = []
    for r in rl.resources:
        entry: dict[str, Any] = {
            "name": r.name,
            "singularName": r.singular_name,
            "namespaced": r.namespaced,
        }
        if r.group:
            entry["group"] = r.group
        if r.version:
            entry["version"] = r.version
        entry["kind"] = r.kind
        entry["verbs"] = list(r.verbs)
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        resources.append(entry)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": rl.group_version,
        "resources": resources,
    }


def _core_group(versions: dict[str, Any]) -> APIGroup:
    """The legacy group from /api's APIVersions."""
    found = _strings(versions.get("versions"))
    return APIGroup("", found, _highest(found) or "v1")


def _is_aggregated(content_type: str) -> bool:
    return "as=APIGroupDiscoveryList" in content_type.replace(" ", "")


# --------------------------------------------------------------------------- disk cache

#: kubectl's overlyCautiousIllegalFileCharacters
_ILLEGAL_FILE_CHARACTERS = re.compile(r"[^(\w/.)]")
_SERVER_GROUPS = "servergroups.json"


def cache_folder(root: str | os.PathLike[str], host: str) -> Path:
    """kubectl's computeDiscoverCacheDir: ``https://127.0.0.1:6443`` ->
    ``<root>/127.0.0.1_6443``."""
    schemeless = host.replace("https://", "", 1).replace("http://", "", 1)
    return Path(root) / _ILLEGAL_FILE_CHARACTERS.sub("_", schemeless)


def _resources_file(group_version: str) -> str:
    return f"{group_version}/serverresources.json"


class _DiskCache:
    """kubectl's layout: <dir>/<host_port>/servergroups.json (an APIGroupList) and
    <group>/<version>/serverresources.json (APIResourceLists); files older than
    the TTL are ignored."""

    def __init__(self, root: Path, host: str, ttl: float) -> None:
        self.dir = cache_folder(root, host)
        self.ttl = ttl

    def read(self, key: str) -> dict[str, Any] | None:
        path = self.dir / key
        try:
            if time.time() - path.stat().st_mtime > self.ttl:
                return None
            value = json.loads(path.read_text())
        except (OSError, ValueError, RecursionError):
            return None  # missing, expired or damaged: ask the server
        return value if isinstance(value, dict) else None

    def write(self, key: str, value: dict[str, Any]) -> None:
        path = self.dir / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                "w", dir=path.parent, delete=False, suffix=".tmp"
            ) as tmp:
                json.dump(value, tmp)
            os.replace(tmp.name, path)
        except OSError:
            pass  # a cache that cannot be written is only slower

    def clear(self) -> None:
        for path in sorted(self.dir.rglob("*.json"), reverse=True):
            path.unlink(missing_ok=True)


# --------------------------------------------------------------------------- client


class DiscoveryClient:
    """What the server serves. Groups come from aggregated discovery (2 requests
    for everything) when the server offers it, else from /api and /apis, with one
    request per group-version for its resources; everything is kept in memory
    (and on disk with a cache folder) until ``invalidate()``."""

    def __init__(
        self,
        rest: RESTClient,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        ttl: float = DEFAULT_TTL,
        aggregated: bool = True,
    ) -> None:
        self.rest = rest
        self.aggregated = aggregated
        host = getattr(rest.config, "host", None) or "server"
        self._disk = (
            _DiskCache(Path(cache_dir), str(host), ttl)
            if cache_dir is not None
            else None
        )
        self._groups: list[APIGroup] | None = None
        self._resources: dict[str, APIResourceList] = {}
        #: group-versions an aggregated answer marked stale (until invalidate())
        self._stale: dict[str, BaseException] = {}

    @classmethod
    def for_config(cls, config: Config, **kwargs: Any) -> DiscoveryClient:
        return cls(RESTClient(config), **kwargs)

    def __repr__(self) -> str:
        cache = f" cache={self._disk.dir}" if self._disk is not None else ""
        return f"<DiscoveryClient {self.rest!r}{cache}>"

    def invalidate(self) -> None:
        """Forget what was discovered (memory and disk): the next call asks the server."""
        self._groups = None
        self._resources.clear()
        self._stale.clear()
        if self._disk is not None:
            self._disk.clear()

    def server_version(self) -> VersionInfo:
        data = self._get_json("/version")
        if not isinstance(data, dict):
            data = {}
        return VersionInfo(
            major=str(data.get("major", "")),
            minor=str(data.get("minor", "")),
            git_version=str(data.get("gitVersion", "")),
            git_commit=str(data.get("gitCommit", "")),
            platform=str(data.get("platform", "")),
            go_version=str(data.get("goVersion", "")),
            build_date=str(data.get("buildDate", "")),
        )

    # -- fetching (kubeclient.aio's discovery answers these from what it awaited)

    def _get_json(self, path: str) -> Any:
        """The JSON body of a plain GET (/version, a group-version's resources)."""
        return self.rest.get().abs_path(path).do().json()

    def _get(self, path: str) -> tuple[str, dict[str, Any]]:
        """(content type, body) of a discovery document."""
        accept = ACCEPT_DISCOVERY if self.aggregated else "application/json"
        result = self.rest.get().abs_path(path).accept(accept).do()
        body = result.json()
        return result.headers.get("Content-Type", ""), (
            body if isinstance(body, dict) else {}
        )

    def _fetch_groups(self) -> list[APIGroup]:
        """/api and /apis, each answered in the aggregated form when the server has
        it (groups and resources at once) or as APIVersions / APIGroupList."""
        groups: list[APIGroup] = []
        lists: list[APIResourceList] = []
        stale: dict[str, BaseException] = {}
        for path in ("/api", "/apis"):
            content_type, body = self._get(path)
            if _is_aggregated(content_type):
                more_groups, more_lists = _aggregated(body, stale)
                groups += more_groups
                lists += more_lists
            elif path == "/api":
                groups.append(_core_group(body))
            else:
                groups += [
                    _group(g) for g in body.get("groups") or () if isinstance(g, dict)
                ]
        if self._disk is not None:
            self._disk.write(_SERVER_GROUPS, _group_list_body(groups))
        for rl in lists:
            self._remember(rl)
        self._stale = stale
        return groups

    def _remember(self, rl: APIResourceList) -> None:
        self._resources[rl.group_version] = rl
        if self._disk is not None:
            self._disk.write(_resources_file(rl.group_version), _resource_list_body(rl))

    def server_groups(self) -> list[APIGroup]:
        """Every group with its versions (the legacy group first, named "")."""
        if self._groups is None:
            cached = self._disk.read(_SERVER_GROUPS) if self._disk is not None else None
            if cached is not None:
                self._groups = [
                    _group(g) for g in cached.get("groups") or () if isinstance(g, dict)
                ]
            else:
                self._groups = self._fetch_groups()
        return list(self._groups)

    def server_resources_for_group_version(self, group_version: str) -> APIResourceList:
        """The resources of one group-version (memory, disk, then the server)."""
        found = self._resources.get(group_version)
        if found is not None:
            return found
        key = _resources_file(group_version)
        cached = self._disk.read(key) if self._disk is not None else None
        if cached is not None:
            found = _resource_list(cached)
            self._resources[group_version] = found
            return found
        path = (
            f"/apis/{group_version}"
            if "/" in group_version
            else f"/api/{group_version}"
        )
        body = self._get_json(path)
        found = _resource_list(body if isinstance(body, dict) else {})
        self._remember(found)
        return found

    def _discover(
        self,
    ) -> tuple[list[APIGroup], list[APIResourceList], dict[str, BaseException]]:
        """Every group and the resources of each of its versions; what failed."""
        groups = self.server_groups()
        lists: list[APIResourceList] = []
        failed: dict[str, BaseException] = dict(self._stale)
        for group in groups:
            for gv in group.versions:
                try:
                    lists.append(self.server_resources_for_group_version(gv))
                except ApiError as err:  # e.g. 503 from an aggregated API server
                    failed[gv] = err
        return groups, lists, failed

    def server_groups_and_resources(
        self,
    ) -> tuple[list[APIGroup], list[APIResourceList]]:
        groups, lists, failed = self._discover()
        if failed:
            raise GroupDiscoveryFailed(failed, groups, lists)
        return groups, lists

    def server_preferred_resources(self) -> list[APIResourceList]:
        """The resources of each group's preferred version (and of other versions when
        the preferred one lacks them), as kubectl api-resources shows them."""
        groups, lists, failed = self._discover()
        preferred = _preferred(groups, lists)
        if failed:
            raise GroupDiscoveryFailed(failed, groups, preferred)
        return preferred


def _preferred(
    groups: list[APIGroup], lists: list[APIResourceList]
) -> list[APIResourceList]:
    by_gv = {rl.group_version: rl for rl in lists}
    result = []
    for group in groups:
        seen: set[str] = set()
        ordered = [
            group.preferred_version,
            *(v for v in group.versions if v != group.preferred_version),
        ]
        for gv in ordered:
            rl = by_gv.get(gv)
            if rl is None:
                continue
            fresh = tuple(r for r in rl.resources if r.name.split("/")[0] not in seen)
            seen |= {r.name.split("/")[0] for r in fresh}
            if fresh:
                result.append(APIResourceList(gv, fresh))
    return result


# --------------------------------------------------------------------------- RESTMapper


class NoMatchError(LookupError):
    """No resource or kind matches (client-go's NoKindMatchError / NoResourceMatchError)."""


class RESTMapper:
    """Kind <-> resource, short names, preferred versions, from discovery.

    A miss refreshes discovery once before failing (a CRD may have just been
    created), as client-go's DeferredDiscoveryRESTMapper does.
    """

    def __init__(self, discovery: DiscoveryClient) -> None:
        self.discovery = discovery
        self._resources: list[ResourceInfo] | None = None
        self._preferred_order: dict[str, int] = {}

    def reset(self) -> None:
        self._resources = None
        self.discovery.invalidate()

    def _load(self) -> list[ResourceInfo]:
        if self._resources is None:
            try:
                groups, lists = self.discovery.server_groups_and_resources()
            except GroupDiscoveryFailed as partial:  # use what is there
                groups, lists = partial.groups, partial.resources
            self._preferred_order = {}
            for group in groups:
                for rank, gv in enumerate([group.preferred_version, *group.versions]):
                    self._preferred_order.setdefault(gv, rank)
            self._resources = [info for rl in lists for info in _infos(rl)]
        return self._resources

    def _search(self, predicate: Any) -> list[ResourceInfo]:
        for attempt in range(2):
            found = [r for r in self._load() if predicate(r)]
            if found or attempt:
                return sorted(
                    found, key=lambda r: self._preferred_order.get(r.api_version, 99)
                )
            self.reset()
        return []

    def find(self, group: str, version: str, plural: str) -> ResourceInfo | None:
        resources = self._resources or []
        return next((r for r in resources if r.gvr == (group, version, plural)), None)

    def resource_for(self, kind: str, api_version: str | None = None) -> ResourceInfo:
        """The resource serving a kind; without api_version, in the preferred version."""

        def matches(r: ResourceInfo) -> bool:
            return r.kind == kind and (
                api_version is None or r.api_version == api_version
            )

        found = self._search(matches)
        if not found:
            where = f" in {api_version}" if api_version else ""
            raise NoMatchError(f"no resource for kind {kind!r}{where} on the server")
        return found[0]

    def kind_for(self, resource: str) -> GroupVersionKind:
        """``pods``, ``po``, ``pod``, ``Pods``, ``deployments.apps``,
        ``deployments.v1.apps`` -> GVK (the preferred version unless named)."""
        name, _, rest = resource.partition(".")
        name = name.lower()  # as client-go's coerceResourceForMatching
        version, group = "", rest
        if rest:
            head, _, tail = rest.partition(".")
            if re.fullmatch(r"v\d+((alpha|beta)\d+)?", head):
                version, group = head, tail

        def matches(r: ResourceInfo) -> bool:
            named = (
                name in (r.plural, r.singular, *r.short_names) or name == r.kind.lower()
            )
            return (
                named
                and (not rest or r.group == group)
                and (not version or r.version == version)
            )

        found = self._search(matches)
        if not found:
            raise NoMatchError(f"the server has no resource type {resource!r}")
        return found[0].gvk


def _infos(rl: APIResourceList) -> Iterable[ResourceInfo]:
    subs: dict[str, list[SubresourceInfo]] = {}
    for r in rl.resources:
        if "/" in r.name:
            parent, _, sub = r.name.partition("/")
            kind = (
                GroupVersionKind(r.group or rl.group, r.version or rl.version, r.kind)
                if r.kind
                else None
            )
            subs.setdefault(parent, []).append(SubresourceInfo(sub, r.verbs, kind))
    for r in rl.resources:
        if "/" not in r.name:
            yield ResourceInfo(
                group=rl.group,
                version=rl.version,
                plural=r.name,
                kind=r.kind,
                namespaced=r.namespaced,
                verbs=r.verbs,
                subresources=tuple(subs.get(r.name, ())),
                short_names=r.short_names,
                categories=r.categories,
                singular=r.singular_name or r.kind.lower(),
            )


def as_dict(value: Any) -> Any:
    """A discovery result as plain data (for printing or JSON)."""
    return asdict(value)
