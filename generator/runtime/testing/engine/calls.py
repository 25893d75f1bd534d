"""A parsed resource request (:class:`Call`) and the query options every verb
shares: write options (dryRun, fieldManager, fieldValidation), delete options,
list options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...machinery.managedfields import manager_from_user_agent
from ..protocol.status import ApiError, Cause, bad_request, invalid, unsupported_value
from ..protocol.wire import MediaType, ServerRequest, decode_json, parse_accept
from ..semantics.basics import DeleteOptions, Write
from ..semantics.resource import Resource
from ..semantics.typecheck import find_problem
from .state import ServerState


@dataclass
class Call:
    core: ServerState
    request: ServerRequest
    resource: Resource
    namespace: str | None  # None: cluster-scoped, or all namespaces
    name: str | None = None
    subresource: str = ""
    #: path below a subresource (pods/x/proxy/some/path)
    rest: str = ""
    watch_path: bool = False  # the deprecated /watch/ prefix
    _accept: list[MediaType] | None = field(default=None, repr=False)

    @property
    def method(self) -> str:
        return self.request.method

    def q(self, name: str, default: str = "") -> str:
        values = self.request.query.get(name)
        return values[0] if values else default

    def has(self, name: str) -> bool:
        return name in self.request.query

    def flag(self, name: str) -> bool:
        """A boolean query parameter as the server parses it (strconv.ParseBool)."""
        value = self.q(name).lower()
        if value in ("", "0", "f", "false"):
            return False
        if value in ("1", "t", "true"):
            return True
        raise bad_request(
            f'strconv.ParseBool: parsing "{self.q(name)}": invalid syntax'
        )

    def int_param(self, name: str) -> int | None:
        if not self.has(name) or self.q(name) == "":
            return None
        try:
            return int(self.q(name))
        except ValueError:
            raise bad_request(
                f'strconv.ParseInt: parsing "{self.q(name)}": invalid syntax'
            ) from None

    @property
    def accept(self) -> list[MediaType]:
        if self._accept is None:
            self._accept = parse_accept(self.request.headers.get("accept"))
        return self._accept

    @property
    def object_namespace(self) -> str:
        """The namespace an object of this call lives in ("" if cluster-scoped)."""
        return self.namespace or ""

    # -- options

    def write(self, *, apply: bool = False) -> Write:
        dry_run = self.request.query.get("dryRun") or []
        for value in dry_run:
            if value != "All":
                raise bad_request(
                    f'Invalid dry run value: "{value}"; supported values: "All"'
                )
        validation = self.q("fieldValidation") or "Warn"
        if validation not in ("Strict", "Warn", "Ignore"):
            raise bad_request(
                f"fieldValidation must be one of: Ignore, Warn, Strict; got {validation!r}"
            )
        user_agent = self.request.headers.get("user-agent")
        query_manager = self.q("fieldManager")
        manager = (
            query_manager
            if apply
            else manager_from_user_agent(query_manager, user_agent)
        )
        return Write(
            manager=manager,
            dry_run=bool(dry_run),
            field_validation=validation,
            force=self.flag("force") if self.has("force") else False,
        )

    def delete_options(self) -> tuple[DeleteOptions, Write]:
        """DeleteOptions from the body (if any) or the query."""
        write = self.write()
        body: dict[str, Any] = {}
        if self.request.body.strip():
            decoded = decode_json(self.request.body)
            if not isinstance(decoded, dict):
                raise bad_request("DeleteOptions must be a JSON object")
            body = decoded
            types = self.core.objects.types
            node = types.kind("", "v1", "DeleteOptions") if types else None
            problem = find_problem(node, body, normalize=True) if node else None
            if problem is not None:
                raise bad_request(problem.message)
        if body.get("dryRun"):
            for value in body["dryRun"]:
                if value != "All":
                    raise bad_request(f'Invalid dry run value: "{value}"')
            write.dry_run = True
        grace = body.get("gracePeriodSeconds", self.int_param("gracePeriodSeconds"))
        if grace is not None and int(grace) < 0:
            raise invalid(
                "DeleteOptions",
                "meta.k8s.io",
                "",
                [Cause("gracePeriodSeconds", f"Invalid value: {grace}: must be >= 0")],
            )
        pre = body.get("preconditions") or {}
        orphan = body.get("orphanDependents")
        if orphan is None and self.has("orphanDependents"):
            orphan = self.flag("orphanDependents")
        return (
            DeleteOptions(
                propagation=body.get("propagationPolicy")
                or self.q("propagationPolicy")
                or None,
                grace_period=None if grace is None else int(grace),
                uid=pre.get("uid"),
                resource_version=pre.get("resourceVersion"),
                orphan_dependents=orphan,
            ),
            write,
        )


def list_options_error(causes: list[Cause]) -> ApiError:
    return invalid("ListOptions", "meta.k8s.io", "", causes)


def check_list_options(call: Call, watch: bool) -> None:
    """ValidateListOptions: the resourceVersionMatch / sendInitialEvents rules."""
    match = call.q("resourceVersionMatch")
    rv = call.q("resourceVersion")
    send_initial = call.has("sendInitialEvents")
    causes: list[Cause] = []

    def forbid(path: str, why: str) -> None:
        causes.append(Cause(path, f"Forbidden: {why}", "FieldValueForbidden"))

    if watch:
        if send_initial and not call.core.watch_list:
            forbid(
                "sendInitialEvents",
                "sendInitialEvents is forbidden for watch unless the WatchList "
                "feature gate is enabled",
            )
        if send_initial and match != "NotOlderThan":
            forbid(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            )
        if match:
            if not send_initial:
                forbid(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden for watch unless "
                    "sendInitialEvents is provided",
                )
            if match != "NotOlderThan":
                causes.append(
                    Cause(
                        "resourceVersionMatch",
                        unsupported_value(match, ["NotOlderThan"]),
                        "FieldValueNotSupported",
                    )
                )
    else:
        if match:
            if not rv:
                forbid(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                )
            if call.q("continue"):
                forbid(
                    "resourceVersionMatch",
                    "resourceVersionMatch is forbidden when continue is provided",
                )
            if match not in ("Exact", "NotOlderThan"):
                causes.append(
                    Cause(
                        "resourceVersionMatch",
                        unsupported_value(match, ["Exact", "NotOlderThan", ""]),
                        "FieldValueNotSupported",
                    )
                )
            if match == "Exact" and rv == "0":
                forbid(
                    "resourceVersionMatch",
                    'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
                )
        if send_initial:
            forbid("sendInitialEvents", "sendInitialEvents is forbidden for list")
    if causes:
        raise list_options_error(causes)


def parse_rv(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f"invalid resource version: {text!r}") from None
    if value < 0:
        raise bad_request(f"invalid resource version: {text!r}")
    return value
