"""Identifiers, validated by maintained libraries; a bad one is a 422 that says which and why.

Each `*_problem(value)` returns None when valid, or the reason in plain words. The Annotated
types (`Siren`, `Siret`, ...) use them inside Pydantic models, so the 422 names the field.
"""

from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BeforeValidator
from stdnum import luhn
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.fr import nir as stdnum_nir
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret


def _reason(exc: ValidationError, what: str, length: int) -> str:
    if isinstance(exc, InvalidLength):
        return f"a {what} has {length} digits"
    if isinstance(exc, InvalidFormat):
        return f"a {what} has only digits"
    if isinstance(exc, InvalidChecksum):
        return f"the {what} check digit is wrong"
    if isinstance(exc, InvalidComponent):
        return f"a part of the {what} is not possible"
    return f"invalid {what}"


def compact(value: str) -> str:
    return "".join(value.split())


def siren_problem(value: str) -> str | None:
    try:
        stdnum_siren.validate(compact(value))
    except ValidationError as exc:
        return _reason(exc, "SIREN", 9)
    return None


def siret_problem(value: str) -> str | None:
    """python-stdnum applies La Poste's rule: SIRETs of SIREN 356000000 (but its head office)
    are valid when the sum of their digits is a multiple of 5, not by Luhn."""
    try:
        stdnum_siret.validate(compact(value))
    except ValidationError as exc:
        return _reason(exc, "SIRET", 14)
    return None


def nir_problem(value: str) -> str | None:
    try:
        stdnum_nir.validate(compact(value))
    except ValidationError as exc:
        return _reason(exc, "NIR", 15)
    return None


def finess_problem(value: str) -> str | None:
    """FINESS: 9 characters, 2-character département (2A/2B for Corsica), Luhn key on digits."""
    value = compact(value)
    if len(value) != 9:
        return "a FINESS number has 9 characters"
    digits = value.replace("2A", "20", 1).replace("2B", "20", 1) if value[:2] in ("2A", "2B") else value
    if not digits.isdigit():
        return "a FINESS number has only digits (2A/2B allowed for Corsica)"
    if not luhn.is_valid(digits):
        return "the FINESS check digit is wrong"
    return None


def normalise_phone(value: str, region: str = "FR") -> str:
    """E.164 form; raises ValueError with the reason."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise ValueError(str(exc)) from None


def _validator(problem):
    def check(value: str) -> str:
        value = compact(value)
        if reason := problem(value):
            raise ValueError(reason)
        return value

    return check


def _as_str(value):
    return value if not isinstance(value, int) else str(value)


Siren = Annotated[str, BeforeValidator(_as_str), AfterValidator(_validator(siren_problem))]
Siret = Annotated[str, BeforeValidator(_as_str), AfterValidator(_validator(siret_problem))]
Nir = Annotated[str, AfterValidator(_validator(nir_problem))]
Finess = Annotated[str, AfterValidator(_validator(finess_problem))]
Phone = Annotated[str, AfterValidator(normalise_phone)]
Email = Annotated[str, AfterValidator(normalise_email)]
