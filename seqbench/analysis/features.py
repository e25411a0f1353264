"""How many input features an image or video has, and what that costs each kind of model.

The lecture's closing question, as pure functions: a 1080p colour image has
1920 x 1080 x 3 input features, and a fully connected layer pays one weight per feature per
hidden unit. A recurrent model that reads the image row by row pays only for one row
(its weights do not depend on the height), and a convolution pays only for its kernels
(its weights depend on neither height nor width).

>>> frame = input_features(height=1080, width=1920, channels=3)
>>> frame, input_features(1080, 1920, 3, frames=video_frames(seconds=240, fps=30))
(6220800, 44789760000)
>>> dense_weights(frame, 1000)  # one fully connected layer of 1,000 units
6220800000
>>> round(dense_weights(frame, 1000) * BYTES["fp32"] / 1e9, 1)  # GB of fp32 weights
24.9

Every count below mirrors the module seqbench (or :func:`conv_model`) really builds; the
tests build them and compare with ``count_parameters``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from seqbench.core.errors import ConfigError
# the memory numbers and the check the mlp runs before it allocates live in the core
from seqbench.core.memory import ADAM_COPIES, BYTES, check_dense_fits, format_bytes, machine_memory

__all__ = [
    "ADAM_COPIES", "BYTES", "GATES", "PRESETS", "Preset", "check_dense_fits", "conv_model", "conv_parameters",
    "dense_parameters", "dense_training_bytes", "dense_weights", "format_bytes", "input_features",
    "largest_dense_square", "machine_memory", "mlp_parameters", "recurrent_parameters", "report",
    "row_reader_parameters", "video_frames",
]
#: Gate blocks per recurrent cell: each block is one (input + hidden) -> hidden affine map.
GATES = {"tanh": 1, "relu": 1, "sigmoid": 1, "lstm": 4, "gru": 3}


@dataclass(frozen=True)
class Preset:
    """A named resolution: height, width and channels."""

    height: int
    width: int
    channels: int = 3
    note: str = ""


PRESETS: dict[str, Preset] = {
    "mnist": Preset(28, 28, 1, "MNIST digit"),
    "cifar": Preset(32, 32, 3, "CIFAR-10 image"),
    "imagenet": Preset(224, 224, 3, "usual ImageNet crop"),
    "vga": Preset(480, 640, 3, "VGA"),
    "480p": Preset(480, 854, 3, "SD video"),
    "720p": Preset(720, 1280, 3, "HD"),
    "1080p": Preset(1080, 1920, 3, "Full HD"),
    "1440p": Preset(1440, 2560, 3, "QHD"),
    "4k": Preset(2160, 3840, 3, "UHD 4K"),
    "8k": Preset(4320, 7680, 3, "UHD 8K"),
}


def _positive(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name}={value}: must be an integer >= 1")
    return value


# ---------------------------------------------------------------------- input sizes
def input_features(height: int, width: int, channels: int = 3, frames: int = 1) -> int:
    """Numbers in one input: height x width x channels x frames.

    >>> input_features(28, 28, 1)
    784
    """
    for name, value in (("height", height), ("width", width), ("channels", channels), ("frames", frames)):
        _positive(name, value)
    return height * width * channels * frames


def video_frames(seconds: float, fps: float) -> int:
    """Frames in ``seconds`` of video at ``fps`` frames per second (rounded to a whole frame).

    >>> video_frames(240, 30)
    7200
    """
    if not (seconds > 0 and fps > 0 and math.isfinite(seconds * fps)):
        raise ConfigError(f"seconds={seconds}, fps={fps}: both must be positive numbers")
    return max(1, round(seconds * fps))


# ---------------------------------------------------------------------- fully connected
def dense_weights(features: int, hidden: int) -> int:
    """Weights (biases not counted) of one fully connected layer: features x hidden."""
    return _positive("features", features) * _positive("hidden", hidden)


def dense_parameters(features: int, hidden: int) -> int:
    """Weights and biases of one ``nn.Linear(features, hidden)``."""
    return dense_weights(features, hidden) + hidden


def dense_training_bytes(features: int, hidden: int) -> int:
    """Memory that training one such layer with Adam needs in fp32: weights, gradients, 2 moments.

    >>> dense_training_bytes(784, 128)  # 16 bytes per parameter of a 784 -> 128 layer
    1607680
    """
    return ADAM_COPIES * BYTES["fp32"] * dense_parameters(features, hidden)


def mlp_parameters(features: int, hidden: int, num_layers: int, outputs: int) -> int:
    """Parameters of seqbench's ``mlp`` on a vector input: ``num_layers`` hidden layers and a head."""
    first = dense_parameters(features, hidden)
    return first + (num_layers - 1) * dense_parameters(hidden, hidden) + dense_parameters(hidden, outputs)


