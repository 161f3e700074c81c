"""Membership inference: member splits, attack scores and attack metrics.

Attacks (a higher score means "member"):

- Shadow-model attack (Shokri et al., "Membership Inference Attacks Against Machine Learning Models", IEEE S&P 2017):
  one attack model per class, trained on the outputs of shadow models for their own members and non-members. Ours is
  a scikit-learn ``LogisticRegression`` on standardized log-probabilities of the full output vector. A class whose
  shadow records are all members or all non-members falls back to one attack model fitted on all classes.
- Loss attack (Yeom et al., "Privacy Risk in Machine Learning", CSF 2018): score = log-probability of the true label,
  the negative cross-entropy loss.
- Confidence attack: score = the maximum output probability.

With several queries, the softmax vectors of the queries are averaged before scoring.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

__all__ = [
    "ATTACKS",
    "FPR_LEVELS",
    "ShadowModelAttack",
    "balanced_accuracy_at",
    "best_threshold",
    "confidence_scores",
    "loss_scores",
    "roc_metrics",
    "split_members",
    "split_pool",
    "tpr_at_fpr",
]

ATTACKS = ("shadow", "loss", "confidence")

# False-positive rates at which the true-positive rate is reported (Carlini et al., "Membership Inference Attacks
# From First Principles", IEEE S&P 2022).
FPR_LEVELS = (0.01, 0.001)

# Keeps log(0) finite for outputs that underflow to probability 0.
_LOG_FLOOR = 1e-12


def split_pool(num_records: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle record indices and cut them into a target half and a shadow half of equal size.

    With an odd ``num_records`` one record is left out, so the halves stay the same size.
    """
    order = rng.permutation(num_records)
    half = num_records // 2
    target, shadow = order[:half], order[half : 2 * half]
    assert len(np.intersect1d(target, shadow)) == 0
    return target, shadow


def split_members(indices: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Split ``indices`` at random into members and non-members of equal size (one left out if the count is odd).

    Raises:
        ValueError: if fewer than two indices are given.
    """
    if len(indices) < 2:
        raise ValueError(f"need at least 2 records to split into members and non-members, got {len(indices)}")
    shuffled = rng.permutation(indices)
    half = len(shuffled) // 2
    members, nonmembers = shuffled[:half], shuffled[half : 2 * half]
    assert len(members) == len(nonmembers)
    assert len(np.intersect1d(members, nonmembers)) == 0
    return members, nonmembers


def loss_scores(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Score records by the log-probability of their label (the negative cross-entropy loss)."""
    true_class = probabilities[np.arange(len(labels)), labels]
    return np.log(np.maximum(true_class, _LOG_FLOOR))


def confidence_scores(probabilities: np.ndarray) -> np.ndarray:
    """Score records by their maximum output probability."""
    return probabilities.max(axis=1)


class ShadowModelAttack:
    """Per-class attack models trained on shadow models' outputs (Shokri et al. 2017).

    Args:
        num_classes: number of classes of the attacked model.
        seed: random state of the logistic regressions.
    """

    def __init__(self, num_classes: int, seed: int = 0) -> None:
        self.num_classes = num_classes
        self.seed = seed
        self._per_class: dict[int, object] = {}
        self._fallback: object | None = None

    def fit(self, probabilities: np.ndarray, labels: np.ndarray, is_member: np.ndarray) -> ShadowModelAttack:
        """Fit the attack models on shadow outputs ``[N, classes]``, their labels and membership flags."""
        features = self._features(probabilities)
        self._fallback = self._new_model().fit(features, is_member)
        for label in range(self.num_classes):
            rows = labels == label
            if len(np.unique(is_member[rows])) == 2:
                self._per_class[label] = self._new_model().fit(features[rows], is_member[rows])
        return self

    def score(self, probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Return the attack models' membership probability for each record."""
        if self._fallback is None:
            raise RuntimeError("call fit before score")
        features = self._features(probabilities)
        scores = np.empty(len(labels))
        for label in np.unique(labels):
            rows = labels == label
            model = self._per_class.get(int(label), self._fallback)
            scores[rows] = model.predict_proba(features[rows])[:, 1]
        return scores

    def _new_model(self) -> object:
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=self.seed))

    @staticmethod
    def _features(probabilities: np.ndarray) -> np.ndarray:
        return np.log(np.maximum(probabilities, _LOG_FLOOR))


def tpr_at_fpr(fpr: np.ndarray, tpr: np.ndarray, level: float) -> float:
    """Return the highest TPR of a ROC point with FPR <= ``level``.

    Each ROC point is a threshold that an attacker can fix in advance, so this is the best TPR a deterministic
    threshold reaches within the FPR budget (no interpolation between points). ``roc_curve`` always includes the
    point (0, 0), so a value exists for every level >= 0.
    """
    within = fpr <= level
    return float(tpr[within].max())


def best_threshold(member_scores: np.ndarray, nonmember_scores: np.ndarray) -> float:
    """Return the score threshold (predict member at score >= threshold) with the highest balanced accuracy."""
    candidates = np.unique(np.concatenate([member_scores, nonmember_scores]))
    accuracies = [balanced_accuracy_at(member_scores, nonmember_scores, value) for value in candidates]
    return float(candidates[int(np.argmax(accuracies))])


def balanced_accuracy_at(member_scores: np.ndarray, nonmember_scores: np.ndarray, threshold: float) -> float:
    """Return the mean of the TPR and TNR when records with score >= ``threshold`` are called members."""
    true_positive_rate = float(np.mean(member_scores >= threshold))
    true_negative_rate = float(np.mean(nonmember_scores < threshold))
    return (true_positive_rate + true_negative_rate) / 2


def roc_metrics(member_scores: np.ndarray, nonmember_scores: np.ndarray) -> dict[str, object]:
    """Compute ROC AUC, the ROC curve and the TPR at each of :data:`FPR_LEVELS`.

    A level below 1 / (number of non-members) cannot be resolved: the smallest non-zero FPR is one non-member, so
    the TPR reported there is the TPR at FPR 0, and ``tpr_at_fpr_resolved`` marks it False.

    Returns:
        A dict with ``auc``, ``fpr`` and ``tpr`` (the curve), ``tpr_at_fpr`` and ``tpr_at_fpr_resolved`` (dicts keyed
        by level).
    """
    scores = np.concatenate([member_scores, nonmember_scores])
    truth = np.concatenate([np.ones(len(member_scores)), np.zeros(len(nonmember_scores))])
    fpr, tpr, _ = roc_curve(truth, scores, drop_intermediate=False)
    smallest_fpr = 1.0 / len(nonmember_scores)
    return {
        "auc": float(roc_auc_score(truth, scores)),
        "fpr": fpr,
        "tpr": tpr,
        "tpr_at_fpr": {level: tpr_at_fpr(fpr, tpr, level) for level in FPR_LEVELS},
        "tpr_at_fpr_resolved": {level: bool(level >= smallest_fpr) for level in FPR_LEVELS},
    }

