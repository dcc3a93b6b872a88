"""Right and typical wrong answers to Lesson 01's exercises."""

import math

import numpy as np


# --- right answers (written as a learner would) ---------------------------------------------
def randomized_response(bits, epsilon, rng):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    keep = rng.random(len(bits)) < p
    return np.where(keep, bits, 1 - bits)


def rr_estimate(reports, epsilon):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    return (np.mean(reports) - (1 - p)) / (2 * p - 1)


def rr_variance(n, epsilon, true_fraction):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    lam = true_fraction * p + (1 - true_fraction) * (1 - p)
    return lam * (1 - lam) / (n * (2 * p - 1) ** 2)


def oue_perturb(values, domain_size, epsilon, rng):
    onehot = np.zeros((len(values), domain_size), dtype=np.int8)
    onehot[np.arange(len(values)), values] = 1
    u = rng.random(onehot.shape)
    return np.where(onehot == 1, u < 0.5, u < 1 / (np.exp(epsilon) + 1)).astype(np.int8)


def oue_estimate(reports, epsilon):
    q = 1 / (np.exp(epsilon) + 1)
    return (np.mean(reports, axis=0) - q) / (0.5 - q)


def best_oracle(epsilon, domain_size):
    return "GRR" if domain_size < 3 * np.exp(epsilon) + 2 else "OLH"


RIGHT = {
    "L01.E1": {"randomized_response": randomized_response},
    "L01.E2": {"rr_estimate": rr_estimate},
    "L01.E3": {"rr_variance": rr_variance},
    "L01.E4": {"oue_perturb": oue_perturb},
    "L01.E5": {"oue_estimate": oue_estimate},
    "L01.E6": {"best_oracle": best_oracle},
}


# --- wrong answers ---------------------------------------------------------------------------
def rr_flip_probability(bits, epsilon, rng):
    keep = rng.random(len(bits)) < 1 / (1 + np.exp(epsilon))
    return np.where(keep, bits, 1 - bits)


def rr_no_exp(bits, epsilon, rng):
    keep = rng.random(len(bits)) < epsilon / (1 + epsilon)
    return np.where(keep, bits, 1 - bits)


def rr_no_noise(bits, epsilon, rng):
    return np.array(bits)


def rr_global_random(bits, epsilon, rng):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    keep = np.random.random(len(bits)) < p
    return np.where(keep, bits, 1 - bits)


def rr_only_flips_ones(bits, epsilon, rng):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    keep = rng.random(len(bits)) < p
    return np.where(keep | (bits == 0), bits, 0)


def est_raw(reports, epsilon):
    return np.mean(reports)


def est_no_division(reports, epsilon):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    return np.mean(reports) - (1 - p)


def est_clipped(reports, epsilon):
    return float(np.clip(rr_estimate(reports, epsilon), 0, 1))


def est_flip_p(reports, epsilon):
    p = 1 / (1 + np.exp(epsilon))
    return (np.mean(reports) - (1 - p)) / (2 * p - 1)


def var_no_noise(n, epsilon, true_fraction):
    return true_fraction * (1 - true_fraction) / n


def var_unscaled(n, epsilon, true_fraction):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    lam = true_fraction * p + (1 - true_fraction) * (1 - p)
    return lam * (1 - lam) / n


def var_coin_only(n, epsilon, true_fraction):
    p = np.exp(epsilon) / (1 + np.exp(epsilon))
    return p * (1 - p) / (n * (2 * p - 1) ** 2)


def var_std(n, epsilon, true_fraction):
    return math.sqrt(rr_variance(n, epsilon, true_fraction))


def oue_symmetric(values, domain_size, epsilon, rng):
    onehot = np.zeros((len(values), domain_size), dtype=np.int8)
    onehot[np.arange(len(values)), values] = 1
    keep = rng.random(onehot.shape) < np.exp(epsilon / 2) / (1 + np.exp(epsilon / 2))
    return np.where(keep, onehot, 1 - onehot)


def oue_one_hot(values, domain_size, epsilon, rng):
    onehot = np.zeros((len(values), domain_size), dtype=np.int8)
    onehot[np.arange(len(values)), values] = 1
    return onehot


