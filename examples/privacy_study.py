"""Compare spike encoders on accuracy, membership-inference privacy and efficiency.

For each data set, encoder and seed, the study trains a target SNN and shadow SNNs on disjoint halves of the training
pool. It attacks the target with the shadow-model, loss and confidence attacks, with 1 query and with several
averaged queries per record. It also measures test accuracy, spike counts, training time and memory. Results are the mean and standard
deviation over seeds, written as Markdown, CSV, JSON and PNG plots.

With no arguments it runs on scikit-learn's embedded digits and breast-cancer sets::

    python examples/privacy_study.py
    python examples/privacy_study.py --datasets mnist fashion_mnist --data-root ../shared/data \\
        --train-subset 4000 --test-subset 2000 --epochs 4 --num-steps 16
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

try:
    import burstcode
except ModuleNotFoundError:
    # Running from a source checkout without installing burstcode: use the package next to this folder.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import burstcode

import numpy as np
import torch

from studykit import cli, report
from studykit.attacks import ATTACKS, FPR_LEVELS
from studykit.data import DATASETS, DataUnavailableError, Dataset, load_dataset
from studykit.membership import run_membership_experiment
from studykit.training import EncoderSettings, make_encoder

logger = logging.getLogger("privacy_study")

MODEL_METRICS = (
    "test_accuracy",
    "train_accuracy",
    "input_spikes_per_sample",
    "network_spikes_per_sample",
    "seconds_per_epoch",
    "peak_memory_mb",
)
MODEL_COLUMNS = (
    ("test_accuracy", "test acc", ".3f"),
    ("train_accuracy", "train acc", ".3f"),
    ("input_spikes_per_sample", "input spikes", ".1f"),
    ("network_spikes_per_sample", "network spikes", ".1f"),
    ("seconds_per_epoch", "s/epoch", ".3f"),
    ("peak_memory_mb", "memory MB", ".2f"),
)
ATTACK_METRICS = ("auc", "balanced_accuracy") + tuple(
    name for level in FPR_LEVELS for name in (f"tpr_at_{level:g}_fpr", f"tpr_at_{level:g}_fpr_resolved")
)
ATTACK_COLUMNS = (("auc", "AUC", ".3f"), ("balanced_accuracy", "balanced acc", ".3f")) + tuple(
    (f"tpr_at_{level:g}_fpr", f"TPR@{level:.1%} FPR", ".3f") for level in FPR_LEVELS
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        "--datasets", nargs="+", choices=DATASETS, default=["digits", "breast_cancer"], help="data sets to study"
    )
    parser.add_argument("--shadow-models", type=int, default=2, help="shadow models per experiment (at least 1)")
    parser.add_argument(
        "--queries", type=int, nargs="+", default=[1, 8],
        help="queries per record whose softmax outputs the attacker averages; one result per value",
    )
    parser.add_argument("--output", type=Path, default=Path("results/privacy"), help="output folder")
    cli.add_data_arguments(parser)
    cli.add_encoder_arguments(parser)
    cli.add_training_arguments(parser, epochs=40, learning_rate=5e-3)
    return parser


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the study and write its report; return the JSON record."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    cli.configure_logging(arguments.verbose)
    cli.set_threads(arguments.threads)
    _check_arguments(parser, arguments)
    encoder_settings = cli.encoder_settings(arguments)
    training_settings = cli.training_settings(arguments)
    output = Path(arguments.output)
    output.mkdir(parents=True, exist_ok=True)

    datasets = _load_all(parser, arguments, output)
    started = time.perf_counter()
    model_rows: list[dict[str, object]] = []
    attack_rows: list[dict[str, object]] = []
    for dataset in datasets:
        logger.info(
            "%s: %d pool records, %d test records, input %s, %d classes",
            dataset.name, len(dataset.train_y), len(dataset.test_y), list(dataset.input_shape), dataset.num_classes,
        )
        curves = {}
        for encoder_name in arguments.encoders:
            for seed in arguments.seeds:
                result = run_membership_experiment(
                    dataset, encoder_name, encoder_settings, training_settings, seed=seed,
                    shadow_models=arguments.shadow_models, queries=tuple(arguments.queries), hidden=arguments.hidden,
                )
                identity = {"dataset": dataset.name, "encoder": encoder_name, "seed": seed}
                model_rows.append({**identity, **result.model_metrics})
                attack_rows.extend({**identity, **metrics} for metrics in result.attack_metrics)
                logger.info(
                    "%s %s seed %d: test accuracy %.3f, loss-attack AUC %.3f, queries per record %d",
                    dataset.name, encoder_name, seed, result.model_metrics["test_accuracy"],
                    _loss_auc(result.attack_metrics, arguments.queries[0]), arguments.queries[0],
                )
                if seed == arguments.seeds[0]:
                    curves.update({(encoder_name, *key): curve for key, curve in result.roc_curves.items()})

        report.plot_roc_curves(
            output / f"roc_{dataset.name}.png", f"{dataset.name}: membership inference on the target (seed {arguments.seeds[0]})",
            curves, ATTACKS, arguments.queries,
        )
        report.plot_rasters(
            output / f"raster_{dataset.name}.png", f"{dataset.name}: input spikes of the first test record",
            _rasters(dataset, arguments.encoders, encoder_settings, arguments.seeds[0]),
        )

    elapsed = time.perf_counter() - started
    return _write_report(output, arguments, encoder_settings, model_rows, attack_rows, elapsed)


def _loss_auc(attack_metrics: list[dict[str, object]], query_count: int) -> float:
    return next(row["auc"] for row in attack_metrics if row["attack"] == "loss" and row["queries"] == query_count)


def _check_arguments(parser: argparse.ArgumentParser, arguments: argparse.Namespace) -> None:
    """Reject invalid options before any data is loaded, with argparse's usage message."""
    if arguments.shadow_models < 1:
        parser.error(f"--shadow-models must be at least 1, got {arguments.shadow_models}")
    if min(arguments.queries) < 1:
        parser.error(f"--queries must all be at least 1, got {arguments.queries}")
    if arguments.epochs < 1 or arguments.batch_size < 1:
        parser.error("--epochs and --batch-size must be at least 1")
    arguments.queries = sorted(set(arguments.queries))
    settings = cli.encoder_settings(arguments)
    for name in arguments.encoders:
        try:
            make_encoder(name, settings)
        except ValueError as error:
            parser.error(f"invalid parameter for encoder {name}: {error}")


