"""The few-shot evaluation protocol: accuracy on many meta-test tasks, with an interval.

Every algorithm is scored the same way (Finn et al. 2017; Chen et al. 2019):
draw T ≥ 600 tasks from the meta-test classes, adapt on each task's support
set for k test-time steps with the learner's own inner rule and selection
(``MetaLearner.evaluate``), and report the mean query accuracy over tasks
with its 95% Student-t interval, acc ± t_{0.975, T−1} · s/√T.

Tasks are drawn and adapted ``chunk_size`` at a time, so memory is bounded
by one chunk whatever T is; accuracies stay on the device until the end
(one host transfer). The same generator seed gives the same tasks, so two
algorithms evaluated from equal seeds are scored on identical tasks.

Example:
    >>> import torch
    >>> from algorithms import ConvNet, cross_entropy, make, parameters_of
    >>> from synthetic import FewShotTasks, GlyphAlphabets
    >>> tasks = FewShotTasks(GlyphAlphabets(alphabets=3, characters=4, drawings=4).render(),
    ...                      ways=3, shots=1, queries=2)
    >>> model = ConvNet(ways=3, filters=4, generator=torch.Generator().manual_seed(0))
    >>> learner = make("maml", model, cross_entropy, inner_lr=0.4)
    >>> report = evaluate_accuracy(learner, parameters_of(model), tasks.sample,
    ...                            torch.Generator().manual_seed(1), num_tasks=20, steps=(0, 1))
    >>> sorted(report.per_task), tuple(report.per_task[1].shape), 0 <= report.interval(1).mean <= 1
    ([0, 1], (20,), True)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch

from algorithms.learner import MetaLearner
from algorithms.params import Params
from analysis.statistics import MeanInterval, mean_interval
from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count

TaskSampler = Callable[[int, torch.Generator], TaskBatch]
PROTOCOL_TASKS = 600


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of correct arg-max predictions per task: ``[B, N, C]``, ``[B, N]`` → ``[B]``."""
    return (logits.argmax(dim=-1) == labels).to(logits.dtype).mean(dim=1)


@dataclass(frozen=True)
class AccuracyReport:
    """Per-task query accuracies in [0, 1] after each number of test-time steps (CPU, float64)."""

    per_task: dict[int, torch.Tensor]
    level: float = 0.95

    def interval(self, steps: int) -> MeanInterval:
        """Mean accuracy over tasks after ``steps`` adaptation steps, with its interval."""
        if steps not in self.per_task:
            raise ValueError(
                f"no accuracies after {steps} steps; evaluated {sorted(self.per_task)}"
            )
        return mean_interval(self.per_task[steps], self.level)

    def as_dict(self) -> dict[str, dict[str, float]]:
        """JSON-able ``{"accuracy_after_<k>_steps": {mean, half_width, count, level}}``."""
        return {
            f"accuracy_after_{steps}_steps": self.interval(steps).as_dict()
            for steps in sorted(self.per_task)
        }


def evaluate_accuracy(
    learner: MetaLearner,
    params: Params,
    sample_tasks: TaskSampler,
    generator: torch.Generator,
    num_tasks: int = PROTOCOL_TASKS,
    steps: Iterable[int] | None = None,
    chunk_size: int = 50,
    level: float = 0.95,
) -> AccuracyReport:
    """Query accuracy of ``learner`` from ``params`` on ``num_tasks`` tasks, a chunk at a time.

    Args:
        learner: any algorithm from ``algorithms.make``; adaptation uses its inner rule.
        params: the meta-parameters θ.
        sample_tasks: ``(num_tasks, generator) -> TaskBatch``, e.g. ``FewShotTasks(...).sample``
            on the meta-test classes.
        generator: the source of the tasks; same state ⇒ same tasks.
        num_tasks: T, tasks in all (the protocol uses ≥ 600).
        steps: test-time adaptation step counts to score; default ``(learner.inner_steps,)``.
        chunk_size: tasks adapted at once (bounds memory).
        level: confidence level of the intervals.
    """
    require_count("num_tasks", num_tasks)
    require_count("chunk_size", chunk_size)
    wanted = (learner.inner_steps,) if steps is None else tuple(sorted(set(steps)))
    scores: dict[int, list[torch.Tensor]] = {step: [] for step in wanted}
    for first in range(0, num_tasks, chunk_size):
        batch = sample_tasks(min(chunk_size, num_tasks - first), generator)
        for step, values in learner.evaluate(params, batch, wanted, metric=accuracy).items():
            scores[step].append(values)
    return AccuracyReport(
        {step: torch.cat(values).cpu().double() for step, values in scores.items()}, level
    )
