"""Read-only analyst access to the marts in a PostgreSQL warehouse.

Design: one NOLOGIN group role (``ea_analyst`` by default) holds the privileges: CONNECT on the
database, USAGE on schema ``marts`` and SELECT on its tables, nothing on ``raw``, ``staging`` or ``meta``.
People and tools log in as their own roles and are made members of the group: existing roles with
``grant_to``, or a login role created here (``login_user``) whose password is hashed client-side
(SCRAM-SHA-256), so the cleartext never reaches the server, its logs or ours.

The SQL models rebuild a marts table as ``<model>__new`` and rename it into place, so a plain
``GRANT SELECT ON ALL TABLES`` would be lost at the next load. ``ALTER DEFAULT PRIVILEGES FOR ROLE
<loader> IN SCHEMA marts`` makes every table the loader creates there readable by the group. It only
covers tables created by that loader role: run this as the role in ``EA_WAREHOUSE_URL`` (the default
owner) or name it with ``owner``. Everything is idempotent and runs in one transaction.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ea_pipelines.warehouse import locks
from ea_pipelines.warehouse.db import Warehouse

ANALYST_SCHEMA = "marts"
DEFAULT_GROUP = "ea_analyst"
PASSWORD_ENV = "EA_ANALYST_PASSWORD"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_PATTERN = re.compile(r"^[^\x00-\x1f\x7f]{1,63}$")  # only ever matched with fnmatch, never put in SQL
#: role attributes an analyst role must not have
_DANGEROUS = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")

DUCKDB_REFUSAL = """\
analyst-role needs a PostgreSQL warehouse (EA_WAREHOUSE_URL=postgresql+psycopg://...).
DuckDB has no users or grants: whoever can open the file can read all of it, and a process that opens it
for writing locks everyone else out. For read-only access to a DuckDB warehouse:
  - read the published copy warehouse/ea_readonly.duckdb (marts only, replaced after each successful
    nightly run, so readers never lock the loader out):  duckdb -readonly warehouse/ea_readonly.duckdb
  - or, while no load is running, open the warehouse itself read-only:
    duckdb -readonly warehouse/ea.duckdb   or   ATTACH 'warehouse/ea.duckdb' AS ea (READ_ONLY);
    a reader holding the file open makes the nightly load fail until it disconnects.
For several analysts and BI tools use PostgreSQL. See docs/analyst-access.md."""


class AccessError(ValueError):
    """The analyst role cannot be set up as asked; the message says why."""


@dataclass(frozen=True)
class AnalystAccess:
    """What to set up: the group role, whose future tables it can read, and its members."""

    group: str = DEFAULT_GROUP
    owner: str | None = None  # the loader role; None: the role this connection runs as
    grant_to: tuple[str, ...] = ()  # existing roles to make members
    login_user: str | None = None  # a login role to create (or update) as a member
    #: other databases of the server to leave as they are (names, or patterns with * and ?); every other one
    #: is closed to the group (CONNECT and TEMPORARY), or the command refuses
    leave_open: tuple[str, ...] = ()
    #: leave every other database as it is (only list those the group can still reach)
    leave_others_open: bool = False

    def __post_init__(self) -> None:
        for kind, names, rule in (("role", (self.group, self.owner, self.login_user, *self.grant_to), _NAME),
                                  ("database", self.leave_open, _PATTERN)):
            for name in names:
                if name is not None and not rule.match(name):
                    raise AccessError(f"{kind} name {name!r}: " + ("1 to 63 printable characters, * and ? as "
                                      "wildcards" if rule is _PATTERN else "use lower-case letters, digits and _ "
                                      "(at most 63)"))
        if self.group in (self.login_user, *self.grant_to):
            raise AccessError(f"{self.group} is the group role: members need names of their own")


def _ident(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote_identifier(name)


def _role(conn: Connection, name: str) -> sa.Row | None:
    return conn.execute(sa.text("SELECT * FROM pg_roles WHERE rolname = :n"), {"n": name}).first()


def _refuse_powerful(row: sa.Row) -> None:
    powers = [a[3:] for a in _DANGEROUS if getattr(row, a)]
    if powers:
        raise AccessError(f"role {row.rolname} exists with {', '.join(powers).upper()}: "
                          "refusing to use it as a read-only analyst role")


def scram_hash(conn: Connection, user: str, password: str) -> str:
    """SCRAM-SHA-256 verifier computed by libpq on this side, as ``psql``'s ``\\password`` does."""
    pgconn = conn.connection.driver_connection.pgconn
    return pgconn.encrypt_password(password.encode(), user.encode(), b"scram-sha-256").decode()


def _set_login_password(conn: Connection, user: str, password: str, create: bool) -> None:
    """CREATE/ALTER ROLE ... LOGIN PASSWORD with the SCRAM verifier, sent through the driver cursor so that no
    error message can carry the statement (SQLAlchemy's would)."""
    from psycopg import sql

    verb = "CREATE" if create else "ALTER"
    stmt = sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
        sql.Identifier(user), sql.Literal(scram_hash(conn, user, password)))
    with conn.connection.driver_connection.cursor() as cur:
        cur.execute(stmt)


