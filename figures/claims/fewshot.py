"""Shared set-up of the few-shot image claims: data, class splits, model, training, evaluation.

The image source is the procedural glyph alphabets by default, Omniglot
from the paths the user gives (``omniglot=(PATH, ...)``: folders or zips in
the standard layout, merged by ``synthetic.load_omniglot_sources``), or
miniImageNet (``mini_imagenet=PATH``: the Ravi–Larochelle CSV folder or the
split pickles, read by ``synthetic.load_mini_imagenet``); nothing is ever
downloaded, and miniImageNet wins where both are given. Omniglot's classes
are split by alphabet into meta-train / meta-val / meta-test in
``split_fractions``; when an evaluation source (``images_evaluation.zip``)
is among the paths, its alphabets are the meta-test split and the others are
dealt to meta-train / meta-val. miniImageNet keeps its published 64 / 16 / 20
class splits. Every split is asserted disjoint (``ClassSplits`` refuses
overlapping classes or alphabets), so meta-test accuracy is always on classes
never seen in meta-training. A paper protocol names the dataset it needs
(``dataset``); ``check_fits`` refuses to run it on another.

Example:
    >>> setup = FewShotSetup(filters=8)
    >>> splits = setup.splits()
    >>> splits.train.num_classes > 0 and splits.test.num_classes > 0
    True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Any, Protocol

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
    ImageClasses,
    OmniglotSources,
    load_mini_imagenet,
    load_omniglot_sources,
)
from synthetic.class_splits import SPLIT_NAMES, check_disjoint
from synthetic.validation import require_count, require_positive

SPLIT_FRACTIONS = (0.6, 0.1, 0.3)
TEST_SEED_OFFSET = 1_000_003
DATASET_OPTIONS = {"omniglot": "--omniglot PATH", "mini-imagenet": "--mini-imagenet PATH"}
"""The datasets a protocol may require (``FewShotSetup.dataset``) and the option giving each."""
MORE_ALPHABETS = (
    "Give more alphabets (e.g. --omniglot images_background.zip, or both small splits) or use a "
    "scale whose set-up fits"
)
FULL_MINI_IMAGENET = "Give the full miniImageNet (64 / 16 / 20 classes × 600 images)"


@dataclass(frozen=True)
class FewShotSetup:
    """N-way K-shot image tasks and the conv net that learns them.

    ``omniglot``: paths to Omniglot (folders or zips); ``None`` uses the glyphs
    (``glyph_alphabets`` alphabets of ``glyph_characters`` characters, each drawn
    ``glyph_drawings`` times), by default with enough alphabets that the
    meta-test split holds ≥ ``ways`` of them (for between-alphabet tasks).
    ``rotations`` adds every class rotated by 90°, 180° and 270° as new classes
    of its alphabet (Santoro et al., Finn et al.). ``mini_imagenet``: the path
    of miniImageNet (RGB; used instead of Omniglot or glyphs when given).
    ``dataset`` is the data a paper protocol requires (``"omniglot"`` or
    ``"mini-imagenet"``; ``None``: any source).
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
    mini_imagenet: str | None = None
    dataset: str | None = None
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
        if self.dataset is not None and self.dataset not in DATASET_OPTIONS:
            raise ValueError(
                f"dataset must be one of {tuple(DATASET_OPTIONS)} or None, got {self.dataset!r}"
            )

    def at(
        self,
        device: str,
        omniglot: str | tuple[str, ...] | None = None,
        mini_imagenet: str | None = None,
    ) -> FewShotSetup:
        """The same set-up on ``device``, reading Omniglot from ``omniglot`` (a path or
        several) or miniImageNet from ``mini_imagenet`` (None for both: glyphs); a claim
        config's ``device`` and data paths (filled in by the runner) go here."""
        sources = (omniglot,) if isinstance(omniglot, str) else omniglot
        return replace(self, device=device, omniglot=sources, mini_imagenet=mini_imagenet)

    @property
    def source(self) -> str:
        """The data the set-up reads: ``"mini-imagenet"``, ``"omniglot"`` or ``"glyphs"``."""
        if self.mini_imagenet is not None:
            return "mini-imagenet"
        return "glyphs" if self.omniglot is None else "omniglot"

    @property
    def channels(self) -> int:
        """Image channels: 3 for miniImageNet's RGB, 1 for Omniglot and the glyphs."""
        return 3 if self.source == "mini-imagenet" else 1

    def splits(self) -> ClassSplits:
        """Meta-train / -val / -test classes, disjoint by class and alphabet (asserted)."""
        if self.source == "mini-imagenet":
            splits = _cached_mini_imagenet(self.mini_imagenet, self.image_size)
        elif self.omniglot is None:
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

    def tasks(self, dataset: ImageClasses, mode: str = "any", labels: str = "task") -> FewShotTasks:
        """``ways``-way ``shots``-shot tasks of ``dataset`` on the set-up's device."""
        return FewShotTasks(
            dataset.to(self.device), self.ways, self.shots, self.queries, mode, labels
        )

    def check_fits(self, claim: str, modes: tuple[str, ...] = ("any",)) -> None:
        """Refuse data too small for ``claim``'s tasks, before any training: every split it
        samples (meta-train and meta-test) must hold ``ways``-way tasks of each of ``modes``;
        a protocol that names its ``dataset`` must be given that dataset. Data that cannot be
        read is reported as such, not as too small."""
        if self.dataset is not None and self.source != self.dataset:
            raise ValueError(
                f"{claim} at this scale runs its paper's protocol on {self.dataset}, not on "
                f"{self.source}: give {DATASET_OPTIONS[self.dataset]}"
            )
        by_alphabet = self.source != "mini-imagenet"
        needed = self._alphabets_needed(modes) if by_alphabet else ""
        hint = MORE_ALPHABETS if by_alphabet else FULL_MINI_IMAGENET
        if self.omniglot is not None:
            _cached_sources(self.omniglot, self.image_size, self.rotations)
        try:
            splits = self.splits()
        except ValueError as error:
            if not by_alphabet:
                raise
            raise ValueError(
                f"{claim} needs {needed}a split of the classes by alphabet in the fractions "
                f"{self.split_fractions}: {error}. {hint}"
            ) from error
        for name, split in (("meta-train", splits.train), ("meta-test", splits.test)):
            for mode in modes:
                try:
                    FewShotTasks(split, self.ways, self.shots, self.queries, mode)
                except ValueError as error:
                    raise ValueError(
                        f"{claim} needs {needed}{self.ways}-way {self.shots}-shot tasks with "
                        f"{self.queries} queries per class (mode {mode!r}) in the {name} "
                        f"split, which holds {self._contents(split)}: {error}. {hint}"
                    ) from error

    def _contents(self, split: ImageClasses) -> str:
        if self.source == "mini-imagenet":
            return f"{split.num_classes} classes"
        groups = split.group_names
        return f"{split.num_classes} classes of {len(groups)} alphabets {list(groups)}"

    def _alphabets_needed(self, modes: tuple[str, ...]) -> str:
        per_split = self.ways if "between" in modes else 1
        return (
            f"≥ {2 * per_split + 1} alphabets ({per_split} meta-train, 1 meta-val, "
            f"{per_split} meta-test) and "
        )

    def convnet(self, generator: torch.Generator | None = None, ways: int | None = None) -> ConvNet:
        """The conv net of these images (channels, size, blocks, filters) with ``ways``
        outputs (default ``self.ways``), initialised from ``generator``."""
        return ConvNet(
            ways or self.ways,
            channels=self.channels,
            filters=self.filters,
            image_size=self.image_size,
            blocks=self.blocks,
            generator=generator,
        )

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
        model = self.convnet(torch.Generator().manual_seed(seed)).to(self.device)
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


