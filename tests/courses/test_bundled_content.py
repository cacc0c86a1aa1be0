"""The bundled course as a lawyer reviewed it (issue 21): the corrected facts stay corrected, the
quiz covers every form of the SKB 2022 matrix and of PP 94/2021 Pasal 5 huruf n, and the pact's
title and clause 8 say what the law says. Reads the files only (no database)."""
from __future__ import annotations

import re
import tomllib
from types import SimpleNamespace

import pytest

from netral_learn.courses.content import CONTENT_DIR
from netral_learn.pact import document

COURSE = CONTENT_DIR / "netralitas-asn"
SPEC = tomllib.loads((COURSE / "course.toml").read_text(encoding="utf-8"))
MODULES = {m["slug"]: (COURSE / m["file"]).read_text(encoding="utf-8") for m in SPEC["modules"]}
QUESTIONS = tomllib.loads((COURSE / "questions.toml").read_text(encoding="utf-8"))["questions"]
PACT = tomllib.loads((CONTENT_DIR / "pakta" / "pakta-netralitas.toml").read_text(encoding="utf-8"))
IKRAR = tomllib.loads((CONTENT_DIR / "pakta" / "ikrar-netralitas.toml").read_text(encoding="utf-8"))
FORMS = ({f"A-{i}" for i in range(1, 8)} | {f"B-{i}" for i in range(1, 14)}
         | {f"PP94-n{i}" for i in range(1, 8)})


def _question_text(q: dict) -> str:
    return "\n".join([q["text"], *q["options"], q["explanation"], q["basis"]])


def _sections(markdown: str) -> list[str]:
    return re.split(r"(?m)^## ", markdown)


def _everything() -> list[tuple[str, str]]:
    """(where, text) of every piece a learner or signer reads."""
    pieces = [(slug, body) for slug, body in MODULES.items()]
    pieces += [(f"soal: {q['text'][:40]}", _question_text(q)) for q in QUESTIONS]
    pieces += [("pakta", (CONTENT_DIR / "pakta" / "pakta-netralitas.toml").read_text(encoding="utf-8")),
               ("ikrar", (CONTENT_DIR / "pakta" / "ikrar-netralitas.toml").read_text(encoding="utf-8"))]
    return pieces


def test_no_campaign_ban_in_places_of_education_without_the_mk_65_exception():
    """Does every passage naming "tempat pendidikan" also give Putusan MK 65/PUU-XXI/2023's rule?"""
    passages = [(slug, section) for slug, body in MODULES.items() for section in _sections(body)]
    passages += [(f"soal: {q['text'][:40]}", _question_text(q)) for q in QUESTIONS]
    for where, text in passages:
        if "tempat pendidikan" in text:
            assert "65/PUU-XXI/2023" in text or "perguruan tinggi" in text, where
    assert "sekolah tidak termasuk" in MODULES["bentuk-pelanggaran"]
    assert "69/PUU-XXII/2024" in MODULES["bentuk-pelanggaran"] and "periksa JDIH" in MODULES["bentuk-pelanggaran"]


def test_the_pact_footer_cites_the_election_laws_by_their_right_titles():
    """Does the footer cite UU 1/2015 as amended (last by UU 6/2020) and UU 7/2017 as amended by UU 7/2023?"""
    footer = " ".join(PACT["legal_footer"].split())
    assert "Undang-Undang Nomor 1 Tahun 2015" in footer
    assert "terakhir dengan Undang-Undang Nomor 6 Tahun 2020" in footer
    assert "Nomor 7 Tahun 2017 tentang Pemilihan Umum sebagaimana telah diubah dengan Undang-Undang Nomor 7 Tahun 2023" in footer
    assert "Nomor 10 Tahun 2016 tentang" not in footer


def test_clause_8_ties_sanctions_to_the_rules_and_the_title_follows_the_jenis():
    """Does the last clause speak of breaking the neutrality rules, and does a non-ASN signer get a non-ASN title?"""
    last = " ".join(PACT["clauses"][-1]["text"].split())
    assert "ketentuan netralitas" in last and "pernyataan dalam pakta" not in last
    assert len(PACT["clauses"]) == 8
    unit = SimpleNamespace(name="Dinas Uji", parent_id=None, timezone="Asia/Makassar")
    titles = {}
    for jenis in ("PNS", "PPPK", "NON_ASN"):
        person = SimpleNamespace(name="Uji", nip="1", jabatan="-", golongan=None, unit=unit, jenis=jenis)
        values = document.placeholder_values(person, SimpleNamespace(title="P"), SimpleNamespace(name="Kab"),
                                             "Tanah Grogot", __import__("datetime").datetime(2026, 12, 8, 3))
        titles[jenis] = document.fill(PACT["title"], values)
    assert titles["PNS"] == titles["PPPK"] == "Pakta Integritas Netralitas Aparatur Sipil Negara"
    assert titles["NON_ASN"] == "Pakta Integritas Netralitas Pegawai Non-ASN"


