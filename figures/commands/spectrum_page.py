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
from figures.engine.files import figure_links


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
    "layers.png": "Each layer's diagonal Hessian block: its largest eigenvalue and its trace "
    "(95% interval where estimated).",
    "interpolation.png": "The loss on the line from the initialisation (0) to the checkpoint (1).",
}
"""What each figure of the report shows, as its caption (the slices: ``SLICE_CAPTIONS``)."""
SLICE_CAPTIONS = {
    "random": {
        "slice_1d.png": "The loss along one random filter-normalised direction through θ.",
        "slice_2d.png": "The loss on a plane of two random filter-normalised directions "
        "through θ (log colour scale, θ starred).",
    },
    "top": {
        "slice_1d.png": "The loss along the top Hessian eigenvector through θ (scaled to ‖θ‖): "
        "the sharpest direction.",
        "slice_2d.png": "The loss on the plane of the two sharpest Hessian eigenvectors through "
        "θ (each scaled to ‖θ‖; log colour scale, θ starred).",
    },
}


def captions(names: list[str], slice_directions: str) -> dict[str, str]:
    """The caption of each figure in ``names``, the slices' for their ``slice_directions``."""
    known = {**CAPTIONS, **SLICE_CAPTIONS[slice_directions]}
    return {name: known[name] for name in names}


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


def render_html(summary: dict, figure_captions: dict[str, str]) -> str:
    """A self-contained page of the numbers, showing the PNGs next to it with their captions."""
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
    images = figures_html(figure_captions)
    title = f"{config['objective']} objective of {config['algo']} on {config['tasks']}"
    source = html.escape(config["checkpoint"] or f"random initialisation, seed {config['seed']}")
    return page(
        f"Curvature of the {title}",
        f"""<p>θ: {source}; {summary["parameter_count"]} parameters, {summary["dtype"]}, device
{html.escape(summary["device"])}; loss {summary["loss"]:.6g}; {summary["hvp_count"]}
Hessian-vector products; {summary["seconds"]:.1f} s.</p>
{cost_html(summary["hessian_execution"], summary["costs"])}
<h2>Extreme algebraic eigenvalues (Lanczos, converged: {spectrum["converged"]})</h2>
<table><tr><th>rank</th><th>largest</th><th>smallest</th></tr>{rows}</table>
<h2>Trace (95% intervals)</h2>
<table><tr><th>method</th><th>trace</th><th>interval</th><th>products</th></tr>{traces}</table>
<p>{html.escape(trace_verdict(summary["trace"]))}</p>
{layers_html(summary.get("layers"))}{gauss_newton_html(summary.get("gauss_newton"))}
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
td,th{{padding:0.2em 0.8em;text-align:right}}img{{max-width:100%}}
figure{{display:inline-block;max-width:100%;margin:0.5em}}</style></head><body>
<h1>{heading}</h1>
{body}
</body></html>
"""


def figures_html(captions: dict[str, str]) -> str:
    """The PNGs named by ``captions``' keys (next to the page), each with its caption and
    links to its PNG, PDF and SVG."""
    return "".join(
        f'<figure><img src="{name}" alt="{html.escape(caption)}">'
        f"<figcaption>{html.escape(caption)} Files: {figure_links(name)}</figcaption></figure>"
        for name, caption in captions.items()
    )


def cost_html(execution: dict, costs: dict[str, dict]) -> str:
    """How the Hessian's products ran (``analysis.memory_plan``) and what each measurement
    cost in products and seconds."""
    per_task = execution["graph_bytes_per_task"] / 2**20
    how = (
        f"one kept graph of {execution['tasks']} tasks"
        if execution["execution"] == "kept graph"
        else f"{execution['chunks']} chunks of ≤ {execution['chunk_size']} tasks, each graph "
        "rebuilt for every product"
    )
    rows = [[stage, cost["products"], f"{cost['seconds']:.2f}"] for stage, cost in costs.items()]
    return (
        f"<p>Hessian-vector products: {how} (double backward; the graph of ∇F holds "
        f"{per_task:.1f} MiB per task, the budget was {execution['budget_bytes'] / 2**30:.1f} "
        "GiB).</p>" + table_html(["measurement", "products", "seconds"], rows)
    )


def table_html(header: list[str], rows: list[list[object]]) -> str:
    """An HTML table of ``rows`` (each cell shown with ``str`` and escaped) under ``header``."""
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def layers_html(layers: dict | None) -> str:
    """The per-layer table (``--per-layer``): each diagonal block's ends and trace."""
    if layers is None:
        return ""
    rows = [
        [
            block["name"],
            block["size"],
            f"{block['largest'][0]:.6g}",
            f"{block['smallest'][0]:.6g}",
            f"{block['trace']['trace']:.6g} ± {block['trace']['half_width']:.3g}",
            block["trace"]["method"],
            block["hvp_count"],
        ]
        for block in layers["blocks"]
    ]
    header = ["block", "size", "λ_max", "λ_min", "trace", "trace by", "products"]
    return (
        "<h2>Per layer: diagonal Hessian blocks</h2><p>Eigenvalues of each layer's block "
        "H_BB (every other parameter fixed), not of H: by interlacing λ_max(H_BB) ≤ λ_max(H) "
        "and λ_min(H_BB) ≥ λ_min(H); the block traces add up to tr(H) "
        f"({layers['trace']:.6g} ± {layers['trace_half_width']:.3g}).</p>"
        + table_html(header, rows)
    )


def gauss_newton_html(gap: dict | None) -> str:
    """The Gauss–Newton section (``--ggn``): H and G side by side, and how far apart."""
    if gap is None:
        return ""
    trace = gap["trace_gap"]
    rows = [
        ["λ_max", f"{gap['hessian_largest'][0]:.6g}", f"{gap['ggn_largest'][0]:.6g}"],
        ["λ_min", f"{gap['hessian_smallest'][0]:.6g}", f"{gap['ggn_smallest'][0]:.6g}"],
    ]
    return (
        "<h2>Gauss–Newton beside the Hessian</h2>"
        + table_html(["", "Hessian H", "Gauss–Newton G"], rows)
        + f"<p>‖H − G‖_F / ‖H‖_F ≈ {gap['relative_frobenius_gap']:.3g} (over "
        f"{gap['probes']} probes); tr(H − G) = {trace['trace']:.6g} ± {trace['half_width']:.3g} "
        f"(95%). Fisher: {html.escape(gap['fisher'])}; its λ_max "
        f"{gap['fisher_largest'][0]:.6g}.</p>"
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
