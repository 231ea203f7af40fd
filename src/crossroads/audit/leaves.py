"""What an audit event's leaf in the tree is: its content, encoded the same way on every backend. Pure.

The leaf covers who, what and when — not the row id the database allocates, nor the position the sealer
gives it later — so that a request computes it before its INSERT and the sealer never needs to read the
content again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crossroads.audit.merkle import leaf_hash


@dataclass(frozen=True)
class EventContent:
    occurred_at: datetime
    actor_id: str | None
    actor_role: str | None
    action: str
    entity_type: str
    entity_id: str | None
    office_id: str | None
    details: dict[str, Any]


def leaf_data(content: EventContent) -> bytes:
    # Sorted keys, no spaces, UTC to the microsecond: SQLite and PostgreSQL give back equal values, and the
    # same content always encodes to the same bytes.
    body = {
        "occurred_at": content.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": content.actor_id,
        "actor_role": content.actor_role,
        "action": content.action,
        "entity_type": content.entity_type,
        "entity_id": content.entity_id,
        "office_id": content.office_id,
        "details": content.details,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_leaf_hash(content: EventContent) -> str:
    """The event's RFC 9162 leaf hash, SHA-256(0x00 || leaf data), in hex as the trail stores it."""
    return leaf_hash(leaf_data(content)).hex()
