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
from .registry import lookup

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
    result = lookup(code)
    form = UploadForm()
    upload = None
    error = None
    if result is not None and request.method == "POST":
        if form.validate_on_submit():
            data = form.pdf.data.read(MAX_PDF + 1)
            if len(data) > MAX_PDF:
                error = _("Berkas terlalu besar untuk diperiksa (maks 15 MB).")
            elif not data.startswith(b"%PDF-"):
                error = _("Berkas ini bukan PDF.")
            else:
                upload = result.check_upload(data)
        else:
            error = _("Pilih berkas PDF yang akan diperiksa.")
    status = 200 if result is not None else 404
    response = render_template("verify/show.html", code=code, result=result, form=form, upload=upload, error=error)
    return response, status
