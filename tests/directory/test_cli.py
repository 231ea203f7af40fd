"""`crossroads directory import | export` as an administrator runs them, against a database of the module's own."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crossroads.audit.models import AuditEvent
from crossroads.directory import hsds
from crossroads.directory.models import DirectoryLocation, DirectoryService
from tests.factories import directory as df
from tests.helpers import run_cli


@pytest.fixture(scope="module")
def env(scratch_engine):
    return {"CROSSROADS_DATABASE_URL": scratch_engine.url.render_as_string(hide_password=False)}


def count(engine, model) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_malformed_file_is_refused_whole_naming_the_record_and_field(scratch_engine, env, tmp_path):
    data = df.services()
    data[0]["service_at_locations"][0]["location"].update(latitude=100, longitude=101)
    path = df.write_json(tmp_path, data, "broken.json")
    result = run_cli(["directory", "import", str(path)], env)
    assert result.returncode == 1
    assert f"{path}: location loc-tunis, field latitude: must be between -90 and 90" in result.stderr
    assert "nothing imported" in result.stderr
    assert count(scratch_engine, DirectoryService) == 0


def test_skip_invalid_imports_the_rest_and_reports_what_it_left_out(scratch_engine, env, tmp_path):
    data = df.services()
    data[2]["attributes"][0]["taxonomy_term_id"] = "no-such-term"
    path = df.write_json(tmp_path, data, "partly.json")
    result = run_cli(["directory", "import", "--skip-invalid", str(path)], env)
    assert result.returncode == 0, result.stderr
    assert "Left out" in result.stderr
    assert f"{path}: attribute att-health-agadez, field taxonomy_term_id: is an unknown taxonomy term" \
        in result.stderr
    assert count(scratch_engine, DirectoryService) == 4


def test_import_export_round_trip_and_reimport_is_idempotent(scratch_engine, env, tmp_path):
    path = df.write_json(tmp_path, df.services())
    records = hsds.read_json(df.services(), "x")[0].count()
    for _ in range(2):
        result = run_cli(["directory", "import", str(path)], env)
        assert result.returncode == 0, result.stderr
        assert "Imported" in result.stdout
        # The progress bar counts every record written.
        assert "Importing" in result.stderr and f"{records}/{records}" in result.stderr
    assert count(scratch_engine, DirectoryLocation) == 3
    out = tmp_path / "out.json"
    assert run_cli(["directory", "export", str(out)], env).returncode == 0
    exported, problems = hsds.read_path(out)
    original, _ = hsds.read_json(df.services(), "x")
    assert problems == []
    for kind in ("service", "location", "schedule", "attribute"):
        assert exported.records[kind] == original.records[kind]
    result = run_cli(["directory", "export", str(tmp_path / "out.zip")], env)
    assert result.returncode == 0
    again = run_cli(["directory", "import", str(tmp_path / "out.zip")], env)
    assert again.returncode == 0, again.stderr
    assert count(scratch_engine, DirectoryService) == 4
    with Session(scratch_engine) as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("directory.%"))).all()
    assert actions.count("directory.export") == 2


@pytest.mark.parametrize(("content", "code", "message"), [
    ("{not json", 1, "not valid JSON"),
    (None, 2, "no such file"),
])
def test_unreadable_files(env, tmp_path, content, code, message):
    path = tmp_path / "f.json"
    if content is not None:
        path.write_text(content)
    result = run_cli(["directory", "import", str(path)], env)
    assert result.returncode == code
    assert message in result.stderr

