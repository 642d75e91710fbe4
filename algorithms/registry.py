"""Named meta-learning algorithms, each a configuration of ``MetaLearner``'s choices.

| name        | adapts | inner rule     | meta-gradient | objective        |
|-------------|--------|----------------|---------------|------------------|
| maml        | all    | gradient step  | second order  | adapted query    |
| fo-maml     | all    | gradient step  | first order   | adapted query    |
| anil        | head   | gradient step  | second order  | adapted query    |
| nal         | all*   | gradient step  | —             | pooled, no adapt |
| sign-maml   | all    | sign step      | first order** | adapted query    |

Sharpness-aware algorithms (``algorithms.sharpness_aware``, ``algorithms.agnostic_sam``):

| name                 | inner rule                  | outer step                         |
|----------------------|-----------------------------|------------------------------------|
| sam                  | — (pooled objective, NAL)   | SAM ascent, ρ_up                   |
| asam                 | — (pooled objective, NAL)   | ASAM ascent, ρ_up, ξ = 0.01        |
| sharp-maml-low       | SAM step, ρ_low             | optimiser                          |
| sharp-maml-up        | gradient step               | SAM ascent on the meta-loss, ρ_up  |
| sharp-maml-both      | SAM step, ρ_low             | SAM ascent on the meta-loss, ρ_up  |
| sharp-maml-efficient | SAM step, ρ_low             | SAM ascent, first-order ascent     |
|                      |                             | pass, inner ε replayed at θ + ε    |
| sharp-maml-agnostic  | Agnostic-SAM step, ρ_low, λ | optimiser                          |
| agnostic-sam         | — (pooled objective, NAL)   | Agnostic-SAM, ρ_up, λ; validation  |
|                      |                             | = every 4th task of the batch      |

``rho`` sets ρ_low and ρ_up together (the official Sharp-MAML code's single
value); ``rho_low`` / ``rho_up`` set each alone and win over ``rho``. Defaults:
ρ = 0.05 (SAM's), 0.5 for asam. The outer ε is a constant in every recipe; the
inner ε is a constant unless ``perturbation="differentiated"`` (the official
code's inner loop); the efficient recipe replays constant inner ε.
``weight`` is Agnostic-SAM's λ (default 2). As a plain optimiser on two
batches of your own choosing it is ``algorithms.agnostic_sam.agnostic_sam_step``.

\\* NAL adapts nothing while it trains; at test time it gets the same
adaptation as the others. \\*\\* sign has zero derivative, so the first-order
meta-gradient is the exact one (claim S1; ``first_order=False`` gives the
same numbers at MAML's cost).

Example:
    >>> import torch
    >>> from algorithms.losses import mse
    >>> learner = make("anil", torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Linear(8, 1)),
    ...                mse, inner_lr=0.1)
    >>> learner.name, learner.adapted
    ('anil', ('1.weight', '1.bias'))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from algorithms.agnostic_sam import DEFAULT_WEIGHT, AgnosticOuterStep, AgnosticStep
from algorithms.inner_rules import sign_step
from algorithms.learner import MetaLearner
from algorithms.losses import LossFn
from algorithms.sharpness_aware import PERTURBATIONS, Ascent, SamStep, SharpOuterStep
from synthetic.validation import require_non_negative

RECIPES: dict[str, dict[str, Any]] = {
    "maml": {},
    "fo-maml": {"first_order": True},
    "anil": {"adapt_selection": "head"},
    "nal": {"pooled_objective": True},
    "sign-maml": {"inner_rule": sign_step, "first_order": True},
}

OVERRIDABLE = (
    "inner_rule",
    "adapt_selection",
    "first_order",
    "pooled_objective",
    "outer_step",
    "forward_path",
    "meta_gradient_path",
    "precision",
)


DEFAULT_RHO = 0.05
ASAM_RHO = 0.5
ASAM_OFFSET = 0.01


@dataclass(frozen=True)
class SharpnessSettings:
    """ρ_low, ρ_up, the inner perturbation convention and Agnostic-SAM's λ, validated."""

    rho_low: float
    rho_up: float
    perturbation: str = "constant"
    weight: float = DEFAULT_WEIGHT

    def __post_init__(self) -> None:
        require_non_negative("rho_low", self.rho_low)
        require_non_negative("rho_up", self.rho_up)
        require_non_negative("weight", self.weight)
        if self.perturbation not in PERTURBATIONS:
            raise ValueError(
                f"perturbation must be one of {PERTURBATIONS}, got {self.perturbation!r}"
            )

    def inner(self) -> SamStep:
        return SamStep(Ascent(self.rho_low), self.perturbation == "differentiated")

    def outer(self, efficient: bool = False) -> SharpOuterStep:
        return SharpOuterStep(Ascent(self.rho_up), efficient)


