"""A person's consents and referrals follow them through a merge into the survivor, and back on unmerge."""

from __future__ import annotations

from crossroads.consent.models import Consent
from crossroads.dedup.merges import merge_people, unmerge_people
from crossroads.referrals import service
from crossroads.referrals.models import Referral
from tests.factories import referrals as rf


def test_consents_and_referrals_follow_a_merge_and_come_back(db, world):
    rf.link_directory(db, world)
    merged = rf.scene(db, world, given_name="Hussain", family_name="Muhammad")
    survivor = rf.scene(db, world, given_name="Mohammed", family_name="Hussein", with_consent=False)
    referral = rf.referral(db, merged)
    supervisor = world.principal(db, "supervisor_a")
    merge = merge_people(db, principal=supervisor, survivor_id=survivor.person.id, merged_id=merged.person.id)
    db.expire_all()
    assert db.get(Referral, referral.id).person_id == survivor.person.id
    consent = db.query(Consent).one()
    assert consent.person_id == survivor.person.id
    # The consent moved with the referral, so the partner still reads the shared fields.
    assert service.missing_consent(db, db.get(Referral, referral.id)) == []
    assert merge.moved["referrals"] == [str(referral.id)] and merge.moved["consents"] == [str(consent.id)]
    unmerge_people(db, principal=supervisor, merge_id=merge.id)
    db.expire_all()
    assert db.get(Referral, referral.id).person_id == merged.person.id
    assert db.get(Consent, consent.id).person_id == merged.person.id
