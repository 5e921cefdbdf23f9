"""What sqlfluff's jinja templater needs of dbt's cross-database macros (the Postgres renderings).

Only for linting: dbt itself renders the real macros. Kept to the few the models call.
"""


def date_trunc(datepart: str, date: str) -> str:
    return f"date_trunc('{datepart}', {date})"


def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
    return f"{from_date_or_timestamp} + ((interval '1 {datepart}') * ({interval}))"


def datediff(first_date: str, second_date: str, datepart: str) -> str:
    return f"(({second_date})::date - ({first_date})::date)"
