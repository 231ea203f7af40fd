"""`crossroads webhooks`, `crossroads outbox` and `crossroads worker --once` on a copy of the demo database."""

from __future__ import annotations

import re

from sqlalchemy import select

from crossroads.auth.models import Organisation
from crossroads.db.session import make_engine, unit_of_work
from crossroads.notify import service
from crossroads.notify.models import OutboxMessage, OutboxState
from tests.conftest import TEST_SECRET
from tests.helpers import run_cli

PARTNER = "Safe Harbour Shelter Network"


def environment(seeded) -> tuple[dict[str, str], str]:
    env, path = seeded
    # The receiver of the tests listens on plain HTTP, on the loopback interface.
    return {**env, "CROSSROADS_SECRET_KEY": TEST_SECRET, "CROSSROADS_WEBHOOK_ALLOW_HTTP": "true",
            "CROSSROADS_BASE_URL": "https://crossroads.example", "COLUMNS": "250"}, f"sqlite:///{path}"


def queue(url: str, n: int = 1) -> list[int]:
    engine = make_engine(url)
    try:
        with unit_of_work(engine) as session:
            org = session.scalar(select(Organisation.id).where(Organisation.name == PARTNER))
            return [r.id for i in range(n) for r in service.enqueue_webhook(
                session, organisation_id=org, event="referral.received", reference=f"REF-2026-{i + 1:06d}",
                path=f"/referrals/{i + 1}")]
    finally:
        engine.dispose()


def state(url: str, outbox_id: int) -> OutboxState:
    engine = make_engine(url)
    try:
        with unit_of_work(engine, read_only=True) as session:
            return session.get(OutboxMessage, outbox_id).state
    finally:
        engine.dispose()


class TestWebhooks:
    def test_create_then_the_worker_delivers_signed_events(self, seeded, receiver):
        env, url = environment(seeded)
        created = run_cli(["webhooks", "create", "--organisation", PARTNER, "--url", receiver.url], env)
        assert created.returncode == 0, created.stderr
        receiver.secret = re.search(r"whsec_\S+", created.stdout).group(0)
        listed = run_cli(["webhooks", "list"], env)
        assert PARTNER in listed.stdout and "yes" in listed.stdout and receiver.secret not in listed.stdout
        [outbox_id] = queue(url)
        worked = run_cli(["worker", "--once"], env)
        assert worked.returncode == 0, worked.stderr
        assert "1 sent, 0 to retry, 0 dead" in worked.stdout
        assert [(d.verified, d.payload["data"]) for d in receiver.deliveries] == [
            (True, {"reference": "REF-2026-000001", "url": "https://crossroads.example/referrals/1"})]
        assert state(url, outbox_id) == OutboxState.SENT

    def test_a_dead_message_is_listed_and_retried(self, seeded, receiver):
        env, url = environment(seeded)
        receiver.statuses = [500]
        created = run_cli(["webhooks", "create", "--organisation", PARTNER, "--url", receiver.url], env)
        receiver.secret = re.search(r"whsec_\S+", created.stdout).group(0)
        [outbox_id] = queue(url)
        assert "0 sent, 0 to retry, 1 dead" in run_cli(["worker", "--once"], {**env,
                                                        "CROSSROADS_NOTIFY_MAX_ATTEMPTS": "1"}).stdout
        listed = run_cli(["outbox", "list", "--state", "dead"], env)
        assert "HTTP 500" in listed.stdout and "referral.received" in listed.stdout
        assert run_cli(["outbox", "retry", str(outbox_id)], env).returncode == 0
        assert state(url, outbox_id) == OutboxState.PENDING
        again = run_cli(["outbox", "retry", str(outbox_id)], env)
        assert again.returncode == 2 and "only a dead message can be retried" in again.stderr

    def test_bad_input_exits_2_naming_the_option(self, seeded):
        env, _ = environment(seeded)
        bad = run_cli(["webhooks", "create", "--organisation", PARTNER, "--url", "ftp://p.example/"], env)
        assert bad.returncode == 2 and "--url" in bad.stderr
        unknown = run_cli(["webhooks", "create", "--organisation", "Nobody", "--url", "https://p.example/"], env)
        assert unknown.returncode == 2 and "--organisation" in unknown.stderr
        plain = run_cli(["webhooks", "create", "--organisation", PARTNER, "--url", "http://p.example/"],
                        {**env, "CROSSROADS_WEBHOOK_ALLOW_HTTP": "false"})
        assert plain.returncode == 2 and "HTTPS only" in plain.stderr
        assert run_cli(["webhooks", "update", "--id", "nope", "--deactivate"], env).returncode == 2


class TestWorker:
    def test_production_refuses_email_without_a_sender(self, seeded):
        env, _ = environment(seeded)
        refused = run_cli(["worker", "--once"], {**env, "CROSSROADS_SMTP_HOST": "127.0.0.1"})
        assert refused.returncode == 1 and "CROSSROADS_MAIL_FROM" in refused.stderr

    def test_refuses_to_start_without_the_secret_key(self, seeded):
        env, _ = environment(seeded)
        refused = run_cli(["worker", "--once"], {**env, "CROSSROADS_SECRET_KEY": ""})
        assert refused.returncode == 1 and "CROSSROADS_SECRET_KEY" in refused.stderr
