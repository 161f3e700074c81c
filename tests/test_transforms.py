"""Encoders as torchvision transform steps and inside DataLoaders with worker processes."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

import burstcode

v2 = pytest.importorskip("torchvision.transforms.v2")
Image = pytest.importorskip("PIL.Image")

ENCODERS = [burstcode.RateEncoder, burstcode.LatencyEncoder, burstcode.PoissonBurst, burstcode.DelayedBurst]


def gray_image(seed=0):
    pixels = np.random.default_rng(seed).integers(0, 256, size=(28, 28), dtype=np.uint8)
    return Image.fromarray(pixels, mode="L")


@pytest.mark.parametrize("encoder", ENCODERS, ids=lambda cls: cls.__name__)
def test_encoder_ends_torchvision_pipeline_on_pil_image(encoder):
    pipeline = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True), encoder(10)])
    spikes = pipeline(gray_image())
    assert type(spikes) is torch.Tensor
    assert spikes.shape == (10, 1, 28, 28)
    assert spikes.dtype == torch.float32


@pytest.mark.parametrize("encoder", ENCODERS, ids=lambda cls: cls.__name__)
def test_encoder_takes_pil_image_directly(encoder):
    pipeline = v2.Compose([v2.RandomHorizontalFlip(p=0.0), encoder(10, dtype=torch.uint8)])
    spikes = pipeline(gray_image())
    assert spikes.shape == (10, 1, 28, 28)
    assert spikes.dtype == torch.uint8


def test_pil_rgb_image_becomes_channels_first():
    rgb = Image.fromarray(np.zeros((5, 7, 3), dtype=np.uint8), mode="RGB")
    assert burstcode.PoissonBurst(10)(rgb).shape == (10, 3, 5, 7)


def test_pil_image_scaled_like_uint8_tensor():
    image = gray_image(3)
    as_tensor = torch.from_numpy(np.array(image)).unsqueeze(0)
    encoder = burstcode.LatencyEncoder(12)
    assert torch.equal(encoder(image), encoder(as_tensor))


def test_encoder_after_normalize_raises_with_fix():
    pipeline = v2.Compose(
        [v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize([0.5], [0.5]), burstcode.RateEncoder(5)]
    )
    with pytest.raises(ValueError, match="ToDtype"):
        pipeline(gray_image())


@pytest.mark.parametrize("encoder", ENCODERS, ids=lambda cls: cls.__name__)
def test_encoder_on_uint8_tensor_pipeline(encoder):
    pipeline = v2.Compose([v2.Resize((14, 14), antialias=True), encoder(10)])
    image = torch.randint(0, 256, (1, 28, 28), dtype=torch.uint8)
    assert pipeline(image).shape == (10, 1, 14, 14)


class ConstantImages(Dataset):
    """Identical mid-gray images, so any difference between encodings comes from the encoder's randomness."""

    def __init__(self, transform, length=8):
        self.transform = transform
        self.length = length

    def __len__(self):
        return self.length

    def __getitem__(self, index):
        return self.transform(torch.full((1, 4, 4), 0.5)), torch.utils.data.get_worker_info().id


def load_all(encoder, **loader_kwargs):
    loader = DataLoader(ConstantImages(encoder), batch_size=1, num_workers=2, **loader_kwargs)
    return [(spikes[0], worker[0].item()) for spikes, worker in loader]


@pytest.mark.parametrize("encoder", [burstcode.PoissonBurst, burstcode.RateEncoder, burstcode.DelayedBurst])
def test_dataloader_workers_draw_different_spikes(encoder):
    samples = load_all(encoder(20, generator=torch.Generator().manual_seed(0)))
    first_of_worker = {}
    for spikes, worker in samples:
        first_of_worker.setdefault(worker, spikes)
    assert set(first_of_worker) == {0, 1}
    assert not torch.equal(first_of_worker[0], first_of_worker[1])


def test_dataloader_with_global_rng_workers_draw_different_spikes():
    samples = load_all(burstcode.PoissonBurst(20))
    first_of_worker = {}
    for spikes, worker in samples:
        first_of_worker.setdefault(worker, spikes)
    assert not torch.equal(first_of_worker[0], first_of_worker[1])


def test_dataloader_runs_are_reproducible_under_manual_seed():
    encoder = burstcode.PoissonBurst(20, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(5)
    first = torch.stack([spikes for spikes, _ in load_all(encoder)])
    torch.manual_seed(5)
    second = torch.stack([spikes for spikes, _ in load_all(encoder)])
    assert torch.equal(first, second)


def test_dataloader_epochs_draw_new_spikes_with_persistent_workers():
    encoder = burstcode.PoissonBurst(20, generator=torch.Generator().manual_seed(0))
    loader = DataLoader(ConstantImages(encoder), batch_size=4, num_workers=2, persistent_workers=True)
    first_epoch = torch.cat([spikes for spikes, _ in loader])
    second_epoch = torch.cat([spikes for spikes, _ in loader])
    assert not torch.equal(first_epoch, second_epoch)


def test_dataloader_collates_samples_batch_first():
    loader = DataLoader(ConstantImages(burstcode.DelayedBurst(12), length=6), batch_size=3, num_workers=2)
    spikes, _ = next(iter(loader))
    assert spikes.shape == (3, 12, 1, 4, 4)
    assert spikes.transpose(0, 1).shape == (12, 3, 1, 4, 4)
