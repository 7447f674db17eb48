"""The analyst role on the local PostgreSQL: reads marts, only marts, also after the loader rebuilds them,
writes nothing; the command is idempotent and keeps the password out of every output.

Roles are cluster-wide and the server is shared, so each test makes roles with a unique suffix and drops
them afterwards.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from ea_pipelines.catalogue.catalogues import load_catalogues
from ea_pipelines.catalogue.deliveries import load_delivery_catalogue
from ea_pipelines.cli import main
from ea_pipelines.settings import DEFAULT_DELIVERY_CATALOGUE, DEFAULT_SQL_DIR, Settings
from ea_pipelines.sqlmodels.project import load_project
from ea_pipelines.sqlmodels.runner import build_all
from ea_pipelines.sqlmodels.seeds import write_seeds
from ea_pipelines.warehouse.access import AccessError, AnalystAccess, setup_analyst_access
from ea_pipelines.warehouse.db import Warehouse
from ea_pipelines_tests.conftest import OWNED_PREFIX, _postgres_or_skip, reset_postgres

pytestmark = pytest.mark.postgres
SECRET = "Zeer-geheim-7319"


@pytest.fixture
def pg(monkeypatch: pytest.MonkeyPatch) -> Iterator[Warehouse]:
    """A freshly reset PostgreSQL warehouse with one marts table, loaded by the test's (loader) user."""
    url = _postgres_or_skip()
    reset_postgres(url)
    monkeypatch.setenv("EA_WAREHOUSE_URL", url)
    monkeypatch.delenv("EA_ANALYST_PASSWORD", raising=False)
    wh = Warehouse(url)
    wh.ensure_schema(load_delivery_catalogue(DEFAULT_DELIVERY_CATALOGUE))
    with wh.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE marts.before_role AS SELECT 1 AS x"))
    yield wh
    wh.dispose()


@pytest.fixture
def roles(pg: Warehouse) -> Iterator[Callable[[str], str]]:
    """``roles('analyst')`` → a unique role name, dropped (with its grants) after the test."""
    made: list[str] = []
    suffix = uuid.uuid4().hex[:8]

    def name(stem: str) -> str:
        made.append(f"t{suffix}_{stem}")
        return made[-1]

    yield name
    with pg.engine.begin() as conn:
        for role in reversed(made):
            if conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                conn.execute(sa.text(f'DROP OWNED BY "{role}"'))
                conn.execute(sa.text(f'DROP ROLE "{role}"'))


#: databases this module creates to be closed; every other database of the shared server is left alone
CLOSABLE = "eap_close_"


def other_databases(wh: Warehouse) -> list[str]:
    """Every database of the server except the warehouse and those made here to be closed, and a pattern for the
    suite's databases created meanwhile: what the tests pass as --leave-open, so that the command (run as a
    superuser here) never closes a database the suite, CI or another session relies on (postgres, test, ...)."""
    with wh.engine.connect() as conn:
        names = conn.execute(sa.text("SELECT datname FROM pg_database WHERE datname <> current_database()")).scalars()
        return [*(n for n in names if not n.startswith(CLOSABLE)), f"{OWNED_PREFIX}*"]


def run_cli(*args: str) -> int:
    """``analyst-role`` leaving the server's other databases as they are, unless the test says what to do."""
    if "--leave-open" not in args and "--leave-others-open" not in args:
        url = _postgres_or_skip()
        wh = Warehouse(url)
        try:
            args = (*args, *(a for name in other_databases(wh) for a in ("--leave-open", name)))
        finally:
            wh.dispose()
    return main(["analyst-role", *args])


def connect_as(wh: Warehouse, user: str) -> sa.Engine:
    """The server trusts local connections, so the test can log in as the analyst without its password."""
    return sa.create_engine(make_url(wh.url).set(username=user, password=None), poolclass=sa.pool.NullPool)


def denied(engine: sa.Engine, sql: str) -> str:
    """Run ``sql`` in a read-write transaction (past the read-only session default); return the SQLSTATE."""
    with engine.connect() as conn:
        conn.execute(sa.text("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"))
        conn.commit()
        with pytest.raises(sa.exc.DBAPIError) as err:
            conn.execute(sa.text(sql))
        conn.rollback()
    return err.value.orig.sqlstate


def rebuild_marts(wh: Warehouse) -> None:
    write_seeds(wh, load_catalogues(Settings()))
    build_all(wh, load_project(DEFAULT_SQL_DIR))


