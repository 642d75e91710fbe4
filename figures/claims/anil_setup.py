"""ANIL on a shared body with a head whose inner loss is exactly strongly convex, or nonconvex.

Model (``algorithms.body_head.BodyHead``). A body MLP g_φ maps x to unit-norm features
h(x) = g_φ(x)/‖g_φ(x)‖ ∈ ℝᵖ; a head with parameters w maps them to the output.
The inner loop adapts only w (ANIL, ``adapt_selection=("head.",)``) by
``algorithms.inner_rules.ridge_step``, the gradient step on the inner loss

    L_S(w) = (1/K) Σ_j (f_w(h_j) − y_j)² + (λ/2)‖w‖²      (the suite's ``mse`` plus a ridge).

- linear head f_w(h) = ⟨w, h⟩: ∇²L_S = 2Σ̂ + λI with Σ̂ = (1/K) Σ_j h_j h_jᵀ.
  As ‖h_j‖ = 1, tr Σ̂ = 1 and 0 ⪯ Σ̂ ⪯ I, so for every body φ and every task
  μ ≥ λ and L ≤ 2 + λ; with K < p support points Σ̂ is singular and μ = λ
  exactly. The step α = c/(2 + λ), c ≤ 1, satisfies α ≤ 1/L, every step's
  Jacobian I − α∇²L_S has norm 1 − αμ, and ‖∂w^N/∂w‖₂ = (1 − αλ)^N.
- MLP head f_w(h) = MLP(h) (one ReLU hidden layer): L_S is nonconvex in w and
  has no global L. The same formula α = c/(2 + λ) is used (with λ = 0: α = c/2),
  so that only the head's geometry differs between the two cases.

Tasks: ``TeacherStudentTasks.shared_features``, y = a_iᵀ relu(W x) + ν z with
a shared W and task heads a_i ~ N(0, (R/h) I): a shared representation to be
learnt by the body, a task-specific head to be adapted.

Measurements:

- :func:`train_recording_gradients`: ``algorithms.train`` with the meta-gradient
  norm ‖∇F(θ_t)‖ of every iteration recorded on the device (an optimiser
  pre-step hook; no host sync per iteration).
- :func:`inner_loop_jacobian`: ∂w^N/∂w ``[B, p, p]`` of the learner's own
  inner loop, exact by reverse-mode autograd through ``learner.adapt``.
  The one-step Jacobian is I − α∇²L_S(w), so it also gives the inner Hessian.
- :func:`meta_gradient`: the work of one outer iteration, which claim A3
  times and counts (``analysis.flops.matmul_flops``).

Example:
    >>> import torch
    >>> from algorithms import parameters_of
    >>> setup = AnilSetup()
    >>> round(setup.inner_lr, 4), setup.smoothness_bound
    (0.4762, 2.1)
    >>> model = setup.model(seed=0).double()
    >>> learner = setup.learner(model, "anil", inner_steps=3)
    >>> batch = setup.sampler().sample(4, torch.Generator().manual_seed(0), torch.float64)
    >>> jacobian = inner_loop_jacobian(learner, parameters_of(model), batch)
    >>> norms = torch.linalg.matrix_norm(jacobian, ord=2)
    >>> bound = (1 - setup.inner_lr * setup.ridge) ** 3      # (1 − αμ)^N with μ = λ
    >>> float((norms - bound).abs().max()) < 1e-12
    True
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch

from algorithms import MetaLearner, Params, TrainResult, make, mse, train
from algorithms.body_head import HEAD, BodyHead
from algorithms.inner_rules import ridge_step
from analysis.flat import ParamLayout
from analysis.inner_jacobian import task_jacobians
from synthetic.task_batch import TaskBatch
from synthetic.task_sampler import TaskSampler
from synthetic.teacher_student import TeacherStudentTasks
from synthetic.validation import require_count, require_non_negative, require_positive

HEADS = ("linear", "mlp")
PAPER = "Ji, Lee, Liang, Poor 2020 (arXiv 2006.09486)"
STEPS = (1, 2, 5, 10, 20)
"""The numbers of inner steps N the ANIL claims compare."""


@dataclass(frozen=True)
class AnilSetup:
    """The task family, the model and the inner step of the ANIL experiments (module doc).

    ``step_scale`` c sets α = c/(2 + λ): c ≤ 1 keeps α ≤ 1/L for the linear head.
    ``task_seed`` fixes the shared teacher layer, so every seed sees the same family.
    """

    input_dim: int = 8
    teacher_hidden: int = 8
    task_spread: float = 8.0
    noise_std: float = 0.1
    body_widths: tuple[int, ...] = (8, 32, 16)
    head: str = "linear"
    head_hidden: int = 8
    ridge: float = 0.1
    step_scale: float = 1.0
    support_size: int = 5
    query_size: int = 15
    meta_batch: int = 16
    task_seed: int = 0

    def __post_init__(self) -> None:
        counts = ("input_dim", "teacher_hidden", "head_hidden", "support_size", "query_size")
        for name in (*counts, "meta_batch"):
            require_count(name, getattr(self, name))
        require_count("task_seed", self.task_seed, minimum=0)
        require_non_negative("task_spread", self.task_spread)
        require_non_negative("noise_std", self.noise_std)
        require_non_negative("ridge", self.ridge)
        require_positive("step_scale", self.step_scale)
        if self.head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {self.head!r}")
        widths = self.body_widths
        if len(widths) < 2 or any(not isinstance(w, int) or w < 1 for w in widths):
            raise ValueError(f"body_widths must be at least two positive integers, got {widths!r}")
        if widths[0] != self.input_dim:
            raise ValueError(
                f"body_widths {widths} must start with input_dim={self.input_dim}, the body's input"
            )

    @property
    def features(self) -> int:
        """p, the number of features the head sees."""
        return self.body_widths[-1]

    @property
    def smoothness_bound(self) -> float:
        """2 + λ ≥ L, the inner loss's smoothness for the linear head on unit-norm features."""
        return 2.0 + self.ridge

    @property
    def inner_lr(self) -> float:
        """α = c/(2 + λ)."""
        return self.step_scale / self.smoothness_bound

    def tasks(self) -> TeacherStudentTasks:
        return TeacherStudentTasks.shared_features(
            self.input_dim,
            self.teacher_hidden,
            torch.Generator().manual_seed(self.task_seed),
            spread=self.task_spread,
            noise_std=self.noise_std,
        )

    def sampler(self) -> TaskSampler:
        """The family's tasks with ``support_size`` support and ``query_size`` query points."""
        return self.tasks().sampler(self.support_size, self.query_size)

    def model(self, seed: int, device: str = "cpu") -> BodyHead:
        """The body and head, initialised from ``seed``."""
        head = (self.features, 1) if self.head == "linear" else (self.features, self.head_hidden, 1)
        generator = torch.Generator().manual_seed(seed)
        return BodyHead(self.body_widths, head, generator).to(device)

    def learner(self, model: BodyHead, algorithm: str, inner_steps: int) -> MetaLearner:
        """``algorithm`` with the ridge inner step; ANIL adapts the parameters under ``head.``."""
        selection = {"adapt_selection": (HEAD,)} if algorithm == "anil" else {}
        rule = ridge_step(self.ridge)
        return make(algorithm, model, mse, self.inner_lr, inner_steps, inner_rule=rule, **selection)


