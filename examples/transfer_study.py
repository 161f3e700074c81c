"""Compare spike encoders on transfer learning: pretrain on a source task, fine-tune on a small target task.

For each encoder and seed, an SNN is pretrained on the source task. Its readout is then replaced and the whole
network is fine-tuned on a few target records. A second SNN trains on the same target records from scratch. The report
gives target test accuracy of both, as mean and standard deviation over seeds.

With no arguments it transfers from digits 0-4 to digits 5-9 (scikit-learn's embedded digits)::

    python examples/transfer_study.py
    python examples/transfer_study.py --pair mnist_fashion --data-root ../shared/data --train-subset 4000
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

try:
    import burstcode  # noqa: F401
except ModuleNotFoundError:
    # Running from a source checkout without installing burstcode: use the package next to this folder.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from studykit import cli, report  # noqa: E402
from studykit.data import DataUnavailableError, Dataset, load_dataset, select_classes  # noqa: E402
from studykit.training import make_encoder  # noqa: E402
from studykit.transfer import run_transfer_experiment  # noqa: E402

logger = logging.getLogger("transfer_study")

PAIRS = {
    "digits": "digits 0-4 -> digits 5-9 (embedded)",
    "mnist_fashion": "MNIST -> Fashion-MNIST (needs --data-root DIR, with --download to fetch into DIR)",
}
METRICS = (
    "source_accuracy",
    "finetuned_accuracy",
    "scratch_accuracy",
    "transfer_gain",
    "pretrain_seconds_per_epoch",
    "finetune_seconds_per_epoch",
)
COLUMNS = (
    ("source_accuracy", "source test acc", ".3f"),
    ("finetuned_accuracy", "fine-tuned target acc", ".3f"),
    ("scratch_accuracy", "scratch target acc", ".3f"),
    ("transfer_gain", "gain", "+.3f"),
    ("pretrain_seconds_per_epoch", "pretrain s/epoch", ".3f"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument(
        "--pair", choices=sorted(PAIRS), default="digits",
        help="source and target tasks: " + "; ".join(f"{key}: {value}" for key, value in PAIRS.items()),
    )
    parser.add_argument(
        "--target-train-size", type=int, default=100,
        help="target training records used for fine-tuning and for the scratch model (a random subset with at least "
        "one record per class); small, because pretraining matters most when target data are scarce",
    )
    parser.add_argument("--pretrain-epochs", type=int, default=40, help="epochs of pretraining on the source task")
    parser.add_argument("--output", type=Path, default=Path("results/transfer"), help="output folder")
    cli.add_data_arguments(parser)
    cli.add_encoder_arguments(parser)
    cli.add_training_arguments(parser, epochs=20, learning_rate=5e-3)
    return parser


def main(argv: list[str] | None = None) -> dict[str, object]:
    """Run the transfer study and write its report; return the JSON record."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    cli.configure_logging(arguments.verbose)
    cli.set_threads(arguments.threads)
    if arguments.target_train_size < 2 or arguments.pretrain_epochs < 1 or arguments.epochs < 1:
        parser.error("--target-train-size must be at least 2, and --pretrain-epochs and --epochs at least 1")
    encoder_settings = cli.encoder_settings(arguments)
    for name in arguments.encoders:
        try:
            make_encoder(name, encoder_settings)
        except ValueError as error:
            parser.error(f"invalid parameter for encoder {name}: {error}")
    training_settings = cli.training_settings(arguments)
    output = Path(arguments.output)
    output.mkdir(parents=True, exist_ok=True)

    try:
        source, target = _load_pair(arguments, output)
    except DataUnavailableError as error:
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    logger.info(
        "%s: source %d training records, target %d training records, %d target test records",
        PAIRS[arguments.pair], len(source.train_y), len(target.train_y), len(target.test_y),
    )

    started = time.perf_counter()
    rows = []
    for encoder_name in arguments.encoders:
        for seed in arguments.seeds:
            metrics = run_transfer_experiment(
                source, target, encoder_name, encoder_settings, training_settings, seed=seed,
                pretrain_epochs=arguments.pretrain_epochs, hidden=arguments.hidden,
            )
            rows.append({"pair": arguments.pair, "encoder": encoder_name, "seed": seed, **metrics})
            logger.info(
                "%s seed %d: fine-tuned %.3f, scratch %.3f", encoder_name, seed,
                metrics["finetuned_accuracy"], metrics["scratch_accuracy"],
            )
    elapsed = time.perf_counter() - started

    summary = report.summarise(rows, ("pair", "encoder"), METRICS)
    markdown = "\n\n".join([
        f"## Transfer {PAIRS[arguments.pair]} (mean ± std over seeds {arguments.seeds})",
        report.format_markdown_table(summary, ("pair", "encoder"), COLUMNS),
        f"Target training records: {len(target.train_y)}; fine-tuning and scratch training: {arguments.epochs} "
        f"epochs each; pretraining: {arguments.pretrain_epochs} epochs. gain = fine-tuned minus scratch accuracy.",
    ])
    (output / "transfer_results.md").write_text(markdown + "\n")
    report.write_csv(output / "transfer_results.csv", rows)
    _plot(output / "transfer_accuracy.png", summary, PAIRS[arguments.pair])
    record = {
        "seeds": arguments.seeds,
        "versions": report.versions(),
        "parameters": vars(arguments),
        "encoder_settings": vars(encoder_settings),
        "elapsed_seconds": elapsed,
        "summary": summary,
        "rows": rows,
    }
    report.write_json(output / "transfer_results.json", record)

    print(markdown)
    logger.info("finished in %.0f s; results in %s", elapsed, output)
    return record


