"""The task-chunked Hessian: the graph it measures, the plan it picks, the same products."""

from __future__ import annotations

import pytest
import torch

from algorithms import MLP, make, mse
from analysis.hvp import HessianOperator, MatrixOperator
from analysis.memory_plan import SumOperator, graph_bytes, plan_hessian
from analysis.spectrum import extreme_eigenvalues
from synthetic import SinusoidTasks


@pytest.fixture(scope="module")
def meta_loss():
    torch.manual_seed(0)
    model = MLP((1, 16, 16, 1)).double()
    learner = make("maml", model, mse, inner_lr=0.05, inner_steps=2)
    tasks = SinusoidTasks(support_size=40, query_size=40)
    batch = tasks.sample(6, torch.Generator().manual_seed(1), dtype=torch.float64)
    params = {name: p.detach().clone() for name, p in model.named_parameters()}
    return (lambda chosen: lambda p: learner.meta_loss(p, batch.select(chosen))), params


def test_graph_bytes_counts_what_autograd_saves():
    x = torch.randn(1000, dtype=torch.float64)
    saved = graph_bytes(lambda p: (p["w"] * x).sum(), {"w": torch.tensor(2.0, dtype=torch.float64)})
    assert 8000 <= saved <= 8000 + 64, "x once, and a few scalars (w, the backward's ones)"


def test_a_meta_loss_graph_grows_with_the_tasks(meta_loss):
    objective_of, params = meta_loss
    one, four = (graph_bytes(objective_of(slice(0, n)), params) for n in (1, 4))
    assert 3.5 < four / one < 4.0, "four tasks' activations, the parameters once"


def test_chunks_that_fit_the_budget_give_the_kept_graph_products(meta_loss):
    objective_of, params = meta_loss
    per_task = graph_bytes(objective_of(slice(0, 1)), params)
    kept, kept_plan = plan_hessian(objective_of, 6, params, budget_bytes=100 * per_task)
    chunked, plan = plan_hessian(objective_of, 6, params, budget_bytes=int(2.5 * per_task))
    assert kept_plan.execution == "kept graph" and isinstance(kept, HessianOperator)
    assert (plan.execution, plan.chunk_size, plan.chunks) == ("chunks rebuilt per product", 2, 3)
    assert plan.as_dict()["graph_bytes_per_task"] == per_task
    vector = torch.randn(kept.size, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(chunked.hvp(vector), kept.hvp(vector), rtol=1e-10, atol=1e-12)
    assert chunked.hvp_count == 1 and sum(part.hvp_count for part in chunked.parts) == 3
    a, b = extreme_eigenvalues(kept, k=2), extreme_eigenvalues(chunked, k=2)
    assert a.largest == pytest.approx(b.largest, rel=1e-8)
    assert a.smallest == pytest.approx(b.smallest, rel=1e-8)


def test_a_sum_operator_needs_matching_parts():
    square = MatrixOperator(torch.eye(2, dtype=torch.float64))
    with pytest.raises(ValueError, match="one weight per part, got 1 parts and 2 weights"):
        SumOperator([square], [0.5, 0.5])
    with pytest.raises(ValueError, match="differ in size, dtype or device"):
        SumOperator([square, MatrixOperator(torch.eye(3, dtype=torch.float64))], [1.0, 1.0])
