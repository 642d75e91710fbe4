"""A learner's meta-gradient through ``torch.compile``: one fused program for any ``nn.Module``.

The meta-objective F(θ) = (1/B) Σ_i L_i^query(θ'_i) is a pure function of θ
and the batch (``MetaLearner.meta_loss``), so its value and gradient,

    (∇F(θ), F(θ)) = torch.func.grad_and_value(F)(θ),

can be traced once, whole: the batched forward, the inner steps' gradients
(``algorithms.inner_rules.task_gradients`` switches to ``torch.func.grad``
while tracing) and the backward through them. Inductor then fuses the
elementwise work and drops the Python and dispatcher overhead between the
hundreds of small operations of a small network, which is where eager
autograd spends its time on a sinusoid MLP (``benchmarks/peers.py``).

Compilation costs seconds to a minute, once per learner and batch shape
(inductor keeps its kernels in an on-disk cache, so a second process pays
less). It is never silent about failing: if tracing or compiling raises, a
one-line warning names the reason and every later call runs ``fallback``
(by default the timed chunking of ``algorithms.probed_meta_gradient``). It
applies to learners whose inner rule is a plain function (gradient, sign or
ridge steps) or a rule object that declares itself ``traceable`` (the SAM and
Agnostic-SAM steps, pure functions of their inputs); a rule with state (the
efficient Sharp-MAML's recording and replaying steps, rebuilt at every outer
step) is left to eager autograd. The tests check the
compiled gradient against autograd's on small shapes.

Example:
    >>> from algorithms import MLP, make, mse
    >>> learner = make("maml", MLP((1, 8, 1)), mse, 0.1, meta_gradient_path="compiled")
    >>> learner.meta_gradient_method
    Compiled(fallback=FastestChunks(method=Autograd(), margin=1.15))
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch

from algorithms.meta_gradient import MetaGradient
from algorithms.params import Params, detached
from algorithms.probed_meta_gradient import FastestChunks
from synthetic.task_batch import TaskBatch

if TYPE_CHECKING:
    from algorithms.learner import MetaLearner

CompiledFn = Callable[[Params, TaskBatch], tuple[Params, torch.Tensor]]


@dataclass(frozen=True)
class Compiled:
    """``torch.compile(torch.func.grad_and_value(learner.meta_loss))``, else ``fallback``."""

    fallback: MetaGradient = field(default_factory=FastestChunks)
    _programs: dict[int, CompiledFn | None] = field(default_factory=dict, compare=False, repr=False)

    def applies(self, learner: MetaLearner) -> bool:
        rule = learner.inner_rule
        traceable = isinstance(rule, types.FunctionType) or getattr(rule, "traceable", False)
        return traceable and self.fallback.applies(learner)

    def __call__(
        self, learner: MetaLearner, params: Params, batch: TaskBatch
    ) -> tuple[torch.Tensor, Params]:
        program = self._program(learner)
        if program is not None:
            try:
                gradient, loss = program(detached(params), batch)
                return loss.detach(), gradient
            except Exception as error:
                self._programs[id(learner)] = None
                warnings.warn(
                    f"torch.compile could not compile the meta-gradient of {learner.name!r} "
                    f"({type(error).__name__}: {str(error).splitlines()[0][:200]}); "
                    f"running {self.fallback!r} instead",
                    stacklevel=3,
                )
        return self.fallback(learner, params, batch)

    def _program(self, learner: MetaLearner) -> CompiledFn | None:
        if id(learner) not in self._programs:
            value_and_gradient = torch.func.grad_and_value(learner.meta_loss)
            self._programs[id(learner)] = torch.compile(value_and_gradient, dynamic=False)
        return self._programs[id(learner)]
