"""Pure hash-chain arithmetic for the audit trail: no session, no I/O."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainRecord:
    seq: int
    occurred_at: datetime
    actor_id: str | None
    actor_role: str | None
    action: str
    entity_type: str
    entity_id: str | None
    office_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str = ""


def canonical(record: ChainRecord) -> bytes:
    body = {
        "seq": record.seq,
        "occurred_at": record.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": record.actor_id,
        "actor_role": record.actor_role,
        "action": record.action,
        "entity_type": record.entity_type,
        "entity_id": record.entity_id,
        "office_id": record.office_id,
        "details": record.details,
        "prev_hash": record.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(record: ChainRecord) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def find_break(records: Iterable[ChainRecord], anchor: tuple[int, str] | None = None) -> tuple[int, Break | None]:
    """Walk records in seq order; return how many were checked and the first break, if any.

    The chain alone cannot show that its newest events were cut off; `anchor` is a (seq, hash) pair
    recorded earlier outside the database, which the chain must still contain.
    """
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for record in records:
        if record.seq != expected_seq:
            return checked, Break(expected_seq, f"event {expected_seq} is missing (next found is {record.seq})")
        if record.prev_hash != expected_prev:
            return checked, Break(record.seq, "its link to the previous event does not match")
        if compute_hash(record) != record.hash:
            return checked, Break(record.seq, "its content does not match its hash (it was altered)")
        if anchor and record.seq == anchor[0] and record.hash != anchor[1]:
            return checked, Break(record.seq, "it differs from the anchored head recorded earlier")
        expected_prev = record.hash
        expected_seq += 1
        checked += 1
    if anchor and checked < anchor[0]:
        return checked, Break(checked + 1, f"the trail ends before the anchored head {anchor[0]} (events were removed)")
    return checked, None
