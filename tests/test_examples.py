"""Tests of the example studies: end-to-end runs on tiny settings, attack metrics, splits and data loading."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))

import privacy_study  # noqa: E402
import transfer_study  # noqa: E402
from studykit import attacks  # noqa: E402
from studykit.data import DataUnavailableError, load_dataset, prepare_torchvision_root  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]

TINY_RUN = [
    "--seeds", "0", "--epochs", "1", "--shadow-models", "1", "--queries", "1", "2", "--num-steps", "4",
    "--margin", "1", "--no-progress",
]


@pytest.fixture(scope="module")
def privacy_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("privacy")
    record = privacy_study.main(["--datasets", "iris", "breast_cancer", "--output", str(output), *TINY_RUN])
    return output, record


@pytest.fixture(scope="module")
def transfer_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("transfer")
    record = transfer_study.main(
        ["--output", str(output), "--seeds", "0", "--epochs", "1", "--pretrain-epochs", "1", "--num-steps", "4",
         "--margin", "1", "--target-train-size", "20", "--no-progress"]
    )
    return output, record


@pytest.mark.parametrize(
    "name",
    ["privacy_results.md", "privacy_models.csv", "privacy_attacks.csv", "privacy_results.json",
     "roc_iris.png", "roc_breast_cancer.png", "raster_iris.png", "raster_breast_cancer.png", "accuracy_vs_auc.png"],
)
def test_privacy_study_writes_file(privacy_run, name):
    output, _ = privacy_run
    assert (output / name).stat().st_size > 0


def test_privacy_study_json_keys(privacy_run):
    output, _ = privacy_run
    record = json.loads((output / "privacy_results.json").read_text())
    for key in ("seeds", "versions", "parameters", "encoder_settings", "model_summary", "attack_summary"):
        assert key in record
    for package in ("python", "torch", "burstcode"):
        assert package in record["versions"]


def test_privacy_study_json_rows(privacy_run):
    _, record = privacy_run
    encoders, attack_count, query_counts, datasets = 3, 3, 2, 2
    assert len(record["model_summary"]) == datasets * encoders
    assert len(record["attack_summary"]) == datasets * encoders * attack_count * query_counts
    assert {row["queries"] for row in record["attack_summary"]} == {1, 2}


def test_privacy_study_metrics_in_range(privacy_run):
    _, record = privacy_run
    for row in record["attack_rows"]:
        assert 0.0 <= row["auc"] <= 1.0
        assert 0.0 <= row["balanced_accuracy"] <= 1.0
    for row in record["model_rows"]:
        assert 0.0 <= row["test_accuracy"] <= 1.0
        assert row["input_spikes_per_sample"] > 0


def test_privacy_study_markdown_has_tables(privacy_run):
    output, _ = privacy_run
    text = (output / "privacy_results.md").read_text()
    assert "| dataset | encoder | test acc |" in text
    assert "| dataset | encoder | attack | queries | AUC |" in text


def test_privacy_study_same_seed_same_results(privacy_run, tmp_path):
    _, first = privacy_run
    second = privacy_study.main(["--datasets", "iris", "breast_cancer", "--output", str(tmp_path), *TINY_RUN])
    first_auc = [row["auc"] for row in first["attack_rows"]]
    second_auc = [row["auc"] for row in second["attack_rows"]]
    first_accuracy = [row["test_accuracy"] for row in first["model_rows"]]
    second_accuracy = [row["test_accuracy"] for row in second["model_rows"]]
    assert first_auc == second_auc
    assert first_accuracy == second_accuracy


def test_privacy_study_rejects_invalid_encoder_parameter(capsys):
    with pytest.raises(SystemExit) as error:
        privacy_study.main(["--interval", "0", "--output", "unused"])
    assert error.value.code == 2
    assert "interval" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown where CUDA is missing")
def test_privacy_study_rejects_cuda_without_gpu(capsys):
    with pytest.raises(SystemExit) as error:
        privacy_study.main(["--device", "cuda", "--output", "unused"])
    assert error.value.code == 2
    assert "--device cpu" in capsys.readouterr().err


def test_privacy_study_rejects_unknown_device(capsys):
    with pytest.raises(SystemExit) as error:
        privacy_study.main(["--device", "banana", "--output", "unused"])
    assert error.value.code == 2
    assert "invalid device 'banana'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["transfer_results.md", "transfer_results.csv", "transfer_results.json",
                                  "transfer_accuracy.png"])
def test_transfer_study_writes_file(transfer_run, name):
    output, _ = transfer_run
    assert (output / name).stat().st_size > 0


def test_transfer_study_json_rows(transfer_run):
    output, _ = transfer_run
    record = json.loads((output / "transfer_results.json").read_text())
    assert record["seeds"] == [0]
    assert [row["encoder"] for row in record["summary"]] == ["rate", "poisson_burst", "delayed_burst"]
    assert "finetuned_accuracy_mean" in record["summary"][0]
    assert "scratch_accuracy_mean" in record["summary"][0]


def test_roc_metrics_perfect_separation():
    members = np.linspace(1.0, 2.0, 500)
    nonmembers = np.linspace(-2.0, -1.0, 500)
    metrics = attacks.roc_metrics(members, nonmembers)
    assert metrics["auc"] == 1.0
    assert metrics["tpr_at_fpr"][0.01] == 1.0
    assert metrics["tpr_at_fpr"][0.001] == 1.0


def test_roc_metrics_identical_distributions():
    # Under the null, the AUC of n = 20000 per side has std sqrt((2n + 1) / (12 n^2)) ~ 0.0029; a tolerance of 0.015
    # is over 5 std, a false-failure rate below 1e-6 (the seed is fixed, so the test is deterministic anyway).
    rng = np.random.default_rng(1234)
    members = rng.normal(size=20000)
    nonmembers = rng.normal(size=20000)
    metrics = attacks.roc_metrics(members, nonmembers)
    assert abs(metrics["auc"] - 0.5) < 0.015


def test_roc_metrics_flags_unresolved_fpr():
    rng = np.random.default_rng(0)
    metrics = attacks.roc_metrics(rng.normal(size=200), rng.normal(size=200))
    assert metrics["tpr_at_fpr_resolved"][0.01] is True
    assert metrics["tpr_at_fpr_resolved"][0.001] is False


def test_tpr_at_fpr_takes_no_interpolation():
    fpr = np.array([0.0, 0.0, 0.5, 1.0])
    tpr = np.array([0.0, 0.2, 0.9, 1.0])
    assert attacks.tpr_at_fpr(fpr, tpr, 0.01) == 0.2
    assert attacks.tpr_at_fpr(fpr, tpr, 0.5) == 0.9


def test_best_threshold_separates_scores():
    threshold = attacks.best_threshold(np.array([3.0, 4.0, 5.0]), np.array([0.0, 1.0, 2.0]))
    assert attacks.balanced_accuracy_at(np.array([3.0, 4.0, 5.0]), np.array([0.0, 1.0, 2.0]), threshold) == 1.0


def test_loss_scores_are_log_probability_of_label():
    probabilities = np.array([[0.25, 0.75], [0.5, 0.5]])
    scores = attacks.loss_scores(probabilities, np.array([1, 0]))
    np.testing.assert_allclose(scores, np.log([0.75, 0.5]))


def test_split_members_disjoint():
    members, nonmembers = attacks.split_members(np.arange(101), np.random.default_rng(0))
    assert len(np.intersect1d(members, nonmembers)) == 0


def test_split_members_balanced():
    members, nonmembers = attacks.split_members(np.arange(101), np.random.default_rng(0))
    assert len(members) == len(nonmembers) == 50


def test_split_pool_disjoint_halves():
    target, shadow = attacks.split_pool(11, np.random.default_rng(0))
    assert len(target) == len(shadow) == 5
    assert len(np.intersect1d(target, shadow)) == 0


def test_shadow_attack_detects_confident_members():
    rng = np.random.default_rng(0)
    confident = np.column_stack([rng.uniform(0.9, 1.0, 200), np.zeros(200)])
    unsure = np.column_stack([rng.uniform(0.5, 0.7, 200), np.zeros(200)])
    probabilities = np.concatenate([confident, unsure])
    probabilities[:, 1] = 1 - probabilities[:, 0]
    labels = np.zeros(400, dtype=int)
    is_member = np.concatenate([np.ones(200), np.zeros(200)])
    attack = attacks.ShadowModelAttack(num_classes=2).fit(probabilities, labels, is_member)
    scores = attack.score(probabilities, labels)
    assert scores[:200].min() > scores[200:].max()


def test_embedded_dataset_scaled_to_unit_interval():
    dataset = load_dataset("breast_cancer")
    assert dataset.train_x.min() == 0.0
    assert dataset.train_x.max() == 1.0
    assert dataset.test_x.min() >= 0.0
    assert dataset.test_x.max() <= 1.0


def test_unknown_dataset_rejected():
    with pytest.raises(ValueError, match="unknown data set"):
        load_dataset("imagenet")


def test_mnist_loader_missing_folder(tmp_path):
    with pytest.raises(DataUnavailableError, match="--download"):
        load_dataset("mnist", data_root=tmp_path / "absent", cache_dir=tmp_path / "cache")


def test_mnist_loader_empty_folder(tmp_path):
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    with pytest.raises(DataUnavailableError, match="MNIST/raw"):
        load_dataset("mnist", data_root=tmp_path, cache_dir=tmp_path / "cache")


def test_privacy_study_missing_data_message(tmp_path, capsys):
    with pytest.raises(SystemExit) as error:
        privacy_study.main(["--datasets", "mnist", "--data-root", str(tmp_path), "--output", str(tmp_path / "out")])
    message = capsys.readouterr().err
    assert error.value.code == 2
    assert "--download" in message
    assert "Traceback" not in message


@pytest.mark.skipif(not (SHARED_DATA / "MNIST" / "raw").is_dir(), reason=f"no offline MNIST copy in {SHARED_DATA}")
def test_mnist_loader_label_counts(tmp_path):
    dataset = load_dataset("mnist", data_root=SHARED_DATA, cache_dir=tmp_path)
    counts = torch.bincount(dataset.train_y, minlength=10).tolist()
    assert counts == MNIST_TRAIN_COUNTS
    assert tuple(dataset.train_x.shape) == (60000, 1, 28, 28)
    assert len(dataset.test_y) == 10000


@pytest.mark.skipif(not (SHARED_DATA / "MNIST" / "raw").is_dir(), reason=f"no offline MNIST copy in {SHARED_DATA}")
def test_mnist_loader_decompresses_into_cache(tmp_path):
    root = prepare_torchvision_root("mnist", SHARED_DATA, tmp_path)
    assert root == tmp_path
    assert (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()


@pytest.mark.skipif(not (SHARED_DATA / "MNIST" / "raw").is_dir(), reason=f"no offline MNIST copy in {SHARED_DATA}")
def test_mnist_loader_reads_decompressed_folder_in_place(tmp_path):
    decompressed = prepare_torchvision_root("mnist", SHARED_DATA, tmp_path / "first")
    root = prepare_torchvision_root("mnist", decompressed, tmp_path / "second")
    assert root == decompressed
    assert not (tmp_path / "second").exists()


@pytest.mark.skipif(
    not (SHARED_DATA / "FashionMNIST" / "raw").is_dir(), reason=f"no offline Fashion-MNIST copy in {SHARED_DATA}"
)
def test_fashion_mnist_loader_label_counts(tmp_path):
    dataset = load_dataset("fashion_mnist", data_root=SHARED_DATA, cache_dir=tmp_path)
    assert torch.bincount(dataset.train_y, minlength=10).tolist() == [6000] * 10
    assert torch.bincount(dataset.test_y, minlength=10).tolist() == [1000] * 10


@pytest.mark.skipif(not (SHARED_DATA / "MNIST" / "raw").is_dir(), reason=f"no offline MNIST copy in {SHARED_DATA}")
def test_mnist_subset_trains_convolutional_model(tmp_path):
    record = privacy_study.main(
        ["--datasets", "mnist", "--data-root", str(SHARED_DATA), "--train-subset", "80", "--test-subset", "40",
         "--encoders", "poisson_burst", "--output", str(tmp_path), *TINY_RUN]
    )
    assert len(record["model_rows"]) == 1
    assert (tmp_path / "roc_mnist.png").is_file()
