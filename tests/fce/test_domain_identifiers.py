import random

import pytest
from stdnum import luhn
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from services.fce.domain.identifiers import (
    LA_POSTE_HEAD_OFFICE_SIRET,
    LA_POSTE_SIREN,
    InvalidIdentifier,
    make_siren,
    make_siret,
    normalise_siren,
    normalise_siret,
    numbered_nics,
    siren_is_valid,
    siret_is_valid,
)


def test_la_poste_siret_whose_digits_add_up_to_a_multiple_of_five_is_accepted_without_luhn():
    siret = "35600000000100"  # 3+5+6+1 = 15
    assert not luhn.is_valid(siret)
    assert normalise_siret(siret) == siret
    assert siret_is_valid(siret)


def test_la_poste_siret_whose_digits_do_not_add_up_to_a_multiple_of_five_is_refused_saying_why():
    with pytest.raises(InvalidIdentifier) as refused:
        normalise_siret("356 000 000 00101")
    assert refused.value.reason == "checksum"
    assert "La Poste" in str(refused.value) and "multiple of 5" in str(refused.value)
    assert not siret_is_valid("35600000000101")


def test_la_poste_head_office_is_the_one_la_poste_siret_following_luhn():
    assert normalise_siret(LA_POSTE_HEAD_OFFICE_SIRET) == "35600000000048"
    assert sum(map(int, LA_POSTE_HEAD_OFFICE_SIRET)) % 5 != 0
    assert siret_is_valid(LA_POSTE_HEAD_OFFICE_SIRET)


def test_siret_typed_with_spaces_is_accepted_as_its_digits():
    assert normalise_siret("732 829 320 00074") == "73282932000074"
    assert normalise_siret(" 732\u00a0829\u00a0320\u202f00074 ") == "73282932000074"


def test_siren_typed_with_spaces_is_accepted_as_its_digits():
    assert normalise_siren("732 829 320") == "732829320"


def test_siret_with_a_wrong_check_digit_is_refused_saying_so():
    with pytest.raises(InvalidIdentifier) as refused:
        normalise_siret("73282932000075")
    assert isinstance(refused.value, ValueError)
    assert (refused.value.kind, refused.value.reason) == ("SIRET", "checksum")
    assert "wrong check digit" in str(refused.value)


def test_siret_whose_siren_part_is_wrong_is_refused_naming_the_siren_part():
    siret = "73282932100072"  # Luhn-valid as 14 digits, but 732829321 is not a SIREN
    assert luhn.is_valid(siret)
    with pytest.raises(InvalidIdentifier, match="SIREN part"):
        normalise_siret(siret)


def test_siret_of_the_wrong_length_is_refused_saying_how_many_digits_it_has():
    with pytest.raises(InvalidIdentifier, match="14 digits.*has 13") as refused:
        normalise_siret("7328293200007")
    assert refused.value.reason == "length"


def test_siret_with_something_else_than_digits_is_refused_saying_so():
    for text in ("7328293200007A", "732-829-320-00074", "７３２８２９３２０００７４", ""):
        with pytest.raises(InvalidIdentifier) as refused:
            normalise_siret(text)
        assert refused.value.reason in ("format", "length")
    with pytest.raises(InvalidIdentifier, match="only digits"):
        normalise_siret("7328293200007A")


def test_siren_with_a_wrong_check_digit_is_refused_saying_so():
    with pytest.raises(InvalidIdentifier, match="SIREN 732829321 has a wrong check digit"):
        normalise_siren("732829321")


def test_fast_checks_give_the_same_answer_as_stdnum_on_random_numbers():
    draw = random.Random(2026)
    for _ in range(40_000):
        number = "".join(draw.choice("0123456789") for _ in range(14))
        if draw.random() < 0.3:
            number = LA_POSTE_SIREN + number[9:]
        assert siret_is_valid(number) == stdnum_siret.is_valid(number), number
        assert siren_is_valid(number[:9]) == stdnum_siren.is_valid(number[:9]), number
    for odd in ("", "12345678", "1234567890", "73282932O", "7328293200007 ", "٧٣٢٨٢٩٣٢٠"):
        assert not siren_is_valid(odd) and not siret_is_valid(odd)


def test_made_sirens_and_sirets_are_valid_for_stdnum():
    draw = random.Random(7)
    for _ in range(5_000):
        siren = make_siren(f"{draw.randrange(10**8):08d}")
        assert stdnum_siren.is_valid(siren)
        for owner in (siren, LA_POSTE_SIREN):
            nic_prefix = f"{draw.randrange(10**4):04d}"
            siret = make_siret(owner, nic_prefix)
            assert siret.startswith(owner + nic_prefix)
            assert stdnum_siret.is_valid(siret), siret


def test_making_a_siret_refuses_an_invalid_siren_or_nic_prefix():
    with pytest.raises(ValueError):
        make_siret("732829321", "0001")
    with pytest.raises(ValueError):
        make_siret("732829320", "001")
    with pytest.raises(ValueError):
        make_siren("7328293")


def test_numbered_nics_are_the_nics_make_siret_gives():
    draw = random.Random(11)
    for _ in range(2_000):
        siren = make_siren(f"{draw.randrange(10**8):08d}") if draw.random() < 0.9 else LA_POSTE_SIREN
        first, count = draw.randrange(0, 9_000), draw.randrange(1, 40)
        nics = numbered_nics(siren, count, first)
        assert [siren + nic for nic in nics] == [make_siret(siren, f"{first + n:04d}") for n in range(count)]
