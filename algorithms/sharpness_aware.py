"""Sharpness-aware steps (SAM, ASAM) as an inner step rule and as an outer step (Sharp-MAML).

One sharpness-aware step on a loss L at θ (Foret et al. 2021):

    g = ∇L(θ),   ε = ρ g/‖g‖,   then use ∇L(θ + ε) at θ.

The adaptive form (ASAM, Kwon et al. 2021) scales the ball by T = diag(|θ| + ξ):
ε = ρ T²g/‖Tg‖, so rescaling θ ↦ Dθ (D diagonal, positive) with a loss that
compensates (L_D(φ) = L(D⁻¹φ)) gives ε_D = Dε when ξ = 0: the step acts on the
same functions whatever the scale of each coordinate. ``‖·‖`` is the norm over
all parameters that move, taken per task when tensors carry a task axis; a
zero gradient gives ε = 0 (the norm is floored at 1e-12, as in the SAM code).

- ``SamStep`` (Sharp-MAML_low; Abbas et al. 2022): per task i, inside the
  vectorised inner loop, θ'_i = θ_i − α ∇L_i^S(θ_i + ε_i), ε_i = ρ_low ĝ_i.
  ``differentiate_perturbation=False`` (standard SAM) treats ε_i as a constant
  in the meta-gradient: ∂θ'/∂θ = I − α H(θ+ε). ``True`` (the official Sharp-MAML
  code's inner loop) differentiates through it: ∂θ'/∂θ = I − α H(θ+ε)(I + ∂ε/∂θ),
  ∂ε/∂θ = (ρ/‖g‖)(I − ĝĝᵀ) H(θ) for SAM. The two differ exactly by that term.
- ``SharpOuterStep`` (Sharp-MAML_up; SAM, ASAM on a plain objective): ascend the
  objective F (the meta-loss, which re-adapts from wherever it is evaluated)
  to θ + ε with ε = ρ_up ∇F(θ)/‖∇F(θ)‖, take ∇F(θ + ε) there, apply it at θ.
  The outer ε is always a constant (differentiating it would need third-order
  terms of the meta-loss). The returned loss is F(θ).
- The efficient variant (``SharpOuterStep(efficient=True)``): the ascent pass at
  θ runs first order (FO-MAML gradient, no second-order backward) with a
  ``RecordingSamStep``, which appends each inner step's ε_i to a list; the pass at
  θ + ε runs a ``ReplayingSamStep`` over that list instead of recomputing the
  support gradient at θ + ε. Both rules are built afresh for each outer step, on
  the learner's own ``SamStep``. Cost ≈ one FO-MAML pass + one MAML pass.

Example:
    >>> import torch
    >>> theta = {"w": torch.tensor([3.0, 4.0], requires_grad=True)}
    >>> Ascent(rho=0.5)({"w": theta["w"].detach()}, theta, batch_dims=0)["w"]
    tensor([0.3000, 0.4000])
    >>> quadratic = lambda p: 0.5 * p["w"].square().sum(dim=-1)   # ∇L(θ + ε) = θ + ε
    >>> batched = {"w": torch.tensor([[3.0, 4.0]], requires_grad=True)}
    >>> SamStep(Ascent(0.5))(quadratic, batched, ("w",), 1.0, False)["w"]
    tensor([[-0.3000, -0.4000]], grad_fn=<SubBackward0>)
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from algorithms.inner_rules import LossOf, descend, task_gradients
from algorithms.outer_steps import BatchObjective, Objective
from algorithms.params import Params, detached
from synthetic.validation import require_non_negative

NORM_FLOOR = 1e-12
PERTURBATIONS = ("constant", "differentiated")


@dataclass(frozen=True)
class Ascent:
    """The ascent ε = ρ g/‖g‖, or ρ T²g/‖Tg‖ with T = |θ| + ``offset`` when ``adaptive``."""

    rho: float
    adaptive: bool = False
    offset: float = 0.0

    def __post_init__(self) -> None:
        require_non_negative("rho", self.rho)
        require_non_negative("offset", self.offset)

    def __call__(self, gradients: Params, params: Params, batch_dims: int) -> Params:
        """ε for the parameters in ``gradients``; one norm over all of them per batch index."""
        scale = {
            name: params[name].abs() + self.offset if self.adaptive else None for name in gradients
        }
        scaled = {
            name: g if scale[name] is None else scale[name] * g for name, g in gradients.items()
        }
        squares = sum(s.flatten(batch_dims).square().sum(dim=-1) for s in scaled.values())
        norm = squares.sqrt().clamp_min(NORM_FLOOR)
        return {
            name: self.rho
            * (s if scale[name] is None else scale[name] * s)
            / norm.view(norm.shape + (1,) * (s.ndim - batch_dims))
            for name, s in scaled.items()
        }


def shifted(params: Params, perturbation: Params) -> Params:
    """θ + ε for the parameters ε has; the others unchanged."""
    return {**params, **{name: params[name] + e for name, e in perturbation.items()}}


def perturbed_gradient_step(
    loss_of: LossOf,
    params: Params,
    perturbation: Params,
    names: Sequence[str],
    lr: float,
    create_graph: bool,
) -> Params:
    """θ' = θ − α ∇L(θ + ε): the gradient at the perturbed point, applied at θ."""
    gradients = task_gradients(loss_of, shifted(params, perturbation), names, create_graph)
    return descend(params, gradients, lr)


