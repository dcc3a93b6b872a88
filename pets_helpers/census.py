"""Census microdata: read ACS PUMS extracts and compute exact statistics per area (Lesson 02).

The American Community Survey (ACS) Public Use Microdata Sample (PUMS) is published by the US
Census Bureau as two CSV files per state: *housing records* (one row per housing unit or
group-quarters person: ``SERIALNO``, ``PUMA``, ``ST``, ``WGTP``, ``NP``, ``HINCP``, …) and
*person records* (one row per person: ``SERIALNO``, ``SPORDER``, ``AGEP``, ``SEX``, ``SCHL``,
``PINCP``, …), linked by ``SERIALNO``. Column names and codes are those of the PUMS data
dictionary.

- :func:`read_pums` reads such files — the course's simulated sample or the real files, e.g.
  ``psam_h06.csv`` / ``psam_p06.csv`` from ``csv_hca.zip`` / ``csv_pca.zip`` (California)
  downloaded from https://www.census.gov/programs-surveys/acs/microdata.html — checks them and
  returns tables with proper types, plus ``income_adjusted`` in constant dollars.
- :func:`pets_helpers.datasets.load_course_pums` reads the course's simulated sample with it.
- :func:`exact_mean_income_sql` computes the exact (non-private) average household income per
  area with SQL — the answer that Lesson 02 then releases with differential privacy.

Income adjustment
-----------------
PUMS incomes are in the dollars of the year each household was surveyed. ``ADJINC`` is a
7-digit integer with 6 implied decimal places (e.g. ``1042311`` means 1.042311); the data
dictionary says to multiply by ``ADJINC / 1,000,000`` to get constant dollars of the file's last
year. So ``income_adjusted = HINCP × ADJINC / 1,000,000`` (housing records) and
``income_adjusted = PINCP × ADJINC / 1,000,000`` (person records). The product of the two
integers is exact in floating point, so the result is correctly rounded.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from .validation import check_not_text

# --- What a PUMS extract must contain ---------------------------------------------------------

#: Columns a housing-record file must have, and optional ones that are kept when present.
HOUSEHOLD_REQUIRED = ("SERIALNO", "PUMA", "ST", "ADJINC", "WGTP", "NP", "HINCP")
HOUSEHOLD_OPTIONAL = ("RT", "TYPEHUGQ", "TEN", "FINCP")
#: Columns a person-record file must have, and optional ones that are kept when present.
PERSON_REQUIRED = ("SERIALNO", "SPORDER", "PUMA", "ST", "PWGTP", "AGEP", "SEX")
PERSON_OPTIONAL = ("RT", "ADJINC", "SCHL", "RELSHIPP", "PINCP")

#: Columns read as text (codes whose leading zeros matter); every other kept column is read as
#: a nullable integer (``Int64``; an empty field — "N/A" in the data dictionary — is ``<NA>``).
TEXT_COLUMNS = ("RT", "SERIALNO", "PUMA", "ST")
#: Width of the zero-padded geographic codes.
CODE_WIDTHS = {"PUMA": 5, "ST": 2}

#: Allowed values of some coded columns (missing values are allowed where the dictionary
#: says "N/A"): name → (low, high).
VALUE_RANGES = {
    "ADJINC": (500_000, 2_000_000),
    "WGTP": (0, 99_999),
    "PWGTP": (0, 99_999),
    "NP": (0, 99),
    "SPORDER": (1, 99),
    "AGEP": (0, 120),
    "SEX": (1, 2),
    "SCHL": (1, 24),
    "TEN": (1, 4),
    "TYPEHUGQ": (1, 3),
}
#: Columns that must not contain missing values.
NOT_MISSING = ("SERIALNO", "PUMA", "ST", "ADJINC", "WGTP", "NP", "SPORDER", "PWGTP", "AGEP",
               "SEX")

#: Name of the constant-dollar income column added by :func:`read_pums`.
INCOME_ADJUSTED = "income_adjusted"

_DICTIONARY_HINT = ("It must be an ACS PUMS extract with the public column names of the PUMS "
                    "data dictionary (e.g. psam_h06.csv for housing records, psam_p06.csv for "
                    "person records, from https://www.census.gov/programs-surveys/acs/"
                    "microdata.html).")


_PLAIN_TABLE_HINT = ("For a table that is not in the PUMS layout, read it with "
                     "pandas.read_csv(path, sep=...) and pass the DataFrame on directly, e.g. "
                     "exact_mean_income_sql(frame, by='area', income='income') or "
                     "pets_helpers.dp.dp_mean(frame['income'], lower, upper, epsilon).")

_DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _delimiter(path: Path) -> str:
    """Which separator the first line of ``path`` uses, in words (PUMS files use commas)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as f:
            first = f.readline()
    except OSError:
        return "an unknown separator"
    counts = {d: first.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    if counts[best] == 0:
        return "nothing: the header is one field" if first.strip() else "nothing: an empty line"
    return _DELIMITERS[best] + ("" if best == "," else ", but PUMS files use commas")


class PumsFormatError(ValueError):
    """A file or table does not look like an ACS PUMS extract (the message says what to fix)."""


class PumsTables(NamedTuple):
    """Validated PUMS tables (unpack as ``households, persons = ...``).

    ``persons`` is ``None`` when only a housing-record file was read.
    """

    households: pd.DataFrame
    persons: pd.DataFrame | None


# --- Reading -------------------------------------------------------------------------------------

def _check_path(path, what: str) -> Path:
    if isinstance(path, (bool, int, float)) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{what} must be a path to a CSV file (str or pathlib.Path), got "
                        f"{type(path).__name__} {path!r}.")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} {str(path)!r} does not exist or is not a file. "
                                f"Download the PUMS CSV files from the Census Bureau "
                                f"(https://www.census.gov/programs-surveys/acs/microdata.html) "
                                f"or use pets_helpers.datasets.load_course_pums() for the course "
                                f"sample.")
    return path


