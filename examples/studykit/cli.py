"""Command-line options shared by the study scripts, and the logging setup."""

from __future__ import annotations

import argparse
import logging

import torch

from studykit.training import ENCODERS, EncoderSettings, TrainingSettings

__all__ = [
    "add_data_arguments",
    "add_encoder_arguments",
    "add_training_arguments",
    "configure_logging",
    "encoder_settings",
    "resolve_device",
    "set_threads",
    "training_settings",
]


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data")
    group.add_argument(
        "--data-root", default=None,
        help="folder with torchvision data sets (MNIST/raw, FashionMNIST/raw, cifar-10-batches-py); "
        ".gz-only raw folders are decompressed into OUTPUT/cache, never in place",
    )
    group.add_argument("--download", action="store_true", help="let torchvision download missing data into --data-root")
    group.add_argument(
        "--train-subset", type=int, default=None,
        help="records kept from the training split (stratified random subset; default: all)",
    )
    group.add_argument(
        "--test-subset", type=int, default=None, help="records kept from the test split (default: all)"
    )


def add_encoder_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = EncoderSettings()
    group = parser.add_argument_group("encoders")
    group.add_argument(
        "--encoders", nargs="+", choices=ENCODERS, default=["rate", "poisson_burst", "delayed_burst"],
        help="input encoders to compare",
    )
    group.add_argument("--num-steps", type=int, default=defaults.num_steps, help="time steps T per record (steps)")
    group.add_argument(
        "--gain", type=float, default=defaults.gain,
        help="Rate and Poisson-Burst: spike or burst probability is clamp(gain * x, 0, 1)",
    )
    group.add_argument(
        "--interval", type=int, default=defaults.interval,
        help="Poisson-Burst: interval length L in steps; at most one burst per interval",
    )
    group.add_argument(
        "--mean-burst-size", type=float, default=defaults.mean_burst_size,
        help="Poisson- and Delayed-Burst: mean of the Poisson burst size (spikes)",
    )
    group.add_argument(
        "--isi", type=int, default=defaults.isi, help="Poisson- and Delayed-Burst: steps between spikes of a burst"
    )
    group.add_argument(
        "--margin", type=int, default=defaults.margin,
        help="Delayed-Burst: margin m in steps; the mean onset delay is (1 - x) * (T - m) steps",
    )


def add_training_arguments(parser: argparse.ArgumentParser, *, epochs: int, learning_rate: float) -> None:
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=int, default=epochs, help="training epochs per model")
    group.add_argument("--batch-size", type=int, default=64, help="records per training batch")
    group.add_argument("--learning-rate", type=float, default=learning_rate, help="Adam learning rate")
    group.add_argument("--hidden", type=int, default=128, help="hidden LIF neurons of the fully connected SNN")
    group.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="random seeds; one run per seed")
    group.add_argument(
        "--device", default="auto", type=_device_name,
        help="torch device, for example cpu or cuda:0 (default: cuda if available, else cpu)"
    )
    group.add_argument(
        "--threads", type=int, default=1,
        help="PyTorch CPU threads; the default 1 suits the small default models, whose operations are too short "
        "to gain from several threads (pass 0 for PyTorch's default)",
    )
    group.add_argument("--no-progress", action="store_true", help="hide the tqdm progress bars")
    group.add_argument("--verbose", action="store_true", help="log debug messages")


def _device_name(name: str) -> str:
    """Check a --device value, so that an unusable device fails with one line and not a CUDA traceback."""
    if name == "auto":
        return name
    try:
        device = torch.device(name)
    except RuntimeError as error:
        raise argparse.ArgumentTypeError(f"invalid device {name!r}: {error}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(
            f"{name!r} requested, but torch.cuda.is_available() is False here; use --device cpu or --device auto"
        )
    return name


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def encoder_settings(arguments: argparse.Namespace) -> EncoderSettings:
    return EncoderSettings(
        num_steps=arguments.num_steps,
        gain=arguments.gain,
        interval=arguments.interval,
        mean_burst_size=arguments.mean_burst_size,
        isi=arguments.isi,
        margin=arguments.margin,
    )


def training_settings(arguments: argparse.Namespace) -> TrainingSettings:
    return TrainingSettings(
        epochs=arguments.epochs,
        batch_size=arguments.batch_size,
        learning_rate=arguments.learning_rate,
        device=resolve_device(arguments.device),
        show_progress=not arguments.no_progress,
    )


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


def set_threads(threads: int | None) -> None:
    """Set PyTorch's intra-op CPU threads; 0 or ``None`` keeps PyTorch's default."""
    if threads:
        torch.set_num_threads(threads)
