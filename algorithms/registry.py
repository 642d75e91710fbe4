"""Named meta-learning algorithms, each a configuration of ``MetaLearner``'s choices.

| name        | adapts | inner rule     | meta-gradient | objective        |
|-------------|--------|----------------|---------------|------------------|
| maml        | all    | gradient step  | second order  | adapted query    |
| fo-maml     | all    | gradient step  | first order   | adapted query    |
| anil        | head   | gradient step  | second order  | adapted query    |
| nal         | all*   | gradient step  | —             | pooled, no adapt |
| sign-maml   | all    | sign step      | first order** | adapted query    |

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

from typing import Any

from torch import nn

from algorithms.inner_rules import sign_step
from algorithms.learner import MetaLearner
from algorithms.losses import LossFn

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
)


def available() -> tuple[str, ...]:
    """The registered algorithm names."""
    return tuple(RECIPES)


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
    adapts the parameters under ``classifier.`` instead of the last layer.
    """
    if name not in RECIPES:
        raise ValueError(f"unknown algorithm {name!r}; choose one of {list(RECIPES)}")
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise ValueError(f"make() got unknown options {unknown}; it accepts {list(OVERRIDABLE)}")
    choices = {**RECIPES[name], **overrides}
    return MetaLearner(model, loss_fn, inner_lr, inner_steps, name=name, **choices)
