"""Lesson 00 — Welcome: how the course works, threat models, and a linkage attack.

Exercises
- L00.E1 (1 pt): classify three scenarios as honest-but-curious or malicious (``threat_models``).
- L00.E2 (2 pts): ``uniqueness(table, columns)``, the fraction of rows singled out by ``columns``.
- L00.E3 (3 pts): ``link(released, roster)``, the linkage attack on (area, birth_date, sex).
- L00.E4 (1 pt): ``generalize(table)``, birth date → birth year, and the re-identification drop.

References are computed here from :mod:`pets_helpers.linkage` on freshly generated tables whose
seeds differ from the notebook's, so an answer hard-coded for the notebook's data fails.
"""

from __future__ import annotations

import re
from itertools import combinations

import pandas as pd

from .. import linkage
from ..datasets import REFERENCE_DATE, linkage_tables
from ..grading import Exercise, Lesson, Mistake
from ..grading.answers import is_number, pair_digits, rounding_mistake

QIS = list(linkage.QUASI_IDENTIFIERS)

# Seeds of the tables the checks use (the notebook uses SEED = 2000).
E2_SEED, E3_SEED, E4_SEED = 101, 202, 303

# --- E1: threat models ----------------------------------------------------------------------

HBC, MALICIOUS = "honest-but-curious", "malicious"
E1_ANSWERS = {"A": HBC, "B": MALICIOUS, "C": HBC}
_LABELS = {"honest but curious": HBC, "semi honest": HBC, "passive": HBC,
           "malicious": MALICIOUS, "active": MALICIOUS}
_WHY_WRONG = {
    "A": ("A is honest-but-curious: the server follows the protocol exactly — storing every report "
          "is what it agreed to do. Studying data it legitimately received is curiosity, not a "
          "deviation; a malicious server would have to break the rules (e.g. change the app)."),
    "B": ("B is malicious: the participant deviates from the protocol — its updates are crafted, "
          "not computed from its own data as prescribed. Sending made-up messages is the "
          "hallmark of an active (malicious) adversary, however subtle the change."),
    "C": ("C is honest-but-curious: every query runs correctly, so the provider follows the "
          "protocol; recording which rows each query touches is passive observation of what it "
          "sees anyway. Honest-but-curious parties watch everything but change nothing."),
}


def _label(value):
    if not isinstance(value, str):
        return None
    return _LABELS.get(re.sub(r"[\s_\-]+", " ", value.strip().lower()))


def check_threat_models(ns):
    answer = ns.get("threat_models")
    if not isinstance(answer, dict):
        raise Mistake(f"`threat_models` must be a dict with one entry per scenario, like "
                      f"{{'A': 'honest-but-curious', 'B': '...', 'C': '...'}}; got a "
                      f"{type(answer).__name__}.")
    keys = {str(k).strip().upper(): v for k, v in answer.items()}
    missing = sorted(set(E1_ANSWERS) - set(keys))
    extra = sorted(set(keys) - set(E1_ANSWERS))
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"scenario(s) {', '.join(missing)} missing")
        if extra:
            parts.append(f"unexpected key(s) {', '.join(map(repr, extra))}")
        raise Mistake(f"`threat_models` needs exactly the keys 'A', 'B' and 'C' (one per "
                      f"scenario): {'; '.join(parts)}.")
    unknown = [k for k in sorted(keys) if _label(keys[k]) is None]
    if unknown:
        shown = ", ".join(f"{k}: {keys[k]!r}" for k in unknown)
        raise Mistake(f"Each answer must be one of the two threat models, 'honest-but-curious' "
                      f"or 'malicious' — got {shown}.")
    wrong = [k for k in sorted(keys) if _label(keys[k]) != E1_ANSWERS[k]]
    if wrong:
        head = (f"{len(wrong)} of 3 scenarios are not classified right. The test: does the "
                "party deviate from the protocol (malicious), or only learn from what it "
                "legitimately sees (honest-but-curious)?")
        raise Mistake("\n".join([head] + [f"• {_WHY_WRONG[k]}" for k in wrong]))
    return ("All three right. Protocols that only resist honest-but-curious parties are far "
            "cheaper than maliciously secure ones — Lesson 06's secure aggregation shows what "
            "it costs to survive clients that drop out or lie.")


