"""Referrals remember when their overdue notice was queued; registry-wide dedup jobs keep a checkpoint

Revision ID: 7c31d9e0a4b2
Revises: f7c3d9a1b5e2
Create Date: 2026-12-11 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossroads.db.base

revision: str = '7c31d9e0a4b2'
down_revision: str | None = 'f7c3d9a1b5e2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overdue_notified_at', crossroads.db.base.UTCDateTime(timezone=True),
                                      nullable=True))
    op.create_table('dedup_batch_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('high_water', sa.Uuid(), nullable=True),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('started_at', crossroads.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', crossroads.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', crossroads.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dedup_batch_jobs'))
    )
    with op.batch_alter_table('dedup_batch_jobs', schema=None) as batch_op:
        batch_op.create_index('ux_dedup_batch_jobs_unfinished', ['kind'], unique=True,
                              sqlite_where=sa.text('finished_at IS NULL'),
                              postgresql_where=sa.text('finished_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('dedup_batch_jobs', schema=None) as batch_op:
        batch_op.drop_index('ux_dedup_batch_jobs_unfinished', sqlite_where=sa.text('finished_at IS NULL'),
                            postgresql_where=sa.text('finished_at IS NULL'))
    op.drop_table('dedup_batch_jobs')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_column('overdue_notified_at')
