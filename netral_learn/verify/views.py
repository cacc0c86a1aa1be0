"""Verifikasi: anyone checks a document by its code (from the QR) and may upload the PDF."""
from __future__ import annotations

import re

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ..extensions import limiter
from . import verdict as verdicts
from .registry import canonical_code, lookup

bp = Blueprint("verify", __name__)
MAX_PDF = 15 * 1024 * 1024


class CodeForm(FlaskForm):
    class Meta:
        csrf = False

    code = StringField(validators=[DataRequired(), Length(max=40)])


class UploadForm(FlaskForm):
    pdf = FileField(validators=[FileRequired()])


@bp.route("/verifikasi")
def index():
    form = CodeForm(request.args)
    if form.code.data:
        code = re.sub(r"[^A-Za-z0-9-]", "", form.code.data.strip().upper())
        return redirect(url_for("verify.show", code=code))
    return render_template("verify/index.html", form=form)


@bp.route("/verifikasi/<code>", methods=["GET", "POST"])
@limiter.limit("30/minute", methods=["POST"])
def show(code: str):
    """One verdict per page: about the code's record, or (after an upload) about that file and the record."""
    malformed = canonical_code(code) is None
    result = None if malformed else lookup(code)
    form = UploadForm()
    verdict = verdicts.for_code(code, result, malformed)
    if result is not None and request.method == "POST":
        if not form.validate_on_submit():
            verdict = verdicts.for_upload_error(_("Pilih berkas PDF yang akan diperiksa."))
        else:
            data = form.pdf.data.read(MAX_PDF + 1)
            if len(data) > MAX_PDF:
                verdict = verdicts.for_upload_error(_("Berkas terlalu besar untuk diperiksa (maks 15 MB)."))
            elif not data.lstrip(b"\r\n\t ").startswith(b"%PDF-"):
                verdict = verdicts.for_upload_error(_("Berkas ini bukan PDF, jadi tidak dapat diperiksa. Unggah "
                                                      "berkas PDF dokumen yang Anda terima."))
            else:
                verdict = verdicts.for_upload(result, result.check_upload(data))
    status = 200 if result is not None else 404
    return render_template("verify/show.html", code=code, result=result, form=form, verdict=verdict,
                           checked=request.method == "POST" and result is not None), status
