"""Learning from reviewers: a decided pair keeps its comparison vector; model versions keep their lineage

Revision ID: f7c3d9a1b5e2
Revises: a7d3c9e1f5b2
Create Date: 2026-12-11 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crossroads.db.base

revision: str = 'f7c3d9a1b5e2'
down_revision: str | None = 'a7d3c9e1f5b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('match_candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_gamma', sa.JSON(), nullable=True))

    with op.batch_alter_table('match_models', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_version', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('labels', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_by', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('activated_at', crossroads.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replaced_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_match_models_created_by_users'), 'users', ['created_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_match_models_replaced_id_match_models'), 'match_models',
                                    ['replaced_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('match_models', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_match_models_replaced_id_match_models'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_match_models_created_by_users'), type_='foreignkey')
        batch_op.drop_column('replaced_id')
        batch_op.drop_column('activated_at')
        batch_op.drop_column('created_by')
        batch_op.drop_column('labels')
        batch_op.drop_column('parent_version')

    with op.batch_alter_table('match_candidates', schema=None) as batch_op:
        batch_op.drop_column('decided_gamma')
