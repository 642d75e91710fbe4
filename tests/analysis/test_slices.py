"""Landscape slices: filter normalisation, lines, planes and interpolation against closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from analysis.slices import (
    filter_normalized_direction,
    interpolation,
    loss_line,
    loss_plane,
    plot_line,
    plot_plane,
)
from tests.curvature_cases import meta_loss_case, quadratic_case


def small_cnn_params() -> dict[str, torch.Tensor]:
    model = torch.nn.Sequential(
        torch.nn.Conv2d(2, 4, 3),
        torch.nn.BatchNorm2d(4),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 3 * 3, 5),
    )
    params = {name: t.detach().clone() for name, t in model.named_parameters()}
    scales = torch.tensor([0.1, 1.0, 10.0, 100.0])
    params["0.weight"] *= scales[:, None, None, None]
    params["4.weight"][0] *= 50.0
    return params


def test_each_filter_of_the_direction_has_its_filters_norm_and_vectors_are_zero():
    params = small_cnn_params()
    direction = filter_normalized_direction(params, torch.Generator().manual_seed(0))
    for name, tensor in params.items():
        if tensor.ndim >= 2:
            expected = tensor.flatten(1).norm(dim=1)
            assert torch.allclose(direction[name].flatten(1).norm(dim=1), expected, rtol=1e-5)
        else:
            assert torch.count_nonzero(direction[name]) == 0, name
    assert direction["0.weight"].shape == (4, 2, 3, 3) and direction["4.weight"].shape == (5, 36)


def test_layer_normalisation_would_fail_the_filter_check():
    """Negative control: scaling a whole tensor to the tensor's norm does not pass the check."""
    params = small_cnn_params()
    weight = params["0.weight"]
    draw = torch.randn(weight.shape, generator=torch.Generator().manual_seed(0))
    per_layer = draw * weight.norm() / draw.norm()
    expected = weight.flatten(1).norm(dim=1)
    assert not torch.allclose(per_layer.flatten(1).norm(dim=1), expected, rtol=1e-5)


def test_directions_follow_the_generator():
    params = small_cnn_params()
    first = filter_normalized_direction(params, torch.Generator().manual_seed(3))
    again = filter_normalized_direction(params, torch.Generator().manual_seed(3))
    other = filter_normalized_direction(params, torch.Generator().manual_seed(4))
    assert all(torch.equal(first[k], again[k]) for k in params)
    assert not torch.equal(first["0.weight"], other["0.weight"])


def test_line_and_plane_of_a_quadratic_match_the_closed_form():
    case = quadratic_case((3.0, -1.0, 0.5))
    hessian = case.hessian
    theta = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    d1 = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    d2 = torch.tensor([0.0, 2.0, -1.0], dtype=torch.float64)

    def closed_form(a: float, b: float = 0.0) -> float:
        point = theta + a * d1 + b * d2
        return 0.5 * (point @ hessian @ point).item()

    coordinates = [-1.0, -0.25, 0.0, 0.5, 2.0]
    line = loss_line(case.objective, {"theta": theta}, {"theta": d1}, coordinates)
    np.testing.assert_allclose(line.losses, [closed_form(a) for a in coordinates], rtol=1e-12)
    plane = loss_plane(
        case.objective, {"theta": theta}, {"theta": d1}, {"theta": d2}, [-1.0, 1.0], [0.0, 1.0, 3.0]
    )
    expected = [[closed_form(a, b) for a in (-1.0, 1.0)] for b in (0.0, 1.0, 3.0)]
    np.testing.assert_allclose(plane.losses, expected, rtol=1e-12)
    assert plane.as_dict()["loss_evaluations"] == 6


def test_interpolation_runs_from_one_solution_to_the_other():
    case = meta_loss_case()
    params_b = {name: t + 0.1 for name, t in case.params.items()}
    path = interpolation(case.objective, case.params, params_b, [0.0, 0.5, 1.0])
    assert path.kind == "interpolation"
    assert path.losses[0] == pytest.approx(case.objective(case.params).item(), rel=1e-12)
    assert path.losses[2] == pytest.approx(case.objective(params_b).item(), rel=1e-12)
    midpoint = {name: (case.params[name] + params_b[name]) / 2 for name in case.params}
    assert path.losses[1] == pytest.approx(case.objective(midpoint).item(), rel=1e-12)


def test_plots(tmp_path):
    case = quadratic_case((1.0, 2.0))
    direction = {"theta": torch.tensor([1.0, 0.0], dtype=torch.float64)}
    other = {"theta": torch.tensor([0.0, 1.0], dtype=torch.float64)}
    line = loss_line(case.objective, case.params, direction, np.linspace(-1, 1, 5))
    plane = loss_plane(case.objective, case.params, direction, other, [-1, 0, 1], [-1, 0, 1])
    for name, figure in (("line.png", plot_line(line)), ("plane.png", plot_plane(plane))):
        figure.savefig(tmp_path / name)
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.parametrize("coordinates", [[], [0.0, float("nan")]])
def test_bad_coordinates(coordinates):
    case = quadratic_case((1.0, 2.0))
    with pytest.raises(ValueError, match="coordinates must be a non-empty sequence"):
        loss_line(case.objective, case.params, case.params, coordinates)


def test_direction_of_another_layout():
    case = quadratic_case((1.0, 2.0))
    with pytest.raises(ValueError, match="names"):
        loss_line(case.objective, case.params, {"other": torch.zeros(2)}, [0.0])


def test_the_2d_slice_uses_a_log_scale_for_losses_spanning_decades():
    from matplotlib.colors import LogNorm

    from analysis.slices import LossPlane

    grid = (-1.0, 0.0, 1.0)
    wide = LossPlane(grid, grid, ((10800.0, 9.0, 10800.0), (9.0, 1.0, 9.0), (10800.0, 9.0, 1e4)), 0)
    figure = plot_plane(wide)
    filled, lines = figure.axes[0].collections[:2]
    assert isinstance(filled.norm, LogNorm) and filled.levels[0] == 1.0
    assert lines.get_linewidths()[0] == 0.4, "contour lines drawn over the colours"
    signed = LossPlane(grid, grid, ((-1.0, 0.0, 1.0),) * 3, 0)
    assert not isinstance(plot_plane(signed).axes[0].collections[0].norm, LogNorm)
