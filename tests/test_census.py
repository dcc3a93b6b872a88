"""Lesson 02 data: the simulated PUMS sample (``datasets.generate_pums_sample``), its committed
generator script and shipped CSVs, the PUMS reader and the exact SQL answer (``census``)."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pets_helpers.census import (MEAN_INCOME_SQL, WEIGHTED_MEAN_INCOME_SQL, PumsFormatError,
                                 exact_mean_income_sql, read_pums)
from pets_helpers.datasets import (PUMS_ADJINC, PUMS_HOUSEHOLD_COLUMNS, PUMS_PERSON_COLUMNS,
                                   PUMS_PUMAS, PUMS_STATE, generate_pums_sample, load_course_pums,
                                   pums)

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "data" / "make_pums_sample.py"
SHIPPED = REPO / "pets_helpers" / "datasets" / "data"     # package data, read via importlib


@pytest.fixture(scope="module")
def shipped():
    return load_course_pums()


@pytest.fixture(scope="module")
def generated():
    return generate_pums_sample()          # the shipped sample's size and seed


def write(path, text):
    path.write_text(text)
    return path


TINY_HOUSEHOLDS = """\
RT,SERIALNO,PUMA,ST,ADJINC,WGTP,NP,TYPEHUGQ,TEN,HINCP
H,2018HU0000001,00100,06,1184371,20,2,1,1,50000
H,2018HU0000002,00100,06,1184371,10,1,1,3,-1200
H,2022HU0000003,00200,06,1042311,30,3,1,2,100000
H,2022HU0000004,00200,06,1042311,5,0,1,,
H,2022GQ0000005,00200,06,1042311,0,1,3,,
H,2021HU0000006,00100,06,1113261,15,1,1,3,0
"""
TINY_PERSONS = """\
RT,SERIALNO,SPORDER,PUMA,ST,ADJINC,PWGTP,AGEP,SEX,SCHL,RELSHIPP,PINCP
P,2018HU0000001,1,00100,06,1184371,20,45,1,21,20,30000
P,2018HU0000001,2,00100,06,1184371,22,43,2,22,21,20000
P,2018HU0000002,1,00100,06,1184371,10,70,2,16,20,-1200
P,2022HU0000003,1,00200,06,1042311,30,38,2,24,20,100000
P,2022HU0000003,2,00200,06,1042311,28,8,1,05,25,
P,2022HU0000003,3,00200,06,1042311,31,1,2,,25,
P,2022GQ0000005,1,00200,06,1042311,12,19,1,19,38,4000
P,2021HU0000006,1,00100,06,1113261,15,30,1,16,20,0
"""


@pytest.fixture
def tiny(tmp_path):
    return (write(tmp_path / "psam_h99.csv", TINY_HOUSEHOLDS),
            write(tmp_path / "psam_p99.csv", TINY_PERSONS))


# --- The generator ---------------------------------------------------------------------------

def test_generator_is_deterministic_per_seed():
    a = generate_pums_sample(400, seed=7)
    b = generate_pums_sample(400, seed=7)
    pd.testing.assert_frame_equal(a.households, b.households)
    pd.testing.assert_frame_equal(a.persons, b.persons)
    c = generate_pums_sample(400, seed=8)
    assert not a.households.equals(c.households)
    d = generate_pums_sample(400, seed=np.random.default_rng(7))
    e = generate_pums_sample(400, seed=np.random.default_rng(7))
    pd.testing.assert_frame_equal(d.persons, e.persons)


def test_generator_rejects_bad_arguments():
    with pytest.raises(ValueError, match="n_households"):
        generate_pums_sample(10)
    with pytest.raises(TypeError, match="n_households"):
        generate_pums_sample(1000.5)
    with pytest.raises(ValueError, match="seed must be an integer ≥ 0"):   # a bad value
        generate_pums_sample(100, seed=-1)
    with pytest.raises(TypeError, match="seed"):                          # a bad type
        generate_pums_sample(100, seed="1")


def test_generated_columns_codes_and_types(generated):
    households, persons = generated
    assert tuple(households.columns) == PUMS_HOUSEHOLD_COLUMNS
    assert tuple(persons.columns) == PUMS_PERSON_COLUMNS
    assert len(households) == 5_000
    for frame in (households, persons):
        for name in ("RT", "SERIALNO", "PUMA", "ST"):
            assert frame[name].dtype == object
        for name in frame.columns.difference(["RT", "SERIALNO", "PUMA", "ST"]):
            assert frame[name].dtype == "Int64", name
        assert set(frame["PUMA"]) == {p.code for p in PUMS_PUMAS}
        assert (frame["ST"] == PUMS_STATE).all()
        assert frame["SERIALNO"].str.fullmatch(r"20(18|19|20|21|22)(HU|GQ)\d{7}").all()
        year = frame["SERIALNO"].str[:4].astype(int)
        assert (frame["ADJINC"] == year.map(PUMS_ADJINC)).all()
    assert households["SERIALNO"].is_unique
    assert set(persons["SEX"]) == {1, 2}
    assert persons["SCHL"].dropna().between(1, 24).all()
    assert persons["AGEP"].between(0, 99).all()


def test_households_and_persons_are_consistent(generated):
    households, persons = generated
    hh = households.set_index("SERIALNO")
    count = persons.groupby("SERIALNO").size().reindex(hh.index, fill_value=0)
    assert (count == hh["NP"]).all()                   # one person record per person
    gq = hh["TYPEHUGQ"] > 1
    vacant = hh["NP"] == 0
    assert ((hh["WGTP"] == 0) == gq).all()             # GQ placeholder records have WGTP 0
    assert (hh.index.str[4:6] == np.where(gq, "GQ", "HU")).all()
    assert (hh["HINCP"].isna() == (gq | vacant)).all()  # N/A (GQ/vacant), as in the dictionary
    assert (hh["TEN"].isna() == (gq | vacant)).all()
    occupied = hh.index[hh["HINCP"].notna()]
    total = persons.groupby("SERIALNO")["PINCP"].sum().reindex(occupied)
    assert (total == hh.loc[occupied, "HINCP"]).all()  # HINCP = sum of the members' PINCP
    assert ((persons["SPORDER"] == 1) == persons["RELSHIPP"].isin([20, 37, 38])).all()
    assert (persons["SCHL"].isna() == (persons["AGEP"] < 3)).all()
    assert (persons["PINCP"].isna() == (persons["AGEP"] < 15)).all()


def test_income_has_heavy_tail_missing_zero_and_negative_values(shipped):
    households = shipped.households
    income = households["income_adjusted"]
    assert income.isna().sum() > 100                   # vacant units and group quarters
    observed = income.dropna()
    assert (observed == 0).sum() >= 20
    assert (observed < 0).sum() >= 5
    assert observed.min() >= -59_999 * 1.2
    assert observed.max() > 20 * observed.mean()       # a few very large incomes
    assert observed.mean() > 1.3 * observed.median()   # right skew
    medians = observed.groupby(households["PUMA"]).median()
    assert len(medians) == 10 and medians.max() > 3 * medians.min()


# --- The committed script and the shipped files ---------------------------------------------

def test_shipped_csvs_are_what_the_script_writes(tmp_path):
    out = subprocess.run([sys.executable, str(SCRIPT),
                          "--out-dir", str(tmp_path)], capture_output=True, text=True,
                         cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    for name in ("pums_households.csv", "pums_persons.csv"):
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name


def test_shipped_files_are_small():
    size = sum((SHIPPED / n).stat().st_size for n in ("pums_households.csv", "pums_persons.csv"))
    assert size < 1_000_000


def test_read_pums_round_trips_the_shipped_sample(shipped, generated):
    households, persons = shipped
    pd.testing.assert_frame_equal(households.drop(columns="income_adjusted"),
                                  generated.households)
    pd.testing.assert_frame_equal(persons.drop(columns="income_adjusted"), generated.persons)
    assert households["PUMA"].str.fullmatch(r"0\d{4}").all()      # leading zeros kept
    assert (households["ST"] == "07").all()
    assert households["income_adjusted"].dtype == "float64"
    first = (SHIPPED / "pums_households.csv").read_text().splitlines()[1].split(",")
    assert first[2].startswith("0") and first[3] == "07"           # and written in the file


# --- read_pums on hand-made files -----------------------------------------------------------

def test_adjinc_is_applied(tiny):
    households, persons = read_pums(*tiny)
    expected = [50000 * 1.184371, -1200 * 1.184371, 100000 * 1.042311, np.nan, np.nan, 0.0]
    np.testing.assert_allclose(households["income_adjusted"], expected, rtol=0, atol=1e-9)
    assert households["income_adjusted"].iloc[2] == 104231.1
    assert persons["income_adjusted"].iloc[0] == 30000 * 1184371 / 1e6
    assert persons["PINCP"].isna().sum() == 2 and persons["SCHL"].isna().sum() == 1
    assert persons["SCHL"].iloc[4] == 5                             # "05" read as code 5
    assert read_pums(tiny[0]).persons is None


def test_missing_required_column_is_named(tmp_path):
    text = TINY_HOUSEHOLDS.replace(",HINCP", "").replace(",50000\n", "\n")
    lines = [line.rsplit(",", 1)[0] if i else line for i, line in enumerate(text.splitlines())]
    path = write(tmp_path / "h.csv", "\n".join(lines) + "\n")
    with pytest.raises(PumsFormatError, match=r"no column 'HINCP'.*ACS PUMS extract"):
        read_pums(path)


def test_swapped_files_and_multiyear_puma_columns_get_a_hint(tiny, tmp_path):
    households, persons = tiny
    with pytest.raises(PumsFormatError, match="person-record file"):
        read_pums(persons)
    multi = write(tmp_path / "h5.csv", TINY_HOUSEHOLDS.replace(",PUMA,", ",PUMA20,")
                  .replace("2018HU0000001,00100", "2018HU0000001,-0009"))
    with pytest.raises(PumsFormatError, match="puma_column='PUMA20'"):
        read_pums(multi)
    table = read_pums(multi, puma_column="PUMA20").households
    assert table["PUMA"].isna().sum() == 1 and table["PUMA"].iloc[2] == "00200"


def test_bad_values_are_reported_with_column_and_row(tmp_path):
    bad = write(tmp_path / "h.csv", TINY_HOUSEHOLDS.replace("100000", "lots"))
    with pytest.raises(PumsFormatError, match=r"'HINCP'.*whole numbers.*row 3.*'lots'"):
        read_pums(bad)
    bad = write(tmp_path / "h.csv", TINY_HOUSEHOLDS.replace("100000", "100000.5"))
    with pytest.raises(PumsFormatError, match="'HINCP'.*whole numbers"):
        read_pums(bad)
    bad = write(tmp_path / "h.csv", TINY_HOUSEHOLDS.replace("1042311", "1.042311"))
    with pytest.raises(PumsFormatError, match="ADJINC.*7-digit"):
        read_pums(bad)
    bad = write(tmp_path / "h.csv", TINY_HOUSEHOLDS.replace(",00200,", ",AB200,", 1))
    with pytest.raises(PumsFormatError, match="'PUMA'.*5-digit.*row 3"):
        read_pums(bad)
    bad = write(tmp_path / "h.csv", TINY_HOUSEHOLDS.replace(",20,2,1,1,", ",,2,1,1,"))
    with pytest.raises(PumsFormatError, match="'WGTP'.*empty in row 1"):
        read_pums(bad)
    bad = write(tmp_path / "h.csv", TINY_HOUSEHOLDS + TINY_HOUSEHOLDS.splitlines()[1] + "\n")
    with pytest.raises(PumsFormatError, match="SERIALNO=2018HU0000001"):
        read_pums(bad)


def test_person_checks(tiny, tmp_path):
    households, persons = tiny
    bad = write(tmp_path / "p.csv", TINY_PERSONS.replace(",45,1,21,", ",45,3,21,"))
    with pytest.raises(PumsFormatError, match=r"'SEX'.*\[1, 2\]"):
        read_pums(households, bad)
    orphan = write(tmp_path / "p.csv", TINY_PERSONS.replace("2021HU0000006", "2021HU0000999"))
    with pytest.raises(PumsFormatError, match="not in the housing file"):
        read_pums(households, orphan)


def test_lost_leading_zeros_and_lower_case_headers_are_repaired(tmp_path):
    text = TINY_HOUSEHOLDS.replace(",00100,06,", ",100,6,").replace(",00200,06,", ",200,6,")
    lines = text.splitlines()
    path = write(tmp_path / "h.csv", "\n".join([lines[0].lower(), *lines[1:]]) + "\n")
    households = read_pums(path).households
    assert list(households["PUMA"].unique()) == ["00100", "00200"]
    assert set(households["ST"]) == {"06"}


def test_paths_are_checked(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_pums(tmp_path / "nope.csv")
    with pytest.raises(TypeError, match="path"):
        read_pums(pd.DataFrame())


def test_extra_columns_are_kept_as_text(tmp_path):
    lines = TINY_HOUSEHOLDS.splitlines()
    text = "\n".join([lines[0] + ",VALP"] + [line + ",250000" for line in lines[1:]]) + "\n"
    path = write(tmp_path / "h.csv", text)
    assert "VALP" not in read_pums(path).households.columns      # only the course columns
    assert read_pums(path, extra_columns=["valp"]).households["VALP"].iloc[0] == "250000"
    with pytest.raises(PumsFormatError, match="'BDSP'"):
        read_pums(path, extra_columns=["BDSP"])


def test_the_shipped_sample_is_found_through_importlib_resources():
    files = pums.course_sample_files()
    assert [f.name for f in files] == ["pums_households.csv", "pums_persons.csv"]
    assert all(f.is_file() for f in files)


def test_load_course_pums_says_what_to_do_when_files_are_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(pums, "course_sample_files",
                        lambda: (tmp_path / "pums_households.csv", tmp_path / "pums_persons.csv"))
    with pytest.raises(FileNotFoundError, match="make_pums_sample.py"):
        load_course_pums()


# --- The exact answer in SQL ----------------------------------------------------------------

def test_sql_means_equal_pandas_groupby(shipped):
    households = shipped.households
    result = exact_mean_income_sql(households)
    assert list(result.columns) == ["PUMA", "households", "mean_income"]
    expected = households.dropna(subset=["income_adjusted"]).groupby("PUMA")["income_adjusted"]
    assert list(result["PUMA"]) == list(expected.mean().index)
    np.testing.assert_array_equal(result["households"], expected.size())
    np.testing.assert_allclose(result["mean_income"], expected.mean(), rtol=1e-12)
    assert result["households"].sum() == households["HINCP"].notna().sum()
    assert result["PUMA"].str.startswith("0").all()


def test_weighted_sql_and_other_groupings(shipped, tiny):
    households = shipped.households
    weighted = exact_mean_income_sql(households, weighted=True)
    for _, row in weighted.iterrows():
        area = households[(households["PUMA"] == row["PUMA"])
                          & households["income_adjusted"].notna()]
        assert row["weighted_households"] == area["WGTP"].sum()
        assert np.isclose(row["mean_income"],
                          np.average(area["income_adjusted"], weights=area["WGTP"]), rtol=1e-12)
    tiny_households = read_pums(tiny[0]).households
    by_tenure, sql = exact_mean_income_sql(tiny_households, by="TEN", income="HINCP",
                                           return_sql=True)
    assert list(by_tenure["TEN"]) == [1, 2, 3]
    assert list(by_tenure["mean_income"]) == [50000.0, 100000.0, -600.0]   # losses count
    assert 'GROUP BY "TEN"' in sql
    assert "GROUP BY PUMA" in MEAN_INCOME_SQL and "income IS NOT NULL" in MEAN_INCOME_SQL
    assert "SUM(WGTP * income)" in WEIGHTED_MEAN_INCOME_SQL


def test_sql_helper_rejects_bad_input(generated):
    with pytest.raises(TypeError, match="DataFrame"):
        exact_mean_income_sql([1, 2, 3])
    with pytest.raises(ValueError, match="read_pums"):
        exact_mean_income_sql(generated.households)        # no income_adjusted column yet
    with pytest.raises(ValueError, match="by='COUNTY'"):
        exact_mean_income_sql(generated.households, by="COUNTY", income="HINCP")


# --- bad input found on real census data (issue 7) -------------------------------------------

def test_read_pums_on_a_plain_table_names_needed_and_found_columns_and_the_delimiter(tmp_path):
    plain = write(tmp_path / "ca.csv", "SERIALNO;AGE;SEX;INCOME;COUNTY\n1;34;F;50000;Alameda\n")
    with pytest.raises(PumsFormatError) as info:
        read_pums(plain)
    msg = str(info.value)
    assert "needs the columns SERIALNO, PUMA, ST, ADJINC, WGTP, NP, HINCP" in msg
    assert "'SERIALNO;AGE;SEX;INCOME;COUNTY'" in msg and "1 column(s)" in msg
    assert "semicolons, but PUMS files use commas" in msg
    assert "pandas.read_csv(path, sep=...)" in msg
    commas = write(tmp_path / "ca2.csv", "id,age,income\n1,34,50000\n")
    with pytest.raises(PumsFormatError, match=r"3 column\(s\): 'id', 'age', 'income' "
                                              r"\(fields separated by commas\)"):
        read_pums(commas)


def test_sql_mean_can_be_ungrouped(shipped):
    households = shipped.households
    overall = exact_mean_income_sql(households, by=None)
    assert list(overall.columns) == ["households", "mean_income"] and len(overall) == 1
    known = households["income_adjusted"].dropna()
    assert overall["households"].iloc[0] == len(known)
    assert np.isclose(overall["mean_income"].iloc[0], known.mean(), rtol=1e-12)
    result, sql = exact_mean_income_sql(households, by=None, weighted=True, return_sql=True)
    assert "GROUP BY" not in sql
    assert np.isclose(result["mean_income"].iloc[0],
                      np.average(known, weights=households.loc[known.index, "WGTP"]), rtol=1e-12)


def test_sql_mean_of_person_records_counts_persons(shipped):
    persons = shipped.persons
    result, sql = exact_mean_income_sql(persons, weighted=True, return_sql=True)
    assert list(result.columns) == ["PUMA", "persons", "weighted_persons", "mean_income"]
    assert "FROM     persons" in sql and "PWGTP" in sql and "households" not in sql
    known = persons.dropna(subset=["income_adjusted"])
    assert result["persons"].sum() == len(known)
    forced = exact_mean_income_sql(shipped.households, records="persons", income="HINCP",
                                   by=None)
    assert list(forced.columns) == ["persons", "mean_income"]
    with pytest.raises(ValueError, match="records must be"):
        exact_mean_income_sql(persons, records="people")


def test_sql_mean_refuses_an_income_column_of_text(shipped):
    households = shipped.households.head(50).copy()
    households["income_adjusted"] = households["income_adjusted"].astype(str)
    with pytest.raises(TypeError, match=r"column 'income_adjusted' must hold numbers.*to_numeric"):
        exact_mean_income_sql(households)


def test_mean_income_sql_text():
    from pets_helpers.census import mean_income_sql

    assert mean_income_sql() == MEAN_INCOME_SQL
    assert mean_income_sql(weighted=True) == WEIGHTED_MEAN_INCOME_SQL
    persons = mean_income_sql(records="persons", weighted=True)
    assert "WGTP" not in persons.replace("PWGTP", "") and "households" not in persons
    columns = {line.index(" AS ") for line in persons.splitlines() if " AS " in line}
    assert len(columns) == 1                                   # aliases stay aligned
    with pytest.raises(ValueError, match="records must be"):
        mean_income_sql(records="people")
