"""The review resources, answered from the server's authorizer (``..authz``): SelfSubjectReview
(who am I), SubjectAccessReview, LocalSubjectAccessReview and
SelfSubjectAccessReview (may they / may I), SelfSubjectRulesReview (what may I),
and TokenReview (whose token is this)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..authz.attributes import Attributes, Identity
from ..authz.authorization import Authorization
from ..authz.identity import ANONYMOUS, current_identity
from ..authz.protobuf import decode_review
from ..authz.tokens import API_AUDIENCE
from ..protocol.status import (
    ApiError,
    Cause,
    bad_request,
    invalid,
    invalid_value,
    method_not_allowed,
)
from ..protocol.wire import PROTOBUF, ServerResponse, content_type, decode_body
from ..semantics.basics import present
from . import handlers

if TYPE_CHECKING:
    from .calls import Call

__all__ = ["REVIEWS"]

Handler = Callable[["Call"], ServerResponse]


def _authorization(call: Call) -> Authorization:
    found: Authorization = call.core.authorization
    return found


def _review(fill: Callable[[Call, dict[str, Any]], dict[str, Any]]) -> Handler:
    def handle(call: Call) -> ServerResponse:
        if call.method != "POST":
            raise method_not_allowed()
        if content_type(call.request) == PROTOBUF:
            body = decode_review(call.request.body)
        else:
            body = decode_body(call.request)
        call.core.objects.check_type(call.resource, body)
        body.setdefault("metadata", {}).setdefault("creationTimestamp", None)
        spec = body.get("spec")
        body["status"] = fill(call, spec if isinstance(spec, dict) else {})
        return handlers.respond(call, 201, present(call.resource, body))

    return handle


def _me() -> Identity:
    return current_identity() or ANONYMOUS


def _invalid(call: Call, where: str, value: Any, detail: str) -> ApiError:
    """The 422 of the review's validation (field.Invalid)."""
    info = call.resource.info
    shown = value if value is None or isinstance(value, str) else "{...}"
    return invalid(
        info.kind, info.group, "", [Cause(where, invalid_value(shown, detail))]
    )


def _self_subject(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
    return {"userInfo": _me().user_info()}


def _decide(call: Call, user: Identity, spec: dict[str, Any]) -> dict[str, Any]:
    resource = spec.get("resourceAttributes")
    non_resource = spec.get("nonResourceAttributes")
    if isinstance(resource, dict) and isinstance(non_resource, dict):
        raise _invalid(
            call,
            "spec.nonResourceAttributes",
            non_resource,
            "cannot be specified in combination with resourceAttributes",
        )
    if isinstance(resource, dict):
        attributes = Attributes(
            user=user,
            verb=str(resource.get("verb") or ""),
            resource_request=True,
            api_group=str(resource.get("group") or ""),
            api_version=str(resource.get("version") or ""),
            namespace=str(resource.get("namespace") or ""),
            resource=str(resource.get("resource") or ""),
            subresource=str(resource.get("subresource") or ""),
            name=str(resource.get("name") or ""),
        )
    elif isinstance(non_resource, dict):
        attributes = Attributes(
            user=user,
            verb=str(non_resource.get("verb") or ""),
            resource_request=False,
            path=str(non_resource.get("path") or ""),
        )
    else:
        raise _invalid(
            call,
            "spec.resourceAttributes",
            None,
            "exactly one of nonResourceAttributes or resourceAttributes must be "
            "specified",
        )
    decision = _authorization(call).authorize(attributes)
    status: dict[str, Any] = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    return status


def _self_access(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
    return _decide(call, _me(), spec)


def _subject(call: Call, spec: dict[str, Any]) -> Identity:
    user = str(spec.get("user") or "")
    groups = tuple(str(g) for g in spec.get("groups") or ())
    if not user and not groups:
        raise _invalid(
            call, "spec.user", user, "at least one of user or group must be specified"
        )
    extra = spec.get("extra")
    if not isinstance(extra, dict):
        extra = {}
    return Identity(
        user,
        groups,
        uid=str(spec.get("uid") or ""),
        extra={str(k): tuple(str(v) for v in vs or ()) for k, vs in extra.items()},
    )


def _access(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
    return _decide(call, _subject(call, spec), spec)


def _local_access(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
    attributes = spec.get("resourceAttributes")
    namespace = call.object_namespace
    if not isinstance(attributes, dict) or (
        attributes.get("namespace") not in (None, "", namespace)
    ):
        raise bad_request(
            f"spec.resourceAttributes.namespace must match namespace: {namespace}"
        )
    spec = {**spec, "resourceAttributes": {**attributes, "namespace": namespace}}
    return _decide(call, _subject(call, spec), spec)


def _rules(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
    rules, errors = _authorization(call).rules_for(
        _me(), str(spec.get("namespace") or "")
    )
    resource_rules = []
    non_resource_rules = []
    for rule in rules:
        if rule.get("nonResourceURLs"):
            non_resource_rules.append(
                {
                    "verbs": rule.get("verbs") or [],
                    "nonResourceURLs": rule["nonResourceURLs"],
                }
            )
        else:
            shown = {"verbs": rule.get("verbs") or []}
            for key in ("apiGroups", "resources", "resourceNames"):
                if rule.get(key):
                    shown[key] = rule[key]
            resource_rules.append(shown)
    status: dict[str, Any] = {
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": bool(errors),
    }
    if errors:
        status["evaluationError"] = ", ".join(errors)
    return status


def _token_review(call: Call, spec: dict[str, Any]) -> dict[str, Any]:
    value = str(spec.get("token") or "")
    wanted = tuple(str(a) for a in spec.get("audiences") or ()) or (API_AUDIENCE,)
    tokens = _authorization(call).tokens
    user = (
        tokens.verify(value, wanted)
        if tokens.claims(value) is not None
        else call.core.auth.user_for_token(value)
    )
    if user is None:
        return {"user": {}, "error": "invalid bearer token"}
    status: dict[str, Any] = {
        "authenticated": True,
        "user": {"username": user[0], "groups": list(user[1])},
    }
    if spec.get("audiences"):
        claims = tokens.claims(value) or {}
        status["audiences"] = [a for a in wanted if a in (claims.get("aud") or wanted)]
    return status


#: storage key -> handler, for the engine's REVIEWS table
REVIEWS: dict[tuple[str, str], Handler] = {
    ("authentication.k8s.io", "selfsubjectreviews"): _review(_self_subject),
    ("authentication.k8s.io", "tokenreviews"): _review(_token_review),
    ("authorization.k8s.io", "selfsubjectaccessreviews"): _review(_self_access),
    ("authorization.k8s.io", "subjectaccessreviews"): _review(_access),
    ("authorization.k8s.io", "localsubjectaccessreviews"): _review(_local_access),
    ("authorization.k8s.io", "selfsubjectrulesreviews"): _review(_rules),
}
