"""Shared set-up of the few-shot image claims: data, class splits, model, training, evaluation.

The image source is the procedural glyph alphabets by default, or Omniglot
from a path the user gives (``omniglot=PATH``: a folder or a zip in the
standard layout; never downloaded). Classes are split by alphabet into
meta-train / meta-val / meta-test; the split is asserted disjoint
(``ClassSplits`` refuses overlapping classes or alphabets), so meta-test
accuracy is always on classes never seen in meta-training.

Example:
    >>> setup = FewShotSetup(filters=8)
    >>> splits = setup.splits()
    >>> splits.train.num_classes > 0 and splits.test.num_classes > 0
    True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from algorithms import ConvNet, MetaLearner, cross_entropy, evaluate_accuracy, make, parameters_of
from algorithms.losses import LossFn
from algorithms.params import Params
from algorithms.train import TrainResult, train
from synthetic import ClassSplits, FewShotTasks, GlyphAlphabets, load_omniglot
from synthetic.class_splits import check_disjoint
from synthetic.validation import require_count, require_positive

SPLIT_FRACTIONS = (0.6, 0.1, 0.3)
TEST_SEED_OFFSET = 1_000_003


@dataclass(frozen=True)
class FewShotSetup:
    """N-way K-shot image tasks and the conv net that learns them.

    ``omniglot``: a path to Omniglot (folder or zip); ``None`` uses the glyphs
    (``glyph_alphabets`` alphabets of ``glyph_characters`` characters, each drawn
    ``glyph_drawings`` times), by default with enough alphabets that the
    meta-test split holds ≥ ``ways`` of them (for between-alphabet tasks).
    Images are ``image_size`` pixels square (28 as in the papers) and the conv
    net has ``blocks`` blocks (4 as in the papers; fewer for cheap CPU runs).
    """

    ways: int = 5
    shots: int = 1
    queries: int = 5
    filters: int = 16
    meta_batch: int = 8
    iterations: int = 300
    outer_lr: float = 1e-3
    test_tasks: int = 600
    eval_steps: tuple[int, ...] = (1, 5)
    inner_steps: int = 1
    omniglot: str | None = None
    glyph_alphabets: int = 20
    glyph_characters: int = 8
    glyph_drawings: int = 20
    glyph_sharing: float = 1.0
    image_size: int = 28
    blocks: int = 4
    device: str = "cpu"

    def __post_init__(self) -> None:
        for name in (
            "ways",
            "shots",
            "queries",
            "filters",
            "meta_batch",
            "iterations",
            "test_tasks",
            "inner_steps",
            "glyph_alphabets",
            "glyph_characters",
            "glyph_drawings",
            "image_size",
            "blocks",
        ):
            require_count(name, getattr(self, name))
        require_positive("outer_lr", self.outer_lr)
        if not self.eval_steps or min(self.eval_steps) < 0:
            raise ValueError(f"eval_steps must be non-negative step counts, got {self.eval_steps}")

    def at(self, device: str, omniglot: str | None) -> FewShotSetup:
        """The same set-up on ``device``, reading Omniglot from ``omniglot`` (None: glyphs);
        a claim config's ``device`` and ``omniglot`` (filled in by the runner) go here."""
        return replace(self, device=device, omniglot=omniglot)

    def splits(self) -> ClassSplits:
        """Meta-train / -val / -test classes, disjoint by alphabet (asserted)."""
        if self.omniglot is None:
            data = GlyphAlphabets(
                alphabets=self.glyph_alphabets,
                characters=self.glyph_characters,
                drawings=self.glyph_drawings,
                sharing=self.glyph_sharing,
                image_size=self.image_size,
            ).render()
        else:
            data = load_omniglot(self.omniglot, self.image_size)
        splits = ClassSplits.by_group(data, SPLIT_FRACTIONS, torch.Generator().manual_seed(0))
        check_disjoint(train=splits.train, test=splits.test)
        return splits

    def tasks(self, dataset, mode: str = "any") -> FewShotTasks:
        return FewShotTasks(dataset.to(self.device), self.ways, self.shots, self.queries, mode)

    def learner(
        self,
        algorithm: str,
        inner_lr: float,
        seed: int,
        loss_fn: LossFn = cross_entropy,
        **options: Any,
    ) -> MetaLearner:
        """``algorithm`` (``inner_steps`` inner steps) on a conv net initialised from ``seed``.

        ``options`` go to ``algorithms.make``, e.g. ``rho=0.05`` for a Sharp-MAML
        variant; ``loss_fn`` replaces cross-entropy (e.g. a counting wrapper of it).
        """
        model = ConvNet(
            self.ways,
            filters=self.filters,
            image_size=self.image_size,
            blocks=self.blocks,
            generator=torch.Generator().manual_seed(seed),
        ).to(self.device)
        return make(algorithm, model, loss_fn, inner_lr, self.inner_steps, **options)

    def meta_train(self, learner: MetaLearner, tasks: FewShotTasks, seed: int) -> TrainResult:
        """``learner`` meta-trained on ``tasks`` from its model's weights; θ is ``.params``."""
        return train(
            learner,
            parameters_of(learner.model),
            tasks,
            self.iterations,
            torch.Generator(self.device).manual_seed(seed),
            outer_lr=self.outer_lr,
            progress=False,
            meta_batch=self.meta_batch,
        )

    def trained(
        self, algorithm: str, inner_lr: float, tasks: FewShotTasks, seed: int
    ) -> tuple[MetaLearner, Params, float]:
        """A learner meta-trained on ``tasks``; returns it, θ and the seconds per iteration."""
        learner = self.learner(algorithm, inner_lr, seed)
        result = self.meta_train(learner, tasks, seed)
        return learner, result.params, result.seconds / self.iterations

    def accuracy(
        self, learner: MetaLearner, params: Params, tasks: FewShotTasks, seed: int
    ) -> dict[int, torch.Tensor]:
        """The protocol: each of ``test_tasks`` held-out tasks' accuracy ``[T]`` after each of
        ``eval_steps`` (same tasks for equal seeds); callers summarise or pair them."""
        generator = torch.Generator(self.device).manual_seed(seed + TEST_SEED_OFFSET)
        steps = self.eval_steps
        return evaluate_accuracy(learner, params, tasks, generator, self.test_tasks, steps)


SCALED_SETUPS = {
    "smoke": FewShotSetup(filters=8, iterations=20, test_tasks=100),
    "quick": FewShotSetup(),
    "paper": FewShotSetup(filters=64, meta_batch=32, iterations=60000),
}
"""The few-shot set-up of each scale, shared by the image claims (S2, L7)."""
