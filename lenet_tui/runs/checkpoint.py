"""The resumable state of a run at an epoch end, and its checkpoint file.

A checkpoint is `torch.save` of a plain dict of tensors, numbers and strings with a format marker
and a version. It is loaded with `torch.load(..., weights_only=True)`: a file carrying a pickled
object is refused by torch's restricted unpickler before anything in it runs. Anything else wrong
(not ours, truncated, another version, tensors that do not fit the settings) is refused as one
CheckpointError line naming the file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import torch

from lenet_tui.engine.config import ModelConfig, TrainConfig
from lenet_tui.engine.data_source import BUNDLED, DataSource
from lenet_tui.engine.model import build_lenet
from lenet_tui.engine.optim import build_optimizer, build_schedule
from lenet_tui.engine.settings import MAX_KERNEL_SIZE
from lenet_tui.engine.train_state import TrainState
from lenet_tui.errors import LenetError, shown
from lenet_tui.files import read_regular
from lenet_tui.runs.atomic import write_bytes_atomic

FORMAT = "lenet-tui-checkpoint"
VERSION = 1


class CheckpointError(LenetError):
    """A checkpoint file is missing, damaged, not ours, unsafe, or does not fit the run."""


@dataclass
class Checkpoint:
    """A TrainState plus where the run's data came from, so that `--resume` finds it again."""

    state: TrainState
    data: DataSource = BUNDLED
    """The run's data source, its folder absolute (kept as the keys data_dir and download)."""


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Write the checkpoint atomically: a kill at any instant leaves the previous one intact."""
    s, data_dir = checkpoint.state, checkpoint.data.resolved().data_dir
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "epoch": s.epoch,
        "step": s.step,
        "model": s.model,
        "optimizer": s.optimizer,
        "shuffle_rng": s.shuffle_rng,
        "torch_rng": s.torch_rng,
        "train_examples": s.train_examples,
        "reference_loss": s.reference_loss,
        "config": s.config,
        "schedule": s.schedule,
        "augment_rng": s.augment_rng,
        "best_test_acc": s.best_test_acc,
        "epochs_since_best": s.epochs_since_best,
        "data_dir": None if data_dir is None else str(data_dir),
        "download": checkpoint.data.download,
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    write_bytes_atomic(Path(path), buffer.getvalue())


def load_checkpoint(path: Path, config: TrainConfig | None = None) -> Checkpoint:
    """Read and check a checkpoint; with config, also check that its tensors fit those settings.

    Raises CheckpointError (one line naming the file) for anything but an intact checkpoint of
    this format; nothing in a refused file is executed.
    """
    path = Path(path)
    limit, what = largest_checkpoint(), "a checkpoint"
    if config is not None:
        limit, what = largest_checkpoint(config.model), "a checkpoint of this run's settings"
    try:
        raw = read_regular(path, limit, what)
    except OSError as exc:
        reason = exc.strerror or exc
        raise CheckpointError(f"{path}: cannot read the checkpoint ({reason})") from None
    payload = _unpickle_safely(path, raw)
    checkpoint = _checkpoint_from(path, payload)
    if config is not None:
        _check_fits(path, checkpoint.state, config)
    return checkpoint


def largest_checkpoint(model: ModelConfig | None = None) -> int:
    """The most bytes a checkpoint of this model (None: of the largest model the settings allow:
    512 channels in 3 blocks, 3 hidden layers of 4,096) can take, with a wide margin: its
    weights, buffers and as much optimizer state again twice (Adam's two moments), as float32,
    doubled, plus 1 MB for the RNG states and the rest. A larger file is refused unread."""
    if model is None:
        widest = {"hidden": (4096,) * 3, "batch_norm": True}
        largest = [
            ModelConfig(channels=(512,) * blocks, kernel_size=k, **widest)  # type: ignore[arg-type]
            for blocks in (1, 2, 3)
            for k in range(1, MAX_KERNEL_SIZE + 1)
        ]
        return max(largest_checkpoint(m) for m in largest if m.shape_problem() is None)
    return 2 * 3 * 4 * _scalars(model) + 1_000_000


def _scalars(model: ModelConfig) -> int:
    """The weights and buffers of the model build_lenet builds (a batch norm's four per unit)."""
    per_unit = 1 + (4 if model.batch_norm else 0)  # a bias, and a batch norm's four per unit
    total, c_in, k = 0, 1, model.kernel_size
    for c_out in model.channels:
        total += c_in * c_out * k * k + per_unit * c_out
        c_in = c_out
    width = model.channels[-1] * model.map_sizes()[-1] ** 2
    for n_out in (*model.hidden, 10):
        total += width * n_out + per_unit * n_out
        width = n_out
    return total


def _unpickle_safely(path: Path, raw: bytes) -> dict:
    try:
        payload = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a damaged or hostile file
        # torch 2.6 names a builtin "builtins.exec", later versions "exec"
        unsafe = re.search(r"Unsupported global: GLOBAL (?:builtins\.)?(\S+)", str(exc))
        if unsafe:
            reason = f"it carries pickled code ({unsafe.group(1)}), which is never run"
        else:
            reason = f"damaged or not a checkpoint ({type(exc).__name__})"
        raise CheckpointError(f"{path}: refused: {reason}; {_FIX}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path}: refused: not a lenet-tui checkpoint; {_FIX}")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{path}: refused: checkpoint format version {shown(payload.get('version'))}, this "
            f"lenet-tui reads version {VERSION}; resume it with the lenet-tui that wrote it"
        )
    return payload


_FIX = "resume from a run folder this program wrote, or start a new run"
_TYPES: dict[str, tuple[type, ...]] = {
    "epoch": (int,),
    "step": (int,),
    "model": (dict,),
    "optimizer": (dict,),
    "shuffle_rng": (torch.Tensor,),
    "torch_rng": (torch.Tensor,),
    "train_examples": (int,),
    "reference_loss": (float, type(None)),
    "config": (dict,),
    # Absent from checkpoints written before these settings existed: read as None.
    "schedule": (dict, type(None)),
    "augment_rng": (torch.Tensor, type(None)),
    "best_test_acc": (float, type(None)),
    "epochs_since_best": (int, type(None)),
    "data_dir": (str, type(None)),
    "download": (bool,),
}


def _checkpoint_from(path: Path, payload: dict) -> Checkpoint:
    for key, types in _TYPES.items():
        value = payload.get(key)
        if not isinstance(value, types) or (types == (int,) and isinstance(value, bool)):
            raise CheckpointError(f"{path}: refused: damaged checkpoint (bad {key!r}); {_FIX}")
    if payload["epoch"] < 0 or payload["step"] < 0:
        raise CheckpointError(f"{path}: refused: damaged checkpoint (negative epoch); {_FIX}")
    state = TrainState(**{k: payload.get(k) for k in _TYPES if k not in ("data_dir", "download")})
    state.epochs_since_best = state.epochs_since_best or 0
    data_dir = None if payload["data_dir"] is None else Path(payload["data_dir"])
    return Checkpoint(state, DataSource(data_dir, payload["download"]))


def _check_fits(path: Path, state: TrainState, config: TrainConfig) -> None:
    """Load the state into a fresh model, optimizer and generator of these settings, on the CPU."""
    try:
        model = build_lenet(config.model)
        model.load_state_dict(state.model, strict=True)
        optimizer = build_optimizer(config, model.parameters())
        optimizer.load_state_dict(state.optimizer)
        schedule = build_schedule(config, optimizer, steps_per_epoch=1)
        if (schedule is None) != (state.schedule is None):
            raise ValueError("the learning-rate schedule differs")
        if schedule is not None:
            schedule.load_state_dict(state.schedule)
        torch.Generator().set_state(state.shuffle_rng)
        if state.augment_rng is not None:
            torch.Generator().set_state(state.augment_rng)
        if state.torch_rng.dtype != torch.uint8 or state.torch_rng.shape != (
            torch.get_rng_state().shape
        ):
            raise ValueError("bad RNG state")
    except Exception as exc:  # shape mismatch, missing keys, a bad generator state
        reason = " ".join(str(exc).split())[:200]
        raise CheckpointError(
            f"{path}: refused: the checkpoint does not fit the run's settings ({reason}); {_FIX}"
        ) from None