# --- E2: uniqueness -------------------------------------------------------------------------

def _hand_table() -> pd.DataFrame:
    """11 rows: (area, sex) classes AF×2, AM, BF×3, BM, CM, DF, DM, EF — 6 rows are unique."""
    return pd.DataFrame({"id": range(1, 12), "area": list("AAABBBBCDDE"),
                         "sex": list("FFMFFFMMFMF")})


def _uniqueness_cases():
    hand = _hand_table()
    tables = linkage_tables(n_population=30_000, n_released=3_000, seed=E2_SEED)
    return [
        ("a hand-made 11-row table", hand, ["area", "sex"]),
        ("a hand-made 11-row table", hand, ["sex", "area"]),
        ("a hand-made 11-row table", hand, ["area"]),
        ("a table with a single row", hand.iloc[:1], ["area", "sex"]),
        ("a table of four identical rows", pd.DataFrame({"area": ["A"] * 4, "sex": ["F"] * 4}),
         ["area", "sex"]),
        ("a generated roster", tables.roster, QIS),
        ("a generated roster", tables.roster, ["area", "birth_date"]),
        ("a generated released table", tables.released, ["birth_date", "sex"]),
    ]


def _wrong_uniqueness_formulas(table: pd.DataFrame, columns: list) -> list:
    """(value, message) of the typical wrong answers on ``table``."""
    n = len(table)
    sizes = linkage.class_sizes(table, columns)
    n_unique, n_distinct = int((sizes == 1).sum()), int(table[columns].drop_duplicates().shape[0])
    right = n_unique / n
    return [
        (n_distinct / n,
         "You counted each distinct combination once (what drop_duplicates, duplicated() with "
         "its default keep='first', or nunique give) — but a combination shared by two rows "
         "singles out nobody. Count only the rows whose combination occurs exactly once, e.g. "
         "with duplicated(subset=columns, keep=False)."),
        (float(n_unique),
         "You returned a count of unique rows, not a fraction: divide by the number of rows."),
        (100 * right,
         "You returned a percentage: return a fraction between 0 and 1 instead."),
        (n_unique / n_distinct,
         "You divided by the number of distinct combinations; divide by the number of rows "
         "(the fraction of *people* who are singled out)."),
        (1 - right,
         "You returned the fraction of rows that are NOT unique (that share their combination); "
         "return the fraction that are unique."),
        (linkage.uniqueness(table, columns[:1]),
         "Your answer only looks at the first column of `columns`; a row is unique when its "
         "combination of values in ALL the given columns occurs once."),
        (linkage.uniqueness(table, list(table.columns)),
         "You used every column of the table, not just the ones in `columns`; restrict to "
         "table[columns] (e.g. duplicated(subset=columns, ...))."),
    ]



def check_uniqueness(ns):
    cases = _uniqueness_cases()
    for what, table, columns in cases:
        got = ns.call("uniqueness", table, list(columns))
        expected = linkage.uniqueness(table, columns)
        if not is_number(got):
            kind = type(got).__name__
            extra = (" — `table[columns].nunique()` gives one count per column, for instance"
                     if isinstance(got, pd.Series) else "")
            raise Mistake(f"`uniqueness` must return one number (a fraction between 0 and 1); "
                          f"it returned a {kind}{extra}.")
        got = float(got)
        if abs(got - expected) <= 1e-9:
            continue
        rounded = rounding_mistake(got, expected, "uniqueness")
        if rounded:
            raise Mistake(f"{rounded} (On {what} with columns {list(columns)}.)")
        for value, message in _wrong_uniqueness_formulas(table, list(columns)):
            if abs(got - value) <= 1e-9 and abs(value - expected) > 1e-9:
                shown, exact = pair_digits(got, expected)
                raise Mistake(f"{message}\n(On {what} with columns {list(columns)}: expected "
                              f"{exact}, got {shown}.)")
        shown = f" The table:\n{table.to_string(index=False)}" if len(table) <= 12 else ""
        mine, exact = pair_digits(got, expected)
        raise Mistake(f"On {what} with columns {list(columns)}, the fraction of rows whose "
                      f"combination occurs exactly once is {exact}, but your "
                      f"`uniqueness` returned {mine}.{shown}")
    roster = cases[5][1]
    return (f"Right. {linkage.uniqueness(roster, QIS):.1%} of the check's roster is unique on "
            f"(area, birth_date, sex). Sweeney (2000) estimated 87% of the US population unique "
            f"on (ZIP, birth date, sex); Golle (2006) found 63% with the 2000 census — either way, "
            f"most people.")


