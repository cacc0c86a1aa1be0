"""The privacy notice details an instansi fills in (who controls the data and whom to contact)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import Unit
from ..core.clock import now_utc
from ..core.types import UTCDateTime
from ..extensions import db


class PrivacyNotice(db.Model):
    """One per instansi: the controller and the contact for questions and requests about personal data."""

    __tablename__ = "privacy_notices"

    instansi_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    #: The body responsible for the data (pengendali data pribadi), e.g. "BKPSDM Kabupaten Paser".
    controller: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(Text)
    #: Years the personal data of people who have left is kept before `flask privacy purge`.
    retention_years: Mapped[int] = mapped_column(Integer, default=5)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now_utc, onupdate=now_utc)

    instansi: Mapped[Unit] = relationship()
