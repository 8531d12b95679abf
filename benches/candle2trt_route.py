#!/usr/bin/env python3
"""candle2trt's conversion time on the GPU machine, for the models, precisions and batches of
`onnx_route.py`: `candle2trt convert --arch NAME --weights CKPT [--fp16] --batch B:B:B` (static
batch B, as the ONNX route's static shapes), timed end to end (process wall time: checkpoint load,
trace, TensorRT-RTX build, engine file write) and as the binary reports it (trace, build).

Random-weight torchvision checkpoints are written first with `torch.save(model.state_dict())`
(`torch.manual_seed(0)`), SimpleCNN uses the repository's fixture. Median of 2 conversions each.

Usage (on the GPU machine):
    TENSORRT_LIBRARY=.../libtensorrt_rtx.so.1 python3 candle2trt_route.py --bin ./candle2trt \
        --simple-cnn fixtures/simple_cnn/model.safetensors --out results.json
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import tempfile
import time


def checkpoints(names, simple_cnn, tmp):
    import torch
    import torchvision

    torch.manual_seed(0)
    paths = {}
    for name in names:
        if name == "simple_cnn":
            paths[name] = simple_cnn
            continue
        path = os.path.join(tmp, f"{name}.pth")
        torch.save(getattr(torchvision.models, name)(weights=None).state_dict(), path)
        paths[name] = path
    return paths


REPORT = re.compile(r"converted in ([\d.]+) s \(trace ([\d.]+) s, TensorRT build ([\d.]+) s")


def convert(binary, name, ckpt, fp16, batch, out):
    cmd = [binary, "convert", "--arch", name, "--weights", ckpt, "--batch", f"{batch}:{batch}:{batch}",
           "--progress", "none", "-o", out]
    if fp16:
        cmd.append("--fp16")
    started = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()[-500:]}")
    m = REPORT.search(p.stdout)
    if not m:
        raise RuntimeError(f"no report line in {p.stdout[-500:]}")
    return {"wall_s": wall, "converted_s": float(m[1]), "trace_s": float(m[2]), "build_s": float(m[3]),
            "engine_file_bytes": os.path.getsize(out)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--simple-cnn", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", default="simple_cnn,resnet18,mobilenet_v2,efficientnet_b0")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    names = args.models.split(",")
    results = {"rows": [], "errors": []}
    with tempfile.TemporaryDirectory() as tmp:
        ckpts = checkpoints(names, args.simple_cnn, tmp)
        # One warm-up conversion (page cache, library load), discarded.
        convert(args.bin, names[0], ckpts[names[0]], False, 1, os.path.join(tmp, "warm.engine"))
        for name in names:
            for fp16 in (False, True):
                for batch in [int(b) for b in args.batches.split(",")]:
                    prec = "fp16" if fp16 else "fp32"
                    try:
                        runs = [convert(args.bin, name, ckpts[name], fp16, batch, os.path.join(tmp, "m.engine"))
                                for _ in range(args.runs)]
                        row = {"model": name, "precision": prec, "batch": batch, "runs": runs}
                        for k in ("wall_s", "converted_s", "trace_s", "build_s"):
                            row[k] = statistics.median(r[k] for r in runs)
                        row["engine_file_bytes"] = runs[-1]["engine_file_bytes"]
                        results["rows"].append(row)
                        print(f"{name:16} {prec} b{batch}: wall {row['wall_s']:.2f} s, trace {row['trace_s']:.2f} s, "
                              f"build {row['build_s']:.2f} s, {row['engine_file_bytes']} bytes", flush=True)
                    except Exception as e:  # noqa: BLE001 - recorded, the run goes on
                        results["errors"].append(f"{name} {prec} b{batch}: {e}")
                        print("ERROR", results["errors"][-1], flush=True)
                    with open(args.out, "w") as f:
                        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
