"""The one verdict a verification page gives: a pure function of the record's state and the upload.

The page shows exactly one verdict (headline, wording, colour). Without an upload it is about the
record the code names; after an upload it is about that file *and* the record (a genuine file of a
revoked document is "DICABUT", never "ASLI" and never "TIDAK ASLI"). The table it implements is
tested row by row in ``tests/verify/``.

=====================  ==========================  ================  ========
Record                 Input                       Headline          Colour
=====================  ==========================  ================  ========
(none)                 malformed code              KODE TIDAK VALID  error
(none)                 unknown code                TIDAK DIKENAL     error
berlaku                code only / current file    ASLI              success
dicabut                code only / genuine file    DICABUT           error
menunggu saksi         code only / current file    BELUM LENGKAP     warning
re-issued certificate  file replaced by re-issue   VERSI LAMA        warning
pact                   file before the last        VERSI SEBELUMNYA  warning
                       witness signed
any                    change appended after       DIUBAH            error
                       signing / issue
any                    any other file              TIDAK ASLI        error
any                    not a PDF / too large /     TIDAK DIPERIKSA   warning
                       no file chosen
=====================  ==========================  ================  ========
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

SUCCESS, WARNING, ERROR = "success", "warning", "error"


@dataclass(frozen=True)
class Verdict:
    level: str        # success | warning | error (the colour)
    headline: str     # e.g. "ASLI"
    message: str

    @property
    def role(self) -> str:
        """ARIA role: errors interrupt (alert), the rest is announced politely (status)."""
        return "alert" if self.level == ERROR else "status"


def for_code(code: str, result, malformed: bool) -> Verdict:
    """The verdict of a code without an upload."""
    if malformed:
        return Verdict(ERROR, _("KODE TIDAK VALID"),
                       _("%(code)s bukan kode verifikasi: kode terdiri dari 16 huruf dan angka dalam empat "
                         "kelompok, mis. ABCD-EFGH-JKLM-NPQR. Periksa kembali kode yang diketik.", code=code))
    if result is None:
        return Verdict(ERROR, _("TIDAK DIKENAL"),
                       _("Tidak ada dokumen dengan kode %(code)s. Periksa kembali kode yang diketik; dokumen "
                         "yang kodenya tidak dikenal tidak dapat dianggap asli.", code=code))
    if result.status == "revoked":
        return _revoked(result)
    if result.status == "pending":
        return Verdict(WARNING, _("BELUM LENGKAP"), result.status_note)
    message = _("%(kind)s ini tercatat dan berlaku.", kind=result.kind)
    if result.reissued_on:
        message += " " + _("Diterbitkan ulang pada %(date)s setelah koreksi data; berkas sebelumnya tidak berlaku "
                           "lagi.", date=result.reissued_on)
    return Verdict(SUCCESS, _("ASLI"), message)


def _revoked(result) -> Verdict:
    return Verdict(ERROR, _("DICABUT"), _("%(kind)s ini dicabut pada %(date)s dan tidak berlaku lagi.",
                                          kind=result.kind, date=result.revoked_on))


def for_upload_error(message: str) -> Verdict:
    """The file could not be checked at all (not a PDF, too large, none chosen)."""
    return Verdict(WARNING, _("TIDAK DIPERIKSA"), message)


def for_upload(result, check) -> Verdict:
    """The verdict after a file was uploaded for the record ``result``."""
    signed = check.signatures is not None
    if check.appended:
        return Verdict(ERROR, _("DIUBAH"),
                       _("Berkas ini adalah dokumen yang tercatat, tetapi ditambahi perubahan setelah "
                         "ditandatangani (mis. anotasi atau teks). Isinya tidak dapat dipercaya; minta berkas "
                         "aslinya.") if signed else
                       _("Berkas ini adalah dokumen yang tercatat, tetapi ditambahi perubahan setelah "
                         "diterbitkan (mis. anotasi atau teks). Isinya tidak dapat dipercaya; minta berkas "
                         "aslinya."))
    signatures_ok = not signed or check.signatures.all_valid
    if not (check.matches_current or check.matches_earlier) or not signatures_ok:
        return Verdict(ERROR, _("TIDAK ASLI"),
                       _("Isi berkas ini tidak sama dengan %(kind)s yang tercatat dengan kode ini, atau tanda "
                         "tangan elektroniknya tidak sah.", kind=result.kind))
    if result.status == "revoked":
        return Verdict(ERROR, _("DICABUT"),
                       _("Berkas ini memang diterbitkan dengan kode ini, tetapi %(kind)s ini dicabut pada %(date)s "
                         "dan tidak berlaku lagi.", kind=result.kind, date=result.revoked_on))
    if check.matches_earlier:
        if result.reissued_on:
            return Verdict(WARNING, _("VERSI LAMA"),
                           _("Berkas ini %(kind)s yang sama sebelum diterbitkan ulang pada %(date)s setelah koreksi "
                             "data. Versi ini tidak berlaku lagi; minta berkas terbaru kepada pemiliknya.",
                             kind=result.kind, date=result.reissued_on))
        return Verdict(WARNING, _("VERSI SEBELUMNYA"),
                       _("Berkas ini versi sebelumnya dari dokumen yang sama (sebelum tanda tangan saksi terakhir "
                         "ditambahkan). Unduh versi terbaru dari pemiliknya."))
    if result.status == "pending":
        return Verdict(WARNING, _("BELUM LENGKAP"),
                       _("Berkas ini sama persis dengan dokumen yang tercatat, tetapi belum semua saksi "
                         "menandatanganinya; pakta belum berlaku penuh."))
    if signed:
        return Verdict(SUCCESS, _("ASLI"),
                       _("Berkas sama persis dengan dokumen yang tercatat dan %(n)d tanda tangan elektroniknya sah.",
                         n=check.signatures.signatures))
    return Verdict(SUCCESS, _("ASLI"), _("Berkas sama persis dengan %(kind)s yang tercatat dan berlaku.",
                                         kind=result.kind))
