"""Load the study's data sets as float tensors in [0, 1], with a train/test split and min-max scaling.

Embedded sets (scikit-learn's ``load_digits``, ``load_breast_cancer``, ``load_iris``) need no files. MNIST and
Fashion-MNIST come from torchvision's datasets in a local folder (``ROOT/MNIST/raw``, ``ROOT/FashionMNIST/raw``) or by
download. CIFAR-10 is only available by download.

Scaling: tabular features use per-feature min-max statistics. Images use one global min and max, because many border
pixels are constant in the training images, so per-pixel statistics would divide by zero there. Both are fitted on the
training split only, and the test split is clipped to [0, 1] afterwards.
"""

from __future__ import annotations

import gzip
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from sklearn import datasets as sklearn_datasets
from sklearn.model_selection import train_test_split

__all__ = [
    "DATASETS",
    "DataUnavailableError",
    "Dataset",
    "load_dataset",
    "prepare_torchvision_root",
    "select_classes",
]

logger = logging.getLogger(__name__)

EMBEDDED = ("digits", "breast_cancer", "iris")
TORCHVISION = ("mnist", "fashion_mnist", "cifar10")
DATASETS = EMBEDDED + TORCHVISION

# Share of an embedded set held out as the test split (the rest is the membership-inference pool).
EMBEDDED_TEST_FRACTION = 0.2

_TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}
IDX_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class DataUnavailableError(RuntimeError):
    """Error raised when a data set's files are missing or unreadable; its message explains how to get them."""


@dataclass
class Dataset:
    """A data set scaled to [0, 1], split into a training pool and a test split.

    Attributes:
        name: data set name, one of :data:`DATASETS`.
        train_x: training pool ``[N, ...]`` (float32 in [0, 1]); ``[N, F]`` for tabular, ``[N, C, H, W]`` for images.
        train_y: training labels ``[N]`` (int64).
        test_x: test inputs, scaled with the training statistics and clipped to [0, 1].
        test_y: test labels.
        num_classes: number of classes.
    """

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    num_classes: int

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.train_x.shape[1:])

    @property
    def is_image(self) -> bool:
        return self.train_x.dim() == 4


def load_dataset(
    name: str,
    *,
    data_root: Path | None = None,
    cache_dir: Path | None = None,
    download: bool = False,
    train_subset: int | None = None,
    test_subset: int | None = None,
    seed: int = 0,
) -> Dataset:
    """Load a data set, subsample it if asked, and scale it to [0, 1] with training statistics.

    Args:
        name: one of :data:`DATASETS`.
        data_root: folder of torchvision data sets (MNIST, Fashion-MNIST, CIFAR-10); unused for embedded sets.
        cache_dir: writable folder for decompressed copies when ``data_root`` contains only ``.gz`` files.
        download: let torchvision download missing files into ``data_root``.
        train_subset: keep this many training records (stratified random subset); ``None`` keeps all.
        test_subset: keep this many test records; ``None`` keeps all.
        seed: seed of the embedded train/test split and of the subsets.

    Raises:
        ValueError: for an unknown name.
        DataUnavailableError: if the files are missing; the message explains how to get them.
    """
    if name in EMBEDDED:
        train_x, train_y, test_x, test_y = _load_embedded(name, seed)
    elif name in TORCHVISION:
        train_x, train_y, test_x, test_y = _load_torchvision(name, data_root, cache_dir, download)
    else:
        raise ValueError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}")

    train_x, train_y = _subsample(train_x, train_y, train_subset, seed)
    test_x, test_y = _subsample(test_x, test_y, test_subset, seed + 1)

    train_x, test_x = _scale_to_unit_interval(train_x, test_x, per_feature=train_x.ndim == 2)
    num_classes = int(max(train_y.max(), test_y.max())) + 1
    return Dataset(
        name=name,
        train_x=torch.from_numpy(train_x),
        train_y=torch.from_numpy(train_y),
        test_x=torch.from_numpy(test_x),
        test_y=torch.from_numpy(test_y),
        num_classes=num_classes,
    )


def _load_embedded(name: str, seed: int) -> tuple[np.ndarray, ...]:
    loader = {
        "digits": sklearn_datasets.load_digits,
        "breast_cancer": sklearn_datasets.load_breast_cancer,
        "iris": sklearn_datasets.load_iris,
    }[name]
    bunch = loader()
    features = bunch.data.astype(np.float64)
    labels = bunch.target.astype(np.int64)
    train_x, test_x, train_y, test_y = train_test_split(
        features, labels, test_size=EMBEDDED_TEST_FRACTION, stratify=labels, random_state=seed
    )
    return train_x, train_y, test_x, test_y


