"""Right and typical wrong answers to Lesson 10's exercises."""

import math

import numpy as np
import pandas as pd


# --- right answers (written as a learner would) ---------------------------------------------
def recall_at_alert_rate(scores, is_fraud, alert_rate):
    top = np.argsort(-np.asarray(scores))[: math.ceil(alert_rate * len(scores))]
    return np.asarray(is_fraud)[top].sum() / np.sum(is_fraud)


def recall_quantile(scores, is_fraud, alert_rate):
    scores, y = np.asarray(scores), np.asarray(is_fraud)
    flagged = scores >= np.quantile(scores, 1 - alert_rate)
    return float(y[flagged].sum() / y.sum())


def recall_pandas(scores, is_fraud, alert_rate):
    frame = pd.DataFrame({"s": scores, "y": is_fraud})
    queue = frame.nlargest(int(round(alert_rate * len(frame))), "s")
    return queue["y"].sum() / frame["y"].sum()


THREAT_MODEL = {
    "synthetic_data": {"membership_inference"},
    "federated_training": {"server_reads_update", "membership_inference"},
    "encrypted_scoring": {"service_reads_transaction"},
}
PET_CHOICES = {
    "keyboard_slang": "local_dp",
    "census_release": "central_dp",
    "cloud_scoring": "homomorphic_encryption",
    "hospital_model": "dp_federated_learning",
    "analyst_sandbox": "dp_synthetic_data",
}


def privacy_statement(ledger):
    order = ["transaction", "customer", "bank"]
    dp = [e for e in ledger if e["epsilon"] > 0 or e["delta"] > 0]
    return {"epsilon": sum(e["epsilon"] for e in dp), "delta": sum(e["delta"] for e in dp),
            "unit": min((e["unit"] for e in dp), key=order.index)}


RIGHT = {
    "L10.E1": {"recall_at_alert_rate": recall_at_alert_rate},
    "L10.E2": {"threat_model": THREAT_MODEL},
    "L10.E3": {"pet_choices": PET_CHOICES},
    "L10.E4": {"privacy_statement": privacy_statement},
}
ALSO_RIGHT = [
    ("L10.E1", {"recall_at_alert_rate": recall_quantile}),
    ("L10.E1", {"recall_at_alert_rate": recall_pandas}),
    ("L10.E2", {"threat_model": {k: sorted(v) for k, v in THREAT_MODEL.items()}}),
]


# --- wrong answers ---------------------------------------------------------------------------
def recall_precision(scores, is_fraud, alert_rate):
    top = np.argsort(-np.asarray(scores))[: math.ceil(alert_rate * len(scores))]
    return np.asarray(is_fraud)[top].mean()


def recall_lowest(scores, is_fraud, alert_rate):
    top = np.argsort(np.asarray(scores))[: math.ceil(alert_rate * len(scores))]
    return np.asarray(is_fraud)[top].sum() / np.sum(is_fraud)


def recall_probability_cutoff(scores, is_fraud, alert_rate):
    y = np.asarray(is_fraud)
    return y[np.asarray(scores) >= 1 - alert_rate].sum() / y.sum()


def statement_max(ledger):
    out = privacy_statement(ledger)
    out["epsilon"] = max(e["epsilon"] for e in ledger)
    return out


def statement_bank(ledger):
    return privacy_statement(ledger) | {"unit": "bank"}


def statement_no_delta(ledger):
    return privacy_statement(ledger) | {"delta": 0.0}


def statement_counts_he_unit(ledger):
    order = ["transaction", "customer", "bank"]
    out = privacy_statement(ledger)
    out["unit"] = min((e["unit"] for e in ledger if e["unit"]), key=order.index)
    return out


WRONG = [
    ("L10.E1", "precision", {"recall_at_alert_rate": recall_precision}, "precision"),
    ("L10.E1", "lowest", {"recall_at_alert_rate": recall_lowest}, "lowest"),
    ("L10.E1", "cutoff", {"recall_at_alert_rate": recall_probability_cutoff}, "probability cut-off"),
    ("L10.E1", "constant", {"recall_at_alert_rate": lambda s, y, a: 0.5}, "expected recall"),
    ("L10.E2", "secagg-stops-poisoning",
     {"threat_model": THREAT_MODEL | {"federated_training": {"server_reads_update", "membership_inference",
                                                             "poisoned_update"}}}, "poisoned"),
    ("L10.E2", "he-integrity",
     {"threat_model": THREAT_MODEL | {"encrypted_scoring": {"service_reads_transaction", "wrong_scores"}}},
     "integrity"),
    ("L10.E2", "he-stops-mia",
     {"threat_model": THREAT_MODEL | {"encrypted_scoring": {"service_reads_transaction",
                                                            "membership_inference"}}}, "DP upstream"),
    ("L10.E2", "secagg-only",
     {"threat_model": THREAT_MODEL | {"federated_training": {"server_reads_update"}}}, "secure aggregation alone"),
    ("L10.E2", "unknown-threat", {"threat_model": THREAT_MODEL | {"synthetic_data": {"linkage"}}}, "unknown threats"),
    ("L10.E2", "string-not-set", {"threat_model": THREAT_MODEL | {"synthetic_data": "membership_inference"}},
     "set of threat keys"),
    ("L10.E3", "central-for-keyboard", {"pet_choices": PET_CHOICES | {"keyboard_slang": "central_dp"}},
     "trusted"),
    ("L10.E3", "secagg-for-keyboard", {"pet_choices": PET_CHOICES | {"keyboard_slang": "secure_aggregation"}},
     "online in the same round"),
    ("L10.E3", "local-for-census", {"pet_choices": PET_CHOICES | {"census_release": "local_dp"}},
     "wastes accuracy"),
    ("L10.E3", "secagg-for-hospitals",
     {"pet_choices": PET_CHOICES | {"hospital_model": "secure_aggregation"}}, "membership"),
    ("L10.E3", "central-for-sandbox", {"pet_choices": PET_CHOICES | {"analyst_sandbox": "central_dp"}},
     "post-processing"),
    ("L10.E3", "dp-for-cloud", {"pet_choices": PET_CHOICES | {"cloud_scoring": "central_dp"}},
     "without seeing"),
    ("L10.E3", "unknown-pet", {"pet_choices": PET_CHOICES | {"census_release": "k_anonymity"}}, "not a PET key"),
    ("L10.E3", "missing-scenario", {"pet_choices": {"keyboard_slang": "local_dp"}}, "exactly the scenarios"),
    ("L10.E4", "max", {"privacy_statement": statement_max}, "parallel"),
    ("L10.E4", "bank-unit", {"privacy_statement": statement_bank}, "finest unit"),
    ("L10.E4", "no-delta", {"privacy_statement": statement_no_delta}, "dropped δ"),
    ("L10.E4", "he-unit", {"privacy_statement": statement_counts_he_unit}, "releases nothing DP"),
    ("L10.E4", "not-a-dict", {"privacy_statement": lambda ledger: 5.2}, "dict with keys"),
]
