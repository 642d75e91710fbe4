"""Task distributions: what a task is and how to sample batches of them.

Every distribution returns a :class:`TaskBatch` and draws from an explicit
``torch.Generator``: the same generator state gives the same tasks.
"""

from synthetic.linear_mixture import LinearTaskMixture, TaskCluster
from synthetic.sinusoid import SinusoidTasks
from synthetic.task_batch import TaskBatch

__all__ = ["LinearTaskMixture", "SinusoidTasks", "TaskBatch", "TaskCluster"]
