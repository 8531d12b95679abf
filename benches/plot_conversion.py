#!/usr/bin/env python3
"""docs/conversion_time.svg from benches/results/onnx_route_h200.json and
benches/results/candle2trt_route_h200.json: conversion time per model, precision and batch, the
ONNX route (export + parse + build) against candle2trt (`candle2trt convert`, process wall time).
Plain SVG, no plotting library.

    python3 benches/plot_conversion.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def rows(path, total_key):
    with open(path) as f:
        data = json.load(f)
    out = {}
    for r in data["rows"]:
        out[(r["model"], r["precision"], r["batch"])] = r[total_key]
    return out


def main():
    onnx_path = os.path.join(HERE, "results", "onnx_route_h200.json")
    ours_path = os.path.join(HERE, "results", "candle2trt_route_h200.json")
    with open(onnx_path) as f:
        onnx_data = json.load(f)
    onnx = {}
    for r in onnx_data["onnx_route"]:
        onnx[(r["model"], r["precision"], r["batch"])] = r["total_s"]
    ours = rows(ours_path, "wall_s")
    keys = [k for k in onnx if k in ours]
    width, left, bar, gap, top = 760, 230, 9, 8, 40
    scale_max = max(max(onnx[k], ours[k]) for k in keys)
    plot_w = width - left - 60
    height = top + len(keys) * (2 * bar + gap) + 50
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
         f'font-size="11">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{left}" y="18" font-size="13">Conversion time on the H200 machine (s, median of 2)</text>',
         f'<rect x="{left}" y="26" width="10" height="8" fill="#d9822b"/>'
         f'<text x="{left + 14}" y="34">ONNX route: torch.onnx.export + TensorRT-RTX parse + build</text>',
         f'<rect x="{left + 330}" y="26" width="10" height="8" fill="#2b6cd9"/>'
         f'<text x="{left + 344}" y="34">candle2trt convert (whole process)</text>']
    y = top + 4
    for k in keys:
        label = f"{k[0]} {k[1]} b{k[2]}"
        s.append(f'<text x="{left - 6}" y="{y + bar + 3}" text-anchor="end">{label}</text>')
        for value, color in ((onnx[k], "#d9822b"), (ours[k], "#2b6cd9")):
            w = plot_w * value / scale_max
            s.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="{color}"/>')
            s.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 1}">{value:.2f}</text>')
            y += bar
        y += gap
    for t in range(0, int(scale_max) + 1):
        x = left + plot_w * t / scale_max
        s.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{y}" stroke="#ccc" stroke-width="0.5"/>')
        s.append(f'<text x="{x:.1f}" y="{y + 14}" text-anchor="middle">{t}</text>')
    s.append(f'<text x="{left + plot_w / 2}" y="{y + 30}" text-anchor="middle">seconds</text>')
    s.append("</svg>")
    with open(os.path.join(ROOT, "docs", "conversion_time.svg"), "w") as f:
        f.write("\n".join(s) + "\n")


if __name__ == "__main__":
    main()
