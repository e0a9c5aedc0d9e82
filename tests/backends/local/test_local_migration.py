"""Later revisions (private entity values, catalogue versions) upgrade a 0001 database in place."""

from alembic import command
from sqlalchemy import inspect

from occi_server.backends.local import LocalBackend, default_offer
from occi_server.db.engine import make_engine
from occi_server.db.migrate import alembic_config, current_revision, head_revision, upgrade

from .conftest import A, compute, new_entity


def test_a_0001_database_is_upgraded_and_keeps_its_computes(empty_database_url: str) -> None:
    url = empty_database_url
    engine = make_engine(url)
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.commit()
    assert "entity_private" not in inspect(engine).get_table_names()
    engine.dispose()
    upgrade(url)
    assert current_revision(url) == head_revision()
    inspected = make_engine(url)
    assert "catalogue_versions" in inspect(inspected).get_table_names()
    inspected.dispose()
    engine = make_engine(url)
    try:
        backend = LocalBackend(engine, default_offer())
        with backend.open(A) as s:
            vm = new_entity(s, compute(**{"org.openstack.credentials.admin_pwd": "pw"}))
        with backend.open(A) as s:
            assert s.get_entity(vm.location).id == vm.id
    finally:
        engine.dispose()
