"""person_changes: each field an edit of a person changed, with its values before and after

Revision ID: c5d8e1f20a36
Revises: 28e5dc15560e
Create Date: 2026-12-08 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crossroads.db.base import UTCDateTime

revision: str = 'c5d8e1f20a36'
down_revision: str | None = '28e5dc15560e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["changed_by"], ["users.id"], name=op.f("fk_person_changes_changed_by_users")),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_person_changes_person_id_people"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_changes")),
    )
    op.create_index(op.f("ix_person_changes_person_id"), "person_changes", ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_person_changes_person_id"), table_name="person_changes")
    op.drop_table("person_changes")
