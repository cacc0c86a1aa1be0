"""Beranda (home), language choice, and health/readiness endpoints."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from sqlalchemy import text

from ..core.forms import ActionForm
from ..accounts.models import Role
from ..accounts.scope import requires
from ..core.redirects import safe_next
from ..extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def home():
    from ..core.i18n import local_today
    from ..courses.services import program_card, programs_for
    from ..quiz.grants import mark_out_of_attempts

    if current_user.role == Role.WITNESS:  # a witness account only countersigns pacts
        return redirect(url_for("pact.witness_list"))
    today = local_today(current_user)
    cards = mark_out_of_attempts(current_user, [program_card(current_user, program, today)
                                                 for program in programs_for(current_user)])
    return render_template("main/home.html", cards=cards)


@bp.route("/admin")
@requires(Role.OPERATOR)
def dashboard():
    """Staff home: the programs running today in the viewer's scope with their completion (from
    the report snapshots), the ones just ended or about to start, and every management page."""
    from ..core.i18n import local_today
    from ..reports import services as reports

    today = local_today(current_user)
    programs = reports.programs_for_viewer(current_user)
    running = reports.running_programs(programs, today)
    cards = [(program, reports.funnel_report(program, reports.report_unit(current_user, program, None)))
             for program in running]
    ended = sorted((p for p in programs if p.ends_on < today), key=lambda p: p.ends_on, reverse=True)[:3]
    upcoming = sorted((p for p in programs if p.starts_on > today), key=lambda p: p.starts_on)[:3]
    from ..reports.funnel import STEP_LABELS, STEPS

    return render_template("main/dashboard.html", cards=cards, ended=ended, upcoming=upcoming, today=today,
                           steps=STEPS, step_labels=STEP_LABELS)


@bp.route("/bahasa/<code>", methods=["POST"])
def set_language(code: str):
    form = ActionForm()
    if form.validate_on_submit() and code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))


@bp.route("/healthz")
def health():
    """Liveness: the process answers."""
    return jsonify(status="ok")


@bp.route("/readyz")
def ready():
    """Readiness: 503 when the database does not answer (take this server out of the pool).
    Redis down is reported but stays 200 ("degraded"): rate limits and the cache fall back to
    this process, so the server still serves; removing every server for it would be worse."""
    checks = {"database": "up"}
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means not ready
        db.session.remove()
        checks["database"] = "down"
    if current_app.config.get("REDIS_URL"):
        from ..core.jobs import redis_connection

        try:
            redis_connection().ping()
            checks["redis"] = "up"
        except Exception:  # noqa: BLE001 - any Redis failure means degraded
            checks["redis"] = "down"
    if checks["database"] != "up":
        return jsonify(status="unavailable", **checks), 503
    status = "ok" if all(value == "up" for value in checks.values()) else "degraded"
    return jsonify(status=status, **checks), 200
