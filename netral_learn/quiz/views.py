"""Quiz pages: rules and history, the attempt (autosave, timer), submit, result and review.

The attempt forms are exempt from the global CSRF check and validate their token here with a
lifetime as long as an attempt can live: a quiz left open longer than the usual token lifetime
must still submit. The token stays bound to the person's session.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from ..core.clock import now_utc
from ..core.ids import parse_id
from ..courses import services as course_services
from ..extensions import csrf, db
from ..core.forms import ActionForm
from . import services
from .models import AttemptKind, AttemptStatus

bp = Blueprint("quiz", __name__)

#: An attempt page's token lives as long as an attempt can (untimed ones close after a day idle).
QUIZ_TOKEN_SECONDS = int(services.ABANDONED_AFTER.total_seconds()) + 3600


def _program(program_id: int):
    return course_services.get_program_for(current_user, program_id)


def _check_token() -> None:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    token = request.form.get("csrf_token") or request.headers.get("X-CSRFToken")
    try:
        validate_csrf(token, time_limit=QUIZ_TOKEN_SECONDS)
    except (ValidationError, CSRFError):
        abort(400)


def _answers_from_form() -> dict[int, list[int]]:
    """Form fields 'q-<attempt question id>' → chosen option ids."""
    answers: dict[int, list[int]] = {}
    for key in request.form:
        question_id = parse_id(key[2:]) if key.startswith("q-") else None
        if question_id is not None:
            answers[question_id] = [v for v in map(parse_id, request.form.getlist(key)) if v is not None]
    for key in request.form.getlist("shown"):  # questions on the page with nothing ticked
        question_id = parse_id(key)
        if question_id is not None:
            answers.setdefault(question_id, [])
    return answers


@bp.route("/program/<int:program_id>/kuis")
@login_required
def overview(program_id: int):
    program = _program(program_id)
    now = now_utc()
    settings = services.settings_for(program)
    attempts = services.attempts_of(current_user, program)
    return render_template(
        "quiz/overview.html", program=program, settings=settings, attempts=attempts,
        check=services.can_start(current_user, program, AttemptKind.POST, now),
        pre_check=services.can_start(current_user, program, AttemptKind.PRE, now),
        pretests=services.attempts_of(current_user, program, AttemptKind.PRE),
        active=services.active_attempt(current_user, program, AttemptKind.POST),
        form=ActionForm(),
    )


@bp.route("/program/<int:program_id>/kuis/mulai", methods=["POST"])
@login_required
def start(program_id: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    program = _program(program_id)
    kind = AttemptKind.PRE if request.form.get("kind") == "pre" else AttemptKind.POST
    attempt = services.start_attempt(current_user, program, kind, now_utc())
    target = url_for("quiz.attempt", program_id=program.id, attempt_id=attempt.id)
    # Everyone presses 'Mulai' in the same seconds: answer with the first question page itself,
    # rendered from the objects in hand before the commit expires them, rather than a redirect
    # whose GET would queue again behind everyone's POST; quiz.js puts the attempt's own address in
    # the address bar.
    page = _attempt_page(program, attempt, here=target)
    db.session.commit()
    response = current_app.make_response(page)
    response.headers["Content-Location"] = target
    return response


def _attempt_page(program, attempt, *, here: str | None = None) -> str:
    return render_template("quiz/attempt.html", program=program, attempt=attempt,
                           saved=request.args.get("tersimpan"), now=now_utc(), here=here)


@bp.route("/program/<int:program_id>/kuis/<int:attempt_id>")
@login_required
def attempt(program_id: int, attempt_id: int):
    program = _program(program_id)
    attempt = services.get_attempt_for(current_user, program, attempt_id)
    if attempt.status != AttemptStatus.ACTIVE:
        return redirect(url_for("quiz.result", program_id=program.id, attempt_id=attempt.id))
    if services.is_overdue(attempt, now_utc()):
        services.finish_attempt(attempt, now_utc(), AttemptStatus.EXPIRED)
        db.session.commit()
        return redirect(url_for("quiz.result", program_id=program.id, attempt_id=attempt.id))
    return _attempt_page(program, attempt)


@bp.route("/program/<int:program_id>/kuis/<int:attempt_id>/simpan", methods=["POST"])
@csrf.exempt
@login_required
def save(program_id: int, attempt_id: int):
    _check_token()
    program = _program(program_id)
    attempt = services.get_attempt_for(current_user, program, attempt_id, lock=True)
    saved = services.save_answers(attempt, _answers_from_form(), now_utc())
    db.session.commit()
    if request.accept_mimetypes.best == "application/json":
        # the server's clock: quiz.js re-syncs its countdown (the page may have waited in a slow link)
        return jsonify(saved=saved, status="ok", now=now_utc().isoformat(timespec="milliseconds"))
    return redirect(url_for("quiz.attempt", program_id=program.id, attempt_id=attempt.id, tersimpan=1))


@bp.route("/program/<int:program_id>/kuis/<int:attempt_id>/kirim", methods=["POST"])
@csrf.exempt
@login_required
def submit(program_id: int, attempt_id: int):
    _check_token()
    program = _program(program_id)
    attempt = services.get_attempt_for(current_user, program, attempt_id, lock=True)
    answers = _answers_from_form()
    if request.form.get("kirim_tetap") != "1":
        blanks = services.blank_questions(attempt, answers, now_utc())
        if blanks:  # ask first (quiz.js asks in the page; this is the page without JavaScript)
            page = render_template("quiz/confirm_submit.html", program=program, attempt=attempt, blanks=blanks)
            db.session.commit()
            return page
    services.submit_attempt(attempt, answers, now_utc())
    target = url_for("quiz.result", program_id=program.id, attempt_id=attempt.id)  # before the commit expires them
    db.session.commit()
    return redirect(target)


@bp.route("/program/<int:program_id>/kuis/<int:attempt_id>/hasil")
@login_required
def result(program_id: int, attempt_id: int):
    program = _program(program_id)
    attempt = services.get_attempt_for(current_user, program, attempt_id)
    if attempt.status == AttemptStatus.ACTIVE:
        return redirect(url_for("quiz.attempt", program_id=program.id, attempt_id=attempt.id))
    outcome = services.outcome_of(current_user, program, attempt)
    return render_template(
        "quiz/result.html", program=program, attempt=attempt, outcome=outcome,
        review=outcome.review, best=services.best_score(current_user, program),
        check=services.can_start(current_user, program, AttemptKind.POST, now_utc()), form=ActionForm(),
        version=program.course_version, legal_review=course_services.latest_review(program.course_version),
    )


from . import admin_views  # noqa: E402,F401  (admin routes on bp)