def test_analyst_reads_marts_and_can_change_nothing(pg: Warehouse, roles, monkeypatch, capsys) -> None:
    group, user = roles("analyst"), roles("anna")
    monkeypatch.setenv("EA_ANALYST_PASSWORD", SECRET)
    assert run_cli("--role", group, "--login-user", user) == 0
    analyst = connect_as(pg, user)
    with analyst.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM marts.before_role")).scalar() == 1
        assert conn.execute(sa.text("SHOW default_transaction_read_only")).scalar() == "on"
    insufficient = "42501"
    for sql in ("INSERT INTO marts.before_role VALUES (2)", "UPDATE marts.before_role SET x = 3",
                "DELETE FROM marts.before_role", "TRUNCATE marts.before_role", "DROP TABLE marts.before_role",
                "CREATE TABLE marts.mine (x int)", "CREATE VIEW marts.mine AS SELECT 1 AS x",
                "ALTER TABLE marts.before_role ADD COLUMN y int",
                "SELECT count(*) FROM raw.cbs_response", "SELECT count(*) FROM staging.cbs_observation",
                "SELECT count(*) FROM meta.load_log", "CREATE SCHEMA mine", "CREATE TABLE public.mine (x int)"):
        assert denied(analyst, sql) == insufficient, sql
    analyst.dispose()
    with pg.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marts.before_role")).scalar() == 1
        assert conn.execute(sa.text("SELECT rolcanlogin FROM pg_roles WHERE rolname = :r"), {"r": group}).scalar() \
            is False


def test_tables_the_loader_recreates_later_stay_readable(pg: Warehouse, roles, monkeypatch) -> None:
    rebuild_marts(pg)  # the marts exist before the role ...
    group, user = roles("analyst"), roles("bram")
    monkeypatch.setenv("EA_ANALYST_PASSWORD", SECRET)
    assert run_cli("--role", group, "--login-user", user) == 0
    analyst = connect_as(pg, user)
    with pg.engine.connect() as conn:
        oids_before = dict(conn.execute(sa.text(
            "SELECT relname, oid FROM pg_class WHERE relnamespace = 'marts'::regnamespace")).fetchall())
    rebuild_marts(pg)  # ... and the runner rebuilds every one as <name>__new, renamed into place
    with pg.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE marts.before_role"))
        conn.execute(sa.text("CREATE TABLE marts.before_role AS SELECT 5 AS x"))
        conn.execute(sa.text("CREATE TABLE marts.brand_new AS SELECT 6 AS x"))
        oids_after = dict(conn.execute(sa.text(
            "SELECT relname, oid FROM pg_class WHERE relnamespace = 'marts'::regnamespace")).fetchall())
        n_kern = conn.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren")).scalar()
    assert oids_after["kernindicatoren"] != oids_before["kernindicatoren"]  # really a new table
    assert n_kern > 0
    with analyst.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM marts.kernindicatoren")).scalar() == n_kern
        for table in ("dim_indicator", "dim_region", "dim_period", "fact_indicator_value", "indicator_revision",
                      "fact_indicator_value__previous"):
            conn.execute(sa.text(f"SELECT count(*) FROM marts.{table}"))
        assert conn.execute(sa.text("SELECT x FROM marts.before_role")).scalar() == 5
        assert conn.execute(sa.text("SELECT x FROM marts.brand_new")).scalar() == 6
    assert denied(analyst, "INSERT INTO marts.kernindicatoren SELECT * FROM marts.kernindicatoren") == "42501"
    analyst.dispose()


def test_a_marts_table_made_by_another_role_is_not_covered(pg: Warehouse, roles, monkeypatch) -> None:
    """Default privileges follow the loader that ran the grant: the documented limit, shown to hold."""
    group, user, other = roles("analyst"), roles("cas"), roles("other_loader")
    with pg.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{other}" NOLOGIN'))
        conn.execute(sa.text(f'GRANT CREATE, USAGE ON SCHEMA marts TO "{other}"'))
    monkeypatch.setenv("EA_ANALYST_PASSWORD", SECRET)
    assert run_cli("--role", group, "--login-user", user) == 0
    with pg.engine.begin() as conn:
        conn.execute(sa.text(f'SET ROLE "{other}"'))
        conn.execute(sa.text("CREATE TABLE marts.by_other AS SELECT 1 AS x"))
    analyst = connect_as(pg, user)
    assert denied(analyst, "SELECT * FROM marts.by_other") == "42501"
    assert run_cli("--role", group, "--owner", other) == 0  # naming that loader covers its tables
    with pg.engine.begin() as conn:
        conn.execute(sa.text(f'SET ROLE "{other}"'))
        conn.execute(sa.text("CREATE TABLE marts.by_other_later AS SELECT 2 AS x"))
    with analyst.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM marts.by_other_later")).scalar() == 2
    analyst.dispose()