def _header(path: Path, what: str) -> list[str]:
    try:
        columns = pd.read_csv(path, nrows=0, dtype=str, encoding="utf-8-sig").columns
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as err:
        raise PumsFormatError(f"{what} {str(path)!r} is not a readable CSV file ({err}). "
                              f"{_DICTIONARY_HINT}") from None
    return [str(c).strip() for c in columns]


def _to_int(values: pd.Series, name: str, what: str) -> pd.Series:
    """Text → Int64, or a clear error naming the column, the row and the bad value."""
    text = values.str.strip()
    text = text.mask(text == "")
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & text.notna()
    if bad.any():
        i = bad.idxmax()
        raise PumsFormatError(f"column {name!r} of {what} must hold whole numbers, but row "
                              f"{i + 1} (line {i + 2} of the file) has {text[i]!r}. "
                              f"{_DICTIONARY_HINT}")
    numbers = numbers.astype("float64")
    fractional = numbers.notna() & (numbers != np.round(numbers))
    if fractional.any():
        i = fractional.idxmax()
        hint = (" ADJINC is the 7-digit integer of the PUMS file (e.g. 1042311 for the factor "
                "1.042311), not the factor itself." if name == "ADJINC" else "")
        raise PumsFormatError(f"column {name!r} of {what} must hold whole numbers, but row "
                              f"{i + 1} has {text[i]!r}. PUMS codes, counts and dollar amounts "
                              f"are integers.{hint}")
    return numbers.round().astype("Int64")


def _to_code(values: pd.Series, name: str, what: str) -> pd.Series:
    """Text codes (PUMA, ST): digits only, left-padded with zeros to their width."""
    width = CODE_WIDTHS[name]
    text = values.str.strip()
    ok = text.str.fullmatch(r"\d{1,%d}" % width).fillna(False)
    if not ok.all():
        i = (~ok).idxmax()
        raise PumsFormatError(f"column {name!r} of {what} must hold {width}-digit codes (e.g. "
                              f"{'01203' if width == 5 else '06'}), but row {i + 1} has "
                              f"{values[i]!r}. If the file went through a spreadsheet, the "
                              f"leading zeros may have been lost — that is repaired here — but "
                              f"letters, signs or longer codes are not PUMS {name} codes.")
    return text.str.zfill(width)


