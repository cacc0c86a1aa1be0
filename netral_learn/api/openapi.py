"""The OpenAPI 3.1 document of /api/v1: the one description of every endpoint, parameter and
response. The tests run the API against it (schemathesis), and object schemas forbid
undeclared properties, so the code and this document cannot drift apart unnoticed.
"""
from __future__ import annotations

from ..accounts.models import Jenis
from ..reports.funnel import SCORE_BANDS, STEPS
from .services import CERTIFICATE_STATUSES, STATUSES

API_VERSION = "1.0.0"
#: Largest id the database holds (ids are 32-bit integers); larger ones are answered 404.
MAX_ID = 2**31 - 1
#: Page size of the people list: the default and the most a client may ask for.
PER_PAGE_DEFAULT, PER_PAGE_MAX = 100, 500
#: What the ``nip`` filter accepts (NIP, NI PPPK or an agency's id for non-ASN staff).
NIP_PATTERN = r"[0-9A-Za-z.\-]{1,32}"


# --- building blocks -----------------------------------------------------------------------

def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _object(properties: dict, description: str | None = None) -> dict:
    """A closed object whose properties are all required (absent values are null, never missing)."""
    schema = {"type": "object", "properties": properties, "required": list(properties),
              "additionalProperties": False}
    if description:
        schema["description"] = description
    return schema


def _per_step(value: dict, description: str) -> dict:
    return _object({step: value for step in STEPS}, description)


_INT = {"type": "integer", "minimum": 0}
_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
_TIME = {"type": "string", "format": "date-time"}
_SCORE = {"type": "number", "minimum": 0, "maximum": 100}
_JENIS = {"type": "string", "enum": [j.value for j in Jenis]}


def _funnel_row(key: str, key_schema: dict, description: str) -> dict:
    """A funnel row keyed by ``key``: counts, percentages and score statistics of one group."""
    return _object({
        key: key_schema,
        "label": {"type": "string", "description": "Display name of the group (in the instansi's language)."},
        "targeted": {**_INT, "description": "People the program targets in this group (the denominator)."},
        "counts": _per_step(_INT, "People who reached each step."),
        "percent": _per_step({"type": "number", "minimum": 0, "maximum": 100},
                             "Share of `targeted` who reached each step, 0–100, one decimal."),
        "scores": _ref("ScoreStats"),
    }, description)


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str, **extra) -> dict:
    return {**_json(_ref("Error"), description), **extra}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _operation(operation_id: str, summary: str, ok: dict, *, parameters=(), errors=("401", "429", "503"),
               description: str | None = None) -> dict:
    operation = {"operationId": operation_id, "summary": summary, "tags": ["reports"],
                 "responses": {"200": ok, **{code: {"$ref": f"#/components/responses/{code}"} for code in errors}}}
    if parameters:
        operation["parameters"] = list(parameters)
    if description:
        operation["description"] = description
    return {"get": operation}


_PROGRAM_ID = {"$ref": "#/components/parameters/program_id"}
_UNIT_ID = _query("unit_id", _ID, "Report on this unit's subtree (default: the top of the client's scope). "
                                  "A unit outside the client's scope or the program's instansi is answered 404.")
_PROGRAM_ERRORS = ("400", "401", "404", "429", "503")


# --- the document --------------------------------------------------------------------------

