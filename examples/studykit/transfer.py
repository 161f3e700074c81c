"""Transfer learning: pretrain an SNN on a source task, fine-tune it on a target task, and compare with scratch.

Fine-tuning replaces the readout layer with a new one for the target classes and then trains all layers. The
scratch baseline trains a freshly initialised network on the same target records for the same number of epochs.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import nn

import burstcode
from studykit.data import Dataset
from studykit.models import build_model
from studykit.training import EncoderSettings, TrainingSettings, make_encoder, query_model, train_model

__all__ = ["run_transfer_experiment"]


def run_transfer_experiment(
    source: Dataset,
    target: Dataset,
    encoder_name: str,
    encoder_settings: EncoderSettings,
    training_settings: TrainingSettings,
    *,
    seed: int,
    pretrain_epochs: int,
    hidden: int = 128,
) -> dict[str, float]:
    """Pretrain on ``source``, fine-tune on ``target`` and train a scratch model on ``target``.

    Args:
        source: source task; the model trains on its whole training split.
        target: target task, with the same input shape as ``source``.
        encoder_name: one of :data:`studykit.training.ENCODERS`.
        encoder_settings: encoder parameters.
        training_settings: settings of fine-tuning and scratch training (``epochs`` is the fine-tuning length).
        seed: seed of the weights, batch order and spikes.
        pretrain_epochs: epochs of pretraining on the source task.
        hidden: hidden LIF neurons of the fully connected network.

    Returns:
        Test accuracies on the source task after pretraining, and on the target task after fine-tuning and from
        scratch, with their difference and the seconds each phase took.
    """
    if source.input_shape != target.input_shape:
        raise ValueError(
            f"source and target inputs differ in shape: {list(source.input_shape)} and {list(target.input_shape)}"
        )

    torch.manual_seed(seed)
    pretrained = build_model(source.input_shape, source.num_classes, hidden=hidden)
    pretrain_settings = dataclasses.replace(training_settings, epochs=pretrain_epochs)
    pretrain_stats = train_model(
        pretrained, _encoder(encoder_name, encoder_settings, training_settings, seed), source.train_x, source.train_y,
        pretrain_settings, torch.Generator().manual_seed(seed), description=f"{encoder_name} pretrain",
    )
    source_accuracy = _test_accuracy(pretrained, _encoder(encoder_name, encoder_settings, training_settings, seed + 1),
                                     source, training_settings)

    pretrained.readout = burstcode.TimeDistributed(nn.Linear(pretrained.readout.module.in_features, target.num_classes))
    finetune_stats = train_model(
        pretrained, _encoder(encoder_name, encoder_settings, training_settings, seed + 2), target.train_x,
        target.train_y, training_settings, torch.Generator().manual_seed(seed + 2), description=f"{encoder_name} fine-tune",
    )
    finetuned_accuracy = _test_accuracy(
        pretrained, _encoder(encoder_name, encoder_settings, training_settings, seed + 3), target, training_settings
    )

    torch.manual_seed(seed + 4)
    scratch = build_model(target.input_shape, target.num_classes, hidden=hidden)
    scratch_stats = train_model(
        scratch, _encoder(encoder_name, encoder_settings, training_settings, seed + 2), target.train_x,
        target.train_y, training_settings, torch.Generator().manual_seed(seed + 2), description=f"{encoder_name} scratch",
    )
    scratch_accuracy = _test_accuracy(
        scratch, _encoder(encoder_name, encoder_settings, training_settings, seed + 3), target, training_settings
    )

    return {
        "source_accuracy": source_accuracy,
        "finetuned_accuracy": finetuned_accuracy,
        "scratch_accuracy": scratch_accuracy,
        "transfer_gain": finetuned_accuracy - scratch_accuracy,
        "pretrain_seconds_per_epoch": pretrain_stats.seconds_per_epoch,
        "finetune_seconds_per_epoch": finetune_stats.seconds_per_epoch,
        "scratch_seconds_per_epoch": scratch_stats.seconds_per_epoch,
    }


def _encoder(name: str, settings: EncoderSettings, training_settings: TrainingSettings, seed: int) -> nn.Module:
    generator = torch.Generator(device=training_settings.device).manual_seed(seed)
    return make_encoder(name, settings, generator=generator)


def _test_accuracy(model: nn.Module, encoder: nn.Module, dataset: Dataset, settings: TrainingSettings) -> float:
    outputs = query_model(model, encoder, dataset.test_x, dataset.test_y, 1, settings)
    return float((outputs.probabilities[0].argmax(dim=1) == outputs.labels).double().mean())
