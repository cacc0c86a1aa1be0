"""Unit kerja tree, people (pegawai) and their server-side login sessions."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false as sa_false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..core.clock import now_utc
from ..core.types import UTCDateTime, path_string
from ..extensions import db


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """Enums stored as short strings with a CHECK constraint (no native PG enum to migrate)."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
    )


class Jenis(enum.StrEnum):
    """Employee type: civil servant, contract civil servant, or non-ASN staff."""

    PNS = "PNS"
    PPPK = "PPPK"
    NON_ASN = "NON_ASN"


class Role(enum.StrEnum):
    """What a person may do; ordered by power (see :data:`ROLE_RANK`)."""

    PARTICIPANT = "participant"
    #: Countersigns pacts of the programs that name them; sees nothing else (may be outside the instansi).
    WITNESS = "witness"
    OPERATOR = "operator"
    ADMIN = "admin"
    SUPERADMIN = "superadmin"


ROLE_RANK = {Role.PARTICIPANT: 0, Role.WITNESS: 0, Role.OPERATOR: 1, Role.ADMIN: 2, Role.SUPERADMIN: 3}


class Unit(db.Model):
    """A unit kerja; a root unit (no parent) is an instansi."""

    __tablename__ = "units"
    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="uq_units_parent_name"),
        Index("ix_units_path", "path"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    #: Optional code from the personnel system (e.g. SIASN unor id); unique when given.
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Materialized path of ids, e.g. "/1/7/42/": a subtree is one indexed range scan.
    path: Mapped[str] = mapped_column(path_string(), default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    #: IANA zone for dates shown on this instansi's documents (roots only).
    timezone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    #: Whether the operators of this instansi may import rosters for their own subtree (roots only).
    operators_import_roster: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    #: Whether this instansi's staff (operators, admins) must log in through the SSO (roots only).
    sso_required_for_staff: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())

    parent: Mapped[Unit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.name")

    @property
    def is_instansi(self) -> bool:
        return self.parent_id is None

    @property
    def root_id(self) -> int:
        return int(self.path.strip("/").split("/")[0])

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, inclusive."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name!r} {self.path}>"


class Person(db.Model):
    """A pegawai: the learner, and for some also an operator or admin."""

    __tablename__ = "people"
    __table_args__ = (
        CheckConstraint("failed_logins >= 0", name="failed_logins_nonnegative"),
        Index("ix_people_unit_active", "unit_id", "active"),
        # One account per NIP; people whose data was purged keep only a masked NIP, which may repeat.
        Index("uq_people_nip", "nip", unique=True, sqlite_where=text("purged_at IS NULL"),
              postgresql_where=text("purged_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login key: NIP (PNS), NI PPPK (PPPK) or an agency-assigned ID (non-ASN).
    nip: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    jabatan: Mapped[str | None] = mapped_column(String(200))
    golongan: Mapped[str | None] = mapped_column(String(10))
    jenis: Mapped[Jenis] = mapped_column(_enum(Jenis, "jenis"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))

    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.PARTICIPANT)
    #: Root of the subtree an operator or admin manages (an instansi for admins).
    scope_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))

    password_hash: Mapped[str | None] = mapped_column(String(255))
    #: The generated first password, encrypted so a login slip can be printed again;
    #: cleared as soon as the person chooses their own.
    initial_password_enc: Mapped[str | None] = mapped_column(Text)
    #: When the current first password was generated (None: at ``created_at``); it expires
    #: ``FIRST_PASSWORD_DAYS`` later.
    initial_password_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    #: Failed-login lock; doubles on each lock until an operator unlocks or a login succeeds.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_count: Mapped[int] = mapped_column(Integer, default=0)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When the person was last deactivated (left the service); the retention period counts from here.
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When their personal data was removed by `flask privacy purge` (name and NIP kept masked).
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    unit: Mapped[Unit] = relationship(foreign_keys=[unit_id])
    scope_unit: Mapped[Unit | None] = relationship(foreign_keys=[scope_unit_id])

    # Flask-Login protocol. The id handed to Flask-Login is the server-side session token,
    # so deleting the session row (logout) makes any replayed cookie worthless.
    session_token = None  # set per request by the session loader; not a column
    session_expires_at = None  # likewise: when that login session ends

    @validates("active")
    def _stamp_deactivation(self, _key, active):
        """Every path that deactivates a person (form, import, command) starts the retention clock."""
        if active is False and self.active is not False:
            self.deactivated_at = now_utc()
        elif active:
            self.deactivated_at = None
        return active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        return self.session_token

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.role]

    @property
    def is_staff(self) -> bool:
        """Operators, admins and superadmins: people who manage other people."""
        return self.rank >= ROLE_RANK[Role.OPERATOR]

    def __repr__(self) -> str:
        return f"<Person {self.id} {self.nip}>"


class LoginSession(db.Model):
    """A server-side login; the cookie only carries its random id."""

    __tablename__ = "login_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    person: Mapped[Person] = relationship()


class ActivationLink(db.Model):
    """A one-time link with which a staff account (or a new instansi's admin) sets its password.

    Only the SHA-256 of the token is stored; the link works once, until ``expires_at``, and a
    newer link for the same person replaces it.
    """

    __tablename__ = "activation_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class LoginThrottle(db.Model):
    """Failed logins into one account from one address (an IPv4 address or an IPv6 /64): after
    ``LOGIN_MAX_FAILURES`` that address is locked out of that account for a period that doubles on
    each lock. The account-wide lock on ``Person`` is slower and shorter; see docs/security-notes.md."""

    __tablename__ = "login_throttles"
    __table_args__ = (
        UniqueConstraint("person_id", "address"),
        CheckConstraint("failures >= 0", name="failures_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    #: The client address as counted: IPv4 as is, IPv6 reduced to its /64 network.
    address: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)
    lock_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Last failure; rows quiet for a day are purged with the expired sessions.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, index=True)
