"""``seqbench features``: input features of an image or video and what each kind of model pays.

    seqbench features --preset 1080p
    seqbench features --height 1080 --width 1920 --channels 3 --seconds 240 --fps 30 --json
"""

from __future__ import annotations

import argparse
import json

from seqbench.analysis.features import GATES, PRESETS, format_bytes, report, video_frames
from seqbench.cli.parsing import Parser
from seqbench.core.errors import ConfigError


def _parser() -> argparse.ArgumentParser:
    presets = ", ".join(f"{name} ({p.width}x{p.height}x{p.channels})" for name, p in PRESETS.items())
    parser = Parser(
        prog="seqbench features",
        description="Input features of an image (or video) and the parameters a fully connected layer, "
                    "a row-reading RNN and a small convolution need for it.",
        epilog=f"presets: {presets}")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="a named resolution (sets height, width, channels)")
    parser.add_argument("--height", type=int, help="pixels per column (rows)")
    parser.add_argument("--width", type=int, help="pixels per row")
    parser.add_argument("--channels", type=int, help="numbers per pixel (3 for colour; default 3)")
    video = parser.add_mutually_exclusive_group()
    video.add_argument("--frames", type=int, help="frames of video (default 1: one image)")
    video.add_argument("--seconds", type=float, help="seconds of video (with --fps)")
    parser.add_argument("--fps", type=float, help="frames per second (with --seconds)")
    parser.add_argument("--hidden", type=int, default=1000,
                        help="hidden units of the fully connected layer and of the RNN (default 1000)")
    parser.add_argument("--cell", default="lstm", choices=sorted(GATES), help="the RNN's cell (default lstm)")
    parser.add_argument("--classes", type=int, default=10, help="outputs of the RNN's and conv's heads (default 10)")
    parser.add_argument("--conv-widths", default="32,64", help="channels of each 3x3 conv layer (default 32,64)")
    parser.add_argument("--kernel", type=int, default=3, help="conv kernel size (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    return parser


def _resolve(args: argparse.Namespace) -> dict:
    preset = PRESETS.get(args.preset) if args.preset else None
    height = args.height if args.height is not None else (preset.height if preset else None)
    width = args.width if args.width is not None else (preset.width if preset else None)
    channels = args.channels if args.channels is not None else (preset.channels if preset else 3)
    if height is None or width is None:
        raise ConfigError("give --height and --width, or a --preset")
    if (args.seconds is None) != (args.fps is None):
        raise ConfigError("--seconds and --fps go together")
    frames = video_frames(args.seconds, args.fps) if args.seconds is not None else (args.frames or 1)
    try:
        widths = tuple(int(w) for w in args.conv_widths.split(",") if w.strip())
    except ValueError:
        raise ConfigError(f"--conv-widths={args.conv_widths!r}: must be comma-separated integers") from None
    if not widths or min(widths) < 1:
        raise ConfigError(f"--conv-widths={args.conv_widths!r}: must be comma-separated integers >= 1")
    for name, value in (("hidden", args.hidden), ("classes", args.classes), ("kernel", args.kernel)):
        if value < 1:
            raise ConfigError(f"--{name}={value}: must be an integer >= 1")
    return dict(height=height, width=width, channels=channels, frames=frames, hidden=args.hidden, cell=args.cell,
                outputs=args.classes, conv_widths=widths, kernel=args.kernel)


def render(r: dict) -> str:
    """The report as text, one fact per line."""
    d, rnn, conv = r["dense"], r["rnn"], r["conv"]
    what = f"{r['width']} x {r['height']} x {r['channels']}"
    if r["frames"] > 1:
        what += f" x {r['frames']:,} frames"
    memory = r["machine_memory_bytes"]
    fits = d["fits_in_available_memory"]
    verdict = "unknown (machine memory unknown)" if fits is None else (
        f"{'fits' if fits else 'does NOT fit'} in this machine's {format_bytes(memory['available'])} available")
    lines = [
        f"input features ({what}): {r['features']:,}",
        f"fully connected layer, {d['hidden']:,} hidden units:",
        f"  first-layer weights        {d['weights']:,}  ({d['weights']:.3g})",
        f"  memory, fp32 / bf16        {format_bytes(d['bytes']['fp32'])} / {format_bytes(d['bytes']['bf16'])}",
        f"  training with Adam (fp32)  {format_bytes(d['train_bytes_fp32_adam'])} "
        f"(weights, gradients, 2 moments): {verdict}",
        f"{rnn['cell']} reading one row per step ({rnn['input_per_step']:,} numbers x {rnn['steps']:,} steps), "
        f"{rnn['hidden']:,} hidden, {rnn['outputs']} outputs:",
        f"  parameters                 {rnn['parameters']:,}  (the same for any height)",
        f"convolution {'-'.join(str(w) for w in conv['widths'])} channels, {conv['kernel']}x{conv['kernel']} kernels, "
        f"global pooling, {conv['outputs']} outputs:",
        f"  parameters                 {conv['parameters']:,}  (the same for any height and width)",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    r = report(**_resolve(args))
    print(json.dumps(r, indent=2) if args.json else render(r))
    return 0
