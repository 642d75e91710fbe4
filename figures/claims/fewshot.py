"""Shared set-up of the few-shot image claims: data, class splits, model, training, evaluation.

The image source is the procedural glyph alphabets by default, or Omniglot
from the paths the user gives (``omniglot=(PATH, ...)``: folders or zips in
the standard layout, merged by ``synthetic.load_omniglot_sources``; never
downloaded). Classes are split by alphabet into meta-train / meta-val /
meta-test in ``split_fractions``; when an evaluation source
(``images_evaluation.zip``) is among the paths, its alphabets are the
meta-test split and the others are dealt to meta-train / meta-val. The
split is asserted disjoint
(``ClassSplits`` refuses overlapping classes or alphabets), so meta-test
accuracy is always on classes never seen in meta-training.

Example:
    >>> setup = FewShotSetup(filters=8)
    >>> splits = setup.splits()
    >>> splits.train.num_classes > 0 and splits.test.num_classes > 0
    True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any

import torch

from algorithms import ConvNet, MetaLearner, cross_entropy, evaluate_accuracy, make, parameters_of
from algorithms.losses import LossFn
from algorithms.params import Params
from algorithms.resumable_training import train_resumably
from algorithms.train import TrainResult
from figures.engine.cell_state import state_path
from synthetic import (
    ClassSplits,
    FewShotTasks,
    GlyphAlphabets,
    OmniglotSources,
    load_omniglot_sources,
)
from synthetic.class_splits import check_disjoint
from synthetic.validation import require_count, require_positive

SPLIT_FRACTIONS = (0.6, 0.1, 0.3)
TEST_SEED_OFFSET = 1_000_003


@dataclass(frozen=True)
class FewShotSetup:
    """N-way K-shot image tasks and the conv net that learns them.

    ``omniglot``: paths to Omniglot (folders or zips); ``None`` uses the glyphs
    (``glyph_alphabets`` alphabets of ``glyph_characters`` characters, each drawn
    ``glyph_drawings`` times), by default with enough alphabets that the
    meta-test split holds ≥ ``ways`` of them (for between-alphabet tasks).
    ``rotations`` adds every class rotated by 90°, 180° and 270° as new classes
    of its alphabet (Santoro et al., Finn et al.).
    Images are ``image_size`` pixels square (28 as in the papers) and the conv
    net has ``blocks`` blocks (4 as in the papers; fewer for cheap CPU runs).
    ``meta_gradient_path`` is how every learner executes its meta-gradient
    (``algorithms.meta_gradient_paths``): ``auto`` times chunk sizes once per
    workload, so learners with different settings may run different chunks and
    agree only to rounding; ``autograd`` is one fixed execution, which a
    bit-for-bit comparison of learners (a ρ = 0 control) needs. Inside a cell,
    meta-training saves its state every ``save_seconds`` of wall time.
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
    omniglot: tuple[str, ...] | None = None
    split_fractions: tuple[float, float, float] = SPLIT_FRACTIONS
    glyph_alphabets: int = 20
    glyph_characters: int = 8
    glyph_drawings: int = 20
    glyph_sharing: float = 1.0
    image_size: int = 28
    rotations: bool = False
    blocks: int = 4
    meta_gradient_path: str = "auto"
    save_seconds: float = 120.0
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
        require_positive("save_seconds", self.save_seconds)
        if not self.eval_steps or min(self.eval_steps) < 0:
            raise ValueError(f"eval_steps must be non-negative step counts, got {self.eval_steps}")

    def at(self, device: str, omniglot: str | tuple[str, ...] | None) -> FewShotSetup:
        """The same set-up on ``device``, reading Omniglot from ``omniglot`` (a path or
        several; None: glyphs); a claim config's ``device`` and ``omniglot`` (filled in by
        the runner) go here."""
        sources = (omniglot,) if isinstance(omniglot, str) else omniglot
        return replace(self, device=device, omniglot=sources)

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
            data = data.with_rotations() if self.rotations else data
            splits = ClassSplits.by_group(data, self.split_fractions, _split_generator())
        else:
            splits = self._omniglot_splits()
        check_disjoint(train=splits.train, test=splits.test)
        return splits

    def _omniglot_splits(self) -> ClassSplits:
        sources = _cached_sources(self.omniglot, self.image_size, self.rotations)
        if sources.background is None or sources.evaluation is None:
            data = sources.background if sources.evaluation is None else sources.evaluation
            return ClassSplits.by_group(data, self.split_fractions, _split_generator())
        train, val, _ = self.split_fractions
        return ClassSplits.with_test(
            sources.background, sources.evaluation, val / (train + val), _split_generator()
        )

    def tasks(self, dataset, mode: str = "any") -> FewShotTasks:
        return FewShotTasks(dataset.to(self.device), self.ways, self.shots, self.queries, mode)

    def check_fits(self, claim: str, modes: tuple[str, ...] = ("any",)) -> None:
        """Refuse data too small for ``claim``'s tasks, before any training: every split it
        samples (meta-train and meta-test) must hold ``ways``-way tasks of each of ``modes``."""
        per_split = self.ways if "between" in modes else 1
        needed = f"≥ {2 * per_split + 1} alphabets ({per_split} meta-train, 1 meta-val, " + (
            f"{per_split} meta-test)"
        )
        try:
            splits = self.splits()
        except ValueError as error:
            raise ValueError(
                f"{claim} needs {needed} and splits classes by alphabet in the fractions "
                f"{self.split_fractions}: {error}. Give more alphabets (e.g. --omniglot "
                "images_background.zip, or both small splits)"
            ) from error
        for name, split in (("meta-train", splits.train), ("meta-test", splits.test)):
            for mode in modes:
                try:
                    FewShotTasks(split, self.ways, self.shots, self.queries, mode)
                except ValueError as error:
                    raise ValueError(
                        f"{claim} needs {needed} and {self.ways}-way {self.shots}-shot tasks with "
                        f"{self.queries} queries per class (mode {mode!r}) in the {name} "
                        f"split, which holds {split.num_classes} classes of "
                        f"{len(split.group_names)} alphabets {list(split.group_names)}: {error}. "
                        "Give more alphabets (e.g. --omniglot images_background.zip) or use a "
                        "scale whose set-up fits"
                    ) from error

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
        return make(
            algorithm,
            model,
            loss_fn,
            inner_lr,
            self.inner_steps,
            **({"meta_gradient_path": self.meta_gradient_path} | options),
        )

    def meta_train(self, learner: MetaLearner, tasks: FewShotTasks, seed: int) -> TrainResult:
        """``learner`` meta-trained on ``tasks`` from its model's weights; θ is ``.params``.

        Inside a cell the run saves its state every ``save_seconds`` and a rerun of the
        killed cell resumes it (``figures.engine.cell_state``), ending with the same θ."""
        params = parameters_of(learner.model)
        return train_resumably(
            learner,
            params,
            tasks,
            self.iterations,
            torch.Generator(self.device).manual_seed(seed),
            torch.optim.Adam(params.values(), lr=self.outer_lr),
            meta_batch=self.meta_batch,
            state_path=state_path(f"{learner.name}-seed{seed}"),
            run_key={"learner": learner.name, "inner_lr": learner.inner_lr, "seed": seed},
            save_seconds=self.save_seconds,
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


@functools.lru_cache(maxsize=4)
def _cached_sources(paths: tuple[str, ...], image_size: int, rotations: bool) -> OmniglotSources:
    """The merged sources, decoded once per process (every cell of a claim reads the same)."""
    return load_omniglot_sources(paths, image_size, rotations)


def _split_generator() -> torch.Generator:
    """The split is the same for every seed: seeds vary training, not which classes are held out."""
    return torch.Generator().manual_seed(0)


OMNIGLOT_SETUP = FewShotSetup(
    queries=5,
    filters=16,
    meta_batch=4,
    iterations=1000,
    test_tasks=600,
    eval_steps=(1,),
)
"""The ``omniglot`` scale's base: real Omniglot (the paths the user gives), 28-pixel images and
the papers' 4-block conv net with batch norm, 5-way 1-shot, 600 test tasks; 16 filters, meta-batch
4 and 1000 iterations so that every image claim's ≥ 5 seeds fit an hour on 2 CPU cores. Each
claim adapts it to its own protocol (inner steps, ways, splits)."""

SCALED_SETUPS = {
    "smoke": FewShotSetup(filters=8, iterations=20, test_tasks=100),
    "quick": FewShotSetup(),
    "omniglot": OMNIGLOT_SETUP,
    "paper": FewShotSetup(filters=64, meta_batch=32, iterations=60000),
}
"""The few-shot set-up of each scale, shared by the image claims (S2, L7)."""
