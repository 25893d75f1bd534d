"""Service account tokens: TokenRequest (``serviceaccounts/x/token``) issues a
signed JWT with audiences, expiry and an optional bound object; the server
verifies it on every use, as kube-apiserver's serviceaccount authenticator does.

The signature is HMAC-SHA256 (JWT ``HS256``) with a key made per server from
the standard library: the real server signs RS256 with its service-account key,
but nothing outside this server verifies these tokens, and a symmetric key needs
no cryptography package. The claims are the real ones (iss, sub, aud, exp, iat,
nbf, and ``kubernetes.io`` with the namespace, service account and bound object).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from ..protocol.status import ApiError, Cause, invalid
from .storage import ObjectStore

__all__ = ["API_AUDIENCE", "ServiceAccountTokens"]

#: kube-apiserver's default --service-account-issuer and --api-audiences
API_AUDIENCE = "https://kubernetes.default.svc.cluster.local"
_MIN_SECONDS = 600
_DEFAULT_SECONDS = 3600
_BOUND_KINDS = {
    "Pod": ("", "pods"),
    "Secret": ("", "secrets"),
    "Node": ("", "nodes"),
}
ServiceAccountUser = tuple[str, tuple[str, ...]]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ServiceAccountTokens:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._key = secrets.token_bytes(32)
        #: seconds since the epoch; tests move it forward to expire tokens
        self.clock: Callable[[], float] = time.time

    # -- issuing

    def issue(
        self, namespace: str, account: dict[str, Any], spec: dict[str, Any]
    ) -> tuple[str, datetime, dict[str, Any]]:
        """(token, expiry, the spec as defaulted) for a TokenRequest's spec."""
        name = str(account["metadata"]["name"])
        seconds = spec.get("expirationSeconds")
        seconds = _DEFAULT_SECONDS if seconds in (None, 0) else seconds
        if not isinstance(seconds, int) or isinstance(seconds, bool):
            raise invalid(
                "TokenRequest",
                "authentication.k8s.io",
                name,
                [Cause("spec.expirationSeconds", "Invalid value: must be an integer")],
            )
        if seconds < _MIN_SECONDS:
            raise invalid(
                "TokenRequest",
                "authentication.k8s.io",
                name,
                [
                    Cause(
                        "spec.expirationSeconds",
                        f"Invalid value: {seconds}: may not specify a duration "
                        "less than 10 minutes",
                    )
                ],
            )
        audiences = spec.get("audiences") or [API_AUDIENCE]
        if not isinstance(audiences, list) or not all(
            isinstance(a, str) for a in audiences
        ):
            raise invalid(
                "TokenRequest",
                "authentication.k8s.io",
                name,
                [Cause("spec.audiences", "Invalid value: must be a list of strings")],
            )
        issued = int(self.clock())
        expires = issued + seconds
        private: dict[str, Any] = {
            "namespace": namespace,
            "serviceaccount": {"name": name, "uid": account["metadata"].get("uid")},
        }
        bound = spec.get("boundObjectRef")
        if bound:
            bound = dict(bound)
            key = self._bound_key(bound, namespace)  # fills in the uid
            private[key] = {"name": bound.get("name"), "uid": bound.get("uid")}
            spec = {**spec, "boundObjectRef": bound}
        claims = {
            "aud": audiences,
            "exp": expires,
            "iat": issued,
            "iss": API_AUDIENCE,
            "jti": str(uuid.uuid4()),
            "kubernetes.io": private,
            "nbf": issued,
            "sub": f"system:serviceaccount:{namespace}:{name}",
        }
        out = {**spec, "audiences": audiences, "expirationSeconds": seconds}
        if not bound:
            out.pop("boundObjectRef", None)
        expiry = datetime.fromtimestamp(expires, timezone.utc)
        return self._sign(claims), expiry, out

    def _bound_key(self, bound: Any, namespace: str) -> str:
        """Checks the bound object exists (with that uid); its claim key."""
        if not isinstance(bound, dict) or bound.get("kind") not in _BOUND_KINDS:
            raise invalid(
                "TokenRequest",
                "authentication.k8s.io",
                "",
                [
                    Cause(
                        "spec.boundObjectRef.kind",
                        'Unsupported value: must be "Pod", "Secret" or "Node"',
                    )
                ],
            )
        kind = bound["kind"]
        group, plural = _BOUND_KINDS[kind]
        scope = "" if kind == "Node" else namespace
        obj = self.store.get((group, plural), scope, str(bound.get("name") or ""))
        if obj is None:
            raise ApiError(
                404,
                "NotFound",
                f'{plural} "{bound.get("name")}" not found',
                {"name": str(bound.get("name") or ""), "kind": plural},
            )
        uid = obj["metadata"].get("uid")
        if bound.get("uid") and bound["uid"] != uid:
            raise ApiError(
                409,
                "Conflict",
                f"the UID in the bound object reference ({bound['uid']}) does not "
                f"match the UID in record. The object might have been deleted and "
                "then recreated",
            )
        bound.setdefault("uid", uid)
        return str(kind).lower()

    def _sign(self, claims: dict[str, Any]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(
            self._key, f"{header}.{body}".encode(), hashlib.sha256
        ).digest()
        return f"{header}.{body}.{_b64(signature)}"

    # -- verifying

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this server signed, whatever their validity."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(
            self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256
        ).digest()
        try:
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                return None
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, UnicodeDecodeError):
            return None
        return claims if isinstance(claims, dict) else None

    def verify(
        self, token: str, audiences: tuple[str, ...] = (API_AUDIENCE,)
    ) -> ServiceAccountUser | None:
        """The user of a valid token: signed here, not expired, for one of
        ``audiences``, its service account (and bound object) still there."""
        claims = self.claims(token)
        if claims is None:
            return None
        now = self.clock()
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int) or now >= exp:
            return None
        if isinstance(nbf, int) and now < nbf:
            return None
        token_audiences = claims.get("aud") or []
        if not set(token_audiences) & set(audiences):
            return None
        private = claims.get("kubernetes.io") or {}
        namespace = str(private.get("namespace") or "")
        account = private.get("serviceaccount") or {}
        stored = self.store.get(
            ("", "serviceaccounts"), namespace, str(account.get("name") or "")
        )
        if stored is None or stored["metadata"].get("uid") != account.get("uid"):
            return None
        for kind, (group, plural) in _BOUND_KINDS.items():
            bound = private.get(kind.lower())
            if not isinstance(bound, dict):
                continue
            scope = "" if kind == "Node" else namespace
            obj = self.store.get((group, plural), scope, str(bound.get("name")))
            if obj is None or obj["metadata"].get("uid") != bound.get("uid"):
                return None
        return (
            f"system:serviceaccount:{namespace}:{account.get('name')}",
            (
                "system:serviceaccounts",
                f"system:serviceaccounts:{namespace}",
                "system:authenticated",
            ),
        )

    def extra(self, token: str) -> dict[str, tuple[str, ...]]:
        """The user extras the real authenticator derives from a token's claims:
        its credential id, and the pod it is bound to."""
        claims = self.claims(token)
        if claims is None:
            return {}
        out: dict[str, tuple[str, ...]] = {}
        jti = claims.get("jti")
        if isinstance(jti, str) and jti:
            out[_EXTRA + "credential-id"] = (f"JTI={jti}",)
        private = claims.get("kubernetes.io") or {}
        pod = private.get("pod") if isinstance(private, dict) else None
        if isinstance(pod, dict):
            out[_EXTRA + "pod-name"] = (str(pod.get("name") or ""),)
            out[_EXTRA + "pod-uid"] = (str(pod.get("uid") or ""),)
        return out


_EXTRA = "authentication.kubernetes.io/"
