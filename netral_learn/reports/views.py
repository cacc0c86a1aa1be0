"""Laporan pages (operators and admins, each within their scope)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__)