# --- E3: the linkage attack -----------------------------------------------------------------

def _pairs(frame: pd.DataFrame) -> set:
    return set(zip(frame["record_id"].astype("int64"), frame["name"].astype(str)))


def check_link(ns):
    released, roster, truth = linkage_tables(n_population=60_000, n_released=4_000,
                                             seed=E3_SEED)
    got = ns.call("link", released, roster)
    if not isinstance(got, pd.DataFrame):
        raise Mistake(f"`link` must return a pandas DataFrame with columns record_id and name; "
                      f"it returned a {type(got).__name__}.")
    if set(got.columns) != {"record_id", "name"}:
        raise Mistake(f"`link` must return exactly the columns record_id and name (select them "
                      f"with frame[['record_id', 'name']]); yours has {list(got.columns)}.")
    if len(got) == 0:
        raise Mistake("`link` returned no rows: most released records match exactly one roster "
                      "person on (area, birth_date, sex). Join released with roster on these "
                      "three columns.")
    if got["name"].isna().any():
        raise Mistake(f"{int(got['name'].isna().sum()):,} of your rows have no name: a left "
                      f"join keeps released records that match nobody on the roster. Keep only "
                      f"records with exactly one match (an inner join does that).")
    try:
        pairs = _pairs(got)
    except (TypeError, ValueError) as exc:
        raise Mistake(f"record_id must hold the ids of released records (integers) and name "
                      f"the names from the roster ({exc}).") from None
    reference = linkage.link_unique(released, roster)
    expected = _pairs(reference)
    quality = linkage.link_quality(reference, truth)
    if pairs == expected:
        return (f"Right: your attack names {len(expected):,} of the {len(released):,} "
                f"records, and {quality['precision']:.1%} of those names are right — "
                f"{quality['recall']:.0%} of the table re-identified. Not 100%: when a patient "
                f"is missing from the roster but a look-alike is on it, the unique match is the "
                f"wrong person. Real attackers confirm a match with other facts.")

    counts = linkage.match_counts(released, roster).set_axis(released["record_id"])
    mine = linkage.link_quality(got, truth)
    score = (f"(Your {mine['linked']:,} rows name {mine['correct']:,} people correctly, "
             f"precision {mine['precision']:.1%}; the exactly-one attack names "
             f"{len(expected):,} records, precision {quality['precision']:.1%}.)")
    if got["record_id"].duplicated().any():
        repeated = int(got["record_id"].duplicated(keep=False).sum())
        raise Mistake(f"{repeated:,} rows repeat a record_id: a join keeps every roster person "
                      f"with the same (area, birth_date, sex), so an ambiguous record gets "
                      f"several names (at most one of them right). Keep only records that match "
                      f"exactly ONE roster person. {score}")
    for size in (2, 1):
        for subset in combinations(QIS, size):
            if pairs == _pairs(linkage.link_unique(released, roster, on=subset)):
                left_out = " and ".join(c for c in QIS if c not in subset)
                raise Mistake(f"You joined on {' and '.join(subset)} only — without "
                              f"{left_out}. Fewer columns single out fewer people, so many "
                              f"'unique' matches name the wrong person. Join on all three "
                              f"quasi-identifiers (area, birth_date, sex). {score}")
    if pairs < expected:
        raise Mistake(f"You returned only {len(pairs):,} of the {len(expected):,} records that "
                      f"match exactly one roster person, and every name you gave is one the "
                      f"attack would give: you are over-filtering. Keep every released record "
                      f"with exactly one match, even if another released record shares its "
                      f"values. {score}")
    extra_ids = {rid for rid, _ in pairs - expected}
    if extra_ids and all(counts.get(rid, 0) >= 2 for rid in extra_ids):
        raise Mistake(f"{len(extra_ids):,} of your records match several roster people, and you "
                      f"picked one of them: that is a guess, not a re-identification. Leave out "
                      f"records with more than one match. {score}")
    raise Mistake(f"Your links differ from those of the attack (released records that match "
                  f"exactly one roster person on area, birth_date and sex): "
                  f"{len(pairs - expected):,} of your rows are not among them and "
                  f"{len(expected - pairs):,} are missing. {score}")


