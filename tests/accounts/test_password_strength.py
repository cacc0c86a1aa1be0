"""New passwords: zxcvbn with the person's own words, plus the bundled list of common passwords."""
import pytest

from netral_learn.accounts import passwords
from netral_learn.accounts.models import Person

from ..factories import Factory

NIP = "198506152010011001"
PLACES = ["Dinas Pendidikan", "Pemerintah Kabupaten Paser"]


def problems(password, name="Dewi Lestari"):
    return " ".join(str(p) for p in passwords.password_problems(password, nip=NIP, name=name, places=PLACES))


@pytest.mark.parametrize("weak", ["Password123", "P@ssw0rd", "qwertyuiop", "Indonesia1", "Indonesia2",
                                  "S@yang2024", "bismillah123", "Merdeka17", "abcd1234efgh"])
def test_common_passwords_and_their_variations_are_refused(ctx, weak):
    """Are common passwords, Indonesian ones and their variations refused, with a reason in Indonesian?"""
    reason = problems(weak)
    assert reason and ("mudah ditebak" in reason or "terlalu umum" in reason), weak


@pytest.mark.parametrize("personal", ["DinasPendidikan2024!", "Lestari#1985", "Dewi1985Lestari!", "Paser#Lestari1",
                                      "x" + NIP])
def test_passwords_built_from_the_person_are_refused(ctx, personal):
    """Is a password made of the person's name, NIP, unit or instansi refused, saying so?"""
    reason = problems(personal)
    assert "nama" in reason or "NIP" in reason, personal


@pytest.mark.parametrize("good", [Factory.PASSWORD, "Pohon-Mangga-Berbuah-7", "Sungai Mahakam biru 9",
                                  "kopi tubruk di teras rumah", "Garuda#Pancasila45"])
def test_strong_passwords_are_accepted(ctx, good):
    """Are long or unrelated-word passwords accepted?"""
    assert problems(good) == ""


def test_bundled_list_cites_its_source_and_holds_indonesian_passwords():
    """Does the bundled list say where it comes from, and hold the Indonesian favourites?"""
    text = (passwords.Path(passwords.__file__).with_name("data") / "common_passwords.txt").read_text()
    assert "github.com/danielmiessler/SecLists" in text and "MIT" in text
    assert {"indonesia", "bismillah", "sayang", "rahasia", "merdeka", "indonesia1"} <= passwords._COMMON


@pytest.mark.parametrize("weak", ["Password123", "P@ssw0rd", "qwertyuiop", "Indonesia1"])
def test_password_change_page_refuses_weak_passwords(app, client, factory, login_as, weak):
    """Does the password-change page refuse the issue's four examples with an Indonesian explanation?"""
    person = factory.person(factory.unit("Dinas Pendidikan"))
    login_as(person)
    response = client.post("/kata-sandi", data={"current": Factory.PASSWORD, "new": weak, "confirm": weak})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "mudah ditebak" in page or "terlalu umum" in page
    assert factory.get(Person, person.id).password_changed_at is None


def test_password_change_page_refuses_the_unit_name(app, client, factory, login_as):
    """Is the person's own unit name (with a year) refused on the password-change page?"""
    unit = factory.unit("Badan Kepegawaian Daerah", factory.unit("Pemerintah Kabupaten Paser"))
    person = factory.person(unit)
    login_as(person)
    new = "BadanKepegawaian2026!"
    page = client.post("/kata-sandi", data={"current": Factory.PASSWORD, "new": new, "confirm": new}).get_data(as_text=True)
    assert "unit kerja" in page
