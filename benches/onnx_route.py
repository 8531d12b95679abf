#!/usr/bin/env python3
"""The route most users take today, timed on the GPU machine: PyTorch -> torch.onnx.export -> TensorRT-RTX's
own ONNX parser and builder (Python bindings), plus PyTorch eager inference on the GPU.

For resnet18, mobilenet_v2, efficientnet_b0 (torchvision, random weights) and the brief's SimpleCNN, at batch 1
and 8, in f32 and f16, it records:

- ONNX route: `torch.onnx.export` time, ONNX parse time, TensorRT build time, engine size (bytes);
- PyTorch eager: median latency of the forward on the GPU (CUDA-synchronized per iteration).

"f16" means what candle2trt's `--fp16` means: f32 inputs and outputs, f16 weights and compute inside (the exported
module casts its input to f16 and its output back to f32). TensorRT-RTX networks are strongly typed, so precision
comes from the ONNX graph, not from a builder flag. Eager f16 runs `model.half()` on an f16 input.

Usage (on the GPU machine; the TensorRT-RTX wheels on PYTHONPATH):
    python3 benches/onnx_route.py --out results.json [--models resnet18,simple_cnn] [--batches 1,8]

Results are written after every configuration, so an interrupted run still leaves what it measured.
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback

import torch
import torch.nn as nn


class SimpleCNN(nn.Module):
    """The project brief's model: Conv2d(3,16,3,p=1) -> ReLU -> MaxPool2d(2) -> flatten -> Linear(4096,10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.fc = nn.Linear(16 * 16 * 16, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
        return self.fc(x.view(x.size(0), -1))


class F16Inside(nn.Module):
    """f32 in and out, f16 weights and compute inside (candle2trt's fp16_mode)."""

    def __init__(self, model):
        super().__init__()
        self.model = model.half()

    def forward(self, x):
        return self.model(x.half()).float()


def build_model(name):
    torch.manual_seed(0)
    if name == "simple_cnn":
        return SimpleCNN(), 32
    import torchvision

    return getattr(torchvision.models, name)(weights=None), 224


def import_trt():
    try:
        import tensorrt_rtx as trt  # noqa: F401
    except ImportError:
        import tensorrt_rtx_bindings as trt
    return trt


def export_onnx(model, x, path):
    """torch.onnx.export with the default exporter of this PyTorch; falls back to the TorchScript exporter."""
    try:
        torch.onnx.export(model, (x,), path, input_names=["input"], output_names=["logits"], dynamo=True)
        return "dynamo"
    except Exception as e:  # noqa: BLE001 - recorded, then the other exporter is tried
        print(f"  dynamo export failed ({type(e).__name__}: {str(e)[:200]}); trying dynamo=False", flush=True)
        torch.onnx.export(model, (x,), path, input_names=["input"], output_names=["logits"], dynamo=False)
        return "torchscript"


def trt_build(trt, logger, onnx_path):
    """Parse the ONNX file and build a serialized engine; returns (parse_s, build_s, engine bytes)."""
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    t0 = time.perf_counter()
    ok = parser.parse_from_file(onnx_path)
    parse_s = time.perf_counter() - t0
    if not ok:
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"ONNX parse failed: {errors}")
    config = builder.create_builder_config()
    t0 = time.perf_counter()
    engine = builder.build_serialized_network(network, config)
    build_s = time.perf_counter() - t0
    if engine is None:
        raise RuntimeError("build_serialized_network returned None (see TensorRT's log above)")
    return parse_s, build_s, bytes(engine)


def try_deserialize(trt, engine):
    """Executing needs a GPU TensorRT-RTX supports; record what this one says to a deserialization."""

    class Capture(trt.ILogger):
        def __init__(self):
            trt.ILogger.__init__(self)
            self.messages = []

        def log(self, severity, msg):
            if severity <= trt.ILogger.Severity.WARNING:
                self.messages.append(str(msg))

    capture = Capture()
    try:
        eng = trt.Runtime(capture).deserialize_cuda_engine(engine)
        status = "ok" if eng is not None else "refused"
    except Exception as e:  # noqa: BLE001
        status = f"raised {type(e).__name__}: {e}"
    return {"status": status, "log": capture.messages[-3:]}


def eager_median_ms(model, x, warmup, iters):
    times = []
    with torch.inference_mode():
        for _ in range(warmup):
            model(x)
        torch.cuda.synchronize()
        for _ in range(iters):
            t0 = time.perf_counter()
            model(x)
            torch.cuda.synchronize()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), min(times), max(times)