def _efficient(settings: SharpnessSettings) -> dict[str, Any]:
    if settings.perturbation != "constant":
        raise ValueError(
            "sharp-maml-efficient replays the inner perturbations as constants; "
            f"perturbation must be 'constant', got {settings.perturbation!r}"
        )
    return {"inner_rule": settings.inner(), "outer_step": settings.outer(efficient=True)}


SHARPNESS_RECIPES: dict[str, Callable[[SharpnessSettings], dict[str, Any]]] = {
    "sam": lambda s: {"pooled_objective": True, "outer_step": s.outer()},
    "asam": lambda s: {
        "pooled_objective": True,
        "outer_step": SharpOuterStep(Ascent(s.rho_up, adaptive=True, offset=ASAM_OFFSET)),
    },
    "sharp-maml-low": lambda s: {"inner_rule": s.inner()},
    "sharp-maml-up": lambda s: {"outer_step": s.outer()},
    "sharp-maml-both": lambda s: {"inner_rule": s.inner(), "outer_step": s.outer()},
    "sharp-maml-efficient": _efficient,
    "sharp-maml-agnostic": lambda s: {"inner_rule": AgnosticStep(s.rho_low, s.weight)},
    "agnostic-sam": lambda s: {
        "pooled_objective": True,
        "outer_step": AgnosticOuterStep(s.rho_up, s.weight),
    },
}

SHARPNESS_OPTIONS = ("rho", "rho_low", "rho_up", "perturbation", "weight")


def available() -> tuple[str, ...]:
    """The registered algorithm names."""
    return (*RECIPES, *SHARPNESS_RECIPES)


def sharpness_settings(name: str, options: dict[str, Any]) -> SharpnessSettings:
    """The settings of a sharpness-aware recipe from ``make``'s options (see the table above)."""
    default = ASAM_RHO if name == "asam" else DEFAULT_RHO
    rho = options.get("rho", default)
    return SharpnessSettings(
        rho_low=options.get("rho_low", rho),
        rho_up=options.get("rho_up", rho),
        perturbation=options.get("perturbation", "constant"),
        weight=options.get("weight", DEFAULT_WEIGHT),
    )


def make(
    name: str,
    model: nn.Module,
    loss_fn: LossFn,
    inner_lr: float,
    inner_steps: int = 1,
    **overrides: Any,
) -> MetaLearner:
    """The named algorithm for ``model`` and ``loss_fn``; ``overrides`` replace recipe choices.

    Example: ``make("anil", model, mse, 0.1, adapt_selection=("classifier.",))``
    adapts the parameters under ``classifier.`` instead of the last layer;
    ``make("sharp-maml-both", model, mse, 0.1, rho_low=0.01, rho_up=0.05)`` sets
    the two radii of Sharp-MAML (``SHARPNESS_OPTIONS``, sharpness-aware recipes only).
    """
    if name not in available():
        raise ValueError(f"unknown algorithm {name!r}; choose one of {list(available())}")
    sharpness = {key: overrides.pop(key) for key in SHARPNESS_OPTIONS if key in overrides}
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise ValueError(
            f"make() got unknown options {unknown}; it accepts {list(OVERRIDABLE)} and, for "
            f"{list(SHARPNESS_RECIPES)}, {list(SHARPNESS_OPTIONS)}"
        )
    if name in RECIPES:
        if sharpness:
            raise ValueError(
                f"options {sorted(sharpness)} apply to the sharpness-aware algorithms "
                f"{list(SHARPNESS_RECIPES)}, not to {name!r}"
            )
        recipe = RECIPES[name]
    else:
        recipe = SHARPNESS_RECIPES[name](sharpness_settings(name, sharpness))
    choices = {**recipe, **overrides}
    return MetaLearner(model, loss_fn, inner_lr, inner_steps, name=name, **choices)