# ---------------------------------------------------------------------- recurrent row reader
def recurrent_parameters(cell: str, input_size: int, hidden: int, num_layers: int = 1,
                         bidirectional: bool = False, outputs: int | None = None) -> int:
    """Parameters of seqbench's recurrent core (and, with ``outputs``, its classifier head).

    Per layer and direction a cell has ``GATES[cell]`` blocks, each with an input matrix
    (hidden x layer input), a recurrent matrix (hidden x hidden) and two bias vectors, as in
    ``nn.RNN``/``nn.LSTM``/``nn.GRU`` and seqbench's sigmoid cell. Layers above the first read
    the concatenated directions. The head of a many-to-one classifier is a linear map from
    the top layer's final state(s) to ``outputs``. The height of an image read row by row
    appears nowhere: it is only the number of steps.

    >>> recurrent_parameters("lstm", input_size=1920 * 3, hidden=64, outputs=4)
    1491716
    """
    if cell not in GATES:
        raise ConfigError(f"cell={cell!r}: must be one of {', '.join(GATES)}")
    directions = 2 if bidirectional else 1
    total = 0
    for layer in range(num_layers):
        layer_input = input_size if layer == 0 else hidden * directions
        total += directions * GATES[cell] * (hidden * layer_input + hidden * hidden + 2 * hidden)
    if outputs is not None:
        total += dense_parameters(hidden * directions, outputs)
    return total


def row_reader_parameters(width: int, channels: int, hidden: int, cell: str = "lstm",
                          outputs: int | None = None, **core: Any) -> int:
    """A recurrent model reading an image one row (width x channels numbers) per step."""
    return recurrent_parameters(cell, width * channels, hidden, outputs=outputs, **core)


# ---------------------------------------------------------------------- convolution
def conv_parameters(channels: int, widths: tuple[int, ...] = (32, 64), kernel: int = 3,
                    outputs: int | None = None) -> int:
    """Parameters of :func:`conv_model`: ``kernel`` x ``kernel`` convolutions, then a head.

    Each layer maps ``c_in`` to ``c_out`` channels with one kernel per pair plus a bias;
    global average pooling makes the head independent of height and width too.

    >>> conv_parameters(3, (32, 64), 3, outputs=10)
    20042
    """
    total, c_in = 0, _positive("channels", channels)
    for c_out in widths:
        total += kernel * kernel * c_in * c_out + c_out
        c_in = c_out
    if outputs is not None:
        total += dense_parameters(c_in, outputs)
    return total


def conv_model(channels: int, widths: tuple[int, ...] = (32, 64), kernel: int = 3, outputs: int = 10):
    """The small convolutional network :func:`conv_parameters` counts (an ``nn.Sequential``).

    (B, C, H, W) -> ``kernel`` x ``kernel`` convolutions with ReLU -> global average pool ->
    (B, outputs) logits, for any H and W.
    """
    from torch import nn  # imported here: the calculator itself needs no torch

    layers: list[nn.Module] = []
    c_in = channels
    for c_out in widths:
        layers += [nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2), nn.ReLU()]
        c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, outputs)]
    return nn.Sequential(*layers)


# ---------------------------------------------------------------------- this machine
def largest_dense_square(hidden: int, channels: int, available: int) -> int:
    """The largest square side whose fully connected first layer can be trained in ``available`` bytes.

    >>> side = largest_dense_square(128, 3, 20 * 10**9)
    >>> side, dense_training_bytes(3 * side**2, 128) <= 20 * 10**9 < dense_training_bytes(3 * (side + 1)**2, 128)
    (1804, True)
    """
    per_feature = ADAM_COPIES * BYTES["fp32"] * hidden  # bytes per input feature (its weights to every unit)
    side = math.isqrt(max(0, available - ADAM_COPIES * BYTES["fp32"] * hidden) // (per_feature * channels))
    while side > 0 and dense_training_bytes(channels * side * side, hidden) > available:
        side -= 1
    return side


# ---------------------------------------------------------------------- the whole report
def report(height: int, width: int, channels: int = 3, frames: int = 1, hidden: int = 1000,
           cell: str = "lstm", outputs: int = 10, conv_widths: tuple[int, ...] = (32, 64),
           kernel: int = 3, memory: dict[str, int | None] | None = None) -> dict[str, Any]:
    """Everything ``seqbench features`` prints, as one JSON-friendly dict.

    >>> r = report(1080, 1920, 3, hidden=1000, memory={"total": None, "available": None})
    >>> r["features"], r["dense"]["weights"], r["dense"]["gb"]["fp32"]
    (6220800, 6220800000, 24.8832)
    >>> r["rnn"]["parameters"] == report(2, 1920, 3, hidden=1000)["rnn"]["parameters"]  # any height
    True
    """
    per_frame = input_features(height, width, channels)
    features = input_features(height, width, channels, frames)
    weights = dense_weights(features, hidden)
    params = dense_parameters(features, hidden)
    train_bytes = dense_training_bytes(features, hidden)
    memory = machine_memory() if memory is None else memory
    available = memory.get("available")
    return {
        "height": height, "width": width, "channels": channels, "frames": frames,
        "features_per_frame": per_frame, "features": features,
        "dense": {
            "hidden": hidden, "weights": weights, "parameters": params,
            "bytes": {p: weights * b for p, b in BYTES.items()},
            "gb": {p: weights * b / 1e9 for p, b in BYTES.items()},
            "train_bytes_fp32_adam": train_bytes,
            "fits_in_available_memory": None if available is None else train_bytes <= available,
        },
        "rnn": {
            "cell": cell, "hidden": hidden, "input_per_step": width * channels, "steps": height * frames,
            "parameters": row_reader_parameters(width, channels, hidden, cell, outputs=outputs),
            "outputs": outputs,
        },
        "conv": {
            "widths": list(conv_widths), "kernel": kernel,
            "parameters": conv_parameters(channels, conv_widths, kernel, outputs=outputs), "outputs": outputs,
        },
        "machine_memory_bytes": memory,
    }
