"""Certificate pages: the person's own certificate, PDF and digital credential; staff download, re-issue, revoke.

The admin pages (settings, template editor, bulk ZIP) are in admin_views.py, on the same blueprint.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.forms import ActionForm
from ..accounts.models import Role
from ..core import person_page
from ..core.clock import now_utc
from ..accounts.scope import Action, acts_on_person, requires
from ..core.transactions import attempt
from ..courses import services as course_services
from ..courses.progress import Step
from ..core import audit
from ..extensions import db
from ..pact.forms import RevokeForm
from ..pact.keys import SigningKeyMissing
from . import credential, services, status_list
from .models import Certificate

bp = Blueprint("certificates", __name__)


def _own_certificate(program_id: int) -> tuple:
    program = course_services.get_program_for(current_user, program_id)
    certificate = services.find_certificate(current_user.id, program.id)
    if certificate is None:
        enrollment = course_services.require_step(current_user, program, Step.CERTIFICATE)
        certificate = services.issue_certificate(enrollment, now_utc())  # retry-safe follow-up
        db.session.commit()
    return program, certificate


class _Revoked(Exception):
    """The owner asked for the file of a revoked certificate: answered with a page that says so."""

    def __init__(self, program, certificate):
        super().__init__()
        self.program, self.certificate = program, certificate


@bp.errorhandler(_Revoked)
def _revoked_page(error: _Revoked):
    certificate = error.certificate
    return render_template("errors/revoked.html", kind=_("Sertifikat"), revoked_at=certificate.revoked_at,
                           reason=certificate.revoked_reason, code=certificate.verify_code,
                           back_url=url_for("certificates.mine", program_id=error.program.id),
                           back_label=_("Sertifikat")), 410


def _own_valid_certificate(program_id: int) -> Certificate:
    """The owner's certificate for their program; once it is revoked, a 410 page that says so."""
    program, certificate = _own_certificate(program_id)
    if certificate.revoked_at is not None:
        raise _Revoked(program, certificate)
    return certificate


def _send(certificate: Certificate):
    certificate = services.ensure_pdf(certificate)
    db.session.commit()
    response = send_file(services.pdf_path(certificate), mimetype="application/pdf", as_attachment=True,
                         download_name=services.download_name(certificate), etag=certificate.pdf_sha256,
                         conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/program/<int:program_id>/sertifikat")
@login_required
def mine(program_id: int):
    program, certificate = _own_certificate(program_id)
    return render_template("certificates/mine.html", program=program, certificate=certificate)


@bp.route("/program/<int:program_id>/sertifikat.pdf")
@login_required
def my_pdf(program_id: int):
    return _send(_own_valid_certificate(program_id))


@bp.route("/program/<int:program_id>/sertifikat/kredensial.jwt")
@login_required
def my_credential_jwt(program_id: int):
    """The certificate as an Open Badges 3.0 VC-JWT (see credential.py for how it is signed)."""
    token = _signed(credential.signed_jwt, _own_valid_certificate(program_id))
    return Response(token, mimetype=credential.MEDIA_TYPE_JWT,
                    headers={"Content-Disposition": 'attachment; filename="kredensial-sertifikat.jwt"'})


def _public(response):
    """Public, cacheable, readable from any site (wallets and verifiers fetch these)."""
    response.headers["Cache-Control"] = f"public, max-age={status_list.TTL_SECONDS}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route(credential.JWKS_PATH)
def jwks():
    """The public key verifiers check credentials with."""
    return _public(jsonify(_signed(credential.jwks)))


@bp.route(credential.KEY_PATH + "<thumbprint>")
def credential_key(thumbprint: str):
    """What a credential's ``kid`` URI dereferences to: the public JWK (404 for any other key)."""
    if thumbprint != _signed(credential.thumbprint):
        abort(404)
    return _public(jsonify(_signed(credential.public_jwk)))


@bp.route("/kredensial/status/<int:instansi_id>")
def status_list_credential(instansi_id: int):
    """The instansi's signed revocation list (W3C Bitstring Status List as a VC-JWT)."""
    instansi = status_list.find_instansi(instansi_id)
    if instansi is None:
        abort(404)
    token = _signed(status_list.signed_status_list, instansi, now_utc())
    return _public(Response(token, mimetype=credential.MEDIA_TYPE_JWT))


def _signed(make, *args):
    """Sign with the instansi key; 503 while no key is configured."""
    try:
        return make(*args)
    except SigningKeyMissing:
        abort(503)


@bp.route("/admin/sertifikat/<int:certificate_id>")
@requires(Role.OPERATOR)
@acts_on_person(Action.VIEW)
def staff_view(certificate_id: int):
    certificate = services.get_certificate_for_staff(current_user, certificate_id)
    audit.record(current_user, "person.view", f"certificate:{certificate.id}", page="certificate")
    db.session.commit()
    return render_template("certificates/staff.html", certificate=certificate, form=ActionForm(),
                           revoke_form=RevokeForm())


@bp.route("/admin/sertifikat/<int:certificate_id>.pdf")
@requires(Role.OPERATOR)
@acts_on_person(Action.VIEW)
def staff_pdf(certificate_id: int):
    certificate = services.get_certificate_for_staff(current_user, certificate_id)
    audit.record(current_user, "person.view", f"certificate:{certificate.id}", page="certificate.pdf")
    db.session.commit()
    return _send(certificate)


def _flash_outcome(action, success: str) -> None:
    """Run one admin action in its own commit and tell the admin how it went."""
    _result, error = attempt(action)
    flash(str(error) if error else success, "error" if error else "success")


@bp.route("/admin/sertifikat/<int:certificate_id>/terbitkan-ulang", methods=["POST"])
@requires(Role.ADMIN)
@acts_on_person(Action.EDIT)
def reissue(certificate_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    certificate = services.get_certificate_for_staff(current_user, certificate_id, Action.EDIT)
    _flash_outcome(lambda: services.reissue(current_user, certificate, now_utc()),
                   _("Sertifikat diterbitkan ulang dengan nomor yang sama."))
    return redirect(url_for("certificates.staff_view", certificate_id=certificate_id))


@bp.route("/admin/sertifikat/<int:certificate_id>/cabut", methods=["POST"])
@requires(Role.ADMIN)
@acts_on_person(Action.EDIT)
def revoke(certificate_id: int):
    form = RevokeForm()
    certificate = services.get_certificate_for_staff(current_user, certificate_id, Action.EDIT)
    if not form.validate_on_submit():
        flash(_("Tuliskan alasan pencabutan."), "error")
        return redirect(url_for("certificates.staff_view", certificate_id=certificate_id))
    _flash_outcome(lambda: services.revoke(current_user, certificate, form.reason.data, now_utc()),
                   _("Sertifikat dicabut."))
    return redirect(url_for("certificates.staff_view", certificate_id=certificate_id))


def _person_section(actor, person):
    """The person page lists their certificates, so a corrected name can be re-issued."""
    from ..accounts.people import last_correction_at
    from ..accounts.scope import may_act_on

    certificates = services.certificates_of(person.id)
    if not certificates:
        return None
    return {"certificates": certificates, "form": ActionForm(),
            "may_reissue": actor.rank >= 2 and may_act_on(actor, person, Action.EDIT),
            "stale_after": last_correction_at(person.id)}


person_page.register("certificates/_person_section.html", _person_section)

from . import admin_views  # noqa: E402,F401  (admin routes on bp)
