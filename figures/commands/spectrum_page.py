"""The pictures and the page of ``mamlscape spectrum``: eigenvalue bars, trace estimates, HTML.

:func:`plot_eigenvalues` draws both ends of the spectrum, :func:`plot_traces`
the trace estimates with their 95% intervals beside SLQ's, and
:func:`render_html` the report page from the summary ``spectrum.json`` holds.

Example:
    >>> import torch
    >>> from analysis.hvp import MatrixOperator
    >>> from analysis.spectrum import extreme_eigenvalues
    >>> matrix = torch.diag(torch.tensor([-1.0, 2.0, 3.0], dtype=torch.float64))
    >>> spectrum = extreme_eigenvalues(MatrixOperator(matrix), k=1)
    >>> [len(axes.patches) for axes in plot_eigenvalues(spectrum).axes]
    [1, 1]
"""

from __future__ import annotations

import html

from matplotlib.figure import Figure

from analysis.spectrum import ExtremeEigenvalues
from analysis.trace import TraceEstimate


def plot_eigenvalues(spectrum: ExtremeEigenvalues) -> Figure:
    """Bars of the k smallest and the k largest algebraic eigenvalues, side by side."""
    figure = Figure(figsize=(8.0, 3.5), layout="constrained")
    left, right = figure.subplots(1, 2)
    for axes, values, label in (
        (left, spectrum.smallest, "smallest"),
        (right, spectrum.largest, "largest"),
    ):
        colours = ["#cf222e" if v < 0 else "#0969da" for v in values]
        axes.bar([str(i + 1) for i in range(len(values))], values, color=colours)
        axes.axhline(0.0, color="black", lw=0.5)
        axes.set_title(f"{len(values)} {label} algebraic eigenvalues")
        axes.set_xlabel("rank")
    left.set_ylabel("eigenvalue")
    return figure


def plot_traces(traces: dict[str, TraceEstimate], slq_trace: float) -> Figure:
    """The trace estimates with their 95% intervals, and the SLQ estimate n·∫t φ̂(t) dt."""
    figure = Figure(figsize=(5.0, 3.5), layout="constrained")
    axes = figure.subplots()
    names = list(traces)
    axes.errorbar(
        names,
        [traces[name].trace for name in names],
        yerr=[traces[name].half_width for name in names],
        fmt="o",
        capsize=6,
    )
    axes.axhline(slq_trace, color="grey", ls="--", label=f"SLQ estimate {slq_trace:.4g}")
    budget = traces[names[0]].hvp_count
    axes.set_title(f"tr(H), 95% intervals, {budget} products each")
    axes.set_ylabel("trace")
    axes.legend()
    return figure


def render_html(summary: dict, figure_names: list[str]) -> str:
    """A self-contained page of the numbers, linking the PNGs next to it."""
    config, spectrum = summary["config"], summary["spectrum"]
    rows = "".join(
        f"<tr><td>{rank + 1}</td><td>{large:.6g}</td><td>{small:.6g}</td></tr>"
        for rank, (large, small) in enumerate(zip(spectrum["largest"], spectrum["smallest"]))
    )
    traces = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{t['trace']:.6g}</td>"
        f"<td>± {t['half_width']:.3g}</td><td>{t['hvp_count']}</td></tr>"
        for name, t in summary["trace"].items()
    )
    sharpness = "".join(_sharpness_row(name, s) for name, s in summary["sharpness"].items())
    images = "".join(
        f'<figure><img src="{name}" alt="{name}"><figcaption>{name}</figcaption></figure>'
        for name in figure_names
    )
    title = html.escape(f"{config['objective']} objective of {config['algo']} on {config['tasks']}")
    source = html.escape(config["checkpoint"] or f"random initialisation, seed {config['seed']}")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Spectrum: {title}</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:auto}}
td,th{{padding:0.2em 0.8em;text-align:right}}img{{max-width:34em}}
figure{{display:inline-block}}</style></head><body>
<h1>Curvature of the {title}</h1>
<p>θ: {source}; {summary["parameter_count"]} parameters, {summary["dtype"]}, device
{html.escape(summary["device"])}; loss {summary["loss"]:.6g}; {summary["hvp_count"]}
Hessian-vector products; {summary["seconds"]:.1f} s.</p>
<h2>Extreme algebraic eigenvalues (Lanczos, converged: {spectrum["converged"]})</h2>
<table><tr><th>rank</th><th>largest</th><th>smallest</th></tr>{rows}</table>
<h2>Trace (95% intervals)</h2>
<table><tr><th>method</th><th>trace</th><th>interval</th><th>products</th></tr>{traces}</table>
<h2>Sharpness</h2>
<table><tr><th>kind</th><th>radius</th><th>L(θ+ε) − L(θ)</th><th>one step / interval</th>
<th>converged</th></tr>{sharpness}</table>
<h2>Figures</h2>{images}
</body></html>
"""


def _sharpness_row(name: str, result: dict) -> str:
    if "sigma" in result:
        radius, extra = f"σ = {result['sigma']:g}", f"± {result['half_width']:.3g}"
        converged = "—"
    else:
        radius, extra = f"ρ = {result['rho']:g}", f"{result['one_step_sharpness']:.6g}"
        converged = str(result["converged"])
    return (
        f"<tr><td>{html.escape(name)}</td><td>{radius}</td><td>{result['sharpness']:.6g}</td>"
        f"<td>{extra}</td><td>{converged}</td></tr>"
    )
