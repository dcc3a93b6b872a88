"""Lesson 00: right answers, and typical wrong answers with the phrase their feedback must hold."""

QIS = ["area", "birth_date", "sex"]

# --- E2: uniqueness -------------------------------------------------------------------------

def uniqueness_right(table, columns):
    return float((~table.duplicated(subset=list(columns), keep=False)).mean())

def uniqueness_groupby(table, columns):
    sizes = table.groupby(list(columns))[list(columns)[0]].transform("size")
    return (sizes == 1).sum() / len(table)

def uniqueness_distinct(table, columns):
    return len(table.drop_duplicates(subset=list(columns))) / len(table)

def uniqueness_keep_first(table, columns):
    return float((~table.duplicated(subset=list(columns))).mean())

def uniqueness_nunique(table, columns):
    return table[list(columns)].nunique() / len(table)

def uniqueness_count(table, columns):
    return int((~table.duplicated(subset=list(columns), keep=False)).sum())

def uniqueness_first_column(table, columns):
    return float((~table.duplicated(subset=[list(columns)[0]], keep=False)).mean())

def uniqueness_all_columns(table, columns):
    return float((~table.duplicated(keep=False)).mean())

def uniqueness_percent(table, columns):
    return 100 * uniqueness_right(table, columns)

def uniqueness_shared(table, columns):
    return float(table.duplicated(subset=list(columns), keep=False).mean())

# --- E3: link -------------------------------------------------------------------------------

def link_right(released, roster):
    unique = roster[~roster.duplicated(subset=QIS, keep=False)]
    return released.merge(unique, on=QIS)[["record_id", "name"]]

def link_by_counts(released, roster):
    counts = roster.groupby(QIS).size().rename("n").reset_index()
    matched = released.merge(counts[counts["n"] == 1], on=QIS).merge(roster, on=QIS)
    return matched[["record_id", "name"]].sort_values("record_id")

def link_no_sex(released, roster):
    on = ["area", "birth_date"]
    unique = roster[~roster.duplicated(subset=on, keep=False)]
    return released.merge(unique, on=on)[["record_id", "name"]]

def link_all_matches(released, roster):
    return released.merge(roster, on=QIS)[["record_id", "name"]]

def link_first_match(released, roster):
    merged = released.merge(roster, on=QIS)
    return merged.drop_duplicates("record_id")[["record_id", "name"]]

def link_over_filtered(released, roster):
    merged = released.merge(roster, on=QIS)
    return merged.drop_duplicates(subset=QIS, keep=False)[["record_id", "name"]]

def link_left_join(released, roster):
    unique = roster[~roster.duplicated(subset=QIS, keep=False)]
    return released.merge(unique, on=QIS, how="left")[["record_id", "name"]]


def link_whole_frame(released, roster):
    unique = roster[~roster.duplicated(subset=QIS, keep=False)]
    return released.merge(unique, on=QIS)

# --- E4: generalize -------------------------------------------------------------------------

def generalize_right(table):
    return table.assign(birth_year=table["birth_date"].dt.year).drop(columns="birth_date")

def generalize_in_place(table):
    table["birth_year"] = table["birth_date"].dt.year
    table.drop(columns="birth_date", inplace=True)
    return table

def generalize_dropped(table):
    return table.drop(columns="birth_date")

def generalize_unchanged(table):
    return table.copy()

def generalize_kept_date(table):
    return table.assign(birth_year=table["birth_date"].dt.year)

def generalize_to_month(table):
    return table.assign(birth_date=table["birth_date"].dt.to_period("M").dt.to_timestamp())

def generalize_same_name(table):
    return table.assign(birth_date=table["birth_date"].dt.year)

def generalize_none(table):
    table["birth_year"] = table["birth_date"].dt.year

def generalize_age(table):
    return table.assign(birth_year=2024 - table["birth_date"].dt.year).drop(columns="birth_date")

def _notebook_released(mutate=False):
    """The notebook's `released` table after its exercise cell ran generalize(released)."""
    from pets_helpers.datasets import linkage_tables

    released = linkage_tables(seed=2000).released
    if mutate:
        generalize_in_place(released)
    return released


