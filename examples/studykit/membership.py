"""One membership-inference experiment: train a target and shadow models with one encoder, then attack the target.

The pool of training records is cut into a target half and a shadow half. The target trains on a random half of the
target half (members); the other half are non-members. Each shadow model trains the same way on its own random
half of the shadow half. The test split is never used for training or attacks; it only measures test accuracy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch

from studykit.attacks import (
    ATTACKS,
    FPR_LEVELS,
    ShadowModelAttack,
    balanced_accuracy_at,
    best_threshold,
    confidence_scores,
    loss_scores,
    roc_metrics,
    split_members,
    split_pool,
)
from studykit.data import Dataset
from studykit.models import build_model
from studykit.training import EncoderSettings, ModelOutputs, TrainingSettings, make_encoder, query_model, train_model

__all__ = ["ExperimentResult", "run_membership_experiment"]

logger = logging.getLogger(__name__)


@dataclass
class ExperimentResult:
    """Metrics of one (data set, encoder, seed) experiment.

    Attributes:
        model_metrics: accuracy and cost of the target model (one value each).
        attack_metrics: one dict per (attack, queries) with AUC, balanced accuracy and TPR at each FPR level.
        roc_curves: ``(attack, queries) -> (fpr, tpr)`` of the target attack.
    """

    model_metrics: dict[str, float]
    attack_metrics: list[dict[str, object]]
    roc_curves: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = field(repr=False)


@dataclass
class _ModelOnSplit:
    members: ModelOutputs
    nonmembers: ModelOutputs


def run_membership_experiment(
    dataset: Dataset,
    encoder_name: str,
    encoder_settings: EncoderSettings,
    training_settings: TrainingSettings,
    *,
    seed: int,
    shadow_models: int,
    queries: tuple[int, ...],
    hidden: int = 128,
) -> ExperimentResult:
    """Train the target and ``shadow_models`` shadow models, and attack the target with 1 to several queries.

    Args:
        dataset: data set; its training pool is split for the attack, its test split measures accuracy.
        encoder_name: one of :data:`studykit.training.ENCODERS`.
        encoder_settings: encoder parameters.
        training_settings: optimisation settings.
        seed: seed of the splits, the weight initialisation, the batch order and the encoder's spikes.
        shadow_models: number of shadow models (at least 1).
        queries: numbers of queries per record to report, for example ``(1, 8)``.
        hidden: hidden LIF neurons of the fully connected network.
    """
    if shadow_models < 1:
        raise ValueError(f"shadow_models must be at least 1, got {shadow_models}")
    rng = np.random.default_rng(seed)
    max_queries = max(queries)
    target_half, shadow_half = split_pool(len(dataset.train_y), rng)

    target_members, target_nonmembers = split_members(target_half, rng)
    target, stats, test_outputs = _train_and_query(
        dataset, target_members, target_nonmembers, encoder_name, encoder_settings, training_settings,
        model_seed=seed * 1000, queries=max_queries, hidden=hidden, description="target", with_test=True,
    )

    shadows = []
    for index in range(shadow_models):
        shadow_members, shadow_nonmembers = split_members(shadow_half, rng)
        shadow, _, _ = _train_and_query(
            dataset, shadow_members, shadow_nonmembers, encoder_name, encoder_settings, training_settings,
            model_seed=seed * 1000 + index + 1, queries=max_queries, hidden=hidden,
            description=f"shadow {index + 1}/{shadow_models}", with_test=False,
        )
        shadows.append(shadow)

    model_metrics = {
        "test_accuracy": _accuracy(test_outputs),
        "train_accuracy": _accuracy(target.members),
        "input_spikes_per_sample": float(test_outputs.input_spikes.mean()),
        "network_spikes_per_sample": float(test_outputs.hidden_spikes.mean()),
        "seconds_per_epoch": stats.seconds_per_epoch,
        "peak_memory_mb": stats.peak_memory_mb,
        "final_training_loss": stats.final_loss,
        "members": len(target_members),
        "nonmembers": len(target_nonmembers),
    }

    attack_metrics = []
    roc_curves = {}
    for query_count in queries:
        for attack in ATTACKS:
            metrics, curve = _attack(attack, target, shadows, query_count, dataset.num_classes, seed)
            attack_metrics.append({"attack": attack, "queries": query_count, **metrics})
            roc_curves[(attack, query_count)] = curve
    return ExperimentResult(model_metrics=model_metrics, attack_metrics=attack_metrics, roc_curves=roc_curves)


def _train_and_query(
    dataset: Dataset,
    members: np.ndarray,
    nonmembers: np.ndarray,
    encoder_name: str,
    encoder_settings: EncoderSettings,
    training_settings: TrainingSettings,
    *,
    model_seed: int,
    queries: int,
    hidden: int,
    description: str,
    with_test: bool,
):
    """Train one model on ``members`` and query it on members, non-members and (optionally) the test split."""
    torch.manual_seed(model_seed)
    model = build_model(dataset.input_shape, dataset.num_classes, hidden=hidden)
    spike_generator = torch.Generator(device=training_settings.device).manual_seed(model_seed)
    encoder = make_encoder(encoder_name, encoder_settings, generator=spike_generator)
    order_generator = torch.Generator().manual_seed(model_seed)

    member_index = torch.from_numpy(members)
    nonmember_index = torch.from_numpy(nonmembers)
    stats = train_model(
        model, encoder, dataset.train_x[member_index], dataset.train_y[member_index], training_settings,
        order_generator, description=f"{encoder_name} {description}",
    )

    outputs = _ModelOnSplit(
        members=query_model(
            model, encoder, dataset.train_x[member_index], dataset.train_y[member_index], queries, training_settings
        ),
        nonmembers=query_model(
            model, encoder, dataset.train_x[nonmember_index], dataset.train_y[nonmember_index], queries,
            training_settings,
        ),
    )
    test_outputs = None
    if with_test:
        test_outputs = query_model(model, encoder, dataset.test_x, dataset.test_y, 1, training_settings)
    return outputs, stats, test_outputs


def _accuracy(outputs: ModelOutputs) -> float:
    """Accuracy of the first (single) query."""
    predictions = outputs.probabilities[0].argmax(dim=1)
    return float((predictions == outputs.labels).double().mean())


def _averaged(outputs: ModelOutputs, query_count: int) -> tuple[np.ndarray, np.ndarray]:
    return outputs.probabilities[:query_count].mean(0).numpy(), outputs.labels.numpy()


def _attack(
    attack: str,
    target: _ModelOnSplit,
    shadows: list[_ModelOnSplit],
    query_count: int,
    num_classes: int,
    seed: int,
) -> tuple[dict[str, object], tuple[np.ndarray, np.ndarray]]:
    """Score the target's members and non-members with one attack and compute its metrics.

    The balanced accuracy uses a decision threshold fixed without the target's membership: the shadow attack's own
    0.5 decision, and for the threshold attacks the threshold that is best on the shadow models' records.
    """
    shadow_probabilities, shadow_labels, shadow_membership = _pooled_shadow_outputs(shadows, query_count)
    member_probabilities, member_labels = _averaged(target.members, query_count)
    nonmember_probabilities, nonmember_labels = _averaged(target.nonmembers, query_count)

    if attack == "shadow":
        model = ShadowModelAttack(num_classes, seed=seed).fit(shadow_probabilities, shadow_labels, shadow_membership)
        member_scores = model.score(member_probabilities, member_labels)
        nonmember_scores = model.score(nonmember_probabilities, nonmember_labels)
        threshold = 0.5
    else:
        def score(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
            if attack == "loss":
                return loss_scores(probabilities, labels)
            return confidence_scores(probabilities)

        member_scores = score(member_probabilities, member_labels)
        nonmember_scores = score(nonmember_probabilities, nonmember_labels)
        shadow_scores = score(shadow_probabilities, shadow_labels)
        threshold = best_threshold(shadow_scores[shadow_membership == 1], shadow_scores[shadow_membership == 0])

    roc = roc_metrics(member_scores, nonmember_scores)
    metrics: dict[str, object] = {
        "auc": roc["auc"],
        "balanced_accuracy": balanced_accuracy_at(member_scores, nonmember_scores, threshold),
    }
    for level in FPR_LEVELS:
        metrics[f"tpr_at_{level:g}_fpr"] = roc["tpr_at_fpr"][level]
        metrics[f"tpr_at_{level:g}_fpr_resolved"] = roc["tpr_at_fpr_resolved"][level]
    return metrics, (roc["fpr"], roc["tpr"])


def _pooled_shadow_outputs(
    shadows: list[_ModelOnSplit], query_count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack every shadow model's averaged outputs with labels and membership flags (1 = member)."""
    probabilities, labels, membership = [], [], []
    for shadow in shadows:
        for outputs, flag in ((shadow.members, 1), (shadow.nonmembers, 0)):
            averaged, shadow_labels = _averaged(outputs, query_count)
            probabilities.append(averaged)
            labels.append(shadow_labels)
            membership.append(np.full(len(shadow_labels), flag))
    return np.concatenate(probabilities), np.concatenate(labels), np.concatenate(membership)
