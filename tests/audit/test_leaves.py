from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from crossroads.audit.leaves import EventContent, event_leaf_hash, leaf_data

CONTENT = EventContent(occurred_at=datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC), actor_id=None,
                       actor_role="caseworker", action="case.update", entity_type="case", entity_id="42",
                       office_id=None, details={"fields": ["state"], "version": 3})


class TestLeaf:
    def test_is_the_rfc_leaf_hash_of_the_canonical_content(self):
        assert event_leaf_hash(CONTENT) == hashlib.sha256(b"\x00" + leaf_data(CONTENT)).hexdigest()
        assert leaf_data(CONTENT).startswith(b'{"action":"case.update","actor_id":null,')

    def test_the_same_moment_in_another_time_zone_is_the_same_leaf(self):
        elsewhere = CONTENT.occurred_at.astimezone(timezone(timedelta(hours=3)))
        assert event_leaf_hash(replace(CONTENT, occurred_at=elsewhere)) == event_leaf_hash(CONTENT)

    def test_the_order_of_details_does_not_matter(self):
        reordered = replace(CONTENT, details={"version": 3, "fields": ["state"]})
        assert event_leaf_hash(reordered) == event_leaf_hash(CONTENT)

    def test_every_field_is_covered(self):
        changed = [replace(CONTENT, occurred_at=CONTENT.occurred_at + timedelta(microseconds=1)),
                   replace(CONTENT, actor_id="a"), replace(CONTENT, actor_role="dpo"),
                   replace(CONTENT, action="case.read"), replace(CONTENT, entity_type="person"),
                   replace(CONTENT, entity_id="43"), replace(CONTENT, office_id="b"),
                   replace(CONTENT, details={"fields": ["state"], "version": 4})]
        assert len({event_leaf_hash(c) for c in [CONTENT, *changed]}) == len(changed) + 1
