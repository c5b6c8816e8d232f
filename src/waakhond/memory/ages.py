"""Ages from what platforms store: a birth year or an age band.

With only a birth year the age is one of two values; we take the lower one, so a child who may be 17 or 18
counts as a minor (protective on the side of the child).

    >>> from datetime import datetime, UTC
    >>> age_of(birth_year=2014, age_band=None, at=datetime(2026, 5, 1, tzinfo=UTC))
    Age(years=11, is_minor=True, is_adult=False)
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class Age(NamedTuple):
    years: int | None
    is_minor: bool
    is_adult: bool

    @property
    def unknown(self) -> bool:
        return not (self.is_minor or self.is_adult)


UNKNOWN = Age(None, False, False)

# A representative age for each band, used only to compare ages (age gap), never shown as the child's age.
_BANDS: dict[str, Age] = {
    "under_13": Age(11, True, False),
    "13_15": Age(14, True, False),
    "16_17": Age(16, True, False),
    "adult": Age(None, False, True),
}


def age_of(*, birth_year: int | None, age_band: str | None, at: datetime) -> Age:
    if birth_year is not None:
        years = max(0, at.year - birth_year - 1)
        return Age(years, years < 18, years >= 18)
    if age_band is not None:
        return _BANDS.get(age_band, UNKNOWN)
    return UNKNOWN


def age_gap(sender: Age, recipient: Age) -> int | None:
    """Years between sender and recipient; for an adult of unknown exact age, the smallest possible gap."""
    if recipient.years is None:
        return None
    if sender.years is not None:
        return sender.years - recipient.years
    if sender.is_adult:
        return 18 - recipient.years
    return None


def account_age_days(created_at: datetime | None, at: datetime) -> float | None:
    """Days since an account was created (two decimals), ``None`` when the platform did not say: the
    ``sender_account_age_days`` fact, and what decides whether an account is new enough to profile its style."""
    return round((at - created_at).total_seconds() / 86400, 2) if created_at is not None else None