def _load_torchvision(
    name: str, data_root: Path | None, cache_dir: Path | None, download: bool
) -> tuple[np.ndarray, ...]:
    from torchvision import datasets as torchvision_datasets

    if data_root is None:
        raise DataUnavailableError(
            f"{name} needs a data folder: pass --data-root DIR with the torchvision layout, and add --download to let "
            "torchvision fetch missing files into DIR"
        )
    data_root = Path(data_root)

    if name == "cifar10":
        # NOTE: CIFAR-10 has never been run here: the build machines have no download and no offline copy.
        try:
            train = torchvision_datasets.CIFAR10(str(data_root), train=True, download=download)
            test = torchvision_datasets.CIFAR10(str(data_root), train=False, download=download)
        except RuntimeError as error:
            raise DataUnavailableError(
                f"CIFAR-10 not found in {data_root} ({error}); rerun with --download on a machine with internet access"
            ) from error
        return (
            _channels_first(train.data),
            np.asarray(train.targets, dtype=np.int64),
            _channels_first(test.data),
            np.asarray(test.targets, dtype=np.int64),
        )

    dataset_class = {"mnist": torchvision_datasets.MNIST, "fashion_mnist": torchvision_datasets.FashionMNIST}[name]
    root = data_root if download else prepare_torchvision_root(name, data_root, cache_dir)
    try:
        train = dataset_class(str(root), train=True, download=download)
        test = dataset_class(str(root), train=False, download=download)
    except RuntimeError as error:
        raise DataUnavailableError(_missing_message(name, data_root, str(error))) from error
    return (
        train.data.numpy()[:, None].astype(np.float64),
        train.targets.numpy().astype(np.int64),
        test.data.numpy()[:, None].astype(np.float64),
        test.targets.numpy().astype(np.int64),
    )


def prepare_torchvision_root(name: str, data_root: Path, cache_dir: Path | None) -> Path:
    """Return a root that torchvision can read for MNIST or Fashion-MNIST, decompressing ``.gz`` files if needed.

    torchvision reads only the decompressed IDX files in ``ROOT/<Folder>/raw``. When that folder holds only the
    ``.gz`` files (as a read-only offline copy may), they are decompressed into ``cache_dir/<Folder>/raw`` and
    ``cache_dir`` is returned, so the user's folder is never written to.

    Raises:
        DataUnavailableError: if the raw folder is missing or contains neither the IDX files nor their ``.gz`` files.
    """
    folder = _TORCHVISION_FOLDERS[name]
    raw = Path(data_root) / folder / "raw"
    expected = IDX_FILES

    if all((raw / file_name).is_file() for file_name in expected):
        return Path(data_root)
    if not all((raw / f"{file_name}.gz").is_file() for file_name in expected):
        raise DataUnavailableError(_missing_message(name, Path(data_root), f"no IDX files in {raw}"))
    if cache_dir is None:
        raise DataUnavailableError(
            f"{raw} contains only .gz files, and no cache folder was given to decompress them into; "
            f"run `gunzip -k {raw}/*.gz` in a writable copy of the folder"
        )

    target = Path(cache_dir) / folder / "raw"
    target.mkdir(parents=True, exist_ok=True)
    for file_name in expected:
        destination = target / file_name
        if destination.is_file():
            continue
        logger.info("decompressing %s into %s", raw / f"{file_name}.gz", target)
        partial = destination.with_suffix(".partial")
        with gzip.open(raw / f"{file_name}.gz", "rb") as source, open(partial, "wb") as sink:
            shutil.copyfileobj(source, sink)
        partial.replace(destination)
    return Path(cache_dir)


def _missing_message(name: str, data_root: Path, detail: str) -> str:
    folder = _TORCHVISION_FOLDERS[name]
    return (
        f"{name} not found in {data_root} ({detail}). Expected the four IDX files (or their .gz copies) "
        f"{', '.join(IDX_FILES)} in {Path(data_root) / folder / 'raw'}; pass the folder that contains {folder}/ as --data-root, "
        f"or add --download to fetch them"
    )


def _channels_first(images: np.ndarray) -> np.ndarray:
    return images.transpose(0, 3, 1, 2).astype(np.float64)


def _subsample(x: np.ndarray, y: np.ndarray, size: int | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep a stratified random subset of ``size`` records, or everything when ``size`` is None or too large."""
    if size is None or size >= len(y):
        return x, y
    if size < 1:
        raise ValueError(f"subset size must be at least 1, got {size}")
    kept, _ = train_test_split(np.arange(len(y)), train_size=size, stratify=y, random_state=seed)
    kept = np.sort(kept)
    return x[kept], y[kept]


def _scale_to_unit_interval(
    train_x: np.ndarray, test_x: np.ndarray, *, per_feature: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Min-max scale both splits with statistics of ``train_x`` and clip them to [0, 1].

    A feature that is constant in the training split maps to 0.
    """
    axis = 0 if per_feature else None
    low = train_x.min(axis=axis)
    span = train_x.max(axis=axis) - low
    span = np.where(span > 0, span, np.inf)

    scaled_train = np.clip((train_x - low) / span, 0.0, 1.0)
    scaled_test = np.clip((test_x - low) / span, 0.0, 1.0)
    return scaled_train.astype(np.float32), scaled_test.astype(np.float32)


def select_classes(dataset: Dataset, classes: list[int], name: str) -> Dataset:
    """Keep only the records of ``classes`` and relabel them 0, 1, ... in the given order.

    The scaling of ``dataset`` is kept, so the result stays in [0, 1].
    """
    relabel = torch.full((dataset.num_classes,), -1, dtype=torch.int64)
    relabel[torch.tensor(classes)] = torch.arange(len(classes))

    def keep(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows = relabel[y] >= 0
        return x[rows], relabel[y[rows]]

    train_x, train_y = keep(dataset.train_x, dataset.train_y)
    test_x, test_y = keep(dataset.test_x, dataset.test_y)
    return Dataset(name=name, train_x=train_x, train_y=train_y, test_x=test_x, test_y=test_y, num_classes=len(classes))
