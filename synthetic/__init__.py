"""Task distributions: what a task is and how to sample batches of them.

Every distribution returns a :class:`TaskBatch` and draws from an explicit
``torch.Generator``: the same generator state gives the same tasks. A
consumer takes any ``TaskSampler`` (``sample(num_tasks, generator)``):
``SinusoidTasks``, ``FewShotTasks``, or a parametric mixture with fixed
support and query sizes, ``LinearTaskMixture.sampler(m, Q)``.

Few-shot image tasks: a class-indexed ``ImageClasses`` (procedural
``GlyphAlphabets``, ``load_omniglot``, ``load_mini_imagenet``), split into
disjoint ``ClassSplits``, sampled as N-way K-shot tasks by ``FewShotTasks``.
"""

from synthetic.class_splits import ClassSplits, check_disjoint
from synthetic.episodes import FewShotTasks
from synthetic.glyphs import GlyphAlphabets
from synthetic.image_dataset import ImageClasses
from synthetic.linear_mixture import LinearTaskMixture, TaskCluster
from synthetic.mini_imagenet import load_mini_imagenet
from synthetic.omniglot import load_omniglot
from synthetic.omniglot_sources import OmniglotSources, load_omniglot_sources
from synthetic.sinusoid import SinusoidTasks
from synthetic.task_batch import TaskBatch
from synthetic.task_sampler import SamplerFunction, TaskSampler

__all__ = [
    "ClassSplits",
    "FewShotTasks",
    "GlyphAlphabets",
    "ImageClasses",
    "LinearTaskMixture",
    "OmniglotSources",
    "SamplerFunction",
    "SinusoidTasks",
    "TaskBatch",
    "TaskCluster",
    "TaskSampler",
    "check_disjoint",
    "load_mini_imagenet",
    "load_omniglot",
    "load_omniglot_sources",
]