SCHEMAS = {
    "Error": _object({
        "error": {"type": "string", "description": "What went wrong, for a person to read."},
        "status": {"type": "integer", "description": "The HTTP status, repeated."},
    }, "Every error answer has this shape."),
    "UnitRef": _object({"id": _ID, "name": {"type": "string"}}),
    "ProgramRef": _object({"id": _ID, "title": {"type": "string"}}),
    "Program": _object({
        "id": _ID,
        "title": {"type": "string"},
        "description": {"type": "string"},
        "instansi": _ref("UnitRef"),
        "starts_on": {"type": "string", "format": "date"},
        "ends_on": {"type": "string", "format": "date"},
        "published": {"type": "boolean", "description": "Drafts are visible to instansi-wide clients only."},
        "jenis": {"type": "array", "items": _JENIS, "description": "Employee types the program targets."},
    }, "A program (campaign): a course, a quiz, a pact and a certificate for its target units."),
    "ProgramList": _object({"items": {"type": "array", "items": _ref("Program")}},
                           "The programs the client may report on, newest first."),
    "ScoreBand": _object({
        "label": {"type": "string"},
        "min": {"type": "integer", "description": "Lowest score in the band (inclusive)."},
        "max": {"type": ["integer", "null"], "description": "Upper bound (exclusive); null for the top band."},
        "count": _INT,
    }),
    "ScoreStats": _object({
        "scored": {**_INT, "description": "People with a post-test score."},
        "average": _nullable(_SCORE),
        "bands": {"type": "array", "items": _ref("ScoreBand"), "minItems": len(SCORE_BANDS),
                  "maxItems": len(SCORE_BANDS)},
        "paired": {**_INT, "description": "People with both a pre-test and a post-test score."},
        "average_pre": _nullable(_SCORE),
        "average_post": _nullable(_SCORE),
        "average_gain": {"type": ["number", "null"], "minimum": -100, "maximum": 100},
    }, "Best post-test scores, and pre-test → post-test gain of those who took both."),
    "FunnelTotal": _funnel_row("unit", _ref("UnitRef"), "The whole subtree of the unit reported on."),
    "FunnelUnitRow": _funnel_row("unit_id", _nullable(_ID),
                                 "One direct child unit with its subtree; `unit_id` null for the people placed "
                                 "in the reported unit itself."),
    "FunnelJenisRow": _funnel_row("jenis", _JENIS, "One employee type."),
    "FunnelGolonganRow": _funnel_row("golongan", {"type": ["string", "null"]},
                                     "One golongan (rank); null for people without one."),
    "Funnel": _object({
        "program": _ref("ProgramRef"),
        "unit": _ref("UnitRef"),
        "as_of": {**_TIME, "description": "When the figures were counted (they may come from a recent snapshot)."},
        "timezone": {"type": "string", "description": "IANA zone of the instansi, e.g. Asia/Makassar."},
        "steps": {"type": "array", "items": {"type": "string", "enum": list(STEPS)},
                  "description": "The journey's steps in order."},
        "total": _ref("FunnelTotal"),
        "children": {"type": "array", "items": _ref("FunnelUnitRow")},
        "by_jenis": {"type": "array", "items": _ref("FunnelJenisRow")},
        "by_golongan": {"type": "array", "items": _ref("FunnelGolonganRow")},
    }, "Completion funnel of a program under a unit: each breakdown sums to the total."),
    "PersonStatus": _object({
        "nip": {"type": "string", "description": "NIP, NI PPPK or the agency's id for non-ASN staff."},
        "name": {"type": "string"},
        "jenis": _JENIS,
        "golongan": {"type": ["string", "null"]},
        "unit": _ref("UnitRef"),
        "status": {"type": "string", "enum": list(STATUSES), "description": "The furthest step reached."},
        "steps": _per_step(_nullable(_TIME), "When each step was reached; null if not (yet)."),
        "quiz_best_score": _nullable(_SCORE),
        "certificate_number": {"type": ["string", "null"], "description": "Number of the valid certificate."},
    }, "One person the program targets and how far they got."),
    "PeoplePage": _object({
        "program": _ref("ProgramRef"),
        "unit": _ref("UnitRef"),
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX},
        "total": {**_INT, "description": "Matching people on all pages."},
        "pages": {"type": "integer", "minimum": 1},
        "items": {"type": "array", "items": _ref("PersonStatus")},
    }, "One page of people, ordered by unit name and person name."),
    "CertificateStatus": _object({
        "nip": {"type": "string", "description": "NIP, NI PPPK or the agency's id for non-ASN staff."},
        "name": {"type": "string"},
        "unit": _ref("UnitRef"),
        "number": {"type": "string", "description": "Certificate number (kept on re-issue)."},
        "status": {"type": "string", "enum": list(CERTIFICATE_STATUSES),
                   "description": "valid, or revoked (the reason is not published)."},
        "issued_at": _TIME,
        "reissued_at": {**_nullable(_TIME), "description": "Last re-issue after a data correction, if any."},
        "revoked_at": {**_nullable(_TIME), "description": "When it was revoked; null while valid."},
        "verify_url": {"type": "string", "format": "uri", "description": "Public verification page."},
        "credential_status": _object({
            "status_list": {"type": "string", "format": "uri",
                            "description": "The signed W3C Bitstring Status List the credential points at."},
            "index": {**_INT, "description": "The credential's statusListIndex in that list."},
        }, "Where the Open Badges credential's revocation bit is published."),
    }, "One certificate of a person under the reported unit. A person may have a revoked certificate and, "
       "after signing the pact again, a valid one."),
    "CertificatePage": _object({
        "program": _ref("ProgramRef"),
        "unit": _ref("UnitRef"),
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX},
        "total": {**_INT, "description": "Matching certificates on all pages."},
        "pages": {"type": "integer", "minimum": 1},
        "items": {"type": "array", "items": _ref("CertificateStatus")},
    }, "One page of certificates, ordered by unit name and person name."),
}

