"""Meta-training that survives a kill: the run's state on disk, resumed where it stopped.

``train_resumably`` runs ``algorithms.train`` in short chunks and, every
``save_every`` iterations or ``save_seconds`` of wall time (whichever comes
first), writes the run's state to ``state_path`` (atomically: a temporary
file, then a rename; a kill, SIGKILL included, leaves the previous state):
the run's key (its config as plain values), the iterations done, θ, the
optimiser's state, the task generator's state, the meta-losses so far, the
seconds spent, and the meta-gradient chunk plans chosen so far
(``probed_meta_gradient``). Called again with the same key it loads that state
and goes on; as θ, Adam's moments, the task stream and the execution plan all
continue exactly, the final θ and losses are bit for bit an uninterrupted
run's. A caller that keeps something of its own at each save (``mamlscape train
--keep-checkpoints`` keeps a checkpoint) passes ``on_save``: it is called with
the state just before that state is written, so a kill between the two makes
the resumed run redo, not skip, the call. A finished run's state stays (a
rerun returns it at once) until the caller removes it; a state of another run
is refused.

Example:
    >>> import tempfile, pathlib, torch
    >>> from algorithms import MLP, make, mse, parameters_of
    >>> from synthetic import SinusoidTasks
    >>> def run(iterations):
    ...     model = MLP((1, 8, 1), generator=torch.Generator().manual_seed(0))
    ...     params = parameters_of(model)
    ...     return train_resumably(make("maml", model, mse, 0.01), params, SinusoidTasks(),
    ...         iterations, torch.Generator().manual_seed(1), torch.optim.Adam(params.values()),
    ...         meta_batch=4, state_path=path, run_key={"demo": 1}, save_every=3)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "state.pt"
    >>> first = run(6)
    >>> load_progress(path, {"demo": 1}).done
    6
    >>> load_progress(path, {"other": 1})
    Traceback (most recent call last):
    ...
    ValueError: ... holds an unfinished run of another config ...
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from algorithms.learner import MetaLearner
from algorithms.params import Params
from algorithms.probed_meta_gradient import chunk_plans, restore_chunk_plans
from algorithms.train import DivergenceError, TrainResult, shifted, train
from synthetic.files import write_atomically
from synthetic.task_sampler import TaskSampler
from synthetic.validation import require_count, require_positive

CHECK_EVERY = 10
"""Iterations between checks of the wall clock for ``save_seconds``."""


@dataclass
class Progress:
    """Where a run stands after ``done`` iterations."""

    done: int
    params: Params
    optimizer_state: dict[str, Any]
    generator_state: torch.Tensor
    losses: list[float]
    seconds: float
    plans: list[tuple[Any, int]] = field(default_factory=list)


def save_progress(path: Path, config: dict[str, Any], progress: Progress) -> None:
    """Write ``progress`` of the run of ``config`` (plain values) to ``path``, atomically."""
    payload = {
        "config": config,
        **asdict(progress),
        "params": {name: t.detach().cpu() for name, t in progress.params.items()},
    }
    write_atomically(path, lambda stream: torch.save(payload, stream))


def load_progress(path: Path, config: dict[str, Any]) -> Progress | None:
    """The saved progress of the run of ``config``; None when there is none."""
    if not path.is_file():
        return None
    try:
        payload = torch.load(path, weights_only=True)
        saved_config = payload.pop("config")
        progress = Progress(**payload)
    except Exception as error:
        raise ValueError(
            f"{path} is not a readable training progress file ({error}); delete it to start "
            "the run over"
        ) from error
    if saved_config != config:
        raise ValueError(
            f"{path} holds an unfinished run of another config ({saved_config}); save this "
            "run elsewhere (another --out), or delete the file to start it there"
        )
    return progress


def train_resumably(
    learner: MetaLearner,
    params: Params,
    tasks: TaskSampler,
    iterations: int,
    generator: torch.Generator,
    optimizer: torch.optim.Optimizer,
    *,
    meta_batch: int,
    state_path: Path | None,
    run_key: dict[str, Any],
    save_every: int | None = None,
    save_seconds: float | None = None,
    progress: Any = None,
    on_save: Callable[[Progress], None] | None = None,
    stop_every: int | None = None,
) -> TrainResult:
    """``algorithms.train`` for ``iterations`` outer steps, saving and resuming as the module
    says; ``state_path=None`` saves nothing. ``params``, ``optimizer`` and ``generator`` are
    set to the saved state before training goes on. ``progress``, if given, is a tqdm bar
    advanced by the iterations done (resumed ones included), showing the latest chunk's mean
    meta-loss. ``on_save``, if given, is called with each state before it is saved (also
    with ``state_path=None``, at the same iterations). With ``stop_every`` the chunks end at
    every multiple of it and the state is saved there too, so ``on_save`` sees each of
    those iterations (a caller measuring along training, claim H1). A NaN/Inf meta-loss raises
    ``DivergenceError`` counted from the run's start; the last saved state stays."""
    require_count("iterations", iterations)
    if save_every is not None:
        require_count("save_every", save_every)
    if save_seconds is not None:
        require_positive("save_seconds", save_seconds)
    if stop_every is not None:
        require_count("stop_every", stop_every)
    state = None if state_path is None else load_progress(Path(state_path), run_key)
    if state is None:
        state = Progress(0, params, optimizer.state_dict(), generator.get_state(), [], 0.0)
    else:
        _restore(state, params, optimizer, generator)
    if progress is not None:
        progress.update(state.done)
    step = min(save_every or CHECK_EVERY, CHECK_EVERY if save_seconds else iterations)
    last_save = (state.done, time.monotonic())
    while state.done < iterations:
        chunk = min(step, iterations - state.done)
        if stop_every is not None:
            chunk = min(chunk, stop_every - state.done % stop_every)
        try:
            result = train(
                learner,
                params,
                tasks,
                chunk,
                generator,
                optimizer=optimizer,
                progress=False,
                meta_batch=meta_batch,
            )
        except DivergenceError as error:
            raise shifted(error, state.done, state.losses) from error
        state = Progress(
            state.done + chunk,
            params,
            optimizer.state_dict(),
            generator.get_state(),
            state.losses + result.losses,
            state.seconds + result.seconds,
            list(chunk_plans().items()),
        )
        if progress is not None:
            progress.set_postfix(meta_loss=f"{sum(result.losses) / chunk:.4g}", refresh=False)
            progress.update(chunk)
        due = (save_every is not None and state.done - last_save[0] >= save_every) or (
            save_seconds is not None and time.monotonic() - last_save[1] >= save_seconds
        )
        stopped = stop_every is not None and state.done % stop_every == 0
        if due or stopped or state.done == iterations:
            if on_save is not None:
                on_save(state)
            if state_path is not None:
                save_progress(Path(state_path), run_key, state)
            last_save = (state.done, time.monotonic())
    return TrainResult(params, state.losses, state.seconds)


def _restore(
    state: Progress, params: Params, optimizer: torch.optim.Optimizer, generator: torch.Generator
) -> None:
    with torch.no_grad():
        for name, tensor in params.items():
            tensor.copy_(state.params[name])
    optimizer.load_state_dict(state.optimizer_state)
    generator.set_state(state.generator_state)
    restore_chunk_plans(state.plans)