def _access_state(wh: Warehouse, names: list[str]) -> dict:
    with wh.engine.connect() as conn:
        return {
            "roles": conn.execute(sa.text(
                "SELECT rolname, rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolconfig FROM pg_roles "
                "WHERE rolname = ANY(:n) ORDER BY 1"), {"n": names}).fetchall(),
            "members": conn.execute(sa.text(
                "SELECT r.rolname, m.rolname FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.roleid "
                "JOIN pg_roles m ON m.oid = a.member WHERE r.rolname = ANY(:n) ORDER BY 1, 2"),
                {"n": names}).fetchall(),
            "schemas": conn.execute(sa.text(
                "SELECT nspname, nspacl::text FROM pg_namespace WHERE nspname IN ('raw','staging','marts','meta') "
                "ORDER BY 1")).fetchall(),
            "tables": conn.execute(sa.text(
                "SELECT relnamespace::regnamespace::text, relname, relacl::text FROM pg_class "
                "WHERE relnamespace::regnamespace::text IN ('raw','staging','marts','meta') ORDER BY 1, 2")).fetchall(),
            "defaults": conn.execute(sa.text(
                "SELECT defaclrole::regrole::text, defaclnamespace::regnamespace::text, defaclobjtype, "
                "defaclacl::text FROM pg_default_acl ORDER BY 1, 2, 3")).fetchall(),
            "database": conn.execute(sa.text(
                "SELECT datacl::text FROM pg_database WHERE datname = current_database()")).scalar(),
        }


def test_running_twice_changes_nothing(pg: Warehouse, roles, monkeypatch) -> None:
    group, user, existing = roles("analyst"), roles("dirk"), roles("eva")
    with pg.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{existing}" LOGIN'))
    monkeypatch.setenv("EA_ANALYST_PASSWORD", SECRET)
    args = ("--role", group, "--login-user", user, "--grant-to", existing)
    assert run_cli(*args) == 0
    first = _access_state(pg, [group, user, existing])
    assert run_cli(*args) == 0
    assert _access_state(pg, [group, user, existing]) == first
    assert len(first["members"]) == 2
    assert [d for d in first["defaults"] if d[1] == "marts" and group in d[3]]  # the default privilege is there
    assert not [s for s in first["schemas"] if s[0] != "marts" and group in (s[1] or "")]


def test_nologin_group_granted_to_existing_roles(pg: Warehouse, roles) -> None:
    group, alice = roles("analyst"), roles("alice")
    with pg.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{alice}" LOGIN'))
    assert run_cli("--role", group, "--grant-to", alice) == 0
    analyst = connect_as(pg, alice)
    with analyst.connect() as conn:
        assert conn.execute(sa.text("SELECT x FROM marts.before_role")).scalar() == 1
    assert denied(analyst, "SELECT count(*) FROM staging.cbs_observation") == "42501"
    analyst.dispose()
    nobody = roles("nobody")
    with pytest.raises(AccessError, match="does not exist"):
        setup_analyst_access(pg, AnalystAccess(group=group, grant_to=(nobody,)))
    assert run_cli("--role", group, "--grant-to", nobody) == 2


def test_password_is_hashed_and_never_shown(pg: Warehouse, roles, monkeypatch, capsys, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    group, user = roles("analyst"), roles("fleur")
    monkeypatch.setenv("EA_ANALYST_PASSWORD", SECRET)
    assert run_cli("--role", group, "--login-user", user) == 0
    out = capsys.readouterr()
    assert user in out.out
    assert SECRET not in out.out + out.err + caplog.text
    with pg.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": user}).scalar()
    assert stored.startswith("SCRAM-SHA-256$") and SECRET not in stored


def test_no_password_no_terminal_changes_nothing(pg: Warehouse, roles, monkeypatch, capsys) -> None:
    group, user = roles("analyst"), roles("gijs")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert run_cli("--role", group, "--login-user", user) == 2
    assert "EA_ANALYST_PASSWORD" in capsys.readouterr().err
    with pg.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pg_roles WHERE rolname IN (:g, :u)"),
                            {"g": group, "u": user}).scalar() == 0


