"""The checkpoints ``mamlscape train --keep-checkpoints`` keeps along a run, with Adam's state.

Every ``--save-every`` iterations, and at the last one, the run writes into
``DIR/checkpoints/``

- ``iteration-000100.optimizer.pt``: the outer optimiser's class name, the
  parameter names in its order and its ``state_dict()`` (for Adam the step
  count t and the moments m, v of every parameter, with lr, betas, eps), then
- ``iteration-000100.pt``: θ after that many outer steps, an
  ``algorithms.save_checkpoint`` file with the final checkpoint's metadata
  (its ``iterations`` are the outer steps taken to reach it),

each atomically, the optimiser's state first: a kept checkpoint always has its
state beside it, and a kill between the two leaves a state file that the
resumed run writes again. ``mamlscape spectrum --checkpoints DIR`` reads them
(:func:`kept_checkpoints`, :func:`adam_state`).

Example:
    >>> import tempfile, pathlib, torch
    >>> model = torch.nn.Linear(2, 1)
    >>> optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    >>> model(torch.ones(2)).sum().backward(); optimizer.step()
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> _ = keep_checkpoint(out, 1, model, dict(model.named_parameters()), optimizer)
    >>> [(kept.iteration, kept.path.name) for kept in kept_checkpoints(out)]
    [(1, 'iteration-000001.pt')]
    >>> state = adam_state(kept_checkpoints(out)[0])
    >>> state.step, state.lr, state.betas, sorted(state.exp_avg_sq)
    (1, 0.01, (0.9, 0.999), ['bias', 'weight'])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from algorithms import save_checkpoint
from algorithms.params import Params
from synthetic.files import write_atomically

CHECKPOINTS = "checkpoints"
"""The folder of kept checkpoints inside ``train``'s ``--out``."""
KEPT = re.compile(r"iteration-(\d+)\.pt")
KEPT_FILES = re.compile(r"iteration-\d+(\.optimizer)?\.pt")
MAKE_THEM = "mamlscape train --save-every N --keep-checkpoints --out DIR"


@dataclass(frozen=True)
class KeptCheckpoint:
    """A kept checkpoint: the outer steps taken to reach it and its file."""

    iteration: int
    path: Path

    @property
    def optimizer_path(self) -> Path:
        """The file of the outer optimiser's state beside it."""
        return self.path.with_name(f"{self.path.stem}.optimizer.pt")


@dataclass(frozen=True)
class AdamState:
    """What Adam's preconditioner and stability threshold need: lr η, (β₁, β₂), ε, the step
    count t and v_t (``exp_avg_sq``) of every parameter, by name."""

    lr: float
    betas: tuple[float, float]
    eps: float
    step: int
    exp_avg_sq: dict[str, torch.Tensor]

    def as_dict(self) -> dict[str, Any]:
        """The hyperparameters and step count, for JSON (no moments)."""
        return {
            "name": "Adam",
            "lr": self.lr,
            "betas": list(self.betas),
            "eps": self.eps,
            "step": self.step,
        }


def kept_path(out_dir: Path, iteration: int) -> Path:
    """Where the checkpoint after ``iteration`` outer steps of the run in ``out_dir`` goes."""
    return Path(out_dir) / CHECKPOINTS / f"iteration-{iteration:06d}.pt"


def keep_checkpoint(
    out_dir: Path,
    iteration: int,
    model: nn.Module,
    params: Params,
    optimizer: torch.optim.Optimizer,
    **metadata: Any,
) -> KeptCheckpoint:
    """Write θ after ``iteration`` outer steps and ``optimizer``'s state, as the module says."""
    kept = KeptCheckpoint(iteration, kept_path(out_dir, iteration))
    payload = {
        "optimizer": type(optimizer).__name__,
        "param_names": list(params),
        "state_dict": optimizer.state_dict(),
    }
    write_atomically(kept.optimizer_path, lambda stream: torch.save(payload, stream))
    save_checkpoint(kept.path, model, params, **{**metadata, "iterations": iteration})
    return kept


def kept_checkpoints(folder: Path) -> list[KeptCheckpoint]:
    """The kept checkpoints in ``folder`` (``train``'s ``--out`` or its ``checkpoints/``),
    in iteration order; an error saying how to make them if there are none."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"--checkpoints {folder} is not a folder; give the --out of `{MAKE_THEM}`")
    inner = folder / CHECKPOINTS
    found = [
        KeptCheckpoint(int(match.group(1)), path)
        for path in (inner if inner.is_dir() else folder).iterdir()
        if (match := KEPT.fullmatch(path.name)) and path.is_file()
    ]
    if not found:
        raise ValueError(
            f"{folder} holds no kept checkpoints (checkpoints/iteration-NNNNNN.pt); make them "
            f"with `{MAKE_THEM}`, then give that DIR"
        )
    return sorted(found, key=lambda kept: kept.iteration)


def remove_kept_checkpoints(out_dir: Path) -> None:
    """Delete the kept checkpoints (and their optimiser states) of an earlier run in ``out_dir``."""
    folder = Path(out_dir) / CHECKPOINTS
    if folder.is_dir():
        for path in folder.iterdir():
            if KEPT_FILES.fullmatch(path.name):
                path.unlink()


def adam_state(kept: KeptCheckpoint) -> AdamState:
    """The Adam state saved beside ``kept``; an error if it is missing, unreadable or not that
    of plain Adam (no AMSGrad, no weight decay)."""
    path = kept.optimizer_path
    retrain = f"retrain with `{MAKE_THEM}`, which saves it beside every kept checkpoint"
    if not path.is_file():
        raise ValueError(
            f"{kept.path} has no outer optimiser state beside it ({path.name}), which the "
            f"stability threshold needs; {retrain}"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        name, names, state = payload["optimizer"], payload["param_names"], payload["state_dict"]
        (group,) = state["param_groups"]
        moments = [state["state"][index] for index in group["params"]]
        step = int(moments[0]["step"])
    except Exception as error:
        raise ValueError(
            f"{path} is not a readable optimiser state ({type(error).__name__}: {error}); {retrain}"
        ) from error
    if name != "Adam" or group.get("amsgrad") or group.get("weight_decay"):
        raise ValueError(
            f"{path} holds the state of {name} (amsgrad={group.get('amsgrad')}, weight_decay="
            f"{group.get('weight_decay')}); the stability threshold is known here for plain Adam "
            "only, which `mamlscape train` uses"
        )
    return AdamState(
        lr=float(group["lr"]),
        betas=(float(group["betas"][0]), float(group["betas"][1])),
        eps=float(group["eps"]),
        step=step,
        exp_avg_sq={name: moment["exp_avg_sq"] for name, moment in zip(names, moments)},
    )
