"""Join the service directory and the notification outbox, written side by side from the audit tree

Revision ID: 5d0c7e2a9b61
Revises: 3b4f49e4186f, 9a482f001317
Create Date: 2026-12-09 13:00:00
"""

from collections.abc import Sequence

revision: str = '5d0c7e2a9b61'
down_revision: str | Sequence[str] | None = ('3b4f49e4186f', '9a482f001317')
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
