"""Measurements of an objective: curvature, sharpness, slices, rates, closed forms, statistics."""

from analysis.statistics import MeanInterval, mean_interval

__all__ = ["MeanInterval", "mean_interval"]
