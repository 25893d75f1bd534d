"""Impersonation: acting as another user, as client-go's ``rest.ImpersonationConfig``
and ``transport.NewImpersonatingRoundTripper`` do it.

The pipeline adds :meth:`Impersonation.header_pairs` to every request (watches,
logs and exec streams included); the API server authorizes the ``impersonate``
verb and then serves the request as the impersonated identity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "IMPERSONATE_EXTRA_PREFIX",
    "IMPERSONATE_GROUP",
    "IMPERSONATE_UID",
    "IMPERSONATE_USER",
    "Impersonation",
    "escape_extra_key",
    "unescape_extra_key",
]

IMPERSONATE_USER = "Impersonate-User"
IMPERSONATE_UID = "Impersonate-Uid"
IMPERSONATE_GROUP = "Impersonate-Group"
IMPERSONATE_EXTRA_PREFIX = "Impersonate-Extra-"

# RFC 7230 token characters (Go's net/http isTokenTable, which client-go copies
# as legalHeaderKeyBytes); "%" is a token character but escaped anyway, so that
# the server's url.PathUnescape of the key cannot fail.
_TOKEN_CHARS = frozenset(
    b"!#$&'*+-.^_`|~0123456789" b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)


def escape_extra_key(key: str) -> str:
    """A user-extra key as client-go writes it into an ``Impersonate-Extra-`` header
    name: every byte of its UTF-8 form that is not a token character, and "%",
    percent-encoded with upper-case hex digits."""
    return "".join(
        chr(byte) if byte in _TOKEN_CHARS else f"%{byte:02X}"
        for byte in key.encode("utf-8")
    )


def unescape_extra_key(escaped: str) -> str | None:
    """The key back from a header name suffix (the server's side: lower-cased,
    as Go canonicalizes header names, then url.PathUnescape); None if malformed."""
    from urllib.parse import unquote_to_bytes

    text = escaped.lower()
    index = text.find("%")
    while index != -1:  # PathUnescape refuses a "%" without two hex digits
        pair = text[index + 1 : index + 3]
        if len(pair) != 2 or any(c not in "0123456789abcdef" for c in pair):
            return None
        index = text.find("%", index + 3)
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass(frozen=True)
class Impersonation:
    """Who to act as: kubeconfig ``as``, ``as-uid``, ``as-groups``, ``as-user-extra``
    (kubectl ``--as``, ``--as-uid``, ``--as-group``)."""

    user: str = ""
    uid: str = ""
    #: stored as a tuple
    groups: Sequence[str] = ()
    #: stored as a dict of tuples
    extra: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Accept lists from callers; keep the value hashable and immutable.
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(
            self,
            "extra",
            {str(key): tuple(values) for key, values in dict(self.extra).items()},
        )
        for value in (self.user, self.uid, *self.groups, *_values(self.extra)):
            if any(char in value for char in "\r\n\x00"):
                raise ValueError(
                    f"impersonation value {value[:60]!r} holds a line break or NUL "
                    "and cannot be sent in a header"
                )

    @property
    def active(self) -> bool:
        """Anything to impersonate (client-go wraps the transport only then)."""
        return bool(self.user or self.uid or self.groups or self.extra)

    def header_pairs(self) -> list[tuple[str, str]]:
        """The headers to send, in client-go's order; groups and extra values
        repeat their header."""
        pairs = [(IMPERSONATE_USER, self.user)]
        if self.uid:
            pairs.append((IMPERSONATE_UID, self.uid))
        pairs.extend((IMPERSONATE_GROUP, group) for group in self.groups)
        for key, values in self.extra.items():
            name = IMPERSONATE_EXTRA_PREFIX + escape_extra_key(key)
            pairs.extend((name, value) for value in values)
        return pairs


def _values(extra: Mapping[str, Sequence[str]]) -> list[str]:
    return [value for values in extra.values() for value in values]
