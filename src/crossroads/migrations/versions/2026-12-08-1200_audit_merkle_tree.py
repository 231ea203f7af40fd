"""The audit trail becomes append-only and sealed into a Merkle tree: leaf hashes, tree nodes, signed heads

Existing events keep their order and positions (`seq`) and become the tree's first leaves; their leaf hashes
and the tree's nodes are computed here. The hash chain they carried is checked first: a trail broken before
the upgrade would otherwise be signed as it is by the first seal, and its break could no longer be found.
Set CROSSROADS_AUDIT_ACCEPT_BROKEN_CHAIN=1 to convert a broken trail all the same, after investigating it.

Triggers refuse UPDATE and DELETE on the three tables (and TRUNCATE on PostgreSQL), except the sealer's update
that gives an unsealed event its position and changes nothing else. On SQLite a later batch migration that
rebuilds `audit_events` drops its triggers with the old table and must create them again.

The hashing below is a frozen copy: a migration must not change when the code does.

Revision ID: a3f9c2d18b47
Revises: e7c1a9d40b12
Create Date: 2026-12-08 12:00:00
"""

import hashlib
import json
import os
from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
from alembic import op

from crossroads.db.base import UTCDateTime

revision: str = 'a3f9c2d18b47'
down_revision: str | None = 'e7c1a9d40b12'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5_000
_GENESIS = "0" * 64
_CONTENT = ("occurred_at", "actor_id", "actor_role", "action", "entity_type", "entity_id", "office_id", "details")
_COLUMNS = ("id", *_CONTENT, "leaf_hash")

_events = sa.table(
    "audit_events",
    sa.column("id", sa.BigInteger()),
    sa.column("seq", sa.BigInteger()),
    sa.column("occurred_at", UTCDateTime()),
    sa.column("actor_id", sa.Uuid()),
    sa.column("actor_role", sa.String()),
    sa.column("action", sa.String()),
    sa.column("entity_type", sa.String()),
    sa.column("entity_id", sa.String()),
    sa.column("office_id", sa.Uuid()),
    sa.column("details", sa.JSON()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
    sa.column("leaf_hash", sa.String()),
)
_nodes = sa.table("audit_tree_nodes", sa.column("level", sa.SmallInteger()), sa.column("idx", sa.BigInteger()),
                  sa.column("hash", sa.String()))


def _content(row) -> dict:
    return {
        "occurred_at": row.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": str(row.actor_id) if row.actor_id else None,
        "actor_role": row.actor_role,
        "action": row.action,
        "entity_type": row.entity_type,
        "entity_id": row.entity_id,
        "office_id": str(row.office_id) if row.office_id else None,
        "details": row.details,
    }


def _encode(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _leaf_hash(row) -> str:
    # RFC 9162 leaf hash of the event's content (audit/leaves.py at this revision).
    return hashlib.sha256(b"\x00" + _encode(_content(row))).hexdigest()


def _chain_hash(row, seq: int, prev_hash: str) -> str:
    # The hash chain of the revisions before this one (audit/chain.py there).
    return hashlib.sha256(_encode({**_content(row), "seq": seq, "prev_hash": prev_hash})).hexdigest()


def _pages(bind, where, order):
    """The events in `order`, a page at a time, so that no cursor stays open while the pages are written."""
    last = None
    while True:
        query = sa.select(_events).where(where).order_by(order).limit(_BATCH)
        if last is not None:
            query = query.where(order > last)
        rows = bind.execute(query).all()
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], order.key)


