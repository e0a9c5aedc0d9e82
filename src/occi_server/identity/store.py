"""The identity store: who may call, in which project, with which secret.

Tokens are `secrets.token_urlsafe(32)`; only their sha256 is stored, so a leaked database holds
no usable credential. Passwords are scrypt hashes (see passwords.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, delete, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from occi_server.db.tables import ProjectRow, TokenRow, UserRow
from occi_server.identity.passwords import hash_password, verify_password


@dataclass(frozen=True, slots=True)
class Project:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class User:
    id: str
    name: str
    project_id: str
    project_name: str


@dataclass(frozen=True, slots=True)
class Identity:
    project_id: str
    project_name: str
    user_id: str
    user_name: str


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class IdentityStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # Lookups only read: they must not queue for the write lock behind a long write (a
        # delete of a large collection), or a login would fail with "database is locked".
        self._reads = sessionmaker(
            engine.execution_options(occi_read_only=True), expire_on_commit=False
        )

    # -- administration (CLI) ---------------------------------------------------------------
    def find_project(self, name: str) -> Project | None:
        """The project called `name`, if there is one."""
        with self._sessions.begin() as db:
            row = db.scalars(select(ProjectRow).where(ProjectRow.name == name)).first()
            return Project(row.id, row.name) if row is not None else None

    def ensure_project(self, name: str) -> Project:
        """The project called `name`, created when missing."""
        for _ in range(2):  # a concurrent creator may win the race: then read theirs
            try:
                with self._sessions.begin() as db:
                    row = db.scalars(select(ProjectRow).where(ProjectRow.name == name)).first()
                    if row is None:
                        row = ProjectRow(id=uuid.uuid4().hex, name=name)
                        db.add(row)
                    return Project(row.id, row.name)
            except IntegrityError:
                continue
        raise RuntimeError(f"could not create project {name!r}")

    def create_user(self, project: str, user: str, password: str | None = None) -> User:
        """Create `user` in `project` (both by name, created when missing); idempotent.

        For an existing user a given password replaces the old one; None keeps it.
        """
        found = self.ensure_project(project)
        with self._sessions.begin() as db:
            row = db.scalars(
                select(UserRow).where(UserRow.project_id == found.id, UserRow.name == user)
            ).first()
            if row is None:
                row = UserRow(id=uuid.uuid4().hex, project_id=found.id, name=user)
                db.add(row)
            if password is not None:
                row.password_hash = hash_password(password)
            db.flush()
            return User(row.id, row.name, found.id, found.name)

    def ensure_user(self, project: str, user: str) -> User:
        """`user` of `project`, created (without password) when missing; a password is kept."""
        return self.create_user(project, user)

    def create_token(
        self, project: str, user: str, ttl_seconds: int | None = None, prefix: str = ""
    ) -> str:
        """A new token for `user` of `project` (created when missing); shown once, stored hashed.
        `prefix` marks what minted it (the console's sign-in), so that can be told later."""
        owner = self.create_user(project, user)
        token = prefix + _token_text()
        expires = int(time.time()) + ttl_seconds if ttl_seconds is not None else None
        with self._sessions.begin() as db:
            db.add(TokenRow(token_hash=token_digest(token), user_id=owner.id, expires_at=expires))
        return token

    def revoke_token(self, token: str) -> bool:
        """Delete a token; False when there was none such."""
        with self._sessions.begin() as db:
            gone = db.execute(delete(TokenRow).where(TokenRow.token_hash == token_digest(token)))
        return bool(gone.rowcount)  # type: ignore[attr-defined]

    def is_empty(self) -> bool:
        """True before any project exists (first start)."""
        with self._reads() as db:
            return not db.scalar(select(exists().where(ProjectRow.id.is_not(None))))

    # -- authentication ---------------------------------------------------------------------
    def authenticate_token(self, token: str) -> Identity | None:
        digest = token_digest(token)
        with self._reads() as db:
            found = db.execute(
                select(TokenRow, UserRow, ProjectRow)
                .join(UserRow, UserRow.id == TokenRow.user_id)
                .join(ProjectRow, ProjectRow.id == UserRow.project_id)
                .where(TokenRow.token_hash == digest)
            ).first()
        if found is None:
            return None
        token_row, user_row, project_row = found
        # The lookup is by digest; compare again in constant time so equality never leaks.
        if not hmac.compare_digest(token_row.token_hash, digest):
            return None
        if token_row.expires_at is not None and token_row.expires_at <= time.time():
            return None
        return Identity(project_row.id, project_row.name, user_row.id, user_row.name)

    def authenticate_basic(
        self, user: str, password: str, project: str | None = None
    ) -> Identity | None:
        """HTTP Basic: a user name (unique per project) and password.

        When the name exists in several projects, `project` (id or name) must pick one, or the
        password must match exactly one of them; otherwise the answer is None.
        """
        with self._reads() as db:
            candidates = self._users_named(db, user, project)
        if not candidates:
            verify_password(password, None)  # same cost as a real check
            return None
        matches = [
            Identity(p.id, p.name, u.id, u.name)
            for u, p in candidates
            if verify_password(password, u.password_hash)
        ]
        return matches[0] if len(matches) == 1 else None

    @staticmethod
    def _users_named(
        db: Session, user: str, project: str | None
    ) -> list[tuple[UserRow, ProjectRow]]:
        stmt = (
            select(UserRow, ProjectRow)
            .join(ProjectRow, ProjectRow.id == UserRow.project_id)
            .where(UserRow.name == user)
        )
        if project is not None:
            stmt = stmt.where(or_(ProjectRow.id == project, ProjectRow.name == project))
        return [(u, p) for u, p in db.execute(stmt)]


def _token_text() -> str:
    """32 random bytes, URL-safe. That alphabet has '-': one token in 64 would begin with it,
    and a command line takes such an argument for an option (`occi-server token revoke`)."""
    while (text := secrets.token_urlsafe(32)).startswith("-"):
        pass
    return text
