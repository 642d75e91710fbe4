"""The few-shot evaluation protocol: the query accuracy of each of many meta-test tasks.

Every algorithm is scored the same way (Finn et al. 2017; Chen et al. 2019):
draw T ≥ 600 tasks from the meta-test classes, adapt on each task's support
set for k test-time steps with the learner's own inner rule and selection
(``MetaLearner.evaluate``), and score each task's query accuracy. The
callers summarise the T per-task accuracies (the papers report the mean with
its 95% Student-t interval, acc ± t_{0.975, T−1} · s/√T, ``analysis.statistics``);
training code does not depend on the analysis layer.

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
    >>> per_task = evaluate_accuracy(learner, parameters_of(model), tasks,
    ...                              torch.Generator().manual_seed(1), num_tasks=20, steps=(0, 1))
    >>> sorted(per_task), tuple(per_task[1].shape), 0 <= per_task[1].mean().item() <= 1
    ([0, 1], (20,), True)
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from algorithms.learner import MetaLearner
from algorithms.params import Params
from synthetic.task_sampler import TaskSampler
from synthetic.validation import require_count

PROTOCOL_TASKS = 600


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Fraction of correct arg-max predictions per task: ``[B, N, C]``, ``[B, N]`` → ``[B]``."""
    return (logits.argmax(dim=-1) == labels).to(logits.dtype).mean(dim=1)


def evaluate_accuracy(
    learner: MetaLearner,
    params: Params,
    tasks: TaskSampler,
    generator: torch.Generator,
    num_tasks: int = PROTOCOL_TASKS,
    steps: Iterable[int] | None = None,
    chunk_size: int = 50,
) -> dict[int, torch.Tensor]:
    """Query accuracy ``[T]`` (CPU, float64, in [0, 1]) of each task after each step count.

    ``learner`` from ``params`` on T = ``num_tasks`` tasks, drawn a chunk at a time.

    Args:
        learner: any algorithm from ``algorithms.make``; adaptation uses its inner rule.
        params: the meta-parameters θ.
        tasks: the meta-test task distribution (``synthetic.TaskSampler``), e.g. a
            ``FewShotTasks`` on the meta-test classes.
        generator: the source of the tasks; same state ⇒ same tasks.
        num_tasks: T, tasks in all (the protocol uses ≥ 600).
        steps: test-time adaptation step counts to score; default ``(learner.inner_steps,)``.
        chunk_size: tasks adapted at once (bounds memory).
    """
    require_count("num_tasks", num_tasks)
    require_count("chunk_size", chunk_size)
    wanted = (learner.inner_steps,) if steps is None else tuple(sorted(set(steps)))
    scores: dict[int, list[torch.Tensor]] = {step: [] for step in wanted}
    for first in range(0, num_tasks, chunk_size):
        batch = tasks.sample(min(chunk_size, num_tasks - first), generator)
        for step, values in learner.evaluate(params, batch, wanted, metric=accuracy).items():
            scores[step].append(values)
    return {step: torch.cat(values).cpu().double() for step, values in scores.items()}