def _convert(bind) -> None:
    """Check the chain, then give every event its leaf hash and its tree position, and store the tree's nodes."""
    check = os.environ.get("CROSSROADS_AUDIT_ACCEPT_BROKEN_CHAIN") != "1"
    position, prev = 0, _GENESIS
    frontier: list[bytes] = []
    for rows in _pages(bind, sa.true(), _events.c.seq):
        updates, nodes = [], []
        for row in rows:
            position += 1
            if check:
                if row.seq != position:
                    raise RuntimeError(f"the audit chain is broken: event {position} is missing (next found is "
                                       f"{row.seq}). Investigate it with `crossroads audit verify` of the previous "
                                       "version, or set CROSSROADS_AUDIT_ACCEPT_BROKEN_CHAIN=1 to convert it as is")
                if row.prev_hash != prev or _chain_hash(row, row.seq, row.prev_hash) != row.hash:
                    raise RuntimeError(f"the audit chain is broken at event {row.seq}: it was altered. Investigate it "
                                       "with `crossroads audit verify` of the previous version, or set "
                                       "CROSSROADS_AUDIT_ACCEPT_BROKEN_CHAIN=1 to convert it as is")
                prev = row.hash
            leaf = _leaf_hash(row)
            # Positions close up any gap a broken chain left: the tree has no holes.
            updates.append({"event_id": row.id, "position": position, "leaf": leaf})
            digest, index, level = bytes.fromhex(leaf), position - 1, 0
            frontier.append(digest)
            while index & 1:
                right, left = frontier.pop(), frontier.pop()
                digest = hashlib.sha256(b"\x01" + left + right).digest()
                frontier.append(digest)
                level, index = level + 1, index >> 1
                nodes.append({"level": level, "idx": index, "hash": digest.hex()})
        bind.execute(_events.update().where(_events.c.id == sa.bindparam("event_id"))
                     .values(seq=sa.bindparam("position"), leaf_hash=sa.bindparam("leaf")), updates)
        if nodes:
            bind.execute(_nodes.insert(), nodes)


_TABLES = ("audit_events", "audit_tree_nodes", "audit_tree_heads")

_PG_FUNCTION = """
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'audit_events' THEN
        -- The sealer's update: an unsealed event gets its position, and nothing else changes.
        IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND (to_jsonb(NEW) - 'seq') = (to_jsonb(OLD) - 'seq') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only: % of % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def _sqlite_triggers() -> list[str]:
    unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _COLUMNS)
    statements = [
        "CREATE TRIGGER audit_events_append_only_update BEFORE UPDATE ON audit_events "
        f"WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {unchanged}) "
        "BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE of audit_events refused'); END",
    ]
    for table in _TABLES:
        if table != "audit_events":
            statements.append(
                f"CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE of {table} refused'); END")
        statements.append(
            f"CREATE TRIGGER {table}_append_only_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE of {table} refused'); END")
    return statements


def _create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        for table in _TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)


def _drop_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        for table in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
    else:
        for table in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only_delete")


_UNSEALED = sa.text("seq IS NULL")


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table('audit_tree_nodes',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_audit_tree_nodes'))
    )
    op.create_table('audit_tree_heads',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('timestamp', sa.BigInteger(), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=88), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_tree_heads')),
    sa.UniqueConstraint('tree_size', name=op.f('uq_audit_tree_heads_tree_size'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leaf_hash', sa.String(length=64), nullable=True))
    _convert(bind)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('leaf_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=True)
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('hash')
        batch_op.create_index('ix_audit_events_unsealed', ['id'], unique=False, sqlite_where=_UNSEALED,
                              postgresql_where=_UNSEALED)
    _create_triggers(bind.dialect.name)


def downgrade() -> None:
    """Back to the hash chain, in tree order, unsealed events last by id. The signed heads are dropped."""
    bind = op.get_bind()
    _drop_triggers(bind.dialect.name)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    size = bind.execute(sa.select(sa.func.max(_events.c.seq))).scalar() or 0
    for rows in _pages(bind, _events.c.seq.is_(None), _events.c.id):
        updates = [{"event_id": row.id, "position": size + i} for i, row in enumerate(rows, 1)]
        size += len(rows)
        bind.execute(_events.update().where(_events.c.id == sa.bindparam("event_id"))
                     .values(seq=sa.bindparam("position")), updates)
    prev = _GENESIS
    for rows in _pages(bind, sa.true(), _events.c.seq):
        updates = []
        for row in rows:
            digest = _chain_hash(row, row.seq, prev)
            updates.append({"event_id": row.id, "prev": prev, "digest": digest})
            prev = digest
        bind.execute(_events.update().where(_events.c.id == sa.bindparam("event_id"))
                     .values(prev_hash=sa.bindparam("prev"), hash=sa.bindparam("digest")), updates)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_unsealed', sqlite_where=_UNSEALED, postgresql_where=_UNSEALED)
        batch_op.alter_column('seq', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column('leaf_hash')
    op.drop_table('audit_tree_heads')
    op.drop_table('audit_tree_nodes')