def setup_analyst_access(wh: Warehouse, access: AnalystAccess, password: str | None = None) -> list[str]:
    """Create or update the analyst roles and grants; returns what was done, one line each (no secrets)."""
    if wh.dialect != "postgresql":
        raise AccessError(DUCKDB_REFUSAL)
    if access.login_user and not password:
        raise AccessError(f"login user {access.login_user} needs a password (set {PASSWORD_ENV} or type it "
                          "at the prompt)")
    done: list[str] = []
    wh.ensure_schema()  # meta.lock, and the schemas the grants name
    with wh.engine.begin() as conn:
        locks.hold(conn, "analyst_access")
        q = lambda name: _ident(conn, name)  # noqa: E731
        group, schema = q(access.group), q(ANALYST_SCHEMA)
        owner = access.owner or conn.execute(sa.text("SELECT current_user")).scalar()
        database = conn.execute(sa.text("SELECT current_database()")).scalar()

        existing = _role(conn, access.group)
        if existing is None:
            conn.execute(sa.text(f"CREATE ROLE {group} NOLOGIN"))
            done.append(f"created group role {access.group} (NOLOGIN)")
        else:
            _refuse_powerful(existing)
            if existing.rolcanlogin:
                raise AccessError(f"role {access.group} exists and can log in: the group role must be NOLOGIN "
                                  "(give people their own login roles with --login-user or --grant-to)")
            done.append(f"group role {access.group} exists (NOLOGIN)")
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        conn.execute(sa.text(f"GRANT CONNECT ON DATABASE {q(database)} TO {group}"))
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA {schema} TO {group}"))
        conn.execute(sa.text(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {group}"))
        conn.execute(sa.text(f"ALTER DEFAULT PRIVILEGES FOR ROLE {q(owner)} IN SCHEMA {schema} "
                             f"GRANT SELECT ON TABLES TO {group}"))
        done.append(f"{access.group}: CONNECT on {database}, USAGE on {ANALYST_SCHEMA}, SELECT on its tables, "
                    f"and on every table {owner} creates there later")

        if access.login_user:
            user = q(access.login_user)
            created = _role(conn, access.login_user) is None
            if not created:
                _refuse_powerful(_role(conn, access.login_user))
            _set_login_password(conn, access.login_user, password or "", create=created)
            done.append(f"created login role {access.login_user}" if created
                        else f"login role {access.login_user} exists: password replaced")
            # a guard, not the security boundary (the grants are): sessions start read-only
            conn.execute(sa.text(f"ALTER ROLE {user} SET default_transaction_read_only = on"))
            conn.execute(sa.text(f"GRANT {group} TO {user}"))
            done.append(f"{access.login_user} is a member of {access.group}")
        for member in access.grant_to:
            row = _role(conn, member)
            if row is None:
                raise AccessError(f"role {member} does not exist: create it first, or use --login-user")
            _refuse_powerful(row)
            conn.execute(sa.text(f"GRANT {group} TO {q(member)}"))
            done.append(f"{member} is a member of {access.group}")
        done += _close_temporary(conn, database, owner)
        done += _close_other_databases(conn, access, database)
    return done


def _close_temporary(conn: Connection, database: str, owner: str) -> list[str]:
    """Only the loader may create temporary tables in the warehouse database (PUBLIC has TEMPORARY by default)."""
    db, loader = _ident(conn, database), _ident(conn, owner)
    try:
        with conn.begin_nested():
            conn.execute(sa.text(f"REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC"))
            conn.execute(sa.text(f"GRANT TEMPORARY ON DATABASE {db} TO {loader}"))
    except sa.exc.ProgrammingError:  # not the database's owner: say what its owner must run
        return [f"could not revoke TEMPORARY on {database} (needs its owner): run "
                f"REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC; GRANT TEMPORARY ON DATABASE {db} TO {loader}"]
    return [f"TEMPORARY on {database}: revoked from PUBLIC, granted to {owner} only"]


def _close_other_databases(conn: Connection, access: AnalystAccess, database: str) -> list[str]:
    """Close every other database of the server to the analyst group: no CONNECT, no TEMPORARY.

    PostgreSQL grants CONNECT and TEMPORARY on every new database to PUBLIC and cannot deny one role what
    PUBLIC has. So a database the group can reach is closed to PUBLIC, both privileges are granted back to
    every login role outside the group (nothing changes for them; roles created later need their own GRANT),
    and any direct grant to the group or its members is revoked. That needs the database's owner (or a
    superuser): a database this role cannot close makes the command refuse, naming it and the statements its
    owner can run, and nothing is changed. ``leave_open`` (names or patterns) and ``leave_others_open`` leave
    databases as they are; those the group can still reach are listed."""
    analysts = conn.execute(sa.text(
        "SELECT rolname FROM pg_roles WHERE pg_has_role(rolname, :g, 'MEMBER') AND NOT rolsuper ORDER BY rolname"),
        {"g": access.group}).scalars().all()  # the group and every member, direct or indirect (superusers count
    # as members of every role; a member can never be one: _refuse_powerful)
    rows = conn.execute(sa.text(
        "SELECT d.datname, d.oid, pg_get_userbyid(d.datdba) AS owner, pg_has_role(d.datdba, 'USAGE') AS mine, "
        "       has_database_privilege('public', d.oid, 'CONNECT') AS pub_connect, "
        "       has_database_privilege('public', d.oid, 'TEMPORARY') AS pub_temp "
        "FROM pg_database d WHERE d.datallowconn AND NOT d.datistemplate AND d.datname <> :d ORDER BY d.datname"),
        {"d": database}).all()

    def reach(oid: int) -> list[str]:
        """Members (and the group) who can connect to, or create temporary tables in, database ``oid``."""
        return [r for r in analysts if conn.execute(sa.text(
            "SELECT has_database_privilege(:r, :o, 'CONNECT') OR has_database_privilege(:r, :o, 'TEMPORARY')"),
            {"r": r, "o": oid}).scalar()]

    done, left, refused = [], [], []
    for row in rows:
        if not reach(row.oid):
            continue
        if access.leave_others_open or any(fnmatch.fnmatchcase(row.datname, p) for p in access.leave_open):
            left.append(row.datname)
        elif not row.mine:
            refused.append(row)
        else:
            done.append(_close_one(conn, access.group, analysts, row))
            still = reach(row.oid)
            if still:
                raise AccessError(f"{', '.join(still)} can still connect to {row.datname} after its grants were "
                                  "revoked (through membership of another role): nothing was changed")
    if refused:
        raise AccessError(_refusal(conn, access.group, refused))
    if left:
        done.append(f"members of {access.group} can still connect to {', '.join(left)} (left open as asked; they "
                    "read nothing there without grants; docs/analyst-access.md)")
    return done


def _close_one(conn: Connection, group: str, analysts: list[str], row: sa.Row) -> str:
    db = _ident(conn, row.datname)
    public = [p for p, had in (("CONNECT", row.pub_connect), ("TEMPORARY", row.pub_temp)) if had]
    outsiders = []
    if public:
        outsiders = conn.execute(sa.text(
            "SELECT rolname FROM pg_roles WHERE rolcanlogin AND NOT rolsuper AND NOT pg_has_role(rolname, :g, "
            "'MEMBER') ORDER BY rolname"), {"g": group}).scalars().all()
        for role in outsiders:
            conn.execute(sa.text(f"GRANT {', '.join(public)} ON DATABASE {db} TO {_ident(conn, role)}"))
        conn.execute(sa.text(f"REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC"))
    for role in analysts:
        conn.execute(sa.text(f"REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM {_ident(conn, role)}"))
    if not public:
        return f"{row.datname}: CONNECT and TEMPORARY revoked from {group} and its members"
    return (f"{row.datname}: {' and '.join(public)} revoked from PUBLIC, granted to the {len(outsiders)} login "
            f"roles outside {group} (roles created later need GRANT CONNECT ON DATABASE {row.datname})")


def _refusal(conn: Connection, group: str, refused: list[sa.Row]) -> str:
    me = conn.execute(sa.text("SELECT current_user")).scalar()
    lines = [f"members of {group} can connect to (or create temporary tables in) "
             f"{', '.join(r.datname for r in refused)}, and {me} cannot close "
             f"{'it' if len(refused) == 1 else 'them'} (only the owner or a superuser can). Nothing was changed.",
             "Either run analyst-role as their owner or a superuser, or have the owner run:"]
    for r in refused:
        db = _ident(conn, r.datname)
        lines.append(f"  -- {r.datname} (owner {r.owner}):  GRANT CONNECT ON DATABASE {db} TO <each login that "
                     f"needs it>;  REVOKE CONNECT, TEMPORARY ON DATABASE {db} FROM PUBLIC, {_ident(conn, group)};")
    lines.append("or leave them open knowingly: --leave-open <database> (repeatable; * and ? match) or "
                 "--leave-others-open (docs/analyst-access.md)")
    return "\n".join(lines)
