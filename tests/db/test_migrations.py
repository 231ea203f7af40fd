from __future__ import annotations

import ast
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from crossroads.db.migrate import alembic_config, include_object
from crossroads.schema import metadata


class TestMigrations:
    # Programme-field indexes are expressions SQLite reflection skips; include_object leaves them out anyway.
    @pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index ix_casefield_")
    def test_models_and_migrations_agree(self, engine):
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                             "include_object": include_object})
            assert compare_metadata(context, metadata) == []

    def test_versions_import_no_live_code_but_the_column_types(self):
        # What a migration writes must not change when the code does: data it seeds is frozen inside it.
        versions = Path(ScriptDirectory.from_config(alembic_config()).versions)
        imported = {
            (path.name, node.module if isinstance(node, ast.ImportFrom) else alias.name)
            for path in versions.glob("*.py")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        live = {(name, module) for name, module in imported
                if module and module.startswith("crossroads") and module != "crossroads.db.base"}
        assert len({name for name, _ in imported}) >= 7
        assert live == set()

    def test_one_head(self):
        assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1
