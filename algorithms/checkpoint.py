"""Saving and loading meta-parameters, atomically, with what made them.

A checkpoint is a ``torch.save`` file of ``{"params": {name: tensor},
"model": class name, "shapes": {name: shape}, "metadata": {...}}``. It is
written to a temporary file in the same folder and renamed, so a crash never
leaves a half-written checkpoint. Loading checks it against the model.

Example:
    >>> import tempfile, pathlib, torch
    >>> model = torch.nn.Linear(2, 1)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "theta.pt"
    >>> save_checkpoint(path, model, dict(model.named_parameters()), algorithm="maml")
    >>> sorted(load_checkpoint(path, model)[0])
    ['bias', 'weight']
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from algorithms.params import Params, check_params
from synthetic.files import write_atomically

CHECKPOINT_NAME = "checkpoint.pt"
"""The file ``mamlscape train`` writes in its ``--out`` folder; a folder given as a
checkpoint path is read from there."""


def save_checkpoint(path: str | Path, model: nn.Module, params: Params, **metadata: Any) -> None:
    """Write ``params`` (checked against ``model``) and JSON-able ``metadata`` to ``path``."""
    check_params(model, params)
    payload = {
        "params": {name: tensor.detach().cpu() for name, tensor in params.items()},
        "model": type(model).__name__,
        "shapes": {name: tuple(tensor.shape) for name, tensor in params.items()},
        "metadata": metadata,
    }
    write_atomically(path, lambda stream: torch.save(payload, stream))


def load_checkpoint(
    path: str | Path, model: nn.Module, device: torch.device | str | None = None
) -> tuple[Params, dict[str, Any]]:
    """The parameters (leaf tensors with ``requires_grad``) and metadata saved at ``path``."""
    path, payload = _read(path, device)
    params = payload["params"]
    if payload.get("model") != type(model).__name__:
        raise ValueError(
            f"checkpoint {path} holds parameters of a {payload.get('model')}, not of the "
            f"{type(model).__name__} given"
        )
    check_params(model, params)
    return {name: t.requires_grad_(True) for name, t in params.items()}, payload["metadata"]


def checkpoint_metadata(path: str | Path) -> dict[str, Any]:
    """What made the checkpoint at ``path`` (a file, or ``train``'s folder), without a model:
    e.g. its ``task_family`` and ``algorithm``, to check a command against before any work."""
    return _read(path, "cpu")[1].get("metadata", {})


def _read(path: str | Path, device: torch.device | str | None) -> tuple[Path, dict[str, Any]]:
    path = Path(path)
    if path.is_dir() and (path / CHECKPOINT_NAME).is_file():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise ValueError(
            f"checkpoint {path} does not exist; make one with `mamlscape train --out DIR` "
            f"(it writes DIR/{CHECKPOINT_NAME}) or algorithms.train(..., checkpoint_path=...)"
        )
    try:
        payload = torch.load(path, map_location=device or "cpu", weights_only=True)
        if not isinstance(payload, dict) or "params" not in payload:
            raise KeyError("params")
    except Exception as error:
        raise ValueError(
            f"{path} is not a mamlscape checkpoint or is corrupt: torch could not read "
            f"parameters from it ({type(error).__name__}); give the checkpoint.pt that "
            "`mamlscape train` or algorithms.save_checkpoint wrote"
        ) from error
    return path, payload
