"""Summarise per-seed results as mean and standard deviation, and write Markdown, CSV, JSON and PNG plots."""

from __future__ import annotations

import csv
import json
import platform
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen before pyplot is imported)
import numpy as np  # noqa: E402
import torch  # noqa: E402

import burstcode  # noqa: E402

__all__ = [
    "format_markdown_table",
    "plot_accuracy_vs_auc",
    "plot_rasters",
    "plot_roc_curves",
    "summarise",
    "versions",
    "write_csv",
    "write_json",
]

ENCODER_COLOURS = {"rate": "tab:blue", "poisson_burst": "tab:orange", "delayed_burst": "tab:green", "latency": "tab:red"}


def versions() -> dict[str, str]:
    """Versions of Python, PyTorch and burstcode, and the platform, for the JSON record."""
    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "burstcode": burstcode.__version__,
        "numpy": np.__version__,
        "platform": platform.platform(),
    }


def summarise(rows: Sequence[dict[str, object]], keys: Sequence[str], metrics: Sequence[str]) -> list[dict[str, object]]:
    """Group ``rows`` by ``keys`` and give the mean and population standard deviation of each metric.

    Boolean metrics (such as whether a TPR level is resolved) are combined with ``all``. The output has the key
    columns, ``seeds`` (the group size), and ``<metric>_mean`` / ``<metric>_std`` for each numeric metric.
    """
    groups: dict[tuple, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        groups[tuple(row[key] for key in keys)].append(row)

    summary = []
    for group_key, group in groups.items():
        entry: dict[str, object] = dict(zip(keys, group_key))
        entry["seeds"] = len(group)
        for metric in metrics:
            values = [row[metric] for row in group]
            if all(isinstance(value, bool) for value in values):
                entry[metric] = all(values)
                continue
            numbers = np.asarray(values, dtype=float)
            entry[f"{metric}_mean"] = float(numbers.mean())
            entry[f"{metric}_std"] = float(numbers.std())
        summary.append(entry)
    return summary


def format_markdown_table(
    summary: Sequence[dict[str, object]],
    keys: Sequence[str],
    columns: Sequence[tuple[str, str, str]],
    flags: dict[str, str] | None = None,
) -> str:
    """Format summary rows as a Markdown table with ``mean ± std`` cells.

    Args:
        summary: rows from :func:`summarise`.
        keys: key columns, printed as they are.
        columns: ``(metric, header, format)`` for each metric column, for example ``("auc", "AUC", ".3f")``.
        flags: ``metric -> resolved flag name``; a cell whose flag is False gets a trailing ``*``.
    """
    flags = flags or {}
    headers = list(keys) + [header for _, header, _ in columns]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    for entry in summary:
        cells = [str(entry[key]) for key in keys]
        for metric, _, number_format in columns:
            mean = format(entry[f"{metric}_mean"], number_format)
            std = format(entry[f"{metric}_std"], number_format.replace("+", ""))
            mark = "*" if metric in flags and not entry[flags[metric]] else ""
            cells.append(f"{mean} ± {std}{mark}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_csv(path: Path, rows: Iterable[dict[str, object]]) -> None:
    """Write rows of flat dicts as CSV, with the union of their keys as columns in first-seen order."""
    rows = list(rows)
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)


def write_json(path: Path, record: dict[str, object]) -> None:
    """Write ``record`` as indented JSON."""
    with open(path, "w") as handle:
        json.dump(record, handle, indent=2, default=_to_json)


def _to_json(value: object) -> object:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def plot_roc_curves(
    path: Path,
    title: str,
    curves: dict[tuple[str, str, int], tuple[np.ndarray, np.ndarray]],
    attacks: Sequence[str],
    queries: Sequence[int],
) -> None:
    """Plot ROC curves on log-log axes: one panel per attack, one colour per encoder, one line style per query count.

    Args:
        curves: ``(encoder, attack, queries) -> (fpr, tpr)``.
    """
    figure, axes = plt.subplots(1, len(attacks), figsize=(4.2 * len(attacks), 4), squeeze=False)
    styles = ["-", "--", ":", "-."]
    smallest = min((fpr[fpr > 0].min() for fpr, _ in curves.values() if np.any(fpr > 0)), default=1e-3)
    for axis, attack in zip(axes[0], attacks):
        for (encoder, curve_attack, query_count), (fpr, tpr) in curves.items():
            if curve_attack != attack:
                continue
            style = styles[list(queries).index(query_count) % len(styles)]
            axis.plot(
                np.maximum(fpr, smallest / 2), np.maximum(tpr, smallest / 2), style,
                color=ENCODER_COLOURS.get(encoder), label=f"{encoder}, {query_count} quer{'y' if query_count == 1 else 'ies'}",
            )
        axis.plot([smallest / 2, 1], [smallest / 2, 1], color="grey", linewidth=0.8, label="chance")
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlim(smallest / 2, 1)
        axis.set_ylim(smallest / 2, 1.05)
        axis.set_xlabel("false-positive rate")
        axis.set_ylabel("true-positive rate")
        axis.set_title(f"{attack} attack")
    axes[0][0].legend(fontsize=7, loc="lower right")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def plot_rasters(path: Path, title: str, rasters: dict[str, np.ndarray]) -> None:
    """Plot one spike raster per encoder: time step on the x axis, input feature on the y axis.

    Args:
        rasters: ``encoder -> spikes [T, features]`` of one record.
    """
    figure, axes = plt.subplots(len(rasters), 1, figsize=(7, 1.9 * len(rasters)), squeeze=False, sharex=True)
    for axis, (encoder, spikes) in zip(axes[:, 0], rasters.items()):
        if spikes.shape[1] <= 100:
            steps, features = np.nonzero(spikes)
            axis.scatter(steps, features, s=12, marker="|", color=ENCODER_COLOURS.get(encoder))
        else:
            # Hundreds of features (image pixels) read better as a dense on/off image than as markers.
            axis.imshow(spikes.T, aspect="auto", interpolation="nearest", cmap="Greys", origin="lower",
                        extent=(-0.5, spikes.shape[0] - 0.5, -0.5, spikes.shape[1] - 0.5))
        axis.set_ylim(-0.5, spikes.shape[1] - 0.5)
        axis.set_ylabel("feature")
        axis.set_title(f"{encoder}: {int(spikes.sum())} spikes", fontsize=9)
    axes[-1, 0].set_xlabel("time step")
    axes[-1, 0].set_xlim(-0.5, rasters[next(iter(rasters))].shape[0] - 0.5)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)


