"""The picture and the page of ``mamlscape spectrum --checkpoints``: curvature along training.

:func:`plot_along_training` draws, against the iteration, λ_max(H) and λ_min(H)
(left) and λ_max(P⁻¹H) with Adam's stability threshold (2 + 2β₁)/((1 − β₁)η)
(right); :func:`render_along_training` the page of the summary
``along_training.json`` holds, in the frame of the one-θ report
(``figures.commands.spectrum_page``).

Example:
    >>> point = {"iteration": 10, "lambda_max": 2.0, "lambda_min": -0.5,
    ...          "preconditioned_lambda_max": 900.0, "stability_threshold": 38000.0,
    ...          "trace": {"trace": 5.0, "half_width": 0.5},
    ...          "adam": {"lr": 1e-3, "betas": [0.9, 0.999]}}
    >>> figure = plot_along_training({"checkpoints": [point, {**point, "iteration": 20}]})
    >>> [axes.get_title() for axes in figure.axes][1], [len(axes.lines) for axes in figure.axes]
    ('Hessian: trace', [3, 3, 2])
"""

from __future__ import annotations

import html

from matplotlib.figure import Figure

from figures.commands.spectrum_page import figures_html, page

CAPTION = (
    "Left: the largest and smallest algebraic eigenvalues of the Hessian H of the objective on "
    "one fixed batch, at each kept checkpoint. Middle: its trace (Hutch++, 95% interval). "
    "Right: λ_max(P⁻¹H), P = (1 − β₁ᵗ)·diag(√(v_t/"
    "(1 − β₂ᵗ)) + ε) Adam's preconditioner at that checkpoint, against Adam's stability "
    "threshold (2 + 2β₁)/((1 − β₁)η), 38/η at β₁ = 0.9 (Cohen et al. 2022): Adam's steps are "
    "stable below it. 2/η, gradient descent's threshold for λ_max(H), does not apply to Adam."
)


def plot_along_training(summary: dict) -> Figure:
    """Both ends of H's spectrum (left), its trace with the 95% interval (middle), and
    λ_max(P⁻¹H) with Adam's threshold (right, on a log scale where every value is positive),
    against the iteration."""
    points = summary["checkpoints"]
    iterations = [point["iteration"] for point in points]
    figure = Figure(figsize=(14.0, 3.8), layout="constrained")
    left, middle, right = figure.subplots(1, 3)
    middle.errorbar(
        iterations,
        [p["trace"]["trace"] for p in points],
        yerr=[p["trace"]["half_width"] for p in points],
        fmt="o-",
        capsize=3,
        label=r"$\mathrm{tr}(H)$, Hutch++ 95% interval",
    )
    middle.set_title("Hessian: trace")
    middle.set_ylabel("trace")
    left.plot(iterations, [p["lambda_max"] for p in points], "o-", label=r"$\lambda_{\max}(H)$")
    left.plot(iterations, [p["lambda_min"] for p in points], "s-", label=r"$\lambda_{\min}(H)$")
    left.axhline(0.0, color="black", lw=0.5)
    left.set_title("Hessian: both ends of the spectrum")
    left.set_ylabel("eigenvalue")
    preconditioned = [p["preconditioned_lambda_max"] for p in points]
    thresholds = [p["stability_threshold"] for p in points]
    beta1 = points[-1]["adam"]["betas"][0]
    right.plot(iterations, preconditioned, "o-", label=r"$\lambda_{\max}(P^{-1}H)$, Adam's $P$")
    right.plot(
        iterations,
        thresholds,
        "--",
        color="#cf222e",
        label=rf"$(2+2\beta_1)/((1-\beta_1)\eta)$ = {(2 + 2 * beta1) / (1 - beta1):.3g}$/\eta$"
        f" = {thresholds[-1]:.4g}",
    )
    if min(preconditioned + thresholds) > 0:
        right.set_yscale("log")
    right.set_title("Adam: preconditioned sharpness")
    for axes in (left, middle, right):
        axes.set_xlabel("iteration")
        axes.legend(fontsize="small")
    return figure


def render_along_training(summary: dict, figure_names: list[str]) -> str:
    """A self-contained page of the numbers at every checkpoint, linking the PNGs beside it."""
    config, run = summary["config"], summary["run"]
    rows = "".join(
        f"<tr><td>{p['iteration']}</td><td>{p['lambda_max']:.6g}</td><td>{p['lambda_min']:.6g}"
        f"</td><td>{p['preconditioned_lambda_max']:.6g}</td><td>{p['stability_threshold']:.6g}"
        f"</td><td>{p['trace']['trace']:.6g} ± {p['trace']['half_width']:.3g}</td>"
        f"<td>{p['hvp_count']['total']}</td><td>{p['seconds']:.1f}</td></tr>"
        for p in summary["checkpoints"]
    )
    stability = summary["stability"]
    title = f"{config['objective']} objective of {config['algo']} on {config['tasks']}"
    return page(
        f"Curvature along training of the {title}",
        f"""<p>Checkpoints: {html.escape(config["checkpoints"])} ({len(summary["checkpoints"])},
trained with inner step size {run["inner_lr"]} and {run["inner_steps"]} inner steps);
{summary["parameter_count"]} parameters, {summary["dtype"]}, device
{html.escape(summary["device"])}; {summary["hvp_count"]} Hessian-vector products;
{summary["seconds"]:.1f} s. {html.escape(summary["warm_start"])}.</p>
<p>Plotted: {html.escape(stability["plotted"])}, {html.escape(stability["preconditioner"])}
({html.escape(stability["reference"])}).</p>
<table><tr><th>iteration</th><th>λ_max(H)</th><th>λ_min(H)</th><th>λ_max(P⁻¹H)</th>
<th>threshold</th><th>tr(H), Hutch++ (95%)</th><th>products</th><th>seconds</th></tr>{rows}
</table>
<h2>Figures</h2>{figures_html({name: CAPTION for name in figure_names})}""",
    )
