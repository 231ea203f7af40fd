"""case_services becomes case_assistance: "service" is kept for the service directory

Revision ID: e7c1a9d40b12
Revises: b4e2d3d0e002
Create Date: 2026-12-06 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'e7c1a9d40b12'
down_revision: str | None = 'b4e2d3d0e002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Constraint names follow the naming convention of crossroads.db.base, which derives them from the table.
_CONSTRAINTS = ["pk_{}", "fk_{}_case_id_cases", "fk_{}_delivered_by_users"]


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    # SQLite keeps constraint names inside the table's DDL, where nothing looks them up by name.
    if op.get_bind().dialect.name == "postgresql":
        for pattern in _CONSTRAINTS:
            op.execute(f'ALTER TABLE {new} RENAME CONSTRAINT "{pattern.format(old)}" TO "{pattern.format(new)}"')
        op.execute(f'ALTER INDEX "ix_{old}_case_id" RENAME TO "ix_{new}_case_id"')
    else:
        op.drop_index(f"ix_{old}_case_id", table_name=new)
        op.create_index(f"ix_{new}_case_id", new, ["case_id"])


def upgrade() -> None:
    _rename("case_services", "case_assistance")


def downgrade() -> None:
    _rename("case_assistance", "case_services")