@dataclass(frozen=True)
class SamStep:
    """The SAM / ASAM inner step rule θ' = θ − α ∇L(θ + ε), per task (Sharp-MAML_low).

    Args:
        ascent: ρ_low and the SAM / ASAM form of ε.
        differentiate_perturbation: keep ∂ε/∂θ in the meta-gradient (official code) or not (SAM).
    """

    ascent: Ascent
    differentiate_perturbation: bool = False
    traceable = True
    """A pure function of its inputs: ``torch.compile`` may trace it."""

    def __call__(
        self, loss_of: LossOf, params: Params, names: Sequence[str], lr: float, create_graph: bool
    ) -> Params:
        perturbation = self.perturbation(loss_of, params, names, create_graph)
        return perturbed_gradient_step(loss_of, params, perturbation, names, lr, create_graph)

    def perturbation(
        self, loss_of: LossOf, params: Params, names: Sequence[str], create_graph: bool
    ) -> Params:
        """ε_i = ρ ĝ_i (or ASAM's), with its graph when ``create_graph`` and differentiated."""
        keep = create_graph and self.differentiate_perturbation
        gradients = task_gradients(loss_of, params, names, keep)
        return self.ascent(gradients, params if keep else detached(params), 1)


@dataclass(frozen=True)
class RecordingSamStep:
    """``step`` taken first order (ε and the step direction constants), appending each ε to
    ``recorded``: the ascent pass of the efficient variant."""

    step: SamStep
    recorded: list[Params]

    def __call__(
        self, loss_of: LossOf, params: Params, names: Sequence[str], lr: float, create_graph: bool
    ) -> Params:
        perturbation = self.step.perturbation(loss_of, params, names, False)
        self.recorded.append(detached(perturbation))
        return perturbed_gradient_step(loss_of, params, perturbation, names, lr, False)


@dataclass(frozen=True)
class ReplayingSamStep:
    """θ' = θ − α ∇L(θ + ε_k) with the k-th of the ``recorded`` ε (constants), one per call."""

    recorded: Iterator[Params]

    def __call__(
        self, loss_of: LossOf, params: Params, names: Sequence[str], lr: float, create_graph: bool
    ) -> Params:
        perturbation = next(self.recorded, None)
        if perturbation is None:
            raise ValueError(
                "no recorded inner perturbation left; the replayed pass must take the same inner "
                "steps as the recorded one"
            )
        return perturbed_gradient_step(loss_of, params, perturbation, names, lr, create_graph)


def gradient_at(objective: Objective, params: Params, perturbation: Params) -> Params:
    """∇F at θ + ε (ε a constant), as a dict named like ``params``."""
    point = {
        name: (tensor.detach() + perturbation[name]).requires_grad_(True)
        for name, tensor in params.items()
    }
    gradients = torch.autograd.grad(objective(point), list(point.values()))
    return dict(zip(point, gradients, strict=True))


def outer_perturbation(
    objective: Objective, params: Params, ascent: Ascent
) -> tuple[torch.Tensor, Params]:
    """F(θ) (detached) and ε = ρ ∇F(θ)/‖∇F(θ)‖ (or ASAM's)."""
    loss = objective(params)
    gradients = torch.autograd.grad(loss, list(params.values()))
    return loss.detach(), ascent(dict(zip(params, gradients, strict=True)), detached(params), 0)


def sharp_gradient(
    objective: Objective, params: Params, ascent: Ascent
) -> tuple[torch.Tensor, Params]:
    """F(θ) and ∇F(θ + ε), ε = ρ ∇F(θ)/‖∇F(θ)‖ (or ASAM's): the gradient SAM applies at θ."""
    loss, perturbation = outer_perturbation(objective, params, ascent)
    return loss, gradient_at(objective, params, perturbation)


def efficient_sharp_gradient(
    objective: Objective, params: Params, ascent: Ascent
) -> tuple[torch.Tensor, Params]:
    """:func:`sharp_gradient` with the inner ε_i of the (first-order) pass at θ replayed at θ + ε.

    ``objective`` must be a ``BatchObjective`` whose learner's inner rule is a ``SamStep``.
    """
    if not isinstance(objective, BatchObjective):
        raise ValueError(
            "the efficient Sharp-MAML step re-runs the inner loop with recorded perturbations; it "
            "needs an objective it can re-run (a BatchObjective, as algorithms.train passes), "
            f"got a {type(objective).__name__}"
        )
    rule = objective.learner.inner_rule
    if not isinstance(rule, SamStep):
        raise ValueError(
            "the efficient Sharp-MAML step records and replays the inner SAM perturbations; the "
            f"learner's inner rule must be a SamStep, got {rule!r}"
        )
    recorded: list[Params] = []
    recording = objective.with_inner_rule(RecordingSamStep(rule, recorded))
    loss, perturbation = outer_perturbation(recording, params, ascent)
    replaying = objective.with_inner_rule(ReplayingSamStep(iter(recorded)))
    return loss, gradient_at(replaying, params, perturbation)


def apply_gradients(gradients: Params, params: Params, optimizer: torch.optim.Optimizer) -> None:
    """Set ``.grad`` of each leaf in ``params`` and let the optimiser step."""
    optimizer.zero_grad(set_to_none=True)
    for name, tensor in params.items():
        tensor.grad = gradients[name]
    optimizer.step()


@dataclass(frozen=True)
class SharpOuterStep:
    """The SAM / ASAM outer step (Sharp-MAML_up; plain SAM on a pooled objective).

    Args:
        ascent: ρ_up and the SAM / ASAM form of ε.
        efficient: the efficient variant (first-order ascent pass, inner perturbations
            replayed at θ + ε; :func:`efficient_sharp_gradient`).
    """

    ascent: Ascent
    efficient: bool = False

    def __call__(
        self, objective: Objective, params: Params, optimizer: torch.optim.Optimizer
    ) -> torch.Tensor:
        gradient = efficient_sharp_gradient if self.efficient else sharp_gradient
        loss, gradients = gradient(objective, params, self.ascent)
        apply_gradients(gradients, params, optimizer)
        return loss
