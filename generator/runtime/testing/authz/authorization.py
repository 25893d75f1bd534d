"""What the server core calls: :class:`Authorization` authenticates the request
into an :class:`~.attributes.Identity`, applies impersonation, and asks the
authorizer (allow-all, or RBAC) before the request is routed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ..protocol.wire import ServerRequest
from .attributes import Attributes, Identity, request_attributes
from .identity import ANONYMOUS, set_identity
from .impersonation import impersonated
from .messages import forbidden_error
from .rbac import MASTERS, RBAC, Decision
from .rules import Rule
from .storage import ServerParts
from .tokens import ServiceAccountTokens

__all__ = ["ALWAYS_ALLOW", "MODES", "RBAC_MODE", "Authorization", "authorization_mode"]

ALWAYS_ALLOW = "AlwaysAllow"
RBAC_MODE = "RBAC"
#: --authorization-mode names, and the lower-case spellings accepted for them
MODES = {"alwaysallow": ALWAYS_ALLOW, "allow": ALWAYS_ALLOW, "rbac": RBAC_MODE}
_EVERYTHING: list[Rule] = [
    {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
    {"verbs": ["*"], "nonResourceURLs": ["*"]},
]


def authorization_mode(mode: str) -> str:
    found = MODES.get(str(mode).lower())
    if found is None:
        raise ValueError(
            f"authorization mode {mode!r} is not supported; use 'rbac' or "
            "'AlwaysAllow' (the default: every authenticated request is allowed)"
        )
    return found


class Authorization:
    def __init__(self, state: ServerParts, mode: str = ALWAYS_ALLOW) -> None:
        self.mode = authorization_mode(mode)
        self.state = state
        self.rbac = RBAC(state.store)
        self.tokens = ServiceAccountTokens(state.store)
        state.auth.token_verifiers.append(self.tokens.verify)
        if self.mode == RBAC_MODE:
            from .aggregation import Aggregation
            from .bootstrap import bootstrap_objects
            from .escalation import EscalationCheck

            Aggregation(state.objects)
            state.objects.admission.append(EscalationCheck(self.rbac, self.authorize))
            for obj in bootstrap_objects():
                state.seed(obj)

    def authorize(self, attributes: Attributes) -> Decision:
        if self.mode == ALWAYS_ALLOW:
            return Decision(True)
        return self.rbac.authorize(attributes)

    def rules_for(self, user: Identity, namespace: str) -> tuple[list[Rule], list[str]]:
        """What SelfSubjectRulesReview answers: the rules and resolution errors."""
        if self.mode == ALWAYS_ALLOW or MASTERS in user.groups:
            return list(_EVERYTHING), []
        return self.rbac.rules_for(user, namespace)

    def requestor(self, request: ServerRequest) -> Identity:
        user = self.state.auth.identify(request)
        if user is None:
            return ANONYMOUS
        name, groups = user
        extra: dict[str, tuple[str, ...]] = {}
        scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
        if scheme.lower() == "bearer" and not request.user:
            extra = self.tokens.extra(token.strip())
        return Identity(name, tuple(dict.fromkeys(groups)), extra=extra)

    @contextmanager
    def serving(self, request: ServerRequest) -> Iterator[Identity]:
        """Authorize ``request`` (403 if denied) and serve it as its identity."""
        identity = self.requestor(request)
        acting = impersonated(identity, request.headers, self.authorize)
        if acting is not None:
            identity = acting
        attributes = request_attributes(request, identity)
        decision = self.authorize(attributes)
        if not decision.allowed:
            raise forbidden_error(attributes, decision.reason)
        previous = set_identity(identity)
        try:
            yield identity
        finally:
            set_identity(previous)