_RETRY_AFTER = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait."}}
RESPONSES = {
    "400": _error("A parameter is malformed or out of range."),
    "401": _error("The bearer token is missing, unknown, revoked or expired.", headers={
        "WWW-Authenticate": {"required": True, "schema": {"type": "string"},
                             "description": 'Always `Bearer realm="…"`, with `error="invalid_token"` when a '
                                            "token was given."}}),
    "404": _error("No such program or unit, or it lies outside the client's scope (the two are not told apart)."),
    "429": _error("Too many requests for this token; see the Retry-After header.", headers=_RETRY_AFTER),
    "503": _error("The database or the rate-limit store is briefly unavailable; retry after Retry-After seconds.",
                  headers=_RETRY_AFTER),
}

PATHS = {
    "/programs": _operation("listPrograms", "Programs the client may report on", _json(_ref("ProgramList"), "OK")),
    "/programs/{program_id}": _operation("getProgram", "One program", _json(_ref("Program"), "OK"),
                                         parameters=[_PROGRAM_ID], errors=_PROGRAM_ERRORS),
    "/programs/{program_id}/funnel": _operation(
        "getFunnel", "Completion funnel of a program under a unit", _json(_ref("Funnel"), "OK"),
        parameters=[_PROGRAM_ID, _UNIT_ID], errors=_PROGRAM_ERRORS,
        description="Totals, one row per direct child unit, per employee type and per golongan, and score "
                    "statistics, the same figures as the Laporan page."),
    "/programs/{program_id}/people": _operation(
        "listPeople", "Per-person status in a program", _json(_ref("PeoplePage"), "OK"),
        parameters=[_PROGRAM_ID, _UNIT_ID,
                    _query("status", {"type": "string", "enum": list(STATUSES)}, "Only people whose furthest step "
                                                                                  "is this one."),
                    _query("jenis", _JENIS, "Only people of this employee type."),
                    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1},
                           "Page number; a page past the end is empty."),
                    _query("per_page", {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX,
                                        "default": PER_PAGE_DEFAULT}, "People per page.")],
        errors=_PROGRAM_ERRORS),
    "/programs/{program_id}/certificates": _operation(
        "listCertificates", "Certificates of a program and whether each is valid or revoked",
        _json(_ref("CertificatePage"), "OK"),
        parameters=[_PROGRAM_ID, _UNIT_ID,
                    _query("status", {"type": "string", "enum": list(CERTIFICATE_STATUSES)},
                           "Only valid or only revoked certificates."),
                    _query("nip", {"type": "string", "pattern": f"^{NIP_PATTERN}$"},
                           "Only the certificates of the person with this NIP / NI PPPK / id."),
                    _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_ID, "default": 1},
                           "Page number; a page past the end is empty."),
                    _query("per_page", {"type": "integer", "minimum": 1, "maximum": PER_PAGE_MAX,
                                        "default": PER_PAGE_DEFAULT}, "Certificates per page.")],
        errors=_PROGRAM_ERRORS,
        description="The same scope as the people list: the client's unit subtree (or `unit_id` within it). "
                    "A certificate revoked (also through its pact) answers `revoked` with its date."),
    "/openapi.json": {"get": {
        "operationId": "getOpenApi", "summary": "This document", "tags": ["meta"], "security": [],
        "responses": {"200": _json({"type": "object", "required": ["openapi", "paths"]}, "The OpenAPI document"),
                      "429": {"$ref": "#/components/responses/429"},
                      "503": {"$ref": "#/components/responses/503"}}}},
}


def document() -> dict:
    """The OpenAPI document served at /api/v1/openapi.json."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Netral Learn API",
            "version": API_VERSION,
            "description": "Read-only figures of the neutrality programs for personnel systems and dashboards. "
                           "Every request carries `Authorization: Bearer <token>`; an admin BKPSDM issues tokens "
                           "on the API page. A token sees what a user of the same scope sees: its whole instansi "
                           "or one unit subtree; anything else is answered 404. Times are UTC (ISO 8601), dates "
                           "are the instansi's local dates. Answers are never cached (`Cache-Control: no-store`) "
                           "and each token has a rate limit (X-RateLimit-* headers).",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": "reports", "description": "Programs and their completion figures."},
                 {"name": "meta", "description": "About the API itself."}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "nlk_…",
                                               "description": "A token issued by an admin BKPSDM."}},
            "parameters": {"program_id": {"name": "program_id", "in": "path", "required": True, "schema": _ID}},
            "schemas": SCHEMAS,
            "responses": RESPONSES,
        },
    }


def endpoints() -> list[dict]:
    """(method, path, summary, parameter names) of every operation, for the admins' API page."""
    doc = document()
    base = doc["servers"][0]["url"]
    parameters = doc["components"]["parameters"]
    rows = []
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            names = [parameters[p["$ref"].rsplit("/", 1)[1]]["name"] if "$ref" in p else p["name"]
                     for p in operation.get("parameters", [])]
            rows.append({"method": method.upper(), "path": base + path, "summary": operation["summary"],
                         "parameters": names, "public": operation.get("security") == []})
    return rows
