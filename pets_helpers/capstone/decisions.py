"""The vocabulary of Lesson 10's threat model and PET decision matrix (public text, no answers).

- :data:`PETS`: the techniques of the course, each with what it needs and what it gives.
- :data:`SCENARIOS`: five data collaborations, each with its stated constraints.
- :data:`STAGES` and :data:`THREATS`: the consortium pipeline's stages and the attacks a threat
  model weighs against each (who attacks, and whether honest-but-curious or malicious).
"""

from __future__ import annotations

import pandas as pd

#: PET key → (what it is, what it needs, what it gives).
PETS = {
    "local_dp": ("local differential privacy (randomized response, RAPPOR)",
                 "no trusted party at all; many users",
                 "each user randomizes their own report; only aggregates are useful"),
    "central_dp": ("central differential privacy (Laplace/Gaussian on statistics)",
                   "a curator trusted with the raw data; queries known in advance",
                   "accurate noisy statistics; the budget limits how many"),
    "federated_learning": ("federated learning (FedAvg)",
                           "data that may not move; a coordinating server",
                           "a joint model; the server sees every client's update"),
    "secure_aggregation": ("federated learning with secure aggregation",
                           "several clients online per round",
                           "the server learns only the sum of the updates"),
    "dp_federated_learning": ("federated learning with secure aggregation and DP on the aggregate",
                              "several clients; a privacy budget",
                              "the server sees only the noisy sum; the model bounds membership "
                              "inference"),
    "homomorphic_encryption": ("homomorphic encryption (CKKS inference)",
                               "a fixed, shallow computation; the key holder gets the result",
                               "the computing party never sees inputs or outputs"),
    "dp_synthetic_data": ("differentially private synthetic data",
                          "a table; a privacy budget spent once",
                          "a shareable table for any number of later analyses"),
}

#: Scenario key → (situation, constraints). Choose one PET key of :data:`PETS` per scenario.
SCENARIOS = {
    "keyboard_slang": (
        "A phone-keyboard vendor wants the frequency of new slang words typed by 10⁶ users.",
        "Users do not trust the vendor with any raw report; only word frequencies are needed; "
        "each phone sends one report whenever it happens to be online (phones are never online "
        "together)."),
    "census_release": (
        "A statistics office publishes the mean income of each district from census microdata.",
        "The office holds the microdata by law (trusted curator); the statistics are fixed in "
        "advance and must be as accurate as the privacy budget allows; no reader may learn one "
        "household's income."),
    "cloud_scoring": (
        "A bank uses a cloud provider's model to score its customers' loan applications.",
        "The provider must never see an applicant's data or score; the bank needs every "
        "applicant's exact score."),
    "hospital_model": (
        "Five hospitals train a joint diagnosis model.",
        "No hospital's records leave it; the coordinator must not see any hospital's model "
        "update; the published model must resist membership inference."),
    "analyst_sandbox": (
        "A research team develops fraud analytics on a copy of a bank's customer table for months.",
        "The analyses are not known in advance and unlimited in number; the analysts are not "
        "trusted with real customers' rows."),
}

#: The consortium pipeline's stages, in order.
STAGES = {
    "synthetic_data": "a DP synthetic table, shared by all banks, trains a first model",
    "federated_training": "the banks train jointly: secure aggregation + DP noise on the aggregate",
    "encrypted_scoring": "new transactions are scored under CKKS by a scoring service",
}

#: Threat key → (who attacks, how, honest-but-curious or malicious).
THREATS = {
    "membership_inference": ("anyone who sees a released artefact (synthetic table or model)",
                             "tells whether a given customer's data was used", "honest-but-curious"),
    "server_reads_update": ("the aggregation server", "reads one bank's model update",
                            "honest-but-curious"),
    "service_reads_transaction": ("the scoring service", "reads a transaction it scores",
                                  "honest-but-curious"),
    "poisoned_update": ("one bank", "sends a crafted update to plant a backdoor in the model",
                        "malicious"),
    "wrong_scores": ("the scoring service", "returns wrong scores (e.g. to hide its fraud ring)",
                     "malicious"),
}


def vocabulary_table(kind: str = "pets") -> pd.DataFrame:
    """One of the vocabularies as a table: ``"pets"``, ``"scenarios"``, ``"stages"``, ``"threats"``."""
    tables = {
        "pets": (PETS, ["technique", "needs", "gives"]),
        "scenarios": (SCENARIOS, ["situation", "constraints"]),
        "stages": ({k: (v,) for k, v in STAGES.items()}, ["what happens"]),
        "threats": (THREATS, ["attacker", "attack", "attacker model"]),
    }
    if kind not in tables:
        raise ValueError(f"kind must be one of {list(tables)}, got {kind!r}.")
    data, columns = tables[kind]
    frame = pd.DataFrame.from_dict(data, orient="index", columns=columns)
    frame.index.name = "key"
    return frame
