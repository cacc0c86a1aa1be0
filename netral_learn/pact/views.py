"""Pact pages: sign, download, witness countersigning, admin download and revocation."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.forms import ActionForm
from ..accounts.models import Role
from ..core.clock import now_utc
from ..core.ids import parse_id
from ..accounts.scope import Action, acts_on_person, get_person, requires
from ..core.transactions import attempt
from ..courses import services as course_services
from ..courses.progress import Step
from ..core import audit
from ..extensions import db
from . import services
from .forms import PactRevokeForm, SignForm, WitnessForm
from .models import PactSignature

bp = Blueprint("pact", __name__)


def _agreed() -> set[int]:
    """The clause positions ticked on the signing form (anything else is ignored)."""
    positions = (parse_id(raw, minimum=0) for raw in request.form.getlist("agree"))
    return {value for value in positions if value is not None}


def _pdf(signature: PactSignature) -> Response:
    signature = services.ensure_pdf(signature)
    db.session.commit()
    return Response(services.pdf_bytes(signature), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="pakta-{signature.verify_code}.pdf"',
        "Cache-Control": "private, no-store"})


@bp.route("/program/<int:program_id>/pakta", methods=["GET", "POST"])
@login_required
def sign(program_id: int):
    program = course_services.get_program_for(current_user, program_id)
    existing = services.find_signature(current_user, program)
    if existing is not None:
        return render_template("pact/signed.html", program=program, signature=existing)
    course_services.require_step(current_user, program, Step.PACT)
    form = SignForm()
    error = None
    pact = services.filled_pact(current_user, program, now_utc())
    if form.validate_on_submit():
        agreed = _agreed()
        sign_request = services.SignRequest(agreed, form.typed_name.data, form.password.data,
                                            form.drawn_signature.data or None, request.remote_addr,
                                            request.user_agent.string)
        _signed, error = attempt(lambda: services.sign_pact(current_user, program, sign_request, now_utc()))
        if error is None:
            flash(_("Pakta integritas berhasil ditandatangani."), "success")
            return redirect(url_for("pact.sign", program_id=program.id))
    witnesses = services.program_pact(program)[1]
    return render_template("pact/sign.html", program=program, pact=pact, form=form, error=error,
                           witnesses=witnesses, agreed=_agreed())


@bp.route("/program/<int:program_id>/pakta.pdf")
@login_required
def my_pdf(program_id: int):
    program = course_services.get_program_for(current_user, program_id)
    signature = services.find_signature(current_user, program)
    if signature is None:
        abort(404)
    if signature.revoked_at is not None:  # the holder gets a page that says so, not a file or an error
        return render_template("errors/revoked.html", kind=_("Pakta integritas"), revoked_at=signature.revoked_at,
                               reason=signature.revoked_reason, code=signature.verify_code,
                               back_url=url_for("pact.sign", program_id=program.id),
                               back_label=_("Pakta Integritas")), 410
    return _pdf(signature)


@bp.route("/admin/pakta/<int:signature_id>.pdf")
@requires(Role.OPERATOR)
@acts_on_person(Action.VIEW)
def staff_pdf(signature_id: int):
    signature = db.session.get(PactSignature, signature_id)
    if signature is None:
        abort(404)
    get_person(current_user, signature.person_id)  # 404 outside the actor's scope
    audit.record(current_user, "person.view", f"pact:{signature.id}", page="pact.pdf")
    db.session.commit()
    return _pdf(signature)


def _signature_to_act_on(signature_id: int):
    """A pact signature and its signer, whom the staff member may act on (404 / 403 otherwise)."""
    signature = db.session.get(PactSignature, signature_id)
    if signature is None:
        abort(404)
    return signature, get_person(current_user, signature.person_id, Action.EDIT)


@bp.route("/admin/pakta/<int:signature_id>/cabut", methods=["GET", "POST"])
@requires(Role.ADMIN)
@acts_on_person(Action.EDIT)
def revoke(signature_id: int):
    signature, person = _signature_to_act_on(signature_id)
    form = PactRevokeForm()
    error = None
    if form.validate_on_submit():
        _revoked, error = attempt(lambda: services.revoke(current_user, signature, form.reason.data, now_utc(),
                                                          certificate_too=form.certificate_too))
        if error is None:
            flash(_("Pakta dan sertifikatnya dicabut. Halaman verifikasi kini menyatakannya dicabut.")
                  if form.certificate_too else
                  _("Pakta dicabut; sertifikat tetap berlaku sesuai pilihan Anda."), "success")
            return redirect(url_for("accounts.person_detail", person_id=person.id))
    return render_template("pact/revoke.html", signature=signature, person=person, form=form, error=error)


@bp.route("/admin/pakta/<int:signature_id>/buka-ulang", methods=["GET", "POST"])
@requires(Role.ADMIN)
@acts_on_person(Action.EDIT)
def reopen(signature_id: int):
    """After a revocation: let the person sign the pact again (the revoked one keeps its code and record)."""
    signature, person = _signature_to_act_on(signature_id)
    form = ActionForm()
    error = None
    if form.validate_on_submit():
        _reopened, error = attempt(lambda: services.reopen(current_user, signature, now_utc()))
        if error is None:
            flash(_("Penandatanganan dibuka ulang: %(name)s dapat menandatangani pakta lagi.", name=person.name),
                  "success")
            return redirect(url_for("pact.admin_program_pact", program_id=signature.program_id))
    return render_template("pact/reopen.html", signature=signature, person=person, form=form, error=error)


@bp.route("/saksi")
@login_required
def witness_list():
    if not services.witness_roles(current_user) and current_user.role != Role.WITNESS:
        abort(403)
    return render_template("pact/witness_list.html", pending=services.pending_for_witness(current_user))


@bp.route("/saksi/<int:signature_id>", methods=["GET", "POST"])
@login_required
def witness_sign(signature_id: int):
    signature, role = services.get_signature_for_witness(current_user, signature_id)
    form = WitnessForm(text_sha256=signature.text_sha256)
    error = None
    if form.validate_on_submit():
        _signed, error = attempt(lambda: services.witness_sign(
            current_user, signature_id, text_sha256=form.text_sha256.data, typed_name=form.typed_name.data,
            password=form.password.data, ip=request.remote_addr, user_agent=request.user_agent.string, now=now_utc()))
        if error is None:
            flash(_("Tanda tangan saksi tersimpan."), "success")
            return redirect(url_for("pact.witness_list"))
    done = any(w.witness_id == role.id for w in signature.witness_signatures)
    return render_template("pact/witness_sign.html", signature=signature, role=role, form=form, error=error,
                           done=done)


from . import admin_views  # noqa: E402,F401  (admin routes on bp)