def oue_wrong_q(values, domain_size, epsilon, rng):
    onehot = np.zeros((len(values), domain_size), dtype=np.int8)
    onehot[np.arange(len(values)), values] = 1
    u = rng.random(onehot.shape)
    return np.where(onehot == 1, u < 0.5, u < np.exp(-epsilon)).astype(np.int8)


def oue_grr_shape(values, domain_size, epsilon, rng):
    return np.asarray(values)


def oue_est_raw(reports, epsilon):
    return np.mean(reports, axis=0)


def oue_est_symmetric(reports, epsilon):
    q = 1 / (1 + np.exp(epsilon / 2))
    return (np.mean(reports, axis=0) - q) / (1 - 2 * q)


def oue_est_normalized(reports, epsilon):
    est = np.clip(oue_estimate(reports, epsilon), 0, None)
    return est / est.sum()


def best_always_grr(epsilon, domain_size):
    return "GRR"


def best_always_oue(epsilon, domain_size):
    return "OUE"


def best_wrong_rule(epsilon, domain_size):
    return "GRR" if domain_size < np.exp(epsilon) else "OUE"


WRONG = [
    ("L01.E1", "flip-probability", {"randomized_response": rr_flip_probability}, "flip"),
    ("L01.E1", "no-exp", {"randomized_response": rr_no_exp}, "exponent is missing"),
    ("L01.E1", "no-noise", {"randomized_response": rr_no_noise}, "no randomization"),
    ("L01.E1", "global-random", {"randomized_response": rr_global_random}, "same seeded rng"),
    ("L01.E1", "asymmetric", {"randomized_response": rr_only_flips_ones}, "different probab"),
    ("L01.E2", "raw-fraction", {"rr_estimate": est_raw}, "raw fraction"),
    ("L01.E2", "no-division", {"rr_estimate": est_no_division}, "divide by (2p-1)"),
    ("L01.E2", "clipped", {"rr_estimate": est_clipped}, "do not clip"),
    ("L01.E2", "flip-p", {"rr_estimate": est_flip_p}, "flip probability"),
    ("L01.E3", "no-noise", {"rr_variance": var_no_noise}, "without any randomization"),
    ("L01.E3", "unscaled", {"rr_variance": var_unscaled}, "(2p-1)²"),
    ("L01.E3", "coin-only", {"rr_variance": var_coin_only}, "λ(1-λ) instead of p(1-p)"),
    ("L01.E3", "std", {"rr_variance": var_std}, "standard deviation"),
    ("L01.E4", "symmetric", {"oue_perturb": oue_symmetric}, "symmetric unary encoding"),
    ("L01.E4", "one-hot", {"oue_perturb": oue_one_hot}, "no privacy"),
    ("L01.E4", "wrong-q", {"oue_perturb": oue_wrong_q}, "not e^-ε"),
    ("L01.E4", "grr-shape", {"oue_perturb": oue_grr_shape}, "shape"),
    ("L01.E5", "raw", {"oue_estimate": oue_est_raw}, "raw fractions"),
    ("L01.E5", "symmetric", {"oue_estimate": oue_est_symmetric}, "symmetric"),
    ("L01.E5", "normalized", {"oue_estimate": oue_est_normalized}, "do not normalize"),
    ("L01.E6", "always-grr", {"best_oracle": best_always_grr}, "grows with the domain"),
    ("L01.E6", "always-oue", {"best_oracle": best_always_oue}, "d < 3e^ε + 2"),
    ("L01.E6", "wrong-rule", {"best_oracle": best_wrong_rule}, "reporting the item itself"),
    ("L01.E2", "rounded", {"rr_estimate": lambda r, e: round(rr_estimate(r, e), 4)},
     "you rounded"),
    ("L01.E3", "rounded", {"rr_variance": lambda n, e, p: float(f"{rr_variance(n, e, p):.3g}")},
     "you rounded"),
    ("L01.E3", "float32", {"rr_variance": lambda n, e, p: np.float32(rr_variance(n, e, p))},
     "float32"),
]
