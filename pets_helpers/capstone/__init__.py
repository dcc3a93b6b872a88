"""Lesson 10's capstone: a consortium of banks builds a joint fraud model with the course's PETs.

Glue only — every mechanism comes from the library (:mod:`pets_helpers.fl`,
:mod:`pets_helpers.he`, :mod:`pets_helpers.accounting`):

- :mod:`.metrics`: recall at a fixed alert rate;
- :mod:`.model`: the fraud model's cleartext logits and its CKKS ScoringModel;
- :mod:`.synthetic`: stage 1, each bank's DP synthetic transactions (≤ k rows per customer,
  ε per customer) and a model trained on them;
- :mod:`.pipeline`: the banks' split, pooled / per-bank / federated / DP-federated training,
  a round summed by secure aggregation, encrypted scoring;
- :mod:`.ledger`: the privacy ledger of the stages and the total statement it supports;
- :mod:`.decisions`: the vocabulary of the threat model and the PET decision matrix.
"""

from .decisions import PETS, SCENARIOS, STAGES, THREATS, vocabulary_table
from .ledger import (UNITS, StageCost, check_stage, stage_from_accountant, statement_text,
                     total_privacy_statement)
from .metrics import alerts_at_rate, recall_at_alert_rate
from .model import fraud_logits, to_scoring_model
from .synthetic import (TRANSACTION_DOMAIN, bound_contributions, synthesize_bank,
                        to_public_domain, train_on_synthetic)
from .pipeline import (CAPSTONE_SETTINGS, ConsortiumSplit, cleartext_scores, consortium_split,
                       encrypted_scores, recall_table, secure_round_sum, train_dp_federated,
                       SecureDPRun, train_secure_dp_federated, train_each_bank_alone, train_federated, train_pooled)

__all__ = [
    "PETS", "SCENARIOS", "STAGES", "THREATS", "vocabulary_table",
    "UNITS", "StageCost", "check_stage", "stage_from_accountant", "statement_text", "total_privacy_statement",
    "alerts_at_rate", "recall_at_alert_rate", "fraud_logits", "to_scoring_model",
    "CAPSTONE_SETTINGS", "ConsortiumSplit", "cleartext_scores", "consortium_split",
    "encrypted_scores", "recall_table", "secure_round_sum", "train_dp_federated",
    "SecureDPRun", "train_secure_dp_federated",
    "train_each_bank_alone", "train_federated", "train_pooled",
    "TRANSACTION_DOMAIN", "bound_contributions", "synthesize_bank", "to_public_domain",
    "train_on_synthetic",
]
