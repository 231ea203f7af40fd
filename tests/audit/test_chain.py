from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from crossroads.audit.chain import GENESIS, ChainRecord, compute_hash, find_break


def chain(n: int) -> list[ChainRecord]:
    out, prev = [], GENESIS
    for seq in range(1, n + 1):
        r = ChainRecord(seq=seq, occurred_at=datetime(2026, 1, 1, tzinfo=UTC), actor_id=None, actor_role="cli",
                        action="x.y", entity_type="x", entity_id=str(seq), office_id=None, details={"n": seq},
                        prev_hash=prev)
        r = replace(r, hash=compute_hash(r))
        prev = r.hash
        out.append(r)
    return out


class TestFindBreak:
    def test_intact_chain_has_no_break(self):
        assert find_break(chain(5)) == (5, None)

    def test_altered_content_is_found(self):
        records = chain(5)
        records[2] = replace(records[2], details={"n": 99})
        checked, broken = find_break(records)
        assert (checked, broken.seq) == (2, 3)
        assert "altered" in broken.reason

    def test_deleted_event_is_found(self):
        records = chain(5)
        del records[1]
        assert find_break(records)[1].seq == 2

    def test_rehashed_event_breaks_the_next_link(self):
        records = chain(5)
        forged = replace(records[1], action="forged")
        records[1] = replace(forged, hash=compute_hash(forged))
        assert find_break(records)[1].seq == 3

    def test_hash_covers_time_zone_normalisation(self):
        r = chain(1)[0]
        assert compute_hash(replace(r, occurred_at=r.occurred_at.astimezone())) == r.hash

    def test_anchor_detects_a_cut_off_tail(self):
        records = chain(5)
        assert find_break(records[:3], anchor=(5, records[4].hash))[1].seq == 4

    def test_anchor_detects_a_rewritten_chain(self):
        records = chain(5)
        assert find_break(records, anchor=(3, "f" * 64))[1].seq == 3
