"""Cross-check of the course's shadow-model attack against the Adversarial Robustness Toolbox.

Same target (an MLP overfit on 100 digits), same attacker data (400 other records), 3 shadow
models each: the course's ``ShadowModelAttack`` and ART 1.20's ``ShadowModels`` +
``MembershipInferenceBlackBox`` (random-forest attack model) must both beat chance clearly and
agree on the AUC within the chance margin.
"""

import warnings

import numpy as np
import pytest

pytest.importorskip("art")

from pets_helpers.attacks.membership import ShadowModelAttack, chance_auc_margin, roc_auc  # noqa: E402

MEMBERS, NONMEMBERS, SHADOW = slice(0, 100), slice(100, 900), slice(900, 1300)


def _mlp(seed=None):
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier((256,), alpha=0.0, max_iter=400, tol=0.0, random_state=seed)


def _train(x, y, rng):
    return _mlp(int(rng.integers(2**31))).fit(x, y)


def _proba(model, x):
    p = np.zeros((len(x), 10))
    p[:, model.classes_] = model.predict_proba(x)
    return p


def test_shadow_attack_agrees_with_art():
    from art.attacks.inference.membership_inference import (MembershipInferenceBlackBox,
                                                            ShadowModels)
    from art.estimators.classification import SklearnClassifier
    from sklearn.datasets import load_digits
    from threadpoolctl import threadpool_limits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order] / 16.0, y[order]
    onehot = np.eye(10)[y]
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        rng = np.random.default_rng(1)
        target = _train(x[MEMBERS], y[MEMBERS], rng)
        ours = ShadowModelAttack(_train, _proba, n_shadows=3).fit(x[SHADOW], y[SHADOW], rng)
        auc_ours = roc_auc(ours.scores(_proba(target, x[MEMBERS]), y[MEMBERS]),
                           ours.scores(_proba(target, x[NONMEMBERS]), y[NONMEMBERS]))
        template = SklearnClassifier(_mlp())
        template.fit(x[SHADOW], onehot[SHADOW])  # ART clones a fitted template
        shadows = ShadowModels(template, num_shadow_models=3, random_state=2)
        (mx, my, mp), (nx, ny, npred) = shadows.generate_shadow_dataset(x[SHADOW], onehot[SHADOW])
        attack = MembershipInferenceBlackBox(SklearnClassifier(target), attack_model_type="rf")
        attack.fit(mx, my, nx, ny, mp, npred)

        def art_scores(part):
            return np.asarray(attack.infer(x[part], onehot[part], probabilities=True)).reshape(-1)

        auc_art = roc_auc(art_scores(MEMBERS), art_scores(NONMEMBERS))
    margin = chance_auc_margin(100, 800, 1e-6)
    assert auc_ours - 0.5 > margin and auc_art - 0.5 > margin
    assert abs(auc_ours - auc_art) < margin, (auc_ours, auc_art)