class ImageRun(Protocol):
    """A claim config that runs a ``FewShotSetup`` on the data and device the runner fills in."""

    setup: FewShotSetup
    device: str
    omniglot: tuple[str, ...] | None
    mini_imagenet: str | None


def placed(config: ImageRun) -> FewShotSetup:
    """``config.setup`` on the config's device, reading the config's data paths."""
    return config.setup.at(config.device, config.omniglot, config.mini_imagenet)


@functools.lru_cache(maxsize=4)
def _cached_sources(paths: tuple[str, ...], image_size: int, rotations: bool) -> OmniglotSources:
    """The merged sources, decoded once per process (every cell of a claim reads the same)."""
    return load_omniglot_sources(paths, image_size, rotations)


@functools.lru_cache(maxsize=2)
def _cached_mini_imagenet(path: str, image_size: int) -> ClassSplits:
    """miniImageNet's published train / val / test splits, decoded once per process."""
    return ClassSplits(*(load_mini_imagenet(path, split, image_size) for split in SPLIT_NAMES))


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
    "paper": FewShotSetup(
        filters=64, meta_batch=32, iterations=60000, rotations=True, dataset="omniglot"
    ),
}
"""The few-shot set-up of each scale, shared by the image claims; ``paper`` is Finn et al.'s
Omniglot 5-way protocol (64 filters, meta-batch 32, 60000 iterations, classes augmented by
rotations), which L7 runs."""
