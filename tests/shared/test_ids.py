import pytest
from pydantic import BaseModel, ValidationError

from shared.ids import (
    Email,
    Finess,
    Phone,
    Siret,
    finess_problem,
    nir_problem,
    normalise_phone,
    siren_problem,
    siret_problem,
)


def test_valid_siren_and_siret_pass_with_spaces():
    assert siren_problem("732 829 320") is None
    assert siret_problem("732 829 320 00074") is None


def test_siret_with_a_wrong_check_digit_says_so():
    assert siret_problem("73282932000075") == "the SIRET check digit is wrong"


def test_siret_of_the_wrong_length_says_so():
    assert siret_problem("7328293200007") == "a SIRET has 14 digits"
    assert siren_problem("73282932A") == "a SIREN has only digits"


def test_la_poste_sirets_follow_the_sum_of_digits_rule():
    # La Poste (SIREN 356000000): establishments are valid when the digit sum is a multiple of 5,
    # even though most fail the Luhn check.
    assert siret_problem("35600000049837") is None
    assert sum(map(int, "35600000049837")) % 5 == 0
    assert siret_problem("35600000049838") == "the SIRET check digit is wrong"


def test_nir_is_checked_with_its_key():
    assert nir_problem("2 95 10 99 126 111 93") is None
    assert nir_problem("2 95 10 99 126 111 94") == "the NIR check digit is wrong"


def test_finess_is_nine_characters_with_a_luhn_key():
    assert finess_problem("750712184") is None
    assert finess_problem("750712185") == "the FINESS check digit is wrong"
    assert finess_problem("75071218") == "a FINESS number has 9 characters"


def test_phone_numbers_are_normalised_to_e164():
    assert normalise_phone("01 42 75 80 00") == "+33142758000"
    with pytest.raises(ValueError):
        normalise_phone("12")


class Form(BaseModel):
    siret: Siret
    finess: Finess | None = None
    phone: Phone | None = None
    email: Email | None = None


def test_a_form_names_every_bad_identifier():
    with pytest.raises(ValidationError) as caught:
        Form(siret="73282932000075", finess="123", phone="abc", email="not-an-email")
    fields = {e["loc"][0]: e["msg"] for e in caught.value.errors()}
    assert set(fields) == {"siret", "finess", "phone", "email"}
    assert "check digit" in fields["siret"]
