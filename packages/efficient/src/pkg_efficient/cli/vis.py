"""efficient-vis: pictures of learned shifts, compression trade-offs and W_eq spectra (PNG)."""

from __future__ import annotations

import json
import pathlib

from pkg_efficient.cli.common import get_model
from pkg_shared.cli import entrypoint, make_parser
from pkg_shared.errors import ConfigError, DataFormatError

EXAMPLE = """examples:
  efficient-vis shifts --weights runs/ssl/model.pt --out shifts.png
  efficient-vis tradeoff runs/ldrf/report.json runs/chanprune/report.json runs/fga/report.json --out tradeoff.png
  efficient-vis spectrum --weights runs/fga/compressed.pt --out spectrum.png
"""


def _read_report(path: pathlib.Path) -> dict:
    if not path.is_file():
        raise DataFormatError(path, "report file not found")
    try:
        rep = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFormatError(path, f"not valid JSON ({exc})", getattr(exc, "lineno", None)) from exc
    if not isinstance(rep, dict):
        raise DataFormatError(path, f"not an efficient-compress report (a JSON {type(rep).__name__}, not an object)")
    missing = [k for k in ("method", "madds_M", "speedup_theoretical", "logit_rel_error_calib") if k not in rep]
    if missing:
        raise DataFormatError(path, f"not an efficient-compress report (missing {', '.join(missing)})")
    return rep


@entrypoint
def main(argv: list[str] | None = None) -> int:
    p = make_parser("efficient-vis", "Visualise shifts (paper A), compression trade-offs (B, C), W_eq spectra (C).\n\n"
                    + EXAMPLE, config=False, device=False, seed=False)
    p.add_argument("what", choices=["shifts", "tradeoff", "spectrum"])
    p.add_argument("reports", nargs="*", type=pathlib.Path, help="tradeoff: efficient-compress report.json files")
    p.add_argument("--model", help="model name (bare state dicts / a fresh model)")
    p.add_argument("--weights", help="checkpoint (shifts: a trained SSL model; spectrum: a compressed checkpoint)")
    p.add_argument("--metric", default="auto", choices=["auto", "logit_error", "top1_before", "top1_after"],
                   help="tradeoff y axis (auto: accuracy after fine-tuning if present, else before, else logit error)")
    args = p.parse_args(argv)
    from pkg_efficient import vis

    out = args.out or pathlib.Path(f"{args.what}.png")
    if out.suffix != ".png":
        out = out / f"{args.what}.png"
    if args.what == "shifts":
        model, spec = get_model(args.model, args.weights)
        try:
            path = vis.plot_shifts(model, out, str(spec.get("name", "")))
        except ValueError as exc:
            raise ConfigError(f"{args.weights or args.model}: {exc}") from exc
    elif args.what == "tradeoff":
        if not args.reports:
            raise ConfigError("tradeoff needs one or more report.json files")
        points, base, label = [], None, None
        for r in args.reports:
            try:
                pt, b, lab = vis.report_point(_read_report(r), args.metric)
            except KeyError as exc:
                raise DataFormatError(r, str(exc).strip("'\"")) from exc
            if label is not None and lab != label:
                raise ConfigError(f"{r}: reports disagree on the metric ({lab} vs {label}); pass --metric")
            points.append(pt)
            base, label = base or b, lab
        path = vis.plot_tradeoff(points, out, label, baseline=base)
    else:
        if not args.weights:
            raise ConfigError("spectrum needs --weights of a compressed checkpoint (fga, chandecomp, tucker, cp)")
        model, spec = get_model(None, args.weights)
        comp = spec.get("compression", {})
        if "layers" not in comp:
            raise DataFormatError(args.weights, "not a decomposed checkpoint (fga, chandecomp, tucker, cp)")
        try:
            spectra = vis.weq_spectra(model, list(comp["layers"]), comp["kind"])
        except ValueError as exc:
            raise DataFormatError(args.weights, str(exc)) from exc
        path = vis.plot_spectra(spectra, out, f"{comp['kind']} W_eq spectra")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
