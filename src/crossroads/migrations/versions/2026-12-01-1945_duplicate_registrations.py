"""duplicate registrations: blocking keys, match models, review queue, merges

Revision ID: b4e2d3d0e002
Revises: b5e2d15c0002
Create Date: 2026-12-01 19:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crossroads.db.base import UTCDateTime

revision: str = 'b4e2d3d0e002'
down_revision: str | None = 'b5e2d15c0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'match_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_match_models')),
        sa.UniqueConstraint('version', name=op.f('uq_match_models_version')),
    )
    op.create_table(
        'person_match_keys',
        sa.Column('person_id', sa.Uuid(), nullable=False),
        sa.Column('key', sa.String(length=64).with_variant(sa.String(length=64, collation='C'), 'postgresql'),
                  nullable=False),
        sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_match_keys_person_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('person_id', 'key', name=op.f('pk_person_match_keys')),
    )
    with op.batch_alter_table('person_match_keys', schema=None) as batch_op:
        batch_op.create_index('ix_person_match_keys_key', ['key', 'person_id'], unique=False)

    op.create_table(
        'match_candidates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('person_a_id', sa.Uuid(), nullable=False),
        sa.Column('person_b_id', sa.Uuid(), nullable=False),
        sa.Column('probability', sa.Float(), nullable=False),
        sa.Column('match_weight', sa.Float(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('model_version', sa.String(length=64), nullable=False),
        sa.Column('source', sa.Enum('online', 'batch', name='candidatesource', native_enum=False, length=20),
                  nullable=False),
        sa.Column('status', sa.Enum('open', 'confirmed', 'rejected', name='candidatestatus', native_enum=False,
                                    length=20), nullable=False),
        sa.Column('decided_by', sa.Uuid(), nullable=True),
        sa.Column('decided_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_match_candidates_decided_by_users')),
        sa.ForeignKeyConstraint(['person_a_id'], ['people.id'], name=op.f('fk_match_candidates_person_a_id_people'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['person_b_id'], ['people.id'], name=op.f('fk_match_candidates_person_b_id_people'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_match_candidates')),
        sa.UniqueConstraint('person_a_id', 'person_b_id', name=op.f('uq_match_candidates_person_a_id_person_b_id')),
    )
    with op.batch_alter_table('match_candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_candidates_person_b_id'), ['person_b_id'], unique=False)
        batch_op.create_index('ix_match_candidates_status_probability', ['status', 'probability'], unique=False)

    op.create_table(
        'person_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survivor_id', sa.Uuid(), nullable=False),
        sa.Column('merged_id', sa.Uuid(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=True),
        sa.Column('moved', sa.JSON(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=True),
        sa.Column('merged_by', sa.Uuid(), nullable=True),
        sa.Column('merged_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('unmerged_by', sa.Uuid(), nullable=True),
        sa.Column('unmerged_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['candidate_id'], ['match_candidates.id'],
                                name=op.f('fk_person_merges_candidate_id_match_candidates'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['merged_by'], ['users.id'], name=op.f('fk_person_merges_merged_by_users')),
        sa.ForeignKeyConstraint(['merged_id'], ['people.id'], name=op.f('fk_person_merges_merged_id_people')),
        sa.ForeignKeyConstraint(['survivor_id'], ['people.id'], name=op.f('fk_person_merges_survivor_id_people')),
        sa.ForeignKeyConstraint(['unmerged_by'], ['users.id'], name=op.f('fk_person_merges_unmerged_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_merges')),
    )
    with op.batch_alter_table('person_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_merges_merged_id'), ['merged_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_person_merges_survivor_id'), ['survivor_id'], unique=False)

    # A plain ADD COLUMN rather than a batch rebuild: SQLite adds a nullable column with a foreign key in
    # place, where a batch copy of a million-row people table would take minutes.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE people ADD COLUMN merged_into_id CHAR(32) "
                   "CONSTRAINT fk_people_merged_into_id_people REFERENCES people (id)")
    else:
        op.add_column('people', sa.Column('merged_into_id', sa.Uuid(), nullable=True))
        op.create_foreign_key(op.f('fk_people_merged_into_id_people'), 'people', 'people', ['merged_into_id'],
                              ['id'])


def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_people_merged_into_id_people'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')
    with op.batch_alter_table('person_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_merges_survivor_id'))
        batch_op.drop_index(batch_op.f('ix_person_merges_merged_id'))
    op.drop_table('person_merges')
    with op.batch_alter_table('match_candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_match_candidates_status_probability')
        batch_op.drop_index(batch_op.f('ix_match_candidates_person_b_id'))
    op.drop_table('match_candidates')
    with op.batch_alter_table('person_match_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_person_match_keys_key')
    op.drop_table('person_match_keys')
    op.drop_table('match_models')
