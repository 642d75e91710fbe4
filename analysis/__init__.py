"""Measurements of an objective: curvature, sharpness, slices, rates, closed forms, statistics."""

from analysis.density import SpectralDensity, plot_density, spectral_density
from analysis.flat import Objective, ParamLayout
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
    "CrossCheck",
    "CurvatureOperator",
    "ExtremeEigenvalues",
    "HessianOperator",
    "LossLine",
    "LossPlane",
    "MatrixOperator",
    "MeanInterval",
    "Objective",
    "ParamLayout",
    "PyHessianRun",
    "SpectralDensity",
    "TraceEstimate",
    "WorstCaseSharpness",
    "adaptive_sharpness",
    "average_sharpness",
    "cross_check",
    "extreme_eigenvalues",
    "filter_normalized_direction",
    "hutch_plus_plus",
    "hutchinson",
    "interpolation",
    "loss_line",
    "loss_plane",
    "mean_interval",
    "plot_density",
    "plot_line",
    "plot_plane",
    "pyhessian_density",
    "pyhessian_eigenvalues",
    "pyhessian_trace",
    "sam_sharpness",
    "spectral_density",
]
