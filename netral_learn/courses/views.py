"""Learner pages: a program, its modules in order, attachments; admin pages register on bp too."""
from __future__ import annotations

from functools import lru_cache

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup

from ..core.clock import now_utc
from ..core.i18n import local_today
from ..core.markdown import render_markdown
from ..core.headers import reloadable
from ..core.storage import storage_root
from ..extensions import db
from ..core.forms import ActionForm
from . import attachments, services
from .models import Attachment

bp = Blueprint("courses", __name__)


@bp.route("/program/<int:program_id>")
@login_required
def program(program_id: int):
    program = services.get_program_for(current_user, program_id)
    card = services.program_card(current_user, program, local_today(current_user))
    return render_template("courses/program.html", card=card, program=program,
                           version=program.course_version,
                           review=services.latest_review(program.course_version))


@lru_cache(maxsize=256)
def _module_html(body_md: str, links: tuple[tuple[str, str], ...], locale: str) -> Markup:
    """A module body as HTML, rendered once per source, attachment links and language (the
    callout labels are translated) in this process: the Markdown parse dominated the page."""
    return render_markdown(body_md, dict(links).get)


def module_body(module) -> Markup:
    """The module's sanitized HTML, with 'lampiran:' names pointing at its attachments."""
    links = tuple((a.filename, url_for("courses.attachment", attachment_id=a.id, filename=a.filename))
                  for a in module.attachments)
    return _module_html(module.body_md, links, str(get_locale()))


@bp.route("/program/<int:program_id>/modul/<int:number>")
@login_required
def module(program_id: int, number: int):
    program = services.get_program_for(current_user, program_id)
    module, enrollment = services.open_module(current_user, program, number - 1, local_today(current_user))
    state = services.journey_state(program, enrollment)
    now = now_utc()
    # Rendered before the commit, which would expire every loaded object and reload them all.
    page = render_template("courses/module.html", program=program, module=module, body=module_body(module),
                           version=program.course_version, review=services.latest_review(program.course_version),
                           number=number, total=state.module_count,
                           completed=(number - 1) in state.completed, form=ActionForm(),
                           wait=services.reading_wait_in(enrollment, module, now), now=now)
    db.session.commit()
    return reloadable(page)


@bp.route("/program/<int:program_id>/modul/<int:number>/selesai", methods=["POST"])
@login_required
def complete(program_id: int, number: int):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    program = services.get_program_for(current_user, program_id)
    try:
        enrollment = services.complete_module(current_user, program, number - 1, local_today(current_user))
    except services.ReadingTooShort as refused:  # back to the page, which shows the time left
        flash(str(refused.message), "error")
        return redirect(url_for("courses.module", program_id=program.id, number=number, _anchor="akhir"))
    if number < services.journey_state(program, enrollment).module_count:  # before the commit expires them
        target = url_for("courses.module", program_id=program.id, number=number + 1)
    else:
        target = url_for("courses.program", program_id=program.id)
    db.session.commit()
    return redirect(target)


@bp.route("/lampiran/<int:attachment_id>/<path:filename>")
@login_required
def attachment(attachment_id: int, filename: str):
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.filename != filename or not attachments.may_view(current_user, item):
        abort(404)
    response = send_file(storage_root() / attachments.AREA / item.stored_name, mimetype=item.mime,
                         download_name=item.filename, as_attachment=False, conditional=True,
                         max_age=3600, etag=item.sha256)
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


from . import admin_views  # noqa: E402,F401  (admin routes on bp)
