"""N-way K-shot image tasks (episodes) drawn from a class-indexed image dataset.

A task picks N classes, and for each class K + Q distinct drawings: the
first K are its support set, the other Q its query set, so support and query
never share an image. Labels (``labels="task"``) are the class's position in
the task, 0..N−1 (a random order, since the classes are drawn in random
order), so a learner cannot carry a label from one task to the next; with
``labels="global"`` they are the classes' dataset indices 0..C−1 instead, the
labels of supervised pretraining over all C classes (the pretrained baseline
that is then fine-tuned on each test task). Shapes:

    support_x [B, N·K, C, H, W]   support_y [B, N·K] int64   (class-major: K shots of label 0, …)
    query_x   [B, N·Q, C, H, W]   query_y   [B, N·Q] int64

``mode`` chooses how the N classes relate (a group is an alphabet):

- ``"any"``: N distinct classes uniformly at random (the standard protocol);
- ``"within"``: one group, uniform over the groups with ≥ N classes, then N
  of its classes: hard, the classes share strokes;
- ``"between"``: N distinct groups, then one class of each: easy.

All tasks are drawn at once with index tensors: random keys sorted per task
(``torch.rand(...).argsort``) give distinct classes and drawings, and one
gather reads the pixels; there is no Python loop over tasks. ``info`` holds
``classes [B, N]`` (dataset class indices) and ``drawings [B, N, K+Q]``.

Example:
    >>> import torch
    >>> from synthetic.image_dataset import ImageClasses
    >>> images = torch.zeros(6, 4, 1, 8, 8, dtype=torch.uint8)
    >>> data = ImageClasses(images, [f"c{i}" for i in range(6)], ["a", "a", "a", "b", "b", "b"])
    >>> tasks = FewShotTasks(data, ways=3, shots=1, queries=2, mode="within")
    >>> batch = tasks.sample(5, torch.Generator().manual_seed(0))
    >>> tuple(batch.support_x.shape), batch.support_y[0].tolist(), batch.query_y[0].tolist()
    ((5, 3, 1, 8, 8), [0, 1, 2], [0, 0, 1, 1, 2, 2])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from synthetic.image_dataset import ImageClasses
from synthetic.task_batch import TaskBatch
from synthetic.validation import require_count

TASK_MODES = ("any", "within", "between")
LABELS = ("task", "global")
PIXEL_MAX = 255
MASKED_KEY = 2.0  # larger than any torch.rand key: sorts masked entries last


@dataclass(frozen=True, eq=False)
class FewShotTasks:
    """N-way (``ways``) K-shot (``shots``) tasks with Q (``queries``) query images per class.

    Args:
        dataset: the classes to draw from (one split: meta-train, -val or -test).
        ways: N, classes per task.
        shots: K, support images per class.
        queries: Q, query images per class.
        mode: ``"any"``, ``"within"`` (one group) or ``"between"`` (distinct groups).
        labels: ``"task"`` (0..N−1 in the task's random class order) or ``"global"``
            (the dataset's class indices; ``num_labels`` is then the number of classes).
    """

    dataset: ImageClasses
    ways: int = 5
    shots: int = 1
    queries: int = 15
    mode: str = "any"
    labels: str = "task"
    _order: torch.Tensor = field(init=False, repr=False)
    _starts: torch.Tensor = field(init=False, repr=False)
    _sizes: torch.Tensor = field(init=False, repr=False)
    _eligible: torch.Tensor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.dataset, ImageClasses):
            raise ValueError(
                f"dataset must be a synthetic.ImageClasses, got {type(self.dataset).__name__}"
            )
        require_count("ways", self.ways)
        require_count("shots", self.shots)
        require_count("queries", self.queries)
        if self.mode not in TASK_MODES:
            raise ValueError(f"mode must be one of {TASK_MODES}, got {self.mode!r}")
        if self.labels not in LABELS:
            raise ValueError(f"labels must be one of {LABELS}, got {self.labels!r}")
        drawings_needed = self.shots + self.queries
        if drawings_needed > self.dataset.num_drawings:
            raise ValueError(
                f"shots + queries = {self.shots} + {self.queries} = {drawings_needed} distinct "
                f"drawings per class are needed but the dataset has {self.dataset.num_drawings} "
                "per class; lower shots or queries"
            )
        groups = self.dataset.group_index()
        sizes = torch.bincount(groups)
        object.__setattr__(self, "_order", torch.argsort(groups, stable=True))
        object.__setattr__(self, "_starts", torch.cumsum(sizes, 0) - sizes)
        object.__setattr__(self, "_sizes", sizes)
        object.__setattr__(self, "_eligible", (sizes >= self.ways).nonzero().flatten())
        self._check_enough_classes()

    def _check_enough_classes(self) -> None:
        available = {
            "any": (self.dataset.num_classes, "classes"),
            "within": (int(self._sizes.max()), "classes in its largest group"),
            "between": (len(self._sizes), "groups"),
        }
        count, what = available[self.mode]
        if self.ways > count:
            raise ValueError(
                f"ways = {self.ways} classes per task with mode={self.mode!r} but the dataset "
                f"has only {count} {what}; lower ways"
                + ("" if self.mode == "any" else " or use mode='any'")
            )

    @property
    def num_labels(self) -> int:
        """How many labels the tasks use: N (``labels="task"``) or the dataset's C classes."""
        return self.ways if self.labels == "task" else self.dataset.num_classes

    def sample(
        self, num_tasks: int, generator: torch.Generator, dtype: torch.dtype = torch.float32
    ) -> TaskBatch:
        """Draw ``num_tasks`` tasks on the generator's device; same generator state ⇒ same tasks.

        Pixels are scaled to [0, 1] in ``dtype``. Keep the dataset on the
        generator's device (``dataset.to(device)``) to avoid copies.
        """
        require_count("num_tasks", num_tasks)
        device = generator.device
        classes = self._sample_classes(num_tasks, generator)
        keys = torch.rand(
            num_tasks, self.ways, self.dataset.num_drawings, generator=generator, device=device
        )
        drawings = keys.argsort(dim=-1, stable=True)[..., : self.shots + self.queries]
        images = self.dataset.images
        pixels = images[classes.to(images.device)[..., None], drawings.to(images.device)]
        pixels = pixels.to(device=device, dtype=dtype) / PIXEL_MAX
        labels = (
            torch.arange(self.ways, device=device).expand(num_tasks, -1)
            if self.labels == "task"
            else classes
        )
        return TaskBatch(
            pixels[:, :, : self.shots].flatten(1, 2),
            labels.repeat_interleave(self.shots, dim=1),
            pixels[:, :, self.shots :].flatten(1, 2),
            labels.repeat_interleave(self.queries, dim=1),
            {"classes": classes, "drawings": drawings},
        )

    def _sample_classes(self, num_tasks: int, generator: torch.Generator) -> torch.Tensor:
        """Dataset indices ``[B, N]`` of each task's classes, distinct within a task."""
        device = generator.device
        order, starts, sizes = (t.to(device) for t in (self._order, self._starts, self._sizes))
        if self.mode == "any":
            keys = torch.rand(
                num_tasks, self.dataset.num_classes, generator=generator, device=device
            )
            return keys.argsort(dim=1, stable=True)[:, : self.ways]
        if self.mode == "between":
            keys = torch.rand(num_tasks, len(sizes), generator=generator, device=device)
            group = keys.argsort(dim=1, stable=True)[:, : self.ways]
            unit = torch.rand(num_tasks, self.ways, generator=generator, device=device)
            offset = torch.minimum((unit * sizes[group]).long(), sizes[group] - 1)
            return order[starts[group] + offset]
        eligible = self._eligible.to(device)
        pick = torch.randint(len(eligible), (num_tasks,), generator=generator, device=device)
        group = eligible[pick]
        keys = torch.rand(num_tasks, int(self._sizes.max()), generator=generator, device=device)
        outside = torch.arange(keys.shape[1], device=device) >= sizes[group, None]
        offset = keys.masked_fill(outside, MASKED_KEY).argsort(dim=1, stable=True)[:, : self.ways]
        return order[starts[group, None] + offset]
