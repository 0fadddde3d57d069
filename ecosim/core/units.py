"""Units of time, defined once.

Simulation time is in days. A year is the Julian year of 365.25 days, so that a horizon of
ten years is 3,652.5 days and a yearly rate compounds the same way everywhere.
"""

from __future__ import annotations

#: Days in a year (Julian).
DAYS_PER_YEAR = 365.25

#: Days in an average month (a twelfth of :data:`DAYS_PER_YEAR`).
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0

#: Months in a year.
MONTHS_PER_YEAR = 12.0

#: Hours in a day.
HOURS_PER_DAY = 24.0

#: Seconds in a day.
SECONDS_PER_DAY = 86_400.0

#: Hours in the year over which hourly prices are annualised: 365 x 24 = 8,760, the usual
#: convention of cloud price sheets (an always-on instance costs 8,760 times its hourly price).
PRICED_HOURS_PER_YEAR = 8760.0