def _read_table(path, what: str, required, optional, extra_columns, puma_column):
    """Read one PUMS file as text, check its columns, convert each kept column to its type."""
    path = _check_path(path, what)
    header = _header(path, what)
    upper = {c.upper(): c for c in header}        # accept lower-case headers (e.g. from R)
    if puma_column != "PUMA":
        if puma_column.upper() not in upper:
            raise PumsFormatError(f"puma_column={puma_column!r} is not a column of {what} "
                                  f"{str(path)!r}; its columns include "
                                  f"{', '.join(header[:12])}, …")
        upper["PUMA"] = upper.pop(puma_column.upper())
    missing = [c for c in required if c not in upper]
    if missing:
        hint = ""
        if "PUMA" in missing and ({"PUMA10", "PUMA20"} & set(upper)):
            hint = (" This looks like a multi-year file, which has PUMA10 (2010 areas) and "
                    "PUMA20 (2020 areas) instead of PUMA: pass puma_column='PUMA20' (or "
                    "'PUMA10'); rows coded -0009 in that column get a missing PUMA.")
        elif "HINCP" in missing and "SPORDER" in upper:
            hint = " This looks like a person-record file: pass it as persons_csv."
        elif "SPORDER" in missing and "HINCP" in upper:
            hint = " This looks like a housing-record file: pass it as households_csv."
        found = ", ".join(repr(c) for c in header[:15]) + (", …" if len(header) > 15 else "")
        raise PumsFormatError(
            f"{what} {str(path)!r} has no column {', '.join(repr(c) for c in missing)}. "
            f"{_DICTIONARY_HINT}{hint} It needs the columns {', '.join(required)}; it has "
            f"{len(header)} column(s): {found} (fields separated by {_delimiter(path)}). "
            f"{_PLAIN_TABLE_HINT}")
    extra = [c for c in extra_columns if c in upper and c not in required and c not in optional]
    keep = [c for c in (*required, *optional) if c in upper] + extra
    position = {c: i for i, c in enumerate(upper)}
    keep.sort(key=position.__getitem__)                      # the file's column order
    raw = pd.read_csv(path, usecols=[upper[c] for c in keep], dtype=str,
                      keep_default_na=False, na_filter=False, encoding="utf-8-sig")
    raw.columns = [c.strip().upper() for c in raw.columns]
    if puma_column != "PUMA":
        raw = raw.rename(columns={puma_column.upper(): "PUMA"})
    raw = raw[keep]

    table = pd.DataFrame(index=raw.index)
    for name in keep:
        values = raw[name]
        if name in CODE_WIDTHS:
            if name == "PUMA" and puma_column != "PUMA":
                na = values.str.strip().str.fullmatch(r"-0*9").fillna(False)
                coded = values.where(~na, "0")
                table[name] = _to_code(coded, name, what).where(~na, None)
            else:
                table[name] = _to_code(values, name, what)
        elif name in TEXT_COLUMNS or name in extra:
            table[name] = values.str.strip().astype(object)
        else:
            table[name] = _to_int(values, name, what)
    return table


def _validate(table: pd.DataFrame, what: str, id_columns) -> None:
    for name in NOT_MISSING:
        if name in table and table[name].isna().any():
            if name == "PUMA":
                continue   # only from puma_column: -0009 means "an area of the other vintage"
            i = int(np.flatnonzero(table[name].isna().to_numpy())[0])
            raise PumsFormatError(f"column {name!r} of {what} is empty in row {i + 1}; in a "
                                  f"PUMS file it is always filled. {_DICTIONARY_HINT}")
    if (table["SERIALNO"] == "").any():
        i = int(np.flatnonzero((table["SERIALNO"] == "").to_numpy())[0])
        raise PumsFormatError(f"SERIALNO of {what} is empty in row {i + 1}.")
    for name, (low, high) in VALUE_RANGES.items():
        if name not in table:
            continue
        col = table[name]
        out = col.notna() & ((col < low) | (col > high))
        if out.any():
            i = int(np.flatnonzero(out.to_numpy())[0])
            hint = (" ADJINC is the 7-digit integer of the PUMS file (e.g. 1042311 for the "
                    "factor 1.042311), not the factor itself." if name == "ADJINC" else "")
            raise PumsFormatError(f"column {name!r} of {what} must lie in [{low}, {high}], but "
                                  f"row {i + 1} has {col.iloc[i]}.{hint}")
    duplicated = table.duplicated(subset=list(id_columns), keep=False)
    if duplicated.any():
        i = int(np.flatnonzero(duplicated.to_numpy())[0])
        key = ", ".join(f"{c}={table[c].iloc[i]}" for c in id_columns)
        raise PumsFormatError(f"{what} has several rows with {key}; each record must appear "
                              f"once (was the file concatenated twice?).")


