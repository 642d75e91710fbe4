"""The pictures and the page of ``mamlscape spectrum``: eigenvalue bars, trace estimates, HTML.

:func:`plot_eigenvalues` draws both ends of the spectrum, :func:`plot_traces`
the three trace estimates (Hutchinson, Hutch++, SLQ) with their 95% intervals, and
:func:`render_html` the report page from the summary ``spectrum.json`` holds;
:func:`page` and :func:`figures_html` are the frame and the captioned figures of
every page of the command (``figures.commands.spectrum_training_page`` too).

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
from analysis.trace import TraceEstimate, disagreements


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


def plot_traces(traces: dict[str, TraceEstimate]) -> Figure:
    """Every trace estimate (Hutchinson, Hutch++, SLQ) with its 95% interval and its cost."""
    figure = Figure(figsize=(5.0, 3.5), layout="constrained")
    axes = figure.subplots()
    names = list(traces)
    axes.errorbar(
        [f"{name}\n{traces[name].hvp_count} products" for name in names],
        [traces[name].trace for name in names],
        yerr=[traces[name].half_width for name in names],
        fmt="o",
        capsize=6,
    )
    axes.set_title("tr(H): estimates with 95% intervals")
    axes.set_ylabel("trace")
    return figure


TRACE_ADVICE = (
    "All three estimate the same trace without bias; trust the narrowest interval, usually "
    "Hutch++'s (it removes the top eigen-directions exactly, so its error falls as 1/budget "
    "where a few eigenvalues dominate, against 1/√budget for Hutchinson). SLQ's trace comes "
    "from its few density probes only: it checks the others, it does not replace them."
)
CAPTIONS = {
    "eigenvalues.png": "The k largest and k smallest algebraic Hessian eigenvalues (Lanczos).",
    "trace.png": "The trace of the Hessian by three estimators, with 95% intervals.",
    "density.png": "Spectral density of the Hessian (stochastic Lanczos quadrature), smoothed.",
    "slice_1d.png": "The loss along one random filter-normalised direction through θ.",
    "slice_2d.png": "The loss on a plane of two random filter-normalised directions through θ "
    "(log colour scale, θ starred).",
    "interpolation.png": "The loss on the line from the initialisation (0) to the checkpoint (1).",
}
"""What each figure of the report shows, as its caption."""


def trace_verdict(traces: dict[str, dict]) -> str:
    """The advice, and which estimates disagree beyond their intervals (if any)."""
    estimates = {name: TraceEstimate(**values) for name, values in traces.items()}
    pairs = disagreements(estimates)
    if not pairs:
        return f"{TRACE_ADVICE} Here their intervals overlap: they agree."
    listed = "; ".join(f"{a} and {b}" for a, b in pairs)
    return (
        f"{TRACE_ADVICE} Here {listed} disagree beyond their intervals: raise the trace "
        "budget and the density probes (SpectrumConfig.trace_budget, density_probes) before "
        "trusting either."
    )


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
    images = figures_html({name: CAPTIONS[name] for name in figure_names})
    title = f"{config['objective']} objective of {config['algo']} on {config['tasks']}"
    source = html.escape(config["checkpoint"] or f"random initialisation, seed {config['seed']}")
    return page(
        f"Curvature of the {title}",
        f"""<p>θ: {source}; {summary["parameter_count"]} parameters, {summary["dtype"]}, device
{html.escape(summary["device"])}; loss {summary["loss"]:.6g}; {summary["hvp_count"]}
Hessian-vector products; {summary["seconds"]:.1f} s.</p>
<h2>Extreme algebraic eigenvalues (Lanczos, converged: {spectrum["converged"]})</h2>
<table><tr><th>rank</th><th>largest</th><th>smallest</th></tr>{rows}</table>
<h2>Trace (95% intervals)</h2>
<table><tr><th>method</th><th>trace</th><th>interval</th><th>products</th></tr>{traces}</table>
<p>{html.escape(trace_verdict(summary["trace"]))}</p>
<h2>Sharpness</h2>
<table><tr><th>kind</th><th>radius</th><th>L(θ+ε) − L(θ)</th><th>one step / interval</th>
<th>converged</th></tr>{sharpness}</table>
<h2>Figures</h2>{images}""",
    )


def page(title: str, body: str) -> str:
    """A self-contained HTML page of ``title`` (plain text) and ``body`` (HTML)."""
    heading = html.escape(title)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Spectrum: {heading}</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:auto}}
td,th{{padding:0.2em 0.8em;text-align:right}}img{{max-width:34em}}
figure{{display:inline-block}}</style></head><body>
<h1>{heading}</h1>
{body}
</body></html>
"""


def figures_html(captions: dict[str, str]) -> str:
    """The PNGs named by ``captions``' keys (next to the page), each with its caption."""
    return "".join(
        f'<figure><img src="{name}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for name, caption in captions.items()
    )


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