def _load_all(parser: argparse.ArgumentParser, arguments: argparse.Namespace, output: Path) -> list[Dataset]:
    """Load every requested data set first, so that missing files stop the run before any training."""
    datasets = []
    for name in arguments.datasets:
        try:
            datasets.append(
                load_dataset(
                    name,
                    data_root=None if arguments.data_root is None else Path(arguments.data_root),
                    cache_dir=output / "cache",
                    download=arguments.download,
                    train_subset=arguments.train_subset,
                    test_subset=arguments.test_subset,
                    seed=arguments.seeds[0],
                )
            )
        except DataUnavailableError as error:
            parser.exit(2, f"{parser.prog}: error: {error}\n")
    return datasets


def _rasters(
    dataset: Dataset, encoders: list[str], settings: EncoderSettings, seed: int
) -> dict[str, np.ndarray]:
    record = dataset.test_x[:1]
    rasters = {}
    for name in encoders:
        encoder = make_encoder(name, settings, generator=torch.Generator().manual_seed(seed))
        rasters[name] = encoder(record)[:, 0].flatten(1).numpy()
    return rasters


def _write_report(
    output: Path,
    arguments: argparse.Namespace,
    encoder_settings: EncoderSettings,
    model_rows: list[dict[str, object]],
    attack_rows: list[dict[str, object]],
    elapsed: float,
) -> dict[str, object]:
    model_summary = report.summarise(model_rows, ("dataset", "encoder"), MODEL_METRICS)
    attack_summary = report.summarise(attack_rows, ("dataset", "encoder", "attack", "queries"), ATTACK_METRICS)
    flags = {f"tpr_at_{level:g}_fpr": f"tpr_at_{level:g}_fpr_resolved" for level in FPR_LEVELS}

    markdown = "\n\n".join([
        f"## Target models (mean ± std over seeds {arguments.seeds})",
        report.format_markdown_table(model_summary, ("dataset", "encoder"), MODEL_COLUMNS),
        "## Membership inference on the target models",
        report.format_markdown_table(attack_summary, ("dataset", "encoder", "attack", "queries"), ATTACK_COLUMNS, flags),
        _notes(cli.resolve_device(arguments.device)),
    ])
    (output / "privacy_results.md").write_text(markdown + "\n")
    report.write_csv(output / "privacy_models.csv", model_rows)
    report.write_csv(output / "privacy_attacks.csv", attack_rows)
    report.plot_accuracy_vs_auc(
        output / "accuracy_vs_auc.png", model_summary, attack_summary, ATTACKS, max(arguments.queries)
    )

    record = {
        "seeds": arguments.seeds,
        "versions": report.versions(),
        "parameters": {key: value for key, value in vars(arguments).items()},
        "encoder_settings": vars(encoder_settings),
        "elapsed_seconds": elapsed,
        "model_summary": model_summary,
        "attack_summary": attack_summary,
        "model_rows": model_rows,
        "attack_rows": attack_rows,
    }
    report.write_json(output / "privacy_results.json", record)

    print(markdown)
    logger.info("finished in %.0f s; results in %s", elapsed, output)
    return record


def _notes(device: str) -> str:
    if device.startswith("cuda"):
        memory_note = "torch.cuda.max_memory_allocated during training"
    else:
        memory_note = (
            "a CPU estimate, the bytes of the tensors autograd saves for backward in the largest training batch "
            "plus that batch's input spikes"
        )
    return "\n".join([
        "Notes:",
        "- std is the population standard deviation over seeds.",
        "- input spikes: encoder spikes per test record; network spikes: hidden LIF spikes per test record "
        "(one query).",
        f"- memory MB: {memory_note}.",
        "- balanced acc: at a threshold fixed without the target's membership labels (the threshold that is best "
        "on shadow-model records for the loss and confidence attacks, 0.5 for the shadow attack's classifier).",
        "- TPR@x FPR: highest TPR of a ROC threshold with FPR <= x. A trailing * means the level is below "
        "1 / (number of non-members), so it cannot be resolved and the value is the TPR at FPR 0.",
        "- queries: softmax outputs averaged over that many independently encoded queries per record.",
    ])


if __name__ == "__main__":
    main()
