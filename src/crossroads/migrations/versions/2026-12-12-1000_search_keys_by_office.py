"""person search keys by office: a key row for each office that may see the person

The people search looked a key up across the whole registry and checked the user's scope on each person it met,
so a common name in a large registry read thousands of rows to find the few the user may see. Each key is now
stored once for each of the person's offices (where they were registered and where they have a case), and a
lookup reads the user's offices only. Merged records keep no keys. The rows are copied from the existing keys;
nothing needs recomputing.

Revision ID: 3e9a5c7d1b24
Revises: 7c31d9e0a4b2
Create Date: 2026-12-12 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3e9a5c7d1b24'
down_revision: str | None = '7c31d9e0a4b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute('CREATE TABLE person_search_keys_previous AS SELECT person_id, key FROM person_search_keys')
    op.drop_table('person_search_keys')
    op.create_table('person_search_keys',
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('office_id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_person_search_keys_office_id_offices'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_search_keys_person_id_people'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', 'office_id', 'person_id', name=op.f('pk_person_search_keys'))
    )
    with op.batch_alter_table('person_search_keys', schema=None) as batch_op:
        batch_op.create_index('ix_person_search_keys_person_id', ['person_id'], unique=False)
    # The offices of each unmerged person: the access policy's people_scope, stored.
    op.execute('''
        INSERT INTO person_search_keys (key, office_id, person_id)
        SELECT DISTINCT k.key, o.office_id, k.person_id
        FROM person_search_keys_previous k
        JOIN (SELECT id AS person_id, office_id FROM people WHERE merged_into_id IS NULL
              UNION
              SELECT c.person_id, c.office_id FROM cases c JOIN people p ON p.id = c.person_id
              WHERE p.merged_into_id IS NULL) o ON o.person_id = k.person_id
    ''')
    op.drop_table('person_search_keys_previous')


def downgrade() -> None:
    op.execute('CREATE TABLE person_search_keys_previous AS SELECT DISTINCT person_id, key FROM person_search_keys')
    op.drop_table('person_search_keys')
    op.create_table('person_search_keys',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_person_search_keys_person_id_people'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'key', name=op.f('pk_person_search_keys'))
    )
    with op.batch_alter_table('person_search_keys', schema=None) as batch_op:
        batch_op.create_index('ix_person_search_keys_key', ['key', 'person_id'], unique=False)
    op.execute('INSERT INTO person_search_keys (person_id, key) SELECT person_id, key FROM person_search_keys_previous')
    op.drop_table('person_search_keys_previous')