def train_recording_gradients(
    learner: MetaLearner,
    params: Params,
    setup: AnilSetup,
    iterations: int,
    generator: torch.Generator,
    outer_lr: float,
) -> tuple[TrainResult, list[float]]:
    """``algorithms.train`` on ``setup``'s tasks (``meta_batch`` per step) with
    Adam(``outer_lr``), plus ‖∇F(θ_t)‖ of every iteration."""
    optimizer = torch.optim.Adam(params.values(), lr=outer_lr)
    device = next(iter(params.values())).device
    norms = torch.zeros(iterations, device=device)
    iteration = itertools.count()

    def record(*_: object) -> None:
        gradients = [p.grad.norm() for p in params.values() if p.grad is not None]
        norms[next(iteration)] = torch.linalg.vector_norm(torch.stack(gradients))

    handle = optimizer.register_step_pre_hook(record)
    try:
        result = train(
            learner,
            params,
            setup.sampler(),
            iterations,
            generator,
            optimizer,
            progress=False,
            meta_batch=setup.meta_batch,
        )
    finally:
        handle.remove()
    return result, norms.tolist()


def inner_loop_jacobian(
    learner: MetaLearner, params: Params, batch: TaskBatch, steps: int | None = None
) -> torch.Tensor:
    """∂w^N/∂w ``[B, p, p]`` of the learner's own inner loop on each task's support set.

    w is the flat vector of the adapted parameters (``analysis.flat`` order);
    ``analysis.inner_jacobian.task_jacobians`` differentiates ``learner.adapt``
    with the inner loop's graph kept.
    """
    fixed = {name: tensor.detach() for name, tensor in params.items()}
    head = {name: fixed[name] for name in learner.adapted}
    layout = ParamLayout.of(head)
    num_tasks = batch.num_tasks

    def adapted_head(vector: torch.Tensor) -> torch.Tensor:
        adapted = learner.adapt(
            {**fixed, **layout.unflatten(vector)},
            batch.support_x,
            batch.support_y,
            steps=steps,
            create_graph=True,
        )
        return torch.cat([adapted[name].reshape(num_tasks, -1) for name in layout.names], dim=1)

    return task_jacobians(adapted_head, layout.flatten(head))


def meta_gradient(learner: MetaLearner, params: Params, batch: TaskBatch) -> list[torch.Tensor]:
    """∇F(θ) of one meta-batch: the work of one outer iteration (without the optimiser's step)."""
    return list(torch.autograd.grad(learner.meta_loss(params, batch), list(params.values())))


CONVEX = AnilSetup()
"""A1's and A4's strongly convex head: linear, ridge λ = 0.1, α = 1/(2 + λ)."""
NONCONVEX = AnilSetup(head="mlp", ridge=0.0)
"""A2's and A4's nonconvex head: a ReLU MLP, λ = 0, α = 1/2."""
STABLE_NONCONVEX = AnilSetup(head="mlp", ridge=0.0, step_scale=0.15)
"""α = 0.15/2 = 0.075, where α·L ≈ 1 for the MLP head at initialisation."""
