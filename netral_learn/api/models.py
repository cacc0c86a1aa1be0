"""Integration clients of the JSON API: one bearer token each, scoped like a staff user."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import ROLE_RANK, Person, Role, Unit
from ..core.clock import now_utc
from ..core.types import UTCDateTime
from ..extensions import db


class ApiClient(db.Model):
    """A system allowed to pull figures (e.g. the personnel system, a provincial dashboard).

    Only the SHA-256 of its token is stored; the token itself is shown once, at creation.
    """

    __tablename__ = "api_clients"
    __table_args__ = (
        CheckConstraint("expires_at IS NULL OR expires_at > created_at", name="expiry_after_creation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The instansi that owns the client; only its admins manage it.
    instansi_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: What the client sees: the whole instansi (admin-like) or one unit subtree (operator-like).
    scope_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: The token's first characters, shown in lists so an admin can tell tokens apart.
    token_prefix: Mapped[str] = mapped_column(String(16))
    #: Hex SHA-256 of the whole token (the token is 256 random bits, so no salt or slow hash is needed).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    #: Refreshed at most once a minute (see services.USAGE_RESOLUTION), not on every request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    instansi: Mapped[Unit] = relationship(foreign_keys=[instansi_id])
    scope_unit: Mapped[Unit] = relationship(foreign_keys=[scope_unit_id])
    created_by: Mapped[Person | None] = relationship(foreign_keys=[created_by_id])
    revoked_by: Mapped[Person | None] = relationship(foreign_keys=[revoked_by_id])

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and not self.is_expired(now)

    @property
    def actor(self) -> ClientActor:
        """The client as the scope rule and the report services see it."""
        return ClientActor(self.scope_unit)

    def __repr__(self) -> str:
        return f"<ApiClient {self.id} {self.token_prefix}…>"


@dataclass(frozen=True)
class ClientActor:
    """Duck-typed stand-in for a staff :class:`Person` in ``accounts.scope`` and ``reports.services``:
    the admin of its instansi when scoped to the root, else an operator of its unit subtree.
    Its ``id`` is None, so it never counts as 'the person themself'."""

    scope_unit: Unit
    id: None = None

    @property
    def role(self) -> Role:
        return Role.ADMIN if self.scope_unit.parent_id is None else Role.OPERATOR

    @property
    def rank(self) -> int:
        return ROLE_RANK[self.role]

    @property
    def is_staff(self) -> bool:
        return True
