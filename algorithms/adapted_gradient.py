"""The query gradient at the adapted parameters, with the adaptation held fixed.

For a learner whose inner loop maps θ to θ'_i(θ), this is

    g(θ) = (1/B) Σ_i ∇L_i^query(θ'_i)   with θ'_i computed and then treated as a point,

the first-order (FO-MAML) meta-gradient computed directly, without any graph
through the inner loop. The exact meta-gradient ∇F(θ) differs from it by the
inner steps' Jacobians; for sign steps every Jacobian is exactly I (the sign's
derivative is zero almost everywhere), so ∇F = g to round-off (Sign-MAML's
claim S1), while gradient steps leave a second-order term.

Example:
    >>> import torch
    >>> from algorithms import MLP, make, mse, parameters_of
    >>> from synthetic import SinusoidTasks
    >>> model = MLP((1, 8, 1)).double()
    >>> batch = SinusoidTasks().sample(3, torch.Generator().manual_seed(0), dtype=torch.float64)
    >>> learner = make("sign-maml", model, mse, 0.01, 2, first_order=False)
    >>> params = parameters_of(model)
    >>> exact = flat_meta_gradient(learner, params, batch)
    >>> bool(torch.equal(exact, query_gradient_at_adapted(learner, params, batch)))
    True
"""

from __future__ import annotations

import torch

from algorithms.learner import MetaLearner
from algorithms.meta_gradient import Autograd
from algorithms.params import Params
from synthetic.task_batch import TaskBatch


def query_gradient_at_adapted(
    learner: MetaLearner, params: Params, batch: TaskBatch
) -> torch.Tensor:
    """(1/B) Σ_i ∇L_i^query(θ'_i), θ'_i held fixed, flattened in ``params`` order."""
    adapted = learner.adapt(params, batch.support_x, batch.support_y, create_graph=False)
    points = {name: tensor.detach().requires_grad_(True) for name, tensor in adapted.items()}
    loss = learner.task_losses(points, batch.query_x, batch.query_y).mean()
    gradients = torch.autograd.grad(loss, list(points.values()))
    return torch.cat([gradient.sum(0).reshape(-1) for gradient in gradients])


def flat_meta_gradient(learner: MetaLearner, params: Params, batch: TaskBatch) -> torch.Tensor:
    """∇F(θ) by ``Autograd`` through the learner's own meta-loss, flattened in ``params`` order."""
    _, gradients = Autograd()(learner, params, batch)
    return torch.cat([gradients[name].reshape(-1) for name in params])
