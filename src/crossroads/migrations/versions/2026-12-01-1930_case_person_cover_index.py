"""case person index covering the list sorts

Revision ID: c3f1a2b4c5d6
Revises: d81d1ea1d7ba
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'c3f1a2b4c5d6'
down_revision: str | None = 'd81d1ea1d7ba'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_person_id')
        batch_op.create_index('ix_cases_person_cover', ['person_id'], unique=False,
                              postgresql_include=['opened_at', 'last_activity_at', 'office_id', 'id'])


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_person_cover')
        batch_op.create_index('ix_cases_person_id', ['person_id'], unique=False)
