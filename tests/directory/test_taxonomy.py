from __future__ import annotations

from sqlalchemy import select

from crossroads.directory.models import TaxonomyTerm
from crossroads.directory.taxonomy import NEEDS, TAXONOMY_ID


def test_the_migration_ships_exactly_these_categories(db):
    terms = {t.id: t for t in db.scalars(select(TaxonomyTerm).where(TaxonomyTerm.taxonomy_id == TAXONOMY_ID))}
    assert {(t.id, t.code, t.name, t.record["description"]) for t in terms.values()} == \
        {(n.term_id, n.code, n.label, n.description) for n in NEEDS}


def test_codes_are_stable_ids():
    assert [n.term_id for n in NEEDS][:2] == ["97b08d69-8166-5ab3-829e-0b9d3350e935",
                                             "ffea9848-5949-52d0-b7d0-e9eb33b0a828"]
