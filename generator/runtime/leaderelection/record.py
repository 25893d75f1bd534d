"""The leader election record, and how it maps onto a coordination.k8s.io/v1
Lease's spec (client-go's ``resourcelock.LeaderElectionRecord``).

The times are metav1.MicroTime on the wire: RFC 3339 in UTC with exactly six
fractional digits (``2026-01-01T10:00:00.123456Z``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["LeaderElectionRecord", "LeaseRecordError", "format_micro_time"]


class LeaseRecordError(ValueError):
    """A Lease whose spec cannot be read as a leader election record."""


@dataclass(frozen=True)
class LeaderElectionRecord:
    """Who holds the lock, for how long, since when (all optional on the wire).

    An empty ``holder_identity`` means nobody holds it: anyone may take it.
    """

    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    leader_transitions: int = 0

    def to_lease_spec(self) -> dict[str, Any]:
        """The Lease spec (coordination.k8s.io/v1 LeaseSpec) of this record."""
        spec: dict[str, Any] = {
            "holderIdentity": self.holder_identity,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "leaseTransitions": self.leader_transitions,
        }
        if self.acquire_time is not None:
            spec["acquireTime"] = format_micro_time(self.acquire_time)
        if self.renew_time is not None:
            spec["renewTime"] = format_micro_time(self.renew_time)
        return spec

    @classmethod
    def from_lease_spec(
        cls, spec: object, where: str = "the Lease"
    ) -> LeaderElectionRecord:
        """The record a Lease spec holds; absent fields are their zero value.

        Raises :class:`LeaseRecordError`, naming the field, when a field has the
        wrong type (a Lease written by something else, by hand ...).
        """
        if spec is None:
            return cls()
        if not isinstance(spec, Mapping):
            raise LeaseRecordError(
                f"{where}: spec is a {type(spec).__name__}, not an object"
            )
        return cls(
            holder_identity=_field(spec, "holderIdentity", str, "", where),
            lease_duration_seconds=_field(spec, "leaseDurationSeconds", int, 0, where),
            acquire_time=_time_field(spec, "acquireTime", where),
            renew_time=_time_field(spec, "renewTime", where),
            leader_transitions=_field(spec, "leaseTransitions", int, 0, where),
        )


def _field(
    spec: Mapping[str, Any], key: str, kind: type[Any], zero: Any, where: str
) -> Any:
    value = spec.get(key)
    if value is None:
        return zero
    if not isinstance(value, kind) or isinstance(value, bool):
        raise LeaseRecordError(
            f"{where}: spec.{key} must be a {kind.__name__}, got {value!r}"
        )
    return value


_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def _time_field(spec: Mapping[str, Any], key: str, where: str) -> datetime | None:
    value = spec.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise LeaseRecordError(
            f"{where}: spec.{key} must be an RFC 3339 time string, got {value!r}"
        )
    parsed = parse_time(value)
    if parsed is None:
        raise LeaseRecordError(
            f"{where}: spec.{key} is not an RFC 3339 time: {value!r}"
        )
    return parsed


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time (any number of fractional digits, Z or an offset) as an
    aware UTC datetime; None if it is not one."""
    match = _RFC3339.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, oh, om = (
        match.groups()
    )
    micros = int((fraction or "0").ljust(6, "0")[:6])
    try:
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            micros,
            tzinfo=timezone.utc,
        )
    except ValueError:  # month 13, second 61 ...
        return None
    if not zulu:
        offset = timedelta(hours=int(oh), minutes=int(om))
        moment -= offset if sign == "+" else -offset
    return moment


def format_micro_time(moment: datetime) -> str:
    """metav1.MicroTime's JSON form: UTC, six fractional digits, ``Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
