"""Locks only the loader can take: an analyst login can neither take the loader's locks nor delay a run beyond
``EA_PG_LOCK_TIMEOUT``, and the run names the session that held it up (local PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ea_pipelines.warehouse import locks
from ea_pipelines.warehouse.db import Warehouse, WarehouseLocked
from ea_pipelines_tests.warehouse.test_access import SECRET, connect_as, pg, rebuild_marts, roles, run_cli

pytestmark = pytest.mark.postgres
__all__ = ["pg", "roles"]  # fixtures used by name


@pytest.fixture
def analyst(pg: Warehouse, roles, monkeypatch: pytest.MonkeyPatch) -> tuple[sa.Engine, str]:
    group, user = roles("analyst"), roles("carla")
    monkeypatch.setenv("EA_ANALYST_PASSWORD", SECRET)
    assert run_cli("--role", group, "--login-user", user) == 0
    engine = connect_as(pg, user)
    yield engine, user
    engine.dispose()


def test_an_analyst_cannot_take_the_loaders_locks(pg: Warehouse, analyst) -> None:
    engine, _ = analyst
    with pg.engine.begin() as conn:
        locks.hold(conn, "sqlmodels")  # the row exists once the loader has used the lock
    with engine.connect() as conn, pytest.raises(sa.exc.ProgrammingError) as err:
        conn.execute(sa.text("SELECT name FROM meta.lock WHERE name = 'sqlmodels' FOR UPDATE"))
    assert err.value.orig.sqlstate == "42501"  # insufficient privilege (no USAGE on meta)
    # the advisory lock the loader used to take is free to anyone; holding it no longer stalls a build
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(hashtext('ea_pipelines:sqlmodels'))"))
        rebuild_marts(pg)
        conn.execute(sa.text("SELECT pg_advisory_unlock_all()"))
    with pg.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren")).scalar() > 0


def test_a_query_holding_a_mart_delays_a_run_by_at_most_the_lock_timeout_and_is_named(pg: Warehouse,
                                                                                      analyst) -> None:
    engine, user = analyst
    rebuild_marts(pg)
    with pg.engine.connect() as conn:
        before = conn.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren")).scalar()
    impatient = Warehouse(pg.url, pg_lock_timeout=1)
    with engine.connect() as held:  # an open transaction that has read the mart keeps its lock until it ends
        held.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren"))
        with pytest.raises(WarehouseLocked) as err:
            rebuild_marts(impatient)
        held.rollback()
    message = str(err.value)
    assert "waited 1 s (EA_PG_LOCK_TIMEOUT)" in message
    assert f"user {user}" in message and "marts.kernindicatoren (AccessShareLock)" in message
    impatient.dispose()
    with pg.engine.connect() as conn:  # the published mart is untouched, and the next build goes through
        assert conn.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren")).scalar() == before
    rebuild_marts(pg)


def test_the_loaders_sessions_carry_the_timeouts(pg: Warehouse) -> None:
    wh = Warehouse(pg.url, pg_lock_timeout=7, pg_statement_timeout=90)
    with wh.engine.connect() as conn:
        assert conn.execute(sa.text("SHOW lock_timeout")).scalar() == "7s"
        assert conn.execute(sa.text("SHOW statement_timeout")).scalar() == "90s"
        assert conn.execute(sa.text("SHOW application_name")).scalar() == locks.APPLICATION_NAME
    wh.dispose()


def test_a_session_calling_itself_ea_pipelines_is_named_by_its_user_and_address(pg: Warehouse, analyst) -> None:
    """application_name is the client's to choose: the error says who really holds the lock, and from where."""
    _, user = analyst
    rebuild_marts(pg)
    disguised = sa.create_engine(make_url(pg.url).set(username=user, host="127.0.0.1",
                                                      query={"application_name": locks.APPLICATION_NAME}),
                                 poolclass=sa.pool.NullPool)
    impatient = Warehouse(pg.url, pg_lock_timeout=1)
    with disguised.connect() as held:
        port = held.execute(sa.text("SELECT inet_client_port()")).scalar()
        held.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren"))
        with pytest.raises(WarehouseLocked) as err:
            rebuild_marts(impatient)
        held.rollback()
    message = str(err.value)
    assert f"NOT an ea-pipelines run though it calls itself one, user {user} from 127.0.0.1:{port}" in message
    assert f"application '{locks.APPLICATION_NAME}'" in message and "another ea-pipelines run" not in message
    impatient.dispose()
    disguised.dispose()


def test_another_run_of_the_loader_is_named_as_one(pg: Warehouse) -> None:
    rebuild_marts(pg)
    impatient = Warehouse(pg.url, pg_lock_timeout=1)
    with pg.engine.connect() as held:  # the loader's own session (its user, its application_name)
        held.execute(sa.text("LOCK TABLE marts.kernindicatoren IN ACCESS SHARE MODE"))
        with pytest.raises(WarehouseLocked) as err:
            rebuild_marts(impatient)
        held.rollback()
    loader = make_url(pg.url).username
    assert f"another ea-pipelines run, user {loader} from " in str(err.value)
    impatient.dispose()
