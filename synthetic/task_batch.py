"""A batch of tasks: the one data structure every task distribution returns.

Each task i has a support set (the data the inner loop adapts on) and a query
set (the data the adapted parameters are scored on). All tensors carry a
leading task axis of size B, so a whole batch adapts at once under ``vmap``
or batched matrix products::

    support_x [B, K, *x_shape]   support_y [B, K, *y_shape]
    query_x   [B, Q, *x_shape]   query_y   [B, Q, *y_shape]

``info`` carries the per-task ground truth a distribution knows (for example
the amplitude and phase of a sinusoid, or the optimum θ*_i of a linear task);
each of its tensors also has the leading task axis.

Example:
    >>> import torch
    >>> batch = TaskBatch(torch.zeros(4, 5, 1), torch.zeros(4, 5, 1),
    ...                   torch.zeros(4, 7, 1), torch.zeros(4, 7, 1))
    >>> batch.num_tasks, batch.support_size, batch.query_size
    (4, 5, 7)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import torch


@dataclass(frozen=True)
class TaskBatch:
    """Support and query data for B tasks; see the module docstring for shapes."""

    support_x: torch.Tensor
    support_y: torch.Tensor
    query_x: torch.Tensor
    query_y: torch.Tensor
    info: dict[str, torch.Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tensors = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "info"}
        for name, tensor in tensors.items():
            if not isinstance(tensor, torch.Tensor):
                raise ValueError(f"TaskBatch.{name} must be a torch.Tensor, got {type(tensor)}")
            if tensor.ndim < 2:
                raise ValueError(
                    f"TaskBatch.{name} has shape {tuple(tensor.shape)}; expected at least "
                    "[tasks, examples]. Add a task axis with tensor.unsqueeze(0) for one task."
                )
        for name in ("support_x", "query_x"):
            if tensors[name].ndim < 3:
                raise ValueError(
                    f"TaskBatch.{name} has shape {tuple(tensors[name].shape)}; inputs need "
                    "[tasks, examples, features...]. If it holds one task's examples, the "
                    "leading task axis is missing: add it with tensor.unsqueeze(0); for scalar "
                    "inputs add the feature axis with tensor.unsqueeze(-1)."
                )
        num_tasks = self.support_x.shape[0]
        for name, tensor in {**tensors, **self.info}.items():
            if tensor.shape[0] != num_tasks:
                raise ValueError(
                    f"TaskBatch.{name} has {tensor.shape[0]} tasks on its leading axis but "
                    f"support_x has {num_tasks}; every tensor needs the same task axis. If "
                    "these are one task's examples, the leading task axis is missing: add it "
                    "with tensor.unsqueeze(0) on every tensor."
                )
        _check_pair("support", self.support_x, self.support_y)
        _check_pair("query", self.query_x, self.query_y)
        if self.support_x.shape[2:] != self.query_x.shape[2:]:
            raise ValueError(
                f"support_x examples have shape {tuple(self.support_x.shape[2:])} but query_x "
                f"examples have {tuple(self.query_x.shape[2:])}; they must match."
            )
        devices = {t.device for t in tensors.values()}
        if len(devices) > 1:
            raise ValueError(
                f"TaskBatch tensors live on several devices {devices}; move them to one."
            )

    @property
    def num_tasks(self) -> int:
        """B, the size of the leading task axis."""
        return self.support_x.shape[0]

    @property
    def support_size(self) -> int:
        """K, the number of support examples per task."""
        return self.support_x.shape[1]

    @property
    def query_size(self) -> int:
        """Q, the number of query examples per task."""
        return self.query_x.shape[1]

    @property
    def device(self) -> torch.device:
        return self.support_x.device

    def to(
        self, device: torch.device | str | None = None, dtype: torch.dtype | None = None
    ) -> TaskBatch:
        """The same batch on another device and/or with floating tensors cast to ``dtype``."""

        def move(tensor: torch.Tensor) -> torch.Tensor:
            cast = dtype if dtype is not None and tensor.is_floating_point() else None
            return tensor.to(device=device, dtype=cast)

        return TaskBatch(
            move(self.support_x),
            move(self.support_y),
            move(self.query_x),
            move(self.query_y),
            {key: move(value) for key, value in self.info.items()},
        )

    def select(self, index: slice | torch.Tensor | list[int]) -> TaskBatch:
        """The sub-batch of the tasks at ``index`` (a slice or integer indices)."""
        return TaskBatch(
            self.support_x[index],
            self.support_y[index],
            self.query_x[index],
            self.query_y[index],
            {key: value[index] for key, value in self.info.items()},
        )

    def pooled(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Support and query of each task concatenated: ``x [B, K+Q, ...]``, ``y [B, K+Q, ...]``.

        This is the data a non-adaptive learner (NAL) fits: every example of
        every task, with no split into adaptation and evaluation data.
        """
        return (
            torch.cat([self.support_x, self.query_x], dim=1),
            torch.cat([self.support_y, self.query_y], dim=1),
        )


def _check_pair(split: str, x: torch.Tensor, y: torch.Tensor) -> None:
    if x.shape[:2] != y.shape[:2]:
        raise ValueError(
            f"{split}_x has shape {tuple(x.shape)} but {split}_y has {tuple(y.shape)}; "
            "they must agree on [tasks, examples]."
        )