def _adjust(table: pd.DataFrame, income: str) -> None:
    if income in table and "ADJINC" in table:
        dollars = table[income].astype("float64")
        factor = table["ADJINC"].astype("float64")
        table[INCOME_ADJUSTED] = (dollars * factor / 1_000_000).astype("float64")


def read_pums(households_csv, persons_csv=None, *, puma_column: str = "PUMA",
              extra_columns=()) -> PumsTables:
    """Read and check ACS PUMS CSV files (housing records, and optionally person records).

    Works on the course's simulated sample and on the real files of the Census Bureau (any state,
    1-year files; multi-year files with ``puma_column``). Only the columns the course uses are
    kept (see :data:`HOUSEHOLD_REQUIRED`, :data:`HOUSEHOLD_OPTIONAL`, :data:`PERSON_REQUIRED`,
    :data:`PERSON_OPTIONAL`), plus ``extra_columns``; the real files have about 240.

    Types: ``SERIALNO``, ``RT``, ``PUMA`` (5 digits) and ``ST`` (2 digits) are strings with
    their leading zeros (restored if a spreadsheet dropped them); every other column is a
    nullable integer (``Int64``) in which an empty field ("N/A" in the data dictionary, e.g.
    ``HINCP`` of a vacant unit or group-quarters record) is ``<NA>``; ``extra_columns`` stay
    text. A float column ``income_adjusted = HINCP × ADJINC / 1,000,000`` (households) or
    ``PINCP × ADJINC / 1,000,000`` (persons, when both columns exist) gives incomes in constant
    dollars of the file's last year; it is ``NaN`` where the income is missing.

    Parameters
    ----------
    households_csv : str or pathlib.Path
        The housing-record file (``psam_h*.csv``).
    persons_csv : str or pathlib.Path, optional
        The person-record file (``psam_p*.csv``) of the same state and year(s).
    puma_column : str
        The area-code column, ``"PUMA"`` by default. Multi-year files have ``PUMA10`` and
        ``PUMA20`` instead; name one of them here (its ``-0009`` "not applicable" codes become
        a missing ``PUMA``). The column is returned as ``PUMA``.
    extra_columns : sequence of str
        Other columns of the files to keep, as text (e.g. ``("VALP",)``).

    Returns
    -------
    PumsTables
        A named tuple ``(households, persons)``; ``persons`` is ``None`` if not read.

    Raises
    ------
    FileNotFoundError
        If a file does not exist.
    PumsFormatError (a ValueError)
        If a required column is missing (naming it), a value is not a whole number or a code has
        the wrong form (naming the column and row), a value is out of its range, a record is
        duplicated, or person records refer to households that are not in the housing file.

    Examples
    --------
    >>> households, persons = read_pums("psam_h06.csv", "psam_p06.csv")   # doctest: +SKIP
    >>> households.groupby("PUMA")["income_adjusted"].mean()              # doctest: +SKIP
    """
    if isinstance(puma_column, bool) or not isinstance(puma_column, str) or not puma_column:
        raise TypeError(f"puma_column must be a column name (str), got {puma_column!r}.")
    if isinstance(extra_columns, str):
        extra_columns = (extra_columns,)
    if not all(isinstance(c, str) and c for c in extra_columns):
        raise TypeError(f"extra_columns must be column names (strings), got {extra_columns!r}.")
    extra_columns = tuple(c.strip().upper() for c in extra_columns)
    households = _read_table(households_csv, "households_csv", HOUSEHOLD_REQUIRED,
                             HOUSEHOLD_OPTIONAL, extra_columns, puma_column)
    _validate(households, "households_csv", ("SERIALNO",))
    _adjust(households, "HINCP")
    persons = None
    if persons_csv is not None:
        persons = _read_table(persons_csv, "persons_csv", PERSON_REQUIRED, PERSON_OPTIONAL,
                              extra_columns, puma_column)
        _validate(persons, "persons_csv", ("SERIALNO", "SPORDER"))
        _adjust(persons, "PINCP")
        orphans = ~persons["SERIALNO"].isin(households["SERIALNO"])
        if orphans.any():
            example = persons["SERIALNO"][orphans].iloc[0]
            raise PumsFormatError(f"{int(orphans.sum()):,} person records have a SERIALNO that "
                                  f"is not in the housing file (e.g. {example!r}): are both "
                                  f"files from the same state and year(s)?")
    found = set(households.columns) | (set(persons.columns) if persons is not None else set())
    absent = [c for c in extra_columns if c not in found and c not in ("PUMA",)]
    if absent:
        raise PumsFormatError(f"extra column(s) {', '.join(map(repr, absent))} are in none of "
                              f"the files read.")
    return PumsTables(households, persons)


