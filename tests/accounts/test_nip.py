"""NIP and NI PPPK parsing: every way a number can be wrong has its own message."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netral_learn.accounts.nip import IdentifierError, parse_ni_pppk, parse_nip, validate_identifier

TODAY = date(2026, 11, 23)


def test_valid_nip_is_parsed_into_its_parts():
    """Does a real-looking NIP give its birth date, TMT, gender and sequence?"""
    info = parse_nip("19860926 201505 1 001", TODAY)
    assert info.number == "198609262015051001"
    assert info.birth_date == date(1986, 9, 26)
    assert (info.appointment_year, info.appointment_month) == (2015, 5)
    assert info.gender == "L" and info.sequence == 1
    assert info.grouped == "19860926 201505 1 001"


@pytest.mark.parametrize("raw, code, words", [
    ("", "required", "wajib"),
    ("1986092620150510", "length", "18 digit"),
    ("19860926201505100A", "not_digits", "angka"),
    ("1.98609E+17", "scientific", "Teks"),
    ("198602302015051001", "birth_date", "tanggal lahir"),
    ("183009262015051001", "birth_date_implausible", "tidak masuk akal"),
    ("198609261995051001", "appointment_year", "Tahun pengangkatan"),
    ("198609262015131001", "appointment_month", "bulan TMT"),
    ("198609262015053001", "gender", "jenis kelamin"),
    ("198609262015051000", "sequence", "000"),
    ("198609262026121001", "appointment_future", "masa depan"),
])
def test_each_way_a_nip_is_wrong_has_its_own_message(raw, code, words):
    """Does each broken rule produce a specific Indonesian message?"""
    with pytest.raises(IdentifierError) as caught:
        parse_nip(raw, TODAY)
    assert caught.value.code == code
    assert words in str(caught.value.message)


def test_pppk_number_typed_as_pns_gets_a_hint():
    """Is an NI PPPK entered as a PNS NIP explained rather than just refused?"""
    with pytest.raises(IdentifierError) as caught:
        parse_nip("199001012021211001", TODAY)
    assert "PPPK" in str(caught.value.message)


def test_ni_pppk_is_accepted_with_its_marker_and_rejected_without():
    """Are digits 13–14 of an NI PPPK a PPPK marker rather than a month?"""
    info = parse_ni_pppk("199001012021241001", TODAY)
    assert info.kind == "PPPK" and info.appointment_month is None and info.gender == "L"
    with pytest.raises(IdentifierError) as caught:
        parse_ni_pppk("199001012021051001", TODAY)
    assert caught.value.code == "pppk_marker"


def test_non_asn_identifier_rules():
    """Are agency IDs for non-ASN staff accepted in a simple format and normalized?"""
    assert validate_identifier("tkk-2026-0001", "NON_ASN", TODAY) == "TKK-2026-0001"
    for bad in ["", "ab", "=cmd()", "a b c d"]:
        with pytest.raises(IdentifierError):
            validate_identifier(bad, "NON_ASN", TODAY)


@given(
    born=st.dates(min_value=date(1945, 1, 1), max_value=date(2005, 12, 31)),
    offset=st.integers(min_value=17, max_value=40),
    month=st.integers(min_value=1, max_value=12),
    gender=st.sampled_from("12"),
    seq=st.integers(min_value=1, max_value=999),
)
def test_every_well_formed_nip_round_trips(born, offset, month, gender, seq):
    """Is every NIP built from real parts accepted and read back to the same parts?"""
    year = born.year + offset
    if (year, month) > (TODAY.year, TODAY.month):
        return
    number = f"{born:%Y%m%d}{year}{month:02d}{gender}{seq:03d}"
    info = parse_nip(number, TODAY)
    assert (info.birth_date, info.appointment_year, info.appointment_month, info.sequence) == (born, year, month, seq)


@given(st.text(max_size=25))
def test_parser_never_crashes_on_garbage(text):
    """Whatever is typed, the answer is a parsed NIP or an IdentifierError, never a crash."""
    try:
        parse_nip(text, TODAY)
    except IdentifierError as error:
        assert error.message


# --- NFKC: one NIP, one way of writing it (issue 17 item 5) ----------------------------------

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)}
ARABIC_INDIC = {str(d): chr(0x0660 + d) for d in range(10)}
VALID_NIPS = st.builds(
    lambda y, m, d, ty, tm, g, n: f"{y:04d}{m:02d}{d:02d}{ty:04d}{tm:02d}{g}{n:03d}",
    st.integers(1960, 1990), st.integers(1, 12), st.integers(1, 28), st.integers(2010, 2025),
    st.integers(1, 12), st.sampled_from("12"), st.integers(1, 999))


def _rewrite(nip: str, choices: list[int], table: dict) -> str:
    return "".join(table[c] if pick else c for c, pick in zip(nip, choices))


@given(VALID_NIPS, st.lists(st.booleans(), min_size=18, max_size=18), st.sampled_from(["", " ", ".", "\u3000"]))
def test_full_width_digits_normalize_to_the_same_ascii_nip(nip, choices, separator):
    """Is a NIP typed with any mix of full-width digits (and any separator) the same ASCII NIP?"""
    typed = _rewrite(nip, choices, FULL_WIDTH)
    typed = separator.join([typed[:8], typed[8:14], typed[14], typed[15:]])
    assert validate_identifier(typed, "PNS", TODAY) == nip
    assert validate_identifier(typed, "PNS", TODAY).isascii()


@given(VALID_NIPS, st.lists(st.booleans(), min_size=18, max_size=18).filter(any))
def test_arabic_indic_digits_are_refused(nip, choices):
    """Is a NIP with even one Arabic-Indic digit refused, so it can never be a second account?"""
    typed = _rewrite(nip, choices, ARABIC_INDIC)
    with pytest.raises(IdentifierError) as caught:
        validate_identifier(typed, "PNS", TODAY)
    assert caught.value.code == "not_digits" and "0–9" in str(caught.value.message)


@given(st.text(max_size=40))
def test_whatever_is_accepted_is_ascii_and_stable(raw):
    """Is every accepted identifier ASCII, and does validating it again give the same value?"""
    for jenis in ("PNS", "PPPK", "NON_ASN"):
        try:
            value = validate_identifier(raw, jenis, TODAY)
        except IdentifierError:
            continue
        assert value.isascii()
        assert validate_identifier(value, jenis, TODAY) == value


@given(VALID_NIPS, st.lists(st.booleans(), min_size=18, max_size=18))
def test_the_login_form_normalizes_like_the_import(nip, choices):
    """Does a NIP typed on a phone keyboard in full-width digits log in as the stored ASCII NIP,
    while Arabic-Indic digits never match a stored NIP?"""
    from netral_learn.accounts.services import normalize_login_id

    assert normalize_login_id(_rewrite(nip, choices, FULL_WIDTH)) == nip
    arabic = _rewrite(nip, choices, ARABIC_INDIC)
    assert (normalize_login_id(arabic) == nip) == (not any(choices))


def test_full_width_non_asn_id_is_the_ascii_id():
    """Is a non-ASN ID typed in full-width letters stored as the ASCII ID?"""
    assert validate_identifier("ＴＫＫ－００１", "NON_ASN", TODAY) == "TKK-001"


def test_a_full_width_nip_logs_in(app, factory):
    """Can a person log in with their NIP typed in full-width digits (a phone keyboard)?"""
    tree = factory.tree()
    person = factory.person(tree["a1"])
    typed = "".join(FULL_WIDTH[c] for c in person.nip)
    response = app.test_client().post("/masuk", data={"nip": typed, "password": "Kuat#Sandi-2026"})
    assert response.status_code == 302
    arabic = "".join(ARABIC_INDIC[c] for c in person.nip)
    assert app.test_client().post("/masuk", data={"nip": arabic, "password": "Kuat#Sandi-2026"}).status_code == 401
