"""Objects → JSON-ready dicts, in the shapes the OpenAPI document (openapi.py) declares."""
from __future__ import annotations

from datetime import datetime

from ..accounts.models import Unit
from ..courses.models import Program
from ..reports.followup import RowPage
from ..reports.funnel import SCORE_BANDS, STEPS, FunnelReport, FunnelRow
from ..certificates import status_list
from ..certificates.services import verify_url
from .services import CertificateStatus, PersonStatus


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def unit_ref(unit: Unit) -> dict:
    return {"id": unit.id, "name": unit.name}


def program_ref(program: Program) -> dict:
    return {"id": program.id, "title": program.title}


def program_json(program: Program) -> dict:
    return {
        **program_ref(program),
        "description": program.description or "",
        "instansi": unit_ref(program.instansi),
        "starts_on": program.starts_on.isoformat(),
        "ends_on": program.ends_on.isoformat(),
        "published": program.published,
        "jenis": sorted(j.value for j in program.jenis_set),
    }


def _score_stats(row: FunnelRow) -> dict:
    return {
        "scored": row.scored,
        "average": row.average_score,
        "bands": [{"label": label, "min": low, "max": high, "count": count}
                  for (low, high, label), count in zip(SCORE_BANDS, row.bands)],
        "paired": row.paired,
        "average_pre": row.average_pre,
        "average_post": row.average_post,
        "average_gain": row.average_gain,
    }


def funnel_row_json(row: FunnelRow, **key) -> dict:
    """One funnel row; ``key`` names the group (``unit_id=…``, ``jenis=…``, ``golongan=…`` or ``unit=…``)."""
    return {
        **key,
        "label": str(row.label),
        "targeted": row.targeted,
        "counts": {step: row.count(step) for step in STEPS},
        "percent": {step: row.percent(step) for step in STEPS},
        "scores": _score_stats(row),
    }


def funnel_json(report: FunnelReport) -> dict:
    return {
        "program": program_ref(report.program),
        "unit": unit_ref(report.unit),
        "as_of": _time(report.as_of),
        "timezone": report.zone,
        "steps": list(STEPS),
        "total": funnel_row_json(report.total, unit=unit_ref(report.unit)),
        "children": [funnel_row_json(row, unit_id=row.key) for row in report.children],
        "by_jenis": [funnel_row_json(row, jenis=row.key) for row in report.by_jenis],
        "by_golongan": [funnel_row_json(row, golongan=row.key) for row in report.by_golongan],
    }


def person_json(person: PersonStatus) -> dict:
    return {
        "nip": person.nip,
        "name": person.name,
        "jenis": person.jenis.value,
        "golongan": person.golongan,
        "unit": {"id": person.unit_id, "name": person.unit_name},
        "status": person.status,
        "steps": {step: _time(person.steps[step]) for step in STEPS},
        "quiz_best_score": person.best_score,
        "certificate_number": person.certificate_number,
    }


def people_json(program: Program, unit: Unit, page: RowPage) -> dict:
    return {
        "program": program_ref(program),
        "unit": unit_ref(unit),
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "items": [person_json(person) for person in page.items],
    }


def certificate_json(certificate: CertificateStatus) -> dict:
    return {
        "nip": certificate.nip,
        "name": certificate.name,
        "unit": {"id": certificate.unit_id, "name": certificate.unit_name},
        "number": certificate.number,
        "status": certificate.status,
        "issued_at": _time(certificate.issued_at),
        "reissued_at": _time(certificate.reissued_at),
        "revoked_at": _time(certificate.revoked_at),
        "verify_url": verify_url(certificate.verify_code),
        "credential_status": {"status_list": status_list.list_url(certificate.instansi_id),
                              "index": certificate.id},
    }


def certificates_json(program: Program, unit: Unit, page: RowPage) -> dict:
    return {
        "program": program_ref(program),
        "unit": unit_ref(unit),
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "items": [certificate_json(certificate) for certificate in page.items],
    }