# --- The exact answer in SQL ----------------------------------------------------------------------

#: The query behind :func:`exact_mean_income_sql`: number of households with an income and their
#: mean income per area. Vacant units and group quarters have no income (NULL) and are left
#: out; zero and negative incomes count.
MEAN_INCOME_SQL = """\
SELECT   PUMA,
         COUNT(*)    AS households,
         AVG(income) AS mean_income
FROM     households
WHERE    income IS NOT NULL
GROUP BY PUMA
ORDER BY PUMA;"""

#: The weighted variant: each household counts ``WGTP`` times (the number of households it
#: stands for), which estimates the mean over all households of the area, not only the sampled.
WEIGHTED_MEAN_INCOME_SQL = """\
SELECT   PUMA,
         COUNT(*)                             AS households,
         SUM(WGTP)                            AS weighted_households,
         SUM(WGTP * income) / SUM(WGTP)       AS mean_income
FROM     households
WHERE    income IS NOT NULL AND WGTP > 0
GROUP BY PUMA
ORDER BY PUMA;"""


def _quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _align_as(line: str, width: int) -> str:
    """Keep the ``AS`` aliases of a SELECT list in one column."""
    if " AS " not in line:
        return line
    expression, alias = line.rsplit(" AS ", 1)
    return f"{expression.rstrip():<{width}} AS {alias}"


def mean_income_sql(by: str | None = "PUMA", *, records: str = "households",
                    weighted: bool = False) -> str:
    """The SQL text :func:`exact_mean_income_sql` runs, over a table named ``records``
    (``"households"``, weight ``WGTP``; or ``"persons"``, weight ``PWGTP``) with columns
    ``<by>``, ``income`` and the weight. ``by=None`` gives one ungrouped row."""
    if records not in ("households", "persons"):
        raise ValueError(f"records must be 'households' or 'persons', got {records!r}.")
    sql = WEIGHTED_MEAN_INCOME_SQL if weighted else MEAN_INCOME_SQL
    if records == "persons":
        sql = sql.replace("weighted_households", "weighted_persons")
        sql = re.sub(r"\bhouseholds\b", "persons", sql)
        width = max(line.index(" AS ") for line in sql.splitlines() if " AS " in line)
        sql = re.sub(r"\bWGTP\b", "PWGTP", sql)
        sql = "\n".join(_align_as(line, width) for line in sql.splitlines())
    if by is None:
        sql = sql.replace("SELECT   PUMA,\n         ", "SELECT   ")
        sql = sql.replace("\nGROUP BY PUMA\nORDER BY PUMA;", ";")
    elif by != "PUMA":
        column = _quote_identifier(by)
        sql = re.sub(r"\bPUMA\b", lambda _: column, sql)
    return sql


