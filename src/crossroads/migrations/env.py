import warnings

from alembic import context

from crossroads.db.migrate import include_object
from crossroads.db.session import make_engine
from crossroads.schema import metadata

config = context.config


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )


# SQLite batch migrations reflect tables; the expression indexes on programme fields cannot be reflected,
# and crossroads.schema.upgrade_database re-creates them after every upgrade.
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index ix_casefield_")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from crossroads.config import get_settings

        url = get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Crossroads migrations run online only: `crossroads db upgrade`")
run_migrations_online()
