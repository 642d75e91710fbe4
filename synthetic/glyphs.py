"""Procedural glyphs: Omniglot-like characters drawn from stroke programs, no data needed.

A character is a small program of ``strokes`` strokes; a stroke is a Bézier
curve through ``control_points`` points on the canvas [−1, 1]², made as a
random walk (a random start, then steps of length U[0.35, 0.65] that turn by
N(0, 0.8) rad). Characters come in ``alphabets``: each alphabet has a
``pool`` of strokes, every character of it takes a different subset of
``strokes`` of them, and each stroke it takes is moved by its own offset
N(0, ``variation``²) per control point. With probability 1 − ``sharing`` a
stroke is a fresh random one instead, so ``sharing=0`` gives alphabets that
share no strokes. Characters of one alphabet therefore differ by a stroke
or two plus ``variation``; characters of different alphabets differ in
every stroke: within-alphabet tasks are harder than between-alphabet tasks.

A drawing of a character adds, with one knob ``jitter`` (canvas units):

    control point + N(0, jitter²),   then x ↦ A x + t  with
    rotation N(0, (2·jitter)²) rad, log-scale and shear N(0, jitter²), t ~ N(0, jitter² I),
    stroke width × exp(N(0, jitter²)),

so ``jitter`` against ``variation`` (and the stroke scale) sets how hard the
classes are to tell apart, and ``jitter=0`` makes every drawing of a class
identical. Strokes are rasterised as thick polylines (``segments`` per
stroke) with analytic antialiasing: a pixel's ink is its coverage by a
band of the stroke width, clamp(½ + (w/2 − d)/pixel, 0, 1) with d the
distance from its centre to the polyline, rendered at ``supersample`` × the
resolution and averaged down to ``image_size`` (28 × 28 by default).

Rendering is deterministic in ``seed`` and memoised: the same config gives
the same ``ImageClasses`` object, drawn once and sampled from by
``synthetic.episodes`` ever after.

Example:
    >>> glyphs = GlyphAlphabets(alphabets=2, characters=3, drawings=4, seed=0)
    >>> data = glyphs.render()
    >>> data.num_classes, data.num_drawings, data.image_shape, data.group_names
    (6, 4, (1, 28, 28), ('alphabet00', 'alphabet01'))
    >>> bool((GlyphAlphabets(alphabets=2, characters=3, drawings=4, seed=0).render().images
    ...       == data.images).all())
    True
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from synthetic.image_dataset import ImageClasses
from synthetic.validation import require_count, require_non_negative, require_positive

START_RANGE = 0.5
STEP_RANGE = (0.35, 0.65)
TURN_STD = 0.8
CANVAS_LIMIT = 0.9
ROTATION_PER_JITTER = 2.0
RENDER_CHUNK_ELEMENTS = 2**23
CACHED_RENDERS = 8


@dataclass(frozen=True)
class GlyphAlphabets:
    """A deterministic family of stroke-based character classes; ``render()`` draws them.

    Args:
        alphabets: number of alphabets (groups).
        characters: characters (classes) per alphabet.
        drawings: drawings (images) per character.
        strokes: strokes per character.
        pool: strokes in an alphabet's pool; needs C(pool, strokes) ≥ characters.
        control_points: control points per stroke (Bézier degree + 1), ≥ 2.
        sharing: chance in [0, 1] that a character's stroke comes from its alphabet's pool.
        variation: std of a character's offset of a pool stroke (canvas units).
        jitter: size of a drawing's deviation from its character (canvas units), see above.
        stroke_width: stroke width in canvas units (the canvas is 2 wide).
        image_size: output height and width in pixels.
        supersample: render at this multiple of ``image_size`` and average down.
        segments: straight segments per rendered stroke.
        seed: the only source of randomness.
    """

    alphabets: int = 10
    characters: int = 10
    drawings: int = 20
    strokes: int = 3
    pool: int = 6
    control_points: int = 4
    sharing: float = 1.0
    variation: float = 0.05
    jitter: float = 0.05
    stroke_width: float = 0.15
    image_size: int = 28
    supersample: int = 2
    segments: int = 12
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("alphabets", "characters", "drawings", "strokes", "image_size"):
            require_count(name, getattr(self, name))
        require_count("supersample", self.supersample)
        require_count("control_points", self.control_points, minimum=2)
        require_count("segments", self.segments)
        require_count("pool", self.pool, minimum=self.strokes)
        if not isinstance(self.sharing, int | float) or not 0.0 <= self.sharing <= 1.0:
            raise ValueError(f"sharing must be in [0, 1], got {self.sharing!r}")
        require_non_negative("variation", self.variation)
        require_non_negative("jitter", self.jitter)
        require_positive("stroke_width", self.stroke_width)
        require_count("seed", self.seed, minimum=0)
        subsets = math.comb(self.pool, self.strokes)
        if subsets < self.characters:
            raise ValueError(
                f"characters must be <= C(pool, strokes) = C({self.pool}, {self.strokes}) = "
                f"{subsets} so each character of an alphabet has its own strokes, got "
                f"{self.characters}; raise pool or lower characters"
            )

    def render(self) -> ImageClasses:
        """All drawings of all characters (rendered once per config, then memoised)."""
        return _render(self)


@functools.lru_cache(maxsize=CACHED_RENDERS)
def _render(config: GlyphAlphabets) -> ImageClasses:
    generator = torch.Generator().manual_seed(config.seed)
    characters = _character_programs(config, generator)
    drawings = _drawings(config, characters, generator)
    names = tuple(
        f"alphabet{a:02d}/character{c:02d}"
        for a in range(config.alphabets)
        for c in range(config.characters)
    )
    groups = tuple(name.split("/")[0] for name in names)
    return ImageClasses(drawings, names, groups)


def _random_strokes(
    shape: tuple[int, ...], control_points: int, generator: torch.Generator
) -> torch.Tensor:
    """Random-walk strokes: control points ``[*shape, control_points, 2]`` on the canvas."""
    start = (2 * torch.rand(*shape, 1, 2, generator=generator) - 1) * START_RANGE
    heading = 2 * math.pi * torch.rand(*shape, 1, generator=generator)
    turns = TURN_STD * torch.randn(*shape, control_points - 1, generator=generator)
    angles = heading + torch.cumsum(turns, dim=-1)
    low, high = STEP_RANGE
    lengths = low + (high - low) * torch.rand(*shape, control_points - 1, generator=generator)
    steps = lengths[..., None] * torch.stack([angles.cos(), angles.sin()], dim=-1)
    points = torch.cat([start, start + torch.cumsum(steps, dim=-2)], dim=-2)
    return points.clamp(-CANVAS_LIMIT, CANVAS_LIMIT)


def _character_programs(config: GlyphAlphabets, generator: torch.Generator) -> torch.Tensor:
    """Control points of every character's strokes: ``[classes, strokes, control_points, 2]``."""
    A, C, S, P = config.alphabets, config.characters, config.strokes, config.control_points
    pools = _random_strokes((A, config.pool), P, generator)
    subsets = torch.tensor(list(itertools.combinations(range(config.pool), S)))
    choice = torch.rand(A, len(subsets), generator=generator).argsort(dim=1)[:, :C]
    taken = subsets[choice]  # [A, C, S] stroke indices into the alphabet's pool
    shared = pools[torch.arange(A)[:, None, None], taken]
    shared = shared + config.variation * torch.randn(shared.shape, generator=generator)
    fresh = _random_strokes((A, C, S), P, generator)
    from_pool = torch.rand(A, C, S, 1, 1, generator=generator) < config.sharing
    return torch.where(from_pool, shared, fresh).flatten(0, 1)


