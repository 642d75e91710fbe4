"""Measurements of an objective: curvature, sharpness, slices, rates, closed forms, statistics."""

from analysis.blocks import (
    BlockCurvature,
    BlockOperator,
    BlockSpectra,
    block_spectra,
    layer_blocks,
    plot_block_spectra,
)
from analysis.density import SpectralDensity, plot_density, spectral_density
from analysis.flat import Objective, ParamLayout
from analysis.ggn import (
    FisherOperator,
    GGNOperator,
    OutputObjective,
    hessian_ggn_gap,
    model_outputs,
)
from analysis.hvp import CurvatureOperator, HessianOperator, MatrixOperator
from analysis.pyhessian_adapter import (
    CrossCheck,
    PyHessianRun,
    cross_check,
    pyhessian_density,
    pyhessian_eigenvalues,
    pyhessian_trace,
)
from analysis.sharpness import (
    AverageSharpness,
    WorstCaseSharpness,
    adaptive_sharpness,
    average_sharpness,
    sam_sharpness,
)
from analysis.slices import (
    LossLine,
    LossPlane,
    filter_normalized_direction,
    interpolation,
    loss_line,
    loss_plane,
    plot_line,
    plot_plane,
)
from analysis.spectrum import ExtremeEigenvalues, extreme_eigenvalues
from analysis.statistics import MeanInterval, mean_interval
from analysis.trace import TraceEstimate, hutch_plus_plus, hutchinson

__all__ = [
    "AverageSharpness",
    "BlockCurvature",
    "BlockOperator",
    "BlockSpectra",
    "CrossCheck",
    "CurvatureOperator",
    "ExtremeEigenvalues",
    "FisherOperator",
    "GGNOperator",
    "HessianOperator",
    "LossLine",
    "LossPlane",
    "MatrixOperator",
    "MeanInterval",
    "Objective",
    "OutputObjective",
    "ParamLayout",
    "PyHessianRun",
    "SpectralDensity",
    "TraceEstimate",
    "WorstCaseSharpness",
    "adaptive_sharpness",
    "average_sharpness",
    "block_spectra",
    "cross_check",
    "extreme_eigenvalues",
    "filter_normalized_direction",
    "hessian_ggn_gap",
    "hutch_plus_plus",
    "hutchinson",
    "interpolation",
    "layer_blocks",
    "loss_line",
    "loss_plane",
    "mean_interval",
    "model_outputs",
    "plot_block_spectra",
    "plot_density",
    "plot_line",
    "plot_plane",
    "pyhessian_density",
    "pyhessian_eigenvalues",
    "pyhessian_trace",
    "sam_sharpness",
    "spectral_density",
]