def test_refuses_a_powerful_or_login_group_role(pg: Warehouse, roles) -> None:
    powerful, loginable = roles("powerful"), roles("loginable")
    with pg.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{powerful}" NOLOGIN CREATEDB'))
        conn.execute(sa.text(f'CREATE ROLE "{loginable}" LOGIN'))
    with pytest.raises(AccessError, match="CREATEDB"):
        setup_analyst_access(pg, AnalystAccess(group=powerful))
    with pytest.raises(AccessError, match="can log in"):
        setup_analyst_access(pg, AnalystAccess(group=loginable))
    with pytest.raises(AccessError, match="role name"):
        AnalystAccess(group='x"; DROP TABLE marts.before_role; --')


def test_duckdb_is_refused_with_the_read_only_ways(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("EA_WAREHOUSE_URL", f"duckdb:///{tmp_path}/ea.duckdb")
    assert main(["analyst-role", "--login-user", "anna"]) == 2
    err = capsys.readouterr().err
    assert "PostgreSQL" in err and "duckdb -readonly" in err and "(READ_ONLY)" in err
    assert "ea_readonly.duckdb" in err


def test_analysts_create_no_temporary_tables(pg: Warehouse, roles, monkeypatch, capsys) -> None:
    group, user = roles("analyst"), roles("dirk")
    monkeypatch.setenv("EA_ANALYST_PASSWORD", SECRET)
    assert run_cli("--role", group, "--login-user", user) == 0
    assert f"TEMPORARY on {make_url(pg.url).database}: revoked from PUBLIC" in capsys.readouterr().out
    analyst = connect_as(pg, user)
    assert denied(analyst, "CREATE TEMPORARY TABLE scratch (x int)") == "42501"
    analyst.dispose()


@pytest.fixture
def databases(pg: Warehouse) -> Iterator[Callable[..., str]]:
    """``databases(owner=None)`` → a new database of the server named ``eap_close_…``, dropped afterwards."""
    made: list[str] = []
    admin = sa.create_engine(pg.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")

    def make(owner: str | None = None) -> str:
        made.append(f"{CLOSABLE}{uuid.uuid4().hex[:10]}")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{made[-1]}"' + (f' OWNER "{owner}"' if owner else "")))
        return made[-1]

    yield make
    with admin.connect() as conn:
        for name in made:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def server_acls(wh: Warehouse) -> dict[str, str | None]:
    """The access lists of the server's own databases (postgres, test, ...; not the suite's, which other test
    sessions change meanwhile, nor those made here to be closed)."""
    with wh.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT datname, datacl::text FROM pg_database WHERE NOT datname LIKE :p "
                                    "AND NOT datname LIKE :o"), {"p": f"{CLOSABLE}%", "o": f"{OWNED_PREFIX}%"})
        return dict(rows.all())


def database_acls(wh: Warehouse, *names: str) -> list[tuple[str, str | None]]:
    with wh.engine.connect() as conn:
        return conn.execute(sa.text("SELECT datname, datacl::text FROM pg_database WHERE datname = ANY(:n) "
                                    "ORDER BY 1"), {"n": list(names)}).fetchall()


def can_connect(url: sa.URL) -> bool:
    try:
        with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as conn:
            return conn.execute(sa.text("SELECT current_user")).scalar() == url.username
    except sa.exc.OperationalError as exc:
        assert f'permission denied for database "{url.database}"' in str(exc), exc
        return False


