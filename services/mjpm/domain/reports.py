"""How the statistics of eMJPM are cut: age bands of the protected people."""

# (label, lowest age, highest age or None) — the age reached during the year of the report.
AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("under_25", 0, 24),
    ("25_39", 25, 39),
    ("40_59", 40, 59),
    ("60_74", 60, 74),
    ("75_plus", 75, None),
)


def age_band(birth_year: int | None, year: int) -> str:
    """The band of a person born in `birth_year`, as of `year` ('unknown' without a birth year)."""
    if birth_year is None:
        return "unknown"
    age = year - birth_year
    for label, low, high in AGE_BANDS:
        if age >= low and (high is None or age <= high):
            return label
    return "unknown"
