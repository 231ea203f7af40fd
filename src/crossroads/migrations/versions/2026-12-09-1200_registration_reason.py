"""Duplicate pairs keep the reason given for registering a person although the pair was shown

Revision ID: 5d2e8c41f0a7
Revises: c5d8e1f20a36
Create Date: 2026-12-09 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5d2e8c41f0a7'
down_revision: str | None = 'c5d8e1f20a36'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('match_candidates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('match_candidates', schema=None) as batch_op:
        batch_op.drop_column('registration_reason')