def test_other_databases_are_closed_to_analysts_by_default_but_not_to_other_logins(pg: Warehouse, roles, databases,
                                                                                    monkeypatch, capsys) -> None:
    """Closed: CONNECT and TEMPORARY, whether PUBLIC had them or a member was granted them directly (an earlier
    run granted CONNECT to every login outside the group, and one of them became an analyst later)."""
    app, group, user, later = roles("app"), roles("analyst"), roles("eva"), roles("later")
    with pg.engine.begin() as conn:
        for role in (app, later):
            conn.execute(sa.text(f'CREATE ROLE "{role}" LOGIN'))  # other applications' logins, made before
    first, second, kept = databases(), databases(), databases()
    with pg.engine.begin() as conn:  # a direct grant to a role that becomes a member below
        conn.execute(sa.text(f'GRANT CONNECT, TEMPORARY ON DATABASE "{second}" TO "{later}"'))
        conn.execute(sa.text(f'REVOKE CONNECT, TEMPORARY ON DATABASE "{second}" FROM PUBLIC'))
    acls = server_acls(pg)
    monkeypatch.setenv("EA_ANALYST_PASSWORD", SECRET)
    leave = [a for name in [*other_databases(pg), kept] for a in ("--leave-open", name)]
    assert run_cli("--role", group, "--login-user", user, "--grant-to", later, *leave) == 0
    out = capsys.readouterr().out
    assert f"{first}: CONNECT and TEMPORARY revoked from PUBLIC" in out
    assert f"{second}: CONNECT and TEMPORARY revoked from {group} and its members" in out
    assert f"members of {group} can still connect to" in out and kept in out
    assert server_acls(pg) == acls  # postgres, test and the rest of the server: untouched
    url = make_url(pg.url)
    for analyst in (user, later):
        assert not can_connect(url.set(database=first, username=analyst))
        assert not can_connect(url.set(database=second, username=analyst))
        assert can_connect(url.set(database=kept, username=analyst))  # left open as asked
        assert can_connect(url.set(username=analyst))  # the warehouse itself stays open to analysts
    assert can_connect(url.set(database=first, username=app))  # other logins keep what PUBLIC gave them
    with sa.create_engine(url.set(database=first, username=app), poolclass=sa.pool.NullPool).connect() as conn:
        conn.execute(sa.text("CREATE TEMPORARY TABLE scratch (x int)"))  # ... TEMPORARY too
    with pg.engine.connect() as conn:  # no member has either privilege anywhere closed, by any path
        for db in (first, second):
            for role in (group, user, later):
                assert not conn.execute(sa.text(
                    "SELECT has_database_privilege(:r, :d, 'CONNECT') OR has_database_privilege(:r, :d, 'TEMPORARY')"),
                    {"r": role, "d": db}).scalar(), (role, db)
    closed = database_acls(pg, first, second, kept)
    assert run_cli("--role", group, "--login-user", user, "--grant-to", later, *leave) == 0  # idempotent
    assert database_acls(pg, first, second, kept) == closed


def test_a_database_it_cannot_close_is_refused_and_nothing_changes(pg: Warehouse, roles, databases,
                                                                   monkeypatch, capsys) -> None:
    """Run by a loader that is not a superuser: its own other database could be closed, another owner's cannot,
    so the command refuses, names that database and its owner's statements, and changes nothing at all."""
    from ea_pipelines.warehouse import access

    loader, owner, group = roles("loader"), roles("owner"), roles("analyst")
    with pg.engine.begin() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{loader}" LOGIN'))
        conn.execute(sa.text(f'CREATE ROLE "{owner}" NOLOGIN'))
        conn.execute(sa.text(f'CREATE ROLE "{group}" NOLOGIN'))
    mine, theirs = databases(loader), databases(owner)
    acls = server_acls(pg)
    with pg.engine.connect() as conn:
        conn.execute(sa.text(f'SET ROLE "{loader}"'))
        spec = AnalystAccess(group=group, leave_open=tuple(other_databases(pg)))
        with pytest.raises(AccessError) as err:
            access._close_other_databases(conn, spec, make_url(pg.url).database)
        conn.rollback()  # which also ends the SET ROLE
        conn.execute(sa.text(f'SET ROLE "{loader}"'))
        assert theirs in str(err.value) and f"owner {owner}" in str(err.value) and mine not in str(err.value)
        assert "Nothing was changed" in str(err.value) and "--leave-open" in str(err.value)
        assert f"{loader} cannot close it" in str(err.value)
        spec = AnalystAccess(group=group, leave_open=(*other_databases(pg), theirs))
        done = access._close_other_databases(conn, spec, make_url(pg.url).database)
        conn.commit()
    assert any(line.startswith(f"{mine}: CONNECT and TEMPORARY revoked from PUBLIC") for line in done)
    assert server_acls(pg) == acls
    with pg.engine.connect() as conn:
        assert not conn.execute(sa.text("SELECT has_database_privilege(:g, :d, 'CONNECT')"),
                                {"g": group, "d": mine}).scalar()
        assert conn.execute(sa.text("SELECT has_database_privilege(:g, :d, 'CONNECT')"),
                            {"g": group, "d": theirs}).scalar()
    assert run_cli("--role", group, "--leave-open", "") == 2
    assert "* and ? as wildcards" in capsys.readouterr().err