# --- E4: generalization ---------------------------------------------------------------------

def _same(a: pd.Series, b: pd.Series) -> bool:
    try:
        return bool((pd.Series(a).reset_index(drop=True) == pd.Series(b).reset_index(drop=True))
                    .all()) and len(a) == len(b)
    except (TypeError, ValueError):
        return False


def check_generalize(ns):
    # The notebook's own table after the exercise cell ran `generalize(released)`: a generalize
    # that changes its argument in place has removed birth_date from it (and breaks every later
    # cell). The grader hands the learner copies, so only the notebook's table can show this.
    if ns.has("released"):
        own = ns.get("released")
        if isinstance(own, pd.DataFrame) and "birth_date" not in own.columns:
            raise Mistake("Your `generalize` changed the table it was given: after "
                          "generalize(released), the notebook's `released` has no birth_date "
                          "column any more (so every later cell that needs it fails with a "
                          "KeyError). Work on a copy — table.assign(...), table.drop(columns=...) "
                          "without inplace=True, or table = table.copy() first — and return it. "
                          "Then re-run the cells from the one that loads the tables.")
    released, roster, _ = linkage_tables(n_population=20_000, n_released=2_000, seed=E4_SEED)
    got = ns.call("generalize", released)
    if got is None:
        raise Mistake("`generalize` returned None: return the new table (changing the table "
                      "in place is not enough — the original must stay as it is).")
    if not isinstance(got, pd.DataFrame):
        raise Mistake(f"`generalize` must return a pandas DataFrame; it returned a "
                      f"{type(got).__name__}.")
    if len(got) != len(released):
        raise Mistake(f"`generalize` must keep every row ({len(released):,}); yours has "
                      f"{len(got):,}. Generalization coarsens values, it does not remove "
                      f"records.")
    kept = ["record_id", "area", "sex", "diagnosis"]
    lost = [c for c in kept if c not in got.columns]
    if lost:
        raise Mistake(f"Your table lost the column(s) {lost}: keep every column except "
                      f"birth_date as it is — an analyst still needs them.")
    got = got.reset_index(drop=True)
    changed = [c for c in kept if not _same(got[c], released[c])]
    if changed:
        raise Mistake(f"The column(s) {changed} changed; keep every column except birth_date as "
                      f"it is, in the same row order.")
    years = released["birth_date"].dt.year
    if "birth_date" in got.columns:
        values = got["birth_date"]
        if "birth_year" in got.columns:
            raise Mistake("The full birth date is still in the table next to birth_year, so "
                          "nothing is hidden: drop the birth_date column.")
        if _same(values, released["birth_date"]):
            raise Mistake("birth_date still holds the full date: the table is not generalized. "
                          "Replace birth_date by a column birth_year holding only the year.")
        if _same(values, years):
            raise Mistake("Right idea — but name the new column birth_year (and drop "
                          "birth_date), so no one mistakes a year for a date.")
        if pd.api.types.is_datetime64_any_dtype(values) and values.dt.month.nunique() > 1:
            raise Mistake("birth_date still varies by month: coarsen it to the year, in a column "
                          "birth_year (and drop birth_date).")
        raise Mistake("Replace birth_date by a column birth_year holding only the year of "
                      "birth (an integer such as 1987).")
    if "birth_year" not in got.columns:
        raise Mistake("You dropped the birth date entirely: the table is safer but an analyst "
                      "can no longer study age at all (utility lost). Keep the year, in a "
                      "column birth_year.")
    year = got["birth_year"]
    if not pd.api.types.is_integer_dtype(year):
        raise Mistake(f"birth_year should hold the year as an integer (such as 1987; "
                      f".dt.year gives it); yours has dtype {year.dtype}.")
    if not _same(year, years):
        ages = REFERENCE_DATE.year - years
        if _same(year, ages):
            raise Mistake("birth_year holds ages, not years of birth: use .dt.year.")
        raise Mistake("birth_year does not hold the year of each birth_date (use .dt.year).")
    before = linkage.uniqueness(roster, QIS)
    after = linkage.uniqueness(linkage.generalize_birth_date(roster, "year"),
                               linkage.quasi_identifiers("year"))
    return (f"Right. On the check's roster, the share of people unique on their quasi-"
            f"identifiers falls from {before:.1%} (birth date) to {after:.2%} (birth year) — "
            f"while every patient's age is still known to within a year. This is generalization, "
            f"the idea behind k-anonymity (Samarati & Sweeney, 1998).")