def plot_accuracy_vs_auc(
    path: Path,
    model_summary: Sequence[dict[str, object]],
    attack_summary: Sequence[dict[str, object]],
    attacks: Sequence[str],
    query_count: int,
) -> None:
    """Scatter test accuracy against attack AUC per data set and encoder, with standard deviations as error bars."""
    accuracy = {(row["dataset"], row["encoder"]): row for row in model_summary}
    markers = ["o", "s", "^", "D", "v", "P"]
    datasets = list(dict.fromkeys(row["dataset"] for row in model_summary))

    figure, axes = plt.subplots(1, len(attacks), figsize=(4.2 * len(attacks), 4), squeeze=False, sharey=True)
    for axis, attack in zip(axes[0], attacks):
        for row in attack_summary:
            if row["attack"] != attack or row["queries"] != query_count:
                continue
            model_row = accuracy[(row["dataset"], row["encoder"])]
            axis.errorbar(
                row["auc_mean"], model_row["test_accuracy_mean"],
                xerr=row["auc_std"], yerr=model_row["test_accuracy_std"],
                marker=markers[datasets.index(row["dataset"]) % len(markers)], color=ENCODER_COLOURS.get(row["encoder"]),
                linestyle="none", capsize=2, label=f"{row['dataset']}, {row['encoder']}",
            )
        axis.axvline(0.5, color="grey", linewidth=0.8)
        axis.set_xlabel(f"{attack} attack AUC ({query_count} quer{'y' if query_count == 1 else 'ies'})")
        axis.set_title(f"{attack} attack")
    axes[0][0].set_ylabel("test accuracy")
    # One legend for all panels, below them, so that it hides no point.
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=min(len(labels), 3), fontsize=9, frameon=False)
    figure.tight_layout(rect=(0, 0.06 * (1 + (len(labels) - 1) // 3), 1, 1))
    figure.savefig(path, dpi=90)
    plt.close(figure)