def _load_pair(arguments: argparse.Namespace, output: Path) -> tuple[Dataset, Dataset]:
    data_root = None if arguments.data_root is None else Path(arguments.data_root)
    options = {
        "data_root": data_root,
        "cache_dir": output / "cache",
        "download": arguments.download,
        "test_subset": arguments.test_subset,
        "seed": arguments.seeds[0],
    }
    if arguments.pair == "digits":
        digits = load_dataset("digits", **options)
        source = select_classes(digits, [0, 1, 2, 3, 4], "digits 0-4")
        target = select_classes(digits, [5, 6, 7, 8, 9], "digits 5-9")
    else:
        source = load_dataset("mnist", train_subset=arguments.train_subset, **options)
        target = load_dataset("fashion_mnist", **options)

    target_train = load_subset(target, arguments.target_train_size, arguments.seeds[0])
    return source, target_train


def load_subset(dataset: Dataset, size: int, seed: int) -> Dataset:
    """Keep ``size`` training records of ``dataset``, at least one per class where ``size`` allows."""
    if size >= len(dataset.train_y):
        return dataset
    generator = np.random.default_rng(seed)
    labels = dataset.train_y.numpy()
    first_of_each = [generator.choice(np.flatnonzero(labels == label)) for label in np.unique(labels)][:size]
    rest = np.setdiff1d(np.arange(len(labels)), first_of_each)
    chosen = np.concatenate([first_of_each, generator.choice(rest, size - len(first_of_each), replace=False)])
    chosen = np.sort(chosen)
    return Dataset(
        name=dataset.name,
        train_x=dataset.train_x[chosen],
        train_y=dataset.train_y[chosen],
        test_x=dataset.test_x,
        test_y=dataset.test_y,
        num_classes=dataset.num_classes,
    )


def _plot(path: Path, summary: list[dict[str, object]], title: str) -> None:
    """Bar chart of fine-tuned and scratch target accuracy per encoder, with std error bars."""
    encoders = [row["encoder"] for row in summary]
    positions = np.arange(len(encoders))
    figure, axis = plt.subplots(figsize=(6, 3.6))
    for offset, metric, label in ((-0.2, "finetuned_accuracy", "fine-tuned"), (0.2, "scratch_accuracy", "scratch")):
        axis.bar(
            positions + offset, [row[f"{metric}_mean"] for row in summary], width=0.4,
            yerr=[row[f"{metric}_std"] for row in summary], capsize=3, label=label,
        )
    axis.set_xticks(positions, encoders)
    axis.set_ylabel("target test accuracy")
    axis.set_ylim(0, 1)
    axis.set_title(title, fontsize=10)
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


if __name__ == "__main__":
    main()
