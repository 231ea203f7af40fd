"""person search keys: hashed name skeletons for the people and case searches

The table starts empty: the keys are computed by the package's name code, which a migration may not import.
`crossroads people reindex` fills it for people registered before this version.

Revision ID: f2b8c4e61a90
Revises: 5d2e8c41f0a7
Create Date: 2026-12-09 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f2b8c4e61a90'
down_revision: str | None = '5d2e8c41f0a7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('person_search_keys',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_search_keys_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'key', name=op.f('pk_person_search_keys'))
    )
    with op.batch_alter_table('person_search_keys', schema=None) as batch_op:
        batch_op.create_index('ix_person_search_keys_key', ['key', 'person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('person_search_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_person_search_keys_key')
    op.drop_table('person_search_keys')
