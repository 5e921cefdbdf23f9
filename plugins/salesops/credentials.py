"""The embedded warehouse's passwords: generated once, kept in a libpq password file only its owner reads.

`<SALESOPS_HOME>/secrets/pgpass` (directory 0700, file 0600) holds a line per login, in the format
libpq reads itself (`host:port:database:user:password`): the warehouse URL names the file
(`?passfile=...`), so psycopg2, psql, SQLAlchemy (GX) and dbt (through PGPASSFILE) log in without a
password ever being printed, logged or passed as a process argument.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

SUPERUSER = "postgres"
HOSTS = ("127.0.0.1", "localhost", "::1")  # the embedded server listens on loopback only


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _split(line: str) -> list[str]:
    """A pgpass line's five fields (backslash escapes `:` and itself)."""
    fields, current, escaped = [], [], False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    fields.append("".join(current))
    return fields


def _read(passfile: Path) -> dict[str, str]:
    """user -> password, from our own pgpass file (empty when there is none)."""
    try:
        text = passfile.read_text()
    except FileNotFoundError:
        return {}
    found: dict[str, str] = {}
    for line in text.splitlines():
        fields = _split(line)
        if len(fields) == 5 and not line.startswith("#"):
            found.setdefault(fields[3], fields[4])
    return found


def _write(passfile: Path, passwords: dict[str, str]) -> None:
    """Rewrite the file atomically, created 0600 from the start (never readable by anyone else)."""
    passfile.parent.mkdir(parents=True, exist_ok=True)
    passfile.parent.chmod(stat.S_IRWXU)
    lines = ["# salesops: generated passwords of the embedded warehouse (libpq password file). Keep it 0600."]
    for user, password in passwords.items():
        lines += [f"{_escape(host)}:*:*:{_escape(user)}:{_escape(password)}" for host in HOSTS]
    temporary = passfile.with_name(f".{passfile.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(descriptor, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    os.replace(temporary, passfile)


def password(passfile: Path, user: str) -> str | None:
    return _read(passfile).get(user)


def ensure_password(passfile: Path, user: str, given: str | None = None) -> str:
    """The login's password from the file; generated (or `given`) and stored when missing or different."""
    passwords = _read(passfile)
    wanted = given or passwords.get(user) or secrets.token_urlsafe(32)
    if passwords.get(user) != wanted:
        passwords[user] = wanted
        _write(passfile, passwords)
    elif passfile.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        passfile.chmod(stat.S_IRUSR | stat.S_IWUSR)  # libpq ignores a password file others can read
    return wanted
