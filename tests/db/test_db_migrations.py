from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from occi_server.db.engine import make_engine
from occi_server.db.migrate import current_revision, head_revision, upgrade
from occi_server.db.tables import metadata


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/nested/dir/occi.sqlite"


def test_upgrade_creates_a_missing_database_and_its_directory(tmp_path: Path) -> None:
    upgrade(_url(tmp_path))
    assert (tmp_path / "nested" / "dir" / "occi.sqlite").exists()
    assert current_revision(_url(tmp_path)) == head_revision() is not None


def test_a_fresh_database_has_no_revision(tmp_path: Path) -> None:
    assert current_revision(_url(tmp_path)) is None


def test_upgrade_is_idempotent(tmp_path: Path) -> None:
    upgrade(_url(tmp_path))
    upgrade(_url(tmp_path))
    assert current_revision(_url(tmp_path)) == head_revision()


def test_migrated_schema_is_identical_to_the_metadata(empty_database_url: str) -> None:
    """On the suite's database: SQLite, or PostgreSQL under OCCI_TEST_DATABASE."""
    upgrade(empty_database_url)
    upgrade(empty_database_url)  # idempotent there too
    assert current_revision(empty_database_url) == head_revision()
    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert set(metadata.tables) <= tables


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(_url(tmp_path))
    try:
        with engine.connect() as connection:
            pragma = connection.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA busy_timeout").scalar() > 0
            assert pragma("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        engine.dispose()
