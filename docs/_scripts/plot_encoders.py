"""Draw the figures of the encoder and LIF pages from the package in this checkout.

``docs/conf.py`` calls :func:`main` when a build starts, so the figures always show what the code does. Run it by
hand to look at them without building the docs::

    python docs/_scripts/plot_encoders.py docs/_generated

The figures use only the public API, with default parameters and a fixed seed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

# When the script runs by hand, the package may not be installed, so it is imported from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import burstcode  # noqa: E402
from burstcode import surrogate  # noqa: E402

NUM_STEPS = 40
NUM_FEATURES = 11
SEED = 0

# One entry per encoder page: output file stem, title and encoder class, used with its default parameters.
ENCODERS = {
    "rate": ("Rate", burstcode.RateEncoder),
    "latency": ("Latency", burstcode.LatencyEncoder),
    "poisson_burst": ("Poisson-Burst", burstcode.PoissonBurst),
    "delayed_burst": ("Delayed-Burst", burstcode.DelayedBurst),
}


def plot_encoder(title: str, encoder_class: type[torch.nn.Module], path: Path) -> None:
    """Save a raster of one encoding of 11 intensities from 0 to 1 next to the exact spike-probability map."""
    x = torch.linspace(0.0, 1.0, NUM_FEATURES)
    encoder = encoder_class(NUM_STEPS)
    if encoder_class is burstcode.LatencyEncoder:
        spikes = encoder(x)  # deterministic, so it takes no generator
        raster_title = "Spikes (deterministic)"
    else:
        spikes = encoder_class(NUM_STEPS, generator=torch.Generator().manual_seed(SEED))(x)
        raster_title = f"Spikes of one encoding (seed {SEED})"
    probability = encoder.spike_probability(x)
    expected_count = probability.sum(0)

    figure, (raster_axes, map_axes) = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True, constrained_layout=True)
    figure.suptitle(f"{title} encoder: {encoder.extra_repr()}")

    steps, features = spikes.nonzero(as_tuple=True)
    raster_axes.scatter(steps, features, marker="|", s=90, linewidths=1.6, color="black")
    raster_axes.set_title(raster_title)
    raster_axes.set_xlim(-0.5, NUM_STEPS - 0.5)
    raster_axes.set_xlabel("time step t")
    raster_axes.set_ylabel("input intensity x")
    raster_axes.set_yticks(range(NUM_FEATURES), [f"{value:.1f}" for value in x.tolist()])
    raster_axes.set_ylim(-0.5, NUM_FEATURES - 0.5)
    raster_axes.grid(axis="x", alpha=0.3)
    if hasattr(encoder, "interval"):
        for boundary in range(encoder.interval, NUM_STEPS, encoder.interval):
            raster_axes.axvline(boundary - 0.5, color="tab:blue", alpha=0.25, linewidth=1)

    image = map_axes.imshow(
        probability.T, aspect="auto", origin="lower", cmap="viridis", vmin=0.0, vmax=1.0, interpolation="nearest"
    )
    map_axes.set_title("Exact spike probability P(s_t = 1)")
    map_axes.set_xlabel("time step t")
    for feature, count in enumerate(expected_count.tolist()):
        map_axes.text(NUM_STEPS - 0.2, feature, f"{count:.1f}", va="center", ha="left", fontsize=7)
    map_axes.text(NUM_STEPS - 0.2, NUM_FEATURES - 0.3, "E[count]", va="bottom", ha="left", fontsize=7)
    map_axes.set_xlim(-0.5, NUM_STEPS + 3.5)
    figure.colorbar(image, ax=map_axes, label="P(spike)")

    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_surrogates(path: Path) -> None:
    """Save the four built-in surrogate derivatives, each with its default parameter."""
    x = torch.linspace(-2.0, 2.0, 801)
    curves = {
        "fast_sigmoid(slope=25)": surrogate.fast_sigmoid(),
        "atan(alpha=2)": surrogate.atan(),
        "sigmoid(slope=5)": surrogate.sigmoid(),
        "triangle(width=1)": surrogate.triangle(),
    }

    figure, axes = plt.subplots(figsize=(6, 3.4), constrained_layout=True)
    for label, function in curves.items():
        axes.plot(x, function(x), label=label)
    axes.set_title("Surrogate derivatives used in place of dH/dx")
    axes.set_xlabel("x = u - threshold")
    axes.set_ylabel("sigma'(x)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_lif_trace(path: Path) -> None:
    """Save the membrane and spikes of one LIF neuron driven by a step current, for both reset modes."""
    num_steps = 60
    current = torch.zeros(num_steps, 1)
    current[5:45] = 0.3

    figure, axes = plt.subplots(2, 1, figsize=(7, 4.2), sharex=True, constrained_layout=True)
    for row, reset in enumerate(("subtract", "zero")):
        layer = burstcode.LIF(beta=0.9, threshold=1.0, reset=reset)
        # Run one step per call and carry the membrane over, which records u_t before each reset.
        membrane = None
        trace, spike_steps = [], []
        for t, chunk in enumerate(current.split(1)):
            spikes, membrane = layer(chunk.unsqueeze(1), membrane, return_membrane=True)
            trace.append(membrane.item())
            if spikes.item() == 1:
                spike_steps.append(t)

        axes[row].plot(range(num_steps), trace, color="tab:blue", label="membrane u_t")
        axes[row].step(range(num_steps), current[:, 0], where="mid", color="tab:gray", alpha=0.6, label="current I_t")
        axes[row].axhline(1.0, color="tab:red", linestyle="--", linewidth=1, label="threshold")
        axes[row].vlines(spike_steps, 1.15, 1.35, color="black", label="spike s_t")
        axes[row].set_title(f'reset="{reset}", beta=0.9, threshold=1.0')
        axes[row].set_ylabel("value")
        axes[row].set_ylim(-0.05, 1.45)
        axes[row].grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="upper right", ncols=2)
    axes[1].set_xlabel("time step t")
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(output_dir: Path) -> None:
    """Write every figure of the docs as a PNG file into ``output_dir``."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    for stem, (title, encoder_class) in ENCODERS.items():
        plot_encoder(title, encoder_class, output_dir / f"{stem}.png")
    plot_surrogates(output_dir / "surrogates.png")
    plot_lif_trace(output_dir / "lif_trace.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "_generated")
