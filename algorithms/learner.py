"""A meta-learner: a composition of choices, not a class hierarchy.

A :class:`MetaLearner` is defined by

- ``adapt_selection``: which parameters move in the inner loop (all / head / prefixes),
- ``inner_rule``: how they move (gradient step, sign step, ...),
- ``first_order``: whether the meta-gradient keeps the inner steps' Jacobians,
- ``pooled_objective``: meta-train on adapted query losses (MAML family) or on
  the pooled data with no adaptation (NAL, "pretrained on all tasks"),
- ``outer_step``: how the meta-parameters move given the meta-objective,
- ``meta_gradient_path``: how ∇F is computed (``algorithms.meta_gradient_paths``),
- ``precision``: the floating-point format it is computed in (``algorithms.reduced_precision``).

With one gradient step the meta-objective of B tasks is

    F(θ) = (1/B) Σ_i L_i^query(θ'_i),   θ'_i = θ − α ∇L_i^support(θ),

and its gradient, with H_i = ∇²L_i^support(θ), is

    ∇F(θ) = (1/B) Σ_i (I − α H_i) ∇L_i^query(θ'_i)      (second order, MAML)
    ∇F(θ) ≈ (1/B) Σ_i ∇L_i^query(θ'_i)                  (first order, FO-MAML).

All tasks adapt at once: the parameters get a leading task axis and the
model runs through ``algorithms.forward.batched_forward``; there is no Python
loop over tasks.

Example:
    >>> import torch
    >>> from algorithms import MLP, make, parameters_of, mse
    >>> from synthetic import SinusoidTasks
    >>> model = MLP((1, 40, 40, 1))
    >>> learner = make("maml", model, mse, inner_lr=0.01, inner_steps=1)
    >>> batch = SinusoidTasks().sample(25, torch.Generator().manual_seed(0))
    >>> learner.meta_loss(parameters_of(model), batch).ndim
    0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

from algorithms.forward import BatchedForward, batched_forward, splits_features
from algorithms.inner_rules import ExampleLoss, InnerRule, gradient_step
from algorithms.losses import LossFn, per_task_loss
from algorithms.meta_gradient import MetaGradient
from algorithms.meta_gradient_paths import choose_method
from algorithms.outer_steps import OuterStep, optimizer_step
from algorithms.params import Params, check_params, detached
from algorithms.reduced_precision import with_precision
from algorithms.selection import Selection, adapted_names
from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count, require_positive

Metric = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class MetaLearner:
    """A meta-learning algorithm as a composition; build named ones with ``algorithms.make``.

    Args:
        model: any ``nn.Module``; it is only ever called functionally.
        loss_fn: ``loss_fn(pred, target) -> scalar`` for one task.
        inner_lr: α, the inner step size (> 0).
        inner_steps: number of inner steps during meta-training (≥ 1).
        inner_rule: the inner step rule, see ``algorithms.inner_rules``.
        adapt_selection: ``"all"``, ``"head"`` or a tuple of name prefixes.
        first_order: drop the inner steps' Jacobians from the meta-gradient.
        pooled_objective: meta-train on the pooled support+query data, no adaptation (NAL).
        outer_step: the outer step, see ``algorithms.outer_steps``.
        forward_path: ``"auto"`` (the model's own ``batched_forward`` if it has
            one) or ``"vmap"`` (always the generic path); see ``algorithms.forward``.
        meta_gradient_path: how :meth:`meta_gradient` (and so ``train``) gets ∇F:
            ``"auto"`` (the model's declared method where it applies, e.g. the
            MLP's hand-written passes; autograd elsewhere), ``"autograd"``
            (always autograd on :meth:`meta_loss`, e.g. to compare bit for bit
            with a learner that has no faster method) or a method object; see
            ``algorithms.meta_gradient_paths``. The chosen one is ``meta_gradient_method``.
        precision: ``"float32"`` (the parameters' own dtype) or ``"bfloat16"``: ∇F
            computed under bfloat16 autocast, θ and ∇F kept in their dtype
            (``algorithms.reduced_precision``); ``meta_loss`` and ``evaluate`` are unchanged.
        name: a label for reports.
    """

    model: nn.Module
    loss_fn: LossFn
    inner_lr: float
    inner_steps: int = 1
    inner_rule: InnerRule = gradient_step
    adapt_selection: Selection = "all"
    first_order: bool = False
    pooled_objective: bool = False
    outer_step: OuterStep = optimizer_step
    forward_path: str = "auto"
    meta_gradient_path: str | MetaGradient = "auto"
    precision: str = "float32"
    name: str = "custom"
    adapted: tuple[str, ...] = field(init=False)
    meta_gradient_method: MetaGradient = field(init=False)
    _forward: BatchedForward = field(init=False, repr=False)
    _task_loss: LossFn = field(init=False, repr=False)
    _features_once: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.model, nn.Module):
            raise ValueError(f"model must be a torch.nn.Module, got {type(self.model).__name__}")
        if not callable(self.loss_fn):
            raise ValueError(
                f"loss_fn must be callable (pred, target) -> scalar, got {self.loss_fn!r}"
            )
        require_positive("inner_lr", self.inner_lr)
        require_count("inner_steps", self.inner_steps)
        object.__setattr__(self, "adapted", adapted_names(self.model, self.adapt_selection))
        object.__setattr__(self, "_forward", batched_forward(self.model, self.forward_path))
        object.__setattr__(self, "_task_loss", per_task_loss(self.loss_fn))
        method = with_precision(choose_method(self, self.meta_gradient_path), self.precision)
        object.__setattr__(self, "meta_gradient_method", method)
        features_once = splits_features(self.model, self.forward_path, self.adapted)
        object.__setattr__(self, "_features_once", features_once)

    def predict(self, task_params: Params, x: torch.Tensor) -> torch.Tensor:
        """The model's outputs for inputs ``x [B, N, ...]`` under task-batched parameters."""
        return self._forward(task_params, x)

    def task_losses(self, task_params: Params, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Per-task losses ``[B]``: L_i(θ_i) on ``x [B, N, ...]``, ``y [B, N, ...]``."""
        with _shape_errors_explained(self.model, x, y):
            return self._task_loss(self._forward(task_params, x), y)

    def adapt(
        self,
        params: Params,
        x: torch.Tensor,
        y: torch.Tensor,
        steps: int | None = None,
        create_graph: bool | None = None,
    ) -> Params:
        """Adapt θ to each of B tasks from its data ``x [B, K, ...]``, ``y [B, K, ...]``.

        Returns θ'_i with a leading task axis B on every tensor (the parameters
        that do not adapt are θ broadcast along it). ``steps`` defaults to
        ``inner_steps``; ``create_graph`` defaults to ``not first_order``.
        For one task, see :meth:`adapt_task`.
        """
        steps = self.inner_steps if steps is None else steps
        require_count("steps", steps, minimum=0)
        create_graph = not self.first_order if create_graph is None else create_graph
        num_tasks = _num_tasks(x, y)
        _check_dtypes(params, x)
        task_params = self._broadcast(params, num_tasks)
        with torch.enable_grad():
            support_loss = self._support_loss(task_params, x, y)
            for _ in range(steps):
                task_params = self.inner_rule(
                    support_loss,
                    task_params,
                    self.adapted,
                    self.inner_lr,
                    create_graph,
                )
        return task_params

    def adapt_task(
        self, params: Params, x: torch.Tensor, y: torch.Tensor, steps: int | None = None
    ) -> Params:
        """Adapt θ to one task from ``x [K, ...]``, ``y [K, ...]``; no task axis in or out."""
        adapted = self.adapt(params, x.unsqueeze(0), y.unsqueeze(0), steps)
        return {name: tensor.squeeze(0) for name, tensor in adapted.items()}

    def meta_loss(self, params: Params, batch: TaskBatch) -> torch.Tensor:
        """The meta-objective F(θ) on a batch of tasks, differentiable with respect to ``params``.

        MAML family: mean over tasks of the query loss after adapting on the
        support set. NAL (``pooled_objective``): mean loss on support and
        query data together at θ itself.
        """
        if self.pooled_objective:
            x, y = batch.pooled()
            return self.task_losses(self._broadcast(params, batch.num_tasks), x, y).mean()
        adapted = self.adapt(params, batch.support_x, batch.support_y)
        return self.task_losses(adapted, batch.query_x, batch.query_y).mean()

    def meta_gradient(self, params: Params, batch: TaskBatch) -> tuple[torch.Tensor, Params]:
        """F(θ) (detached) and ∇F(θ) for every tensor of ``params``, by
        ``meta_gradient_method``: autograd on :meth:`meta_loss`, or the same numbers
        from a faster method the model declares (the suite's ``MLP``: hand-written
        passes under ``mse`` or ``cross_entropy`` with gradient steps on all
        parameters). See ``algorithms.meta_gradient``.
        """
        check_params(self.model, params)
        _check_dtypes(params, batch.support_x)
        with _shape_errors_explained(self.model, batch.support_x, batch.support_y):
            return self.meta_gradient_method(self, params, batch)

    @torch.no_grad()
    def evaluate(
        self,
        params: Params,
        batch: TaskBatch,
        steps: Iterable[int] = (0, 1, 5, 10),
        metric: Metric | None = None,
    ) -> dict[int, torch.Tensor]:
        """Query metric of each task after each number of test-time adaptation steps.

        Every algorithm is evaluated the same way: adapt on the support set
        with this learner's inner rule and selection (NAL adapts all
        parameters by gradient steps), score on the query set. ``metric(pred,
        target) -> [B]`` is batched; it defaults to the per-task loss.
        Returns ``{steps: tensor [B]}``.
        """
        wanted = sorted(set(steps))
        if not wanted or wanted[0] < 0:
            raise ValueError(f"steps must be non-negative step counts, got {list(steps)}")
        score = self._task_loss if metric is None else metric
        task_params = self._broadcast(detached(params), batch.num_tasks)
        support_loss = self._support_loss(task_params, batch.support_x, batch.support_y)
        results = {}
        for step in range(wanted[-1] + 1):
            if step in wanted:
                results[step] = score(self._forward(task_params, batch.query_x), batch.query_y)
            if step < wanted[-1]:
                with torch.enable_grad():
                    task_params = self.inner_rule(
                        support_loss,
                        _fresh_leaves(task_params, self.adapted),
                        self.adapted,
                        self.inner_lr,
                        False,
                    )
                task_params = detached(task_params)
        return results

    def _support_loss(self, task_params: Params, x: torch.Tensor, y: torch.Tensor) -> ExampleLoss:
        """The loss the inner rule descends. When only the head adapts and the model
        splits into features and head (``algorithms.forward.splits_features``), the
        features are computed here once, from θ's body, and each step runs the head."""
        if not self._features_once:
            return ExampleLoss(self.task_losses, x, y)
        with _shape_errors_explained(self.model, x, y):
            features = self.model.batched_features(task_params, x)
        return ExampleLoss(self._head_losses, features, y)

    def _head_losses(
        self, task_params: Params, features: torch.Tensor, y: torch.Tensor
    ) -> torch.Tensor:
        with _shape_errors_explained(self.model, features, y):
            return self._task_loss(self.model.batched_head(task_params, features), y)

    def _broadcast(self, params: Params, num_tasks: int) -> Params:
        """θ with a task axis of size B (a view, no copy); adapted leaves get ``requires_grad``."""
        check_params(self.model, params)
        task_params = {
            name: tensor.expand(num_tasks, *tensor.shape) for name, tensor in params.items()
        }
        return _fresh_leaves(task_params, self.adapted)


def _fresh_leaves(task_params: Params, names: tuple[str, ...]) -> Params:
    """Make the adapted tensors differentiable where they are not (evaluation from detached θ)."""
    return {
        name: tensor.detach().requires_grad_(True)
        if name in names and not tensor.requires_grad
        else tensor
        for name, tensor in task_params.items()
    }


@contextmanager
def _shape_errors_explained(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Iterator[None]:
    """Turn torch's shape errors from running ``model`` on ``x``, ``y`` into a ValueError
    that names the shapes and what to check."""
    try:
        yield
    except RuntimeError as error:
        if not any(hint in str(error) for hint in ("shape", "size", "dimension")):
            raise
        raise ValueError(
            f"{type(model).__name__} could not run on x of shape {tuple(x.shape)} with "
            f"targets y of shape {tuple(y.shape)} (leading axes: tasks, examples); check the "
            f"data against the model's input and output sizes. torch said: {error}"
        ) from error


def _num_tasks(x: torch.Tensor, y: torch.Tensor) -> int:
    if x.ndim < 2 or y.ndim < 2 or x.shape[:2] != y.shape[:2]:
        raise ValueError(
            f"x has shape {tuple(x.shape)} and y has {tuple(y.shape)}; both need leading "
            "[tasks, examples] axes that agree (use adapt_task for a single task)"
        )
    return x.shape[0]


def _check_dtypes(params: Params, x: torch.Tensor) -> None:
    """Refuse floating data of another dtype than the parameters, before any work."""
    dtype = next(iter(params.values())).dtype
    if x.is_floating_point() and x.dtype != dtype:
        raise ValueError(
            f"the tasks' inputs are {x.dtype} but the parameters are {dtype}; draw the tasks "
            f"with dtype={dtype} (sampler.sample(n, generator, dtype=...), or batch.to(dtype=...)) "
            f"or convert the model (model.to({x.dtype}))"
        )