def test_reporting_deadline_is_seven_working_days_and_only_for_reports_to_bawaslu():
    """Does module 6 give 7 working days (Pemilu), 7 days (Pilkada, to be checked) and the reach of the limit?"""
    text = MODULES["penanganan-dan-pelaporan"]
    assert "**7 hari kerja**" in text and "Pasal 454 ayat (6)" in text
    assert "Pasal 134" in text and "periksa JDIH" in text
    assert "tidak terikat batas" in text
    for line in text.splitlines():  # plain "7 hari" only for Pilkada
        if re.search(r"7 hari\**(?! ?kerja)", line.replace("**", "")):
            assert "Pilkada" in line, line


@pytest.mark.parametrize("phrase", [
    "kaos", "tukin", "hukuman. Ia lebih dahulu", "Belum ada templat", "segala bentuk pemberian",
    "memengaruhi penilaian", "grup WhatsApp kedinasan, dan anggaran",
    "apabila saya melanggar \\\npernyataan",
])
def test_corrected_wording_does_not_come_back(phrase):
    """Are the words the review struck out (kaos, tukin, the SKB as "Ia", the general gift ban, …) gone?"""
    for where, text in _everything():
        assert phrase not in text, where


def test_the_other_corrected_facts_stay():
    """Bakal calon vs calon, the attributed campaign statement and debates, "sedang sampai berat",
    Pasal 188 after MK 136, KASN dissolved, PPK one meaning, thirteen discipline items listed."""
    media = MODULES["media-sosial"]
    assert "**bakal calon**" in media and "**tabel kode etik**" in media and "**tabel disiplin**" in media
    allowed = MODULES["yang-boleh-dan-komitmen"]
    assert "Menteri Dalam Negeri" in allowed and "Bawaslu RI" in allowed and "### Debat" in allowed
    assert "PPK, PPS" not in allowed and "gratifikasi" in allowed
    assert "sedang sampai berat" in MODULES["sanksi"] and "136/PUU-XXII/2024" in MODULES["sanksi"]
    assert "136/PUU-XXII/2024" in MODULES["dasar-hukum"]
    assert "dibubarkan" in MODULES["penanganan-dan-pelaporan"]
    discipline = MODULES["bentuk-pelanggaran"].split("### Tabel pelanggaran disiplin")[1].split("\n\n>")[0]
    assert "Tiga belas" in discipline and len(re.findall(r"(?m)^\d+\. ", discipline)) == 13
    assert "berkaitan dengan pemilihan" in IKRAR["points"][4]["text"]


def test_every_module_ends_with_a_short_summary():
    """Does each module still end with "### Ringkasan" and three to five bullets in one list?"""
    for slug, body in MODULES.items():
        summary = body.split("### Ringkasan")[-1].strip()
        assert "### Ringkasan" in body and "\n\n" not in summary, slug
        assert 3 <= len([line for line in summary.splitlines() if line.startswith("- ")]) <= 5, slug


def test_every_form_of_the_matrix_has_a_question():

    """Is each of the 20 SKB 2022 forms and the 7 PP 94/2021 forms tested by at least one question?"""
    seen = {form for q in QUESTIONS for form in q.get("forms", [])}
    assert seen <= FORMS, seen - FORMS
    assert FORMS - seen == set()


def test_every_question_has_a_module_tag_and_at_least_two_wrong_options():
    """Does each question belong to a module and (unless true/false) offer two or more wrong answers?"""
    slugs = {m["slug"] for m in SPEC["modules"]}
    for q in QUESTIONS:
        assert q["tag"] in slugs, q["text"]
        if q["type"] != "true_false":
            assert len(q["options"]) - len(q["correct"]) >= 2, q["text"]
    assert {q["tag"] for q in QUESTIONS} == slugs