# --- the lesson -----------------------------------------------------------------------------

LESSON = Lesson("L00", "Welcome", "00_welcome", (
    Exercise(
        "L00.E1", "Warm-up: threat models", 1, check_threat_models, (
            "For each scenario ask: does the party do anything the protocol (or its agreement) "
            "does not allow? Looking closely at data it legitimately received is allowed.",
            "Honest-but-curious (semi-honest): follows every step exactly, but tries to learn "
            "from everything it sees and keeps. Malicious (active): may deviate — send made-up "
            "messages, lie, drop out on purpose.",
            "Two scenarios only observe (storing reports as agreed; running every query "
            "correctly while watching); one sends updates that were not computed as "
            "prescribed. Write threat_models = {'A': 'honest-but-curious', 'B': ..., 'C': ...}.",
        )),
    Exercise(
        "L00.E2", "How unique are people?", 2, check_uniqueness, (
            "A row is unique when no other row has the same values in all of `columns`. Count "
            "those rows, then divide by the number of rows.",
            "pandas flags rows whose combination occurs more than once: "
            "table.duplicated(subset=columns, keep=False) is True for every copy, the first one "
            "included.",
            "Take the mean of ~table.duplicated(subset=list(columns), keep=False) and return it "
            "as a float.",
        ), shortcuts=("pets_helpers.linkage:uniqueness",)),
    Exercise(
        "L00.E3", "The linkage attack", 3, check_link, (
            "Only a roster person whose (area, birth_date, sex) nobody else on the roster shares "
            "can be pinned to a record. Find those people first.",
            "Keep the roster rows whose combination is unique "
            "(~roster.duplicated(subset=QIS, keep=False)), then inner-join released with them on "
            "all three columns.",
            "unique = roster[~roster.duplicated(subset=QIS, keep=False)]; return "
            "released.merge(unique, on=QIS)[['record_id', 'name']].",
        ), shortcuts=("pets_helpers.linkage:link_unique",)),
    Exercise(
        "L00.E4", "Generalize birth dates", 1, check_generalize, (
            "Keep what an analyst needs but drop the precision that singles people out: the year "
            "of birth is enough for most statistics about age.",
            "Copy the table, add a column birth_year from table['birth_date'].dt.year, and drop "
            "the birth_date column.",
            "return table.assign(birth_year=table['birth_date'].dt.year)"
            ".drop(columns='birth_date')",
        ), shortcuts=("pets_helpers.linkage:generalize_birth_date",)),
))
