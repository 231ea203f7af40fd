from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from crossroads.db.migrate import alembic_config, include_object
from crossroads.models import metadata


class TestMigrations:
    # Programme-field indexes are expressions SQLite reflection skips; include_object leaves them out anyway.
    @pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index ix_casefield_")
    def test_models_and_migrations_agree(self, engine):
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                             "include_object": include_object})
            assert compare_metadata(context, metadata) == []

    def test_one_head(self):
        assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
