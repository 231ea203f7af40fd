"""The registration replay of the cases benchmark: pgbench sending, with no application in between, the
statements one `POST /api/v1/registrations` sends (tests/bench/test_bench_cases.py keeps the two alike).

Two scripts run one after the other: the registration as the application sends it now, where each audit event
is a plain INSERT; and as it was sent while the audit trail was a hash chain, each registration taking an
advisory lock at commit to read the chain's head and link its events to it. Side by side, they show what the
lock cost, on the same server in the same run.
"""

from __future__ import annotations

from typing import Any

from bench.harness.pgbench import run_script

REPLAY_SCHEMA = "bench_replay"
_REPLAY_TABLES = ("people", "identity_documents", "person_names", "person_match_keys", "person_name_tokens",
                  "person_search_keys", "offices", "cases", "audit_events")
_REPLAY_SERIALS = (("identity_documents", "id"), ("person_names", "id"), ("audit_events", "id"))
# The statements one `POST /api/v1/registrations` sends, in order (captured from the app with SQLAlchemy's
# cursor events), with literal values of the same shape. Writes go to empty copies of the tables, with the
# same indexes, in a scratch schema; reads go to the real token and programme rows. A C client sends them
# with no application in between, so this is what the database itself allows for registrations.
_PERSON = """\\set r random(1, 9000000000000000000)
BEGIN;
SELECT users.id, users.role, users.organisation_id, users.active, auth_tokens.expires_at, user_offices.office_id \
FROM users JOIN auth_tokens ON auth_tokens.user_id = users.id LEFT OUTER JOIN user_offices \
ON user_offices.user_id = users.id WHERE auth_tokens.token_hash = md5(:r::text) AND auth_tokens.kind = 'api' \
AND auth_tokens.revoked_at IS NULL;
INSERT INTO S.people (office_id, given_name, family_name, sex, date_of_birth, date_of_birth_estimated, \
nationality, languages, phone, search_key, created_by, version, id, created_at, updated_at) \
SELECT id, 'Amina', 'Haile Gebremariam', 'female', '1991-03-04', false, 'ERI', '["ti", "ar"]', '+291712345678', \
'amina haile gebremariam amna', NULL, 1, md5(:r::text)::uuid, now(), now() FROM S.offices \
WHERE code = 'R' || (:client_id % 8);
INSERT INTO S.identity_documents (person_id, document_type, number, number_normalised, issuing_country, \
expiry_date, created_at) VALUES (md5(:r::text)::uuid, 'passport', 'P' || :r, 'P' || :r, 'ERI', NULL, now());
INSERT INTO S.person_names (person_id, name, kind) VALUES (md5(:r::text)::uuid, 'አሚና ሃይለ', 'native');
INSERT INTO S.person_name_tokens (person_id, token) VALUES (md5(:r::text)::uuid, 'amina'), \
(md5(:r::text)::uuid, 'haile'), (md5(:r::text)::uuid, 'gebremariam'), (md5(:r::text)::uuid, 'amna');
INSERT INTO S.person_search_keys (person_id, office_id, key) SELECT md5(:r::text)::uuid, offices.id, \
substr('wpxd', 1 + g % 4, 1) || ':' || substr(md5(:r::text || 's' || g), 1, 15) \
FROM generate_series(1, 19) g, S.offices WHERE offices.code = 'R' || (:client_id % 8);
"""
_MATCHING = """INSERT INTO S.person_match_keys (person_id, key) SELECT md5(:r::text)::uuid, \
substr('nmdNpy', 1 + g % 6, 1) || ':' || substr(md5(:r::text || g), 1, 15) FROM generate_series(1, 14) g;
SELECT match_models.version, match_models.id FROM match_models WHERE match_models.active \
ORDER BY match_models.id DESC LIMIT 1;
LOOKUP;
SELECT programmes.code, programmes.name, programmes.active, programmes.current_version_id, programme_versions.id, \
programme_versions.programme, programme_versions.version, programme_versions.created_at FROM programmes \
JOIN programme_versions ON programme_versions.id = programmes.current_version_id \
WHERE programmes.code = 'avrr' AND programmes.active;
UPDATE S.offices SET case_counter = case_counter + 1, updated_at = now() WHERE code = 'R' || (:client_id % 8) \
RETURNING code, case_counter;
INSERT INTO S.cases (case_number, person_id, programme, office_id, programme_version_id, state, data, flags, \
opened_at, closed_at, last_activity_at, opened_by, assigned_to, version, id, created_at, updated_at) \
SELECT 'R-' || :r, md5(:r::text)::uuid, 'avrr', office_id, NULL, 'intake', '{}', '[]', now(), NULL, now(), \
NULL, NULL, 1, md5(:r::text)::uuid, now(), now() FROM S.people WHERE id = md5(:r::text)::uuid;
"""
# Each event computes its own leaf hash in the application; two md5s stand in for it (64 hex digits).
_EVENT = """INSERT INTO S.audit_events (occurred_at, actor_id, actor_role, action, entity_type, entity_id, \
office_id, details, leaf_hash) VALUES (now(), NULL, 'caseworker', '{action}', '{entity}', md5(:r::text), NULL, \
'{details}', md5(:r::text || '{action}') || md5('{action}' || :r::text));
"""
_LOOKUP = (
    # The duplicate check after saving: the keys in one array, one capped index scan per key, as
    # dedup/service.py sends it on PostgreSQL.
    "SELECT s.person_id FROM unnest(CAST(ARRAY[" + ", ".join(  # noqa: S608 - constants
        f"'{'nmdNpy'[i % 6]}:' || substr(md5(:r::text || {i}), 1, 15)" for i in range(1, 15)
    ) + "] AS varchar[])) AS k(key) CROSS JOIN LATERAL (SELECT person_id FROM S.person_match_keys "
    "WHERE key = k.key LIMIT 200) AS s"
)