def uniqueness_rounded(table, columns):
    return round(uniqueness_right(table, columns), 4)


RIGHT = {
    "L00.E1": {"threat_models": {"A": "honest-but-curious", "B": "malicious",
                                 "C": "Honest but curious "}},
    "L00.E2": {"uniqueness": uniqueness_right},
    "L00.E3": {"link": link_right},
    "L00.E4": {"generalize": generalize_right},
}

# Further right answers, tested too (variants a learner may well write).
ALSO_RIGHT = [
    ("L00.E1", {"threat_models": {"a": "Semi-honest", "b": "MALICIOUS",
                                  "c": "honest_but_curious"}}),
    ("L00.E2", {"uniqueness": uniqueness_groupby}),
    ("L00.E3", {"link": link_by_counts}),
    ("L00.E4", {"generalize": generalize_right, "released": _notebook_released()}),
]

WRONG = [
    ("L00.E1", "A-malicious", {"threat_models": {"A": "malicious", "B": "malicious",
                                                 "C": "honest-but-curious"}},
     "follows the protocol exactly"),
    ("L00.E1", "B-hbc", {"threat_models": {"A": "honest-but-curious", "B": "honest-but-curious",
                                           "C": "honest-but-curious"}},
     "deviates from the protocol"),
    ("L00.E1", "C-malicious", {"threat_models": {"A": "honest-but-curious", "B": "malicious",
                                                 "C": "malicious"}},
     "passive observation"),
    ("L00.E1", "list", {"threat_models": ["honest-but-curious", "malicious", "honest-but-curious"]},
     "must be a dict"),
    ("L00.E1", "missing-key", {"threat_models": {"A": "honest-but-curious", "B": "malicious"}},
     "C missing"),
    ("L00.E1", "unknown-label", {"threat_models": {"A": "curious", "B": "malicious",
                                                   "C": "honest-but-curious"}},
     "one of the two threat models"),
    ("L00.E2", "drop-duplicates", {"uniqueness": uniqueness_distinct}, "distinct combination"),
    ("L00.E2", "duplicated-keep-first", {"uniqueness": uniqueness_keep_first},
     "keep=False"),
    ("L00.E2", "nunique", {"uniqueness": uniqueness_nunique}, "one number"),
    ("L00.E2", "count", {"uniqueness": uniqueness_count}, "not a fraction"),
    ("L00.E2", "first-column", {"uniqueness": uniqueness_first_column}, "first column"),
    ("L00.E2", "all-columns", {"uniqueness": uniqueness_all_columns}, "every column"),
    ("L00.E2", "percent", {"uniqueness": uniqueness_percent}, "percentage"),
    ("L00.E2", "shared", {"uniqueness": uniqueness_shared}, "not unique"),
    ("L00.E3", "no-sex", {"link": link_no_sex}, "without sex"),
    ("L00.E3", "all-matches", {"link": link_all_matches}, "exactly one roster person"),
    ("L00.E3", "first-match", {"link": link_first_match}, "a guess"),
    ("L00.E3", "over-filtered", {"link": link_over_filtered}, "over-filtering"),
    ("L00.E3", "left-join", {"link": link_left_join}, "inner join"),
    ("L00.E3", "whole-frame", {"link": link_whole_frame}, "exactly the columns record_id and name"),
    ("L00.E4", "dropped", {"generalize": generalize_dropped}, "utility lost"),
    ("L00.E4", "unchanged", {"generalize": generalize_unchanged}, "not generalized"),
    ("L00.E4", "kept-date", {"generalize": generalize_kept_date}, "still in the table"),
    ("L00.E4", "month", {"generalize": generalize_to_month}, "by month"),
    ("L00.E4", "same-name", {"generalize": generalize_same_name}, "name the new column"),
    ("L00.E4", "returns-none", {"generalize": generalize_none}, "returned none"),
    ("L00.E4", "age", {"generalize": generalize_age}, "ages"),
    ("L00.E4", "mutates-input", {"generalize": generalize_in_place,
                                 "released": _notebook_released(mutate=True)},
     "changed the table it was given"),
    ("L00.E2", "rounded", {"uniqueness": uniqueness_rounded}, "you rounded"),
]