def machine():
    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cpu_count": os.cpu_count(),
        "cudnn_tf32": torch.backends.cudnn.allow_tf32,
        "matmul_tf32": torch.backends.cuda.matmul.allow_tf32,
    }
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        info["gpu"] = p.name
        info["compute_capability"] = f"{p.major}.{p.minor}"
    try:
        import onnx

        info["onnx"] = onnx.__version__
    except ImportError:
        info["onnx"] = None
    try:
        import torchvision

        info["torchvision"] = torchvision.__version__
    except ImportError:
        pass
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="onnx_route.json")
    ap.add_argument("--models", default="simple_cnn,resnet18,mobilenet_v2,efficientnet_b0")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--precisions", default="fp32,fp16")
    ap.add_argument("--repeats", type=int, default=2, help="full ONNX-route conversions per configuration")
    ap.add_argument("--budget-s", type=float, default=1e9, help="start no new ONNX configuration after this")
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--iters", type=int, default=100)
    ap.add_argument("--skip-eager", action="store_true")
    ap.add_argument("--skip-onnx", action="store_true")
    args = ap.parse_args()

    started = time.perf_counter()
    results = {"machine": machine(), "onnx_route": [], "eager": [], "errors": []}
    trt = None
    if not args.skip_onnx:
        trt = import_trt()
        results["machine"]["tensorrt_rtx"] = getattr(trt, "__version__", "?")
    print(json.dumps(results["machine"]), flush=True)

    def save():
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)

    models = args.models.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    precisions = args.precisions.split(",")
    tmp = tempfile.mkdtemp()

    if not args.skip_eager and torch.cuda.is_available():
        for name in models:
            for prec in precisions:
                for batch in batches:
                    if time.perf_counter() - started > args.budget_s:
                        results["errors"].append(f"onnx {name} {prec} b{batch}: skipped (time budget)")
                        continue
                    try:
                        model, side = build_model(name)
                        model = model.eval().cuda()
                        x = torch.randn(batch, 3, side, side, device="cuda")
                        if prec == "fp16":
                            model, x = model.half(), x.half()
                        med, lo, hi = eager_median_ms(model, x, args.warmup, args.iters)
                        results["eager"].append(
                            {
                                "model": name,
                                "precision": prec,
                                "batch": batch,
                                "median_ms": med,
                                "min_ms": lo,
                                "max_ms": hi,
                                "iters": args.iters,
                            }
                        )
                        print(f"eager {name:16} {prec} b{batch}: median {med:.3f} ms", flush=True)
                    except Exception as e:  # noqa: BLE001
                        traceback.print_exc()
                        results["errors"].append(f"eager {name} {prec} b{batch}: {type(e).__name__}: {e}")
                    save()
    if trt is not None:
        logger = trt.Logger(trt.Logger.WARNING)
        # The first export pays one-time imports and compilation; keep it out of the figures.
        warm = build_model("simple_cnn")[0].eval()
        export_onnx(warm, torch.randn(1, 3, 32, 32), os.path.join(tmp, "warmup.onnx"))
        for name in models:
            for prec in precisions:
                for batch in batches:
                    if time.perf_counter() - started > args.budget_s:
                        results["errors"].append(f"onnx {name} {prec} b{batch}: skipped (time budget)")
                        continue
                    try:
                        model, side = build_model(name)
                        model = model.eval()
                        if prec == "fp16":
                            model = F16Inside(model).eval()
                        x = torch.randn(batch, 3, side, side)
                        runs = []
                        for r in range(args.repeats):
                            path = os.path.join(tmp, f"{name}_{prec}_b{batch}_{r}.onnx")
                            t0 = time.perf_counter()
                            exporter = export_onnx(model, x, path)
                            export_s = time.perf_counter() - t0
                            parse_s, build_s, engine = trt_build(trt, logger, path)
                            runs.append(
                                {
                                    "export_s": export_s,
                                    "parse_s": parse_s,
                                    "build_s": build_s,
                                    "total_s": export_s + parse_s + build_s,
                                    "engine_bytes": len(engine),
                                    "onnx_bytes": os.path.getsize(path),
                                    "exporter": exporter,
                                }
                            )
                        row = {"model": name, "precision": prec, "batch": batch, "runs": runs}
                        for k in ("export_s", "parse_s", "build_s", "total_s", "engine_bytes", "onnx_bytes"):
                            row[k] = statistics.median(run[k] for run in runs)
                        row["exporter"] = runs[-1]["exporter"]
                        results["onnx_route"].append(row)
                        print(
                            f"onnx {name:16} {prec} b{batch}: export {row['export_s']:.2f} s, parse "
                            f"{row['parse_s']:.3f} s, build {row['build_s']:.2f} s, engine {row['engine_bytes']} B",
                            flush=True,
                        )
                        if name == "simple_cnn" and prec == "fp32" and batch == batches[0]:
                            results["deserialize"] = try_deserialize(trt, engine)
                    except Exception as e:  # noqa: BLE001 - one failing configuration must not stop the rest
                        traceback.print_exc()
                        results["errors"].append(f"onnx {name} {prec} b{batch}: {type(e).__name__}: {e}")
                    save()

    save()
    print(f"wrote {args.out}", flush=True)
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
