"""/api/v1: read-only JSON for integration clients, authenticated by bearer token.

Thin like every view: parse the query, load through the report services with the client's
actor (404 outside its scope), serialize. Token auth needs no CSRF protection; answers are
never cached; each token has its own rate limit.
"""
from __future__ import annotations

import re
from functools import wraps

from flask import Blueprint, current_app, jsonify, request
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address

from ..accounts.models import Jenis
from ..core.clock import now_utc
from ..core.errors import InvalidInput, OutOfScope
from ..core import audit
from ..extensions import csrf, db, limiter
from ..reports.services import funnel_report, get_report_program, programs_for_viewer, report_unit
from . import openapi, serializers, services

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

#: Requests per token (or, without a token, per address); API_RATE_LIMIT in the config overrides it.
DEFAULT_RATE_LIMIT = "120/minute"
#: Rejected tokens per address before further requests from it are refused for a while.
DEFAULT_AUTH_FAILURE_LIMIT = "30/minute"
REALM = "Netral Learn API"


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def _rate_key() -> str:
    """The token's hash (never the token itself) when one is given, else the client's address."""
    token = _bearer_token()
    return f"api-token:{services.hash_token(token)}" if token else f"api-ip:{get_remote_address()}"


limiter.limit(lambda: current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT), key_func=_rate_key)(bp)
# Made-up tokens each have a fresh per-token limit, so rejected tokens also count per address.
limiter.limit(lambda: current_app.config.get("API_AUTH_FAILURE_LIMIT", DEFAULT_AUTH_FAILURE_LIMIT),
              key_func=lambda: f"api-rejected:{get_remote_address()}",
              deduct_when=lambda response: response.status_code == 401)(bp)


@bp.errorhandler(services.TokenRejected)
def _token_rejected(error: services.TokenRejected):
    db.session.rollback()
    challenge = f'Bearer realm="{REALM}"' + (', error="invalid_token"' if _bearer_token() else "")
    response = jsonify(error=str(error.message), status=401)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = challenge
    return response


@bp.after_request
def _no_store(response):
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def token_required(view):
    """Authenticate the bearer token and call ``view(actor, …)`` with the client's scope."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        now = now_utc()
        client = services.authenticate(_bearer_token(), now)
        if services.record_use(client, now):  # at most once a minute per token
            audit.record(None, "api.token_use", f"api_client:{client.id}", path=request.path, ip=request.remote_addr)
            db.session.commit()
        return view(client.actor, *args, **kwargs)

    return wrapper


# --- parameters ----------------------------------------------------------------------------

def _int_param(name: str, default: int | None, maximum: int) -> int | None:
    """A positive integer query parameter, at most ``maximum``; InvalidInput (400) otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,12}", raw) or not 1 <= int(raw) <= maximum:
        raise InvalidInput(_l("Parameter %(name)s harus bilangan bulat 1–%(max)d.", name=name, max=maximum))
    return int(raw)


def _choice_param(name: str, choices) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise InvalidInput(_l("Parameter %(name)s harus salah satu dari: %(choices)s.", name=name,
                              choices=", ".join(choices)))
    return raw


def _nip_param() -> str | None:
    """The ``nip`` filter: the NIP, NI PPPK or agency id as stored (letters, digits, . and -)."""
    raw = request.args.get("nip")
    if raw is None:
        return None
    if not re.fullmatch(openapi.NIP_PATTERN, raw):
        raise InvalidInput(_l("Parameter nip harus 1–32 huruf, angka, titik atau tanda minus."))
    return raw


def _program(actor, program_id: int):
    if program_id > openapi.MAX_ID:
        raise OutOfScope()
    return get_report_program(actor, program_id)


def _program_and_unit(actor, program_id: int):
    """The program and unit of a report request (both checked against the client's scope)."""
    program = _program(actor, program_id)
    return program, report_unit(actor, program, _int_param("unit_id", None, openapi.MAX_ID))


# --- endpoints -----------------------------------------------------------------------------

@bp.get("/openapi.json")
def openapi_document():
    response = jsonify(openapi.document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/programs")
@token_required
def programs(actor):
    return jsonify(items=[serializers.program_json(p) for p in programs_for_viewer(actor)])


@bp.get("/programs/<int:program_id>")
@token_required
def program(actor, program_id: int):
    return jsonify(serializers.program_json(_program(actor, program_id)))


@bp.get("/programs/<int:program_id>/funnel")
@token_required
def funnel(actor, program_id: int):
    program, unit = _program_and_unit(actor, program_id)
    return jsonify(serializers.funnel_json(funnel_report(program, unit)))


@bp.get("/programs/<int:program_id>/people")
@token_required
def people(actor, program_id: int):
    program, unit = _program_and_unit(actor, program_id)
    jenis = _choice_param("jenis", [j.value for j in Jenis])
    page = services.people_page(
        program, unit, status=_choice_param("status", services.STATUSES), jenis=Jenis(jenis) if jenis else None,
        page=_int_param("page", 1, openapi.MAX_ID),
        per_page=_int_param("per_page", openapi.PER_PAGE_DEFAULT, openapi.PER_PAGE_MAX))
    return jsonify(serializers.people_json(program, unit, page))


@bp.get("/programs/<int:program_id>/certificates")
@token_required
def certificates(actor, program_id: int):
    program, unit = _program_and_unit(actor, program_id)
    page = services.certificates_page(
        program, unit, status=_choice_param("status", services.CERTIFICATE_STATUSES), nip=_nip_param(),
        page=_int_param("page", 1, openapi.MAX_ID),
        per_page=_int_param("per_page", openapi.PER_PAGE_DEFAULT, openapi.PER_PAGE_MAX))
    return jsonify(serializers.certificates_json(program, unit, page))