def _script(body: str) -> str:
    return body.replace("LOOKUP", _LOOKUP).replace("S.", f"{REPLAY_SCHEMA}.")


# The registration as sent now: the person's event goes with the next flush, the case's with the commit.
REPLAY_SCRIPT = _script(
    _PERSON
    + _EVENT.format(action="person.create", entity="person", details='{"fields": ["family_name", "given_name"], '
                                                                     '"aliases": 1}')
    + _MATCHING
    + _EVENT.format(action="case.open", entity="case", details='{"programme": "avrr"}')
    + "END;\n")

# The registration as it was sent while the trail was a hash chain (before the Merkle tree), for comparison:
# at commit, an advisory lock held to the end of the transaction, the chain's head, and both events linked.
_CHAIN_COMMIT = """SELECT pg_advisory_xact_lock(7446511302);
SELECT seq, hash FROM S.audit_chain ORDER BY seq DESC LIMIT 1 \\gset
INSERT INTO S.audit_chain (seq, occurred_at, actor_id, actor_role, action, entity_type, entity_id, office_id, \
details, prev_hash, hash) VALUES (:seq + 1, now(), NULL, 'caseworker', 'person.create', 'person', \
md5(:r::text), NULL, '{"fields": ["family_name", "given_name"], "aliases": 1}', \
(SELECT hash FROM S.audit_chain WHERE seq = :seq), \
md5(:r::text || 'p')), \
(:seq + 2, now(), NULL, 'caseworker', 'case.open', 'case', md5(:r::text), NULL, '{"programme": "avrr"}', \
md5(:r::text || 'p'), md5(:r::text || 'c'));
END;
"""
CHAINED_REPLAY_SCRIPT = _script(_PERSON + _MATCHING + _CHAIN_COMMIT)
# The audit table of the hash chain, as its migrations last left it.
_CHAIN_TABLE = [
    f"CREATE TABLE {REPLAY_SCHEMA}.audit_chain (id bigserial PRIMARY KEY, seq bigint NOT NULL UNIQUE, "
    "occurred_at timestamptz NOT NULL, actor_id uuid, actor_role varchar(20), action varchar(60) NOT NULL, "
    "entity_type varchar(40) NOT NULL, entity_id varchar(64), office_id uuid, details json NOT NULL, "
    "prev_hash varchar(64) NOT NULL, hash varchar(64) NOT NULL)",
    f"CREATE INDEX ON {REPLAY_SCHEMA}.audit_chain (action)",
    f"CREATE INDEX ON {REPLAY_SCHEMA}.audit_chain (actor_id)",
    f"CREATE INDEX ON {REPLAY_SCHEMA}.audit_chain (entity_type, entity_id)",
    # A head for the chain to extend.
    f"INSERT INTO {REPLAY_SCHEMA}.audit_chain (seq, occurred_at, actor_role, action, entity_type, details, "  # noqa: S608
    "prev_hash, hash) VALUES (0, now(), 'system', 'bench.replay', 'bench', '{}', '', 'genesis')",
]


def run_pgbench_registration_replay(database_url: str, clients: int, seconds: float) -> dict[str, Any]:
    """pgbench replaying a registration's statements: the database's own ceiling for registrations, with the
    audit trail as it is (append, then seal) and as it was (a chain behind one lock)."""
    setup = [f"CREATE SCHEMA {REPLAY_SCHEMA}"]
    setup += [f"CREATE TABLE {REPLAY_SCHEMA}.{t} (LIKE public.{t} INCLUDING ALL EXCLUDING DEFAULTS)"
              for t in _REPLAY_TABLES]
    for table, column in _REPLAY_SERIALS:
        setup += [f"CREATE SEQUENCE {REPLAY_SCHEMA}.{table}_{column}_seq",
                  f"ALTER TABLE {REPLAY_SCHEMA}.{table} ALTER COLUMN {column} "
                  f"SET DEFAULT nextval('{REPLAY_SCHEMA}.{table}_{column}_seq')"]
    # Eight offices, one per client as in the registration run.
    setup += [f"INSERT INTO {REPLAY_SCHEMA}.offices (organisation_id, code, name, city, country, active, "  # noqa: S608
              "case_counter, id, created_at, updated_at) SELECT organisation_id, 'R' || g, name, city, country, "
              "true, 0, gen_random_uuid(), now(), now() FROM (SELECT * FROM offices LIMIT 1) o, "
              "generate_series(0, 7) g"]
    setup += _CHAIN_TABLE
    teardown = [f"DROP SCHEMA IF EXISTS {REPLAY_SCHEMA} CASCADE"]
    tps, _ = run_script(database_url, clients, seconds, REPLAY_SCRIPT, setup=setup, teardown=teardown)
    chained, _ = run_script(database_url, clients, seconds, CHAINED_REPLAY_SCRIPT, setup=setup, teardown=teardown)
    return {"pgbench_registration_replay_per_s": round(tps, 1),
            "pgbench_registration_replay_chained_per_s": round(chained, 1),
            "replay_vs_chained": round(tps / chained, 3) if chained else None}