def exact_mean_income_sql(households: pd.DataFrame, by: str | None = "PUMA", *,
                          income: str = INCOME_ADJUSTED, weighted: bool = False,
                          records: str | None = None, return_sql: bool = False):
    """Exact mean income per area (or overall), computed with SQL in an in-memory SQLite database.

    The table is loaded into ``sqlite3`` (standard library) as ``households(<by>, income,
    WGTP)`` — or ``persons(<by>, income, PWGTP)`` for person records — and queried with
    :data:`MEAN_INCOME_SQL` (or :data:`WEIGHTED_MEAN_INCOME_SQL`), with ``PUMA`` replaced by
    ``by`` (see :func:`mean_income_sql`). Records with a missing income (vacant units, group
    quarters; persons under 15) are excluded; zero and negative incomes are kept. This is the
    exact, non-private answer: publishing it lets anyone who knows all but one household of a
    small area work out that household's income — which is what Lesson 02 prevents with noise.

    Parameters
    ----------
    households : pandas.DataFrame
        Housing records, e.g. from :func:`read_pums` or
        :func:`pets_helpers.datasets.load_course_pums` — or person records (see ``records``).
    by : str or None
        The area column (default ``"PUMA"``); ``None`` computes one mean over all records.
    income : str
        The income column (default ``"income_adjusted"``, constant dollars; ``"HINCP"`` or
        ``"PINCP"`` give survey-year dollars). It must hold numbers: text is refused (see
        :func:`pets_helpers.validation.check_not_text`).
    weighted : bool
        Weight each record by ``WGTP`` (persons: ``PWGTP``); adds a ``weighted_households``
        (``weighted_persons``) column.
    records : {"households", "persons"} or None
        What one row is, which names the count column and the weight. ``None`` (default):
        person records if the table has a ``SPORDER`` column, else housing records.
    return_sql : bool
        Also return the SQL text that was run, as ``(result, sql)``.

    Returns
    -------
    pandas.DataFrame
        One row per area, sorted by area (one row in all when ``by=None``): [``<by>``],
        ``households`` or ``persons`` (int), [``weighted_…`` (int)], ``mean_income`` (float).
    """
    if not isinstance(households, pd.DataFrame):
        raise TypeError(f"households must be a pandas DataFrame (e.g. from read_pums), got "
                        f"{type(households).__name__}.")
    if records is None:
        records = "persons" if "SPORDER" in households.columns else "households"
    elif records not in ("households", "persons"):
        raise ValueError(f"records must be 'households' or 'persons' (or None to detect it), "
                         f"got {records!r}.")
    weight = "PWGTP" if records == "persons" else "WGTP"
    for name, role in ((by, "by"), (income, "income")):
        if name is None and role == "by":
            continue
        if not isinstance(name, str) or name not in households.columns:
            hint = (" read_pums() and load_course_pums() add it; or pass income='HINCP'."
                    if name == INCOME_ADJUSTED else "")
            raise ValueError(f"{role}={name!r} is not a column of {records} (columns: "
                             f"{', '.join(map(str, households.columns))}).{hint}")
    if weighted and weight not in households.columns:
        raise ValueError(f"weighted=True needs the weight column {weight!r} of {records}.")
    check_not_text(households[income].to_numpy(), f"column {income!r}")
    values = pd.to_numeric(households[income], errors="coerce")
    if (values.isna() & households[income].notna()).any():
        raise TypeError(f"column {income!r} must be numeric.")
    values = values.astype("float64")
    if np.isinf(values).any():
        raise ValueError(f"column {income!r} contains infinite values; fix them first.")
    weights = (households[weight].astype("float64") if weight in households.columns
               else pd.Series(1.0, index=households.index))
    values_and_weights = [((None if np.isnan(v) else v), (None if np.isnan(w) else w))
                          for v, w in zip(values.tolist(), weights.tolist())]
    sql = mean_income_sql(by, records=records, weighted=weighted)
    if by is None:
        columns, rows = f"income REAL, {weight} REAL", values_and_weights
    else:
        area = [None if pd.isna(a) else (a.item() if isinstance(a, np.generic) else a)
                for a in households[by].astype(object).tolist()]
        column = "PUMA" if by == "PUMA" else _quote_identifier(by)
        columns = f"{column}, income REAL, {weight} REAL"
        rows = [(a, *vw) for a, vw in zip(area, values_and_weights)]
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"CREATE TABLE {records} ({columns})")
        placeholders = ", ".join("?" * (2 if by is None else 3))
        db.executemany(f"INSERT INTO {records} VALUES ({placeholders})", rows)
        cursor = db.execute(sql)
        names = [d[0] for d in cursor.description]
        result = pd.DataFrame(cursor.fetchall(), columns=names)
    finally:
        db.close()
    if by is not None:
        result = result.rename(columns={names[0]: by})
    result[records] = result[records].astype("int64")
    if weighted:
        result[f"weighted_{records}"] = (result[f"weighted_{records}"].fillna(0).round()
                                         .astype("int64"))
    result["mean_income"] = result["mean_income"].astype("float64")
    return (result, sql) if return_sql else result
