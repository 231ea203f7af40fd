"""Run Alembic from inside the package, so an installed Crossroads can migrate its own database."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave out of migration checks the indexes that follow published programme configuration."""
    return not (type_ == "index" and name and name.startswith("ix_casefield_"))


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "crossroads:migrations")
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s")
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest migration (see `crossroads.schema.upgrade_database` for the whole upgrade)."""
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
