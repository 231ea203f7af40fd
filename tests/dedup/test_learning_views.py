"""The pages of learning from reviewers: the teaching order, the versions, the comparison, activation."""

from __future__ import annotations

from sqlalchemy import select

from crossroads.dedup.models import CandidateStatus, MatchCandidate, MatchModelVersion
from tests.dedup.test_learning import decided_pairs
from tests.factories import dedup as df
from tests.helpers import csrf, login


def as_user(client, world, key: str):
    login(client, world.users[key].email)
    return client


class TestTeachingOrderPage:
    def test_deciding_from_the_teaching_order_comes_back_to_it(self, client, world, db, cw):
        pair = df.pair(db, df.person(db, cw, df.ORIGINAL), df.person(db, cw, df.VARIANT))
        ui = as_user(client, world, "supervisor_a")
        queue = ui.get("/dedup/review?order=teaching")
        assert queue.status_code == 200 and f'href="/dedup/review/{pair.id}?order=teaching"' in queue.text
        page = ui.get(f"/dedup/review/{pair.id}?order=teaching")
        assert 'name="order" value="teaching"' in page.text
        response = ui.post(f"/dedup/review/{pair.id}/confirm", data={"csrf_token": csrf(page.text),
                                                                     "order": "teaching"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/dedup/review?order=teaching"
        decided = db.scalar(select(MatchCandidate).where(MatchCandidate.id == pair.id)
                            .execution_options(populate_existing=True))
        assert decided.status == CandidateStatus.CONFIRMED and decided.decided_gamma


class TestModelPages:
    def test_a_supervisor_learns_compares_and_activates(self, client, world, db, cw, sup, model):
        decided_pairs(db, cw, sup, 6)
        ui = as_user(client, world, "supervisor_a")
        listing = ui.get("/dedup/models")
        assert listing.status_code == 200 and model.version in listing.text
        learnt = ui.post("/dedup/models", data={"csrf_token": csrf(listing.text)}, follow_redirects=False)
        assert learnt.status_code == 303
        page = ui.get(learnt.headers["location"])
        assert page.status_code == 200 and 'id="comparison"' in page.text and "Activate this version" in page.text
        version = learnt.headers["location"].rsplit("/", 1)[1]
        activated = ui.post(f"/dedup/models/{version}/activate", data={"csrf_token": csrf(page.text)},
                            follow_redirects=False)
        assert activated.status_code == 303
        assert db.scalar(select(MatchModelVersion.version).where(MatchModelVersion.active)
                         .execution_options(populate_existing=True)) == version

    def test_learning_without_decisions_shows_why(self, client, world):
        ui = as_user(client, world, "supervisor_a")
        listing = ui.get("/dedup/models")
        response = ui.post("/dedup/models", data={"csrf_token": csrf(listing.text)})
        assert response.status_code == 409 and "no decided pairs to learn from yet" in response.text

    def test_an_administrator_sees_the_versions_but_cannot_learn(self, client, world):
        ui = as_user(client, world, "admin")
        listing = ui.get("/dedup/models")
        assert listing.status_code == 200 and "Learn a new version" not in listing.text
        assert ui.post("/dedup/models", data={"csrf_token": csrf(listing.text)}).status_code == 403

    def test_a_caseworker_is_refused(self, client, world):
        ui = as_user(client, world, "caseworker_a")
        assert ui.get("/dedup/models").status_code == 403
        assert ui.get("/dedup/review?order=teaching").status_code == 403