def _drawings(
    config: GlyphAlphabets, characters: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Rendered drawings, uint8 ``[classes, drawings, 1, image_size, image_size]``."""
    classes, D, jitter = characters.shape[0], config.drawings, config.jitter
    points = characters[:, None] + jitter * torch.randn(
        classes, D, *characters.shape[1:], generator=generator
    )
    noise = jitter * torch.randn(classes, D, 6, generator=generator)
    angle, log_scale, shear = ROTATION_PER_JITTER * noise[..., 0], noise[..., 1], noise[..., 2]
    shift = noise[..., 3:5]
    width = config.stroke_width * noise[..., 5].exp()
    cos, sin, scale = angle.cos(), angle.sin(), log_scale.exp()
    linear = scale[..., None, None] * torch.stack(
        [torch.stack([cos, cos * shear - sin], -1), torch.stack([sin, sin * shear + cos], -1)], -2
    )
    points = torch.einsum("cdij,cdspj->cdspi", linear, points) + shift[:, :, None, None]
    polylines = _bezier_basis(config.control_points, config.segments + 1) @ points
    ink = _rasterise(polylines.flatten(0, 1), width.flatten(), config)
    return (255 * ink).round().to(torch.uint8).view(classes, D, 1, *ink.shape[-2:])


def _bezier_basis(control_points: int, samples: int) -> torch.Tensor:
    """Bernstein polynomials ``[samples, control_points]`` at evenly spaced t in [0, 1]."""
    t = torch.linspace(0, 1, samples)[:, None]
    k = torch.arange(control_points)[None]
    binomial = torch.tensor([math.comb(control_points - 1, i) for i in range(control_points)])
    return binomial * t**k * (1 - t) ** (control_points - 1 - k)


def _rasterise(
    polylines: torch.Tensor, width: torch.Tensor, config: GlyphAlphabets
) -> torch.Tensor:
    """Ink in [0, 1], ``[M, size, size]``, of M drawings' polylines ``[M, strokes, samples, 2]``."""
    resolution = config.image_size * config.supersample
    pixel = 2.0 / resolution
    centres = -1 + pixel * (torch.arange(resolution) + 0.5)
    grid = torch.stack(torch.meshgrid(centres, centres, indexing="xy"), -1)
    grid = grid.view(-1, 2)
    grid_norm = grid.square().sum(-1)[:, None]
    starts = polylines[:, :, :-1].flatten(1, 2)  # [M, strokes · segments, 2]
    directions = polylines[:, :, 1:].flatten(1, 2) - starts
    lengths = directions.square().sum(-1).clamp_min(1e-12)[:, None]
    start_norm = starts.square().sum(-1)[:, None]
    start_along = (starts * directions).sum(-1)[:, None]
    chunk = max(1, RENDER_CHUNK_ELEMENTS // (grid.shape[0] * starts.shape[1]))
    images = []
    for first in range(0, len(polylines), chunk):
        part = slice(first, first + chunk)
        # |p − a − t·d|² = |p − a|² − 2t·(p − a)·d + t²|d|², t = clamp((p − a)·d / |d|², 0, 1)
        along = grid @ directions[part].transpose(1, 2) - start_along[part]
        t = (along / lengths[part]).clamp(0, 1)
        offset = grid_norm - 2 * grid @ starts[part].transpose(1, 2) + start_norm[part]
        squared = offset - t * (2 * along - t * lengths[part])
        distance = squared.min(dim=-1).values.clamp_min(0).sqrt()
        half = width[part, None] / 2
        images.append(((half - distance) / pixel + 0.5).clamp(0, 1))
    ink = torch.cat(images).view(-1, 1, resolution, resolution)
    return F.avg_pool2d(ink, config.supersample).squeeze(1)
