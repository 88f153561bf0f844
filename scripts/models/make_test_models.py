#!/usr/bin/python3
"""Writes the small hand-built ONNX test fixtures and data fixtures, then checks them in onnxruntime-node.

    /usr/bin/python3 scripts/models/make_test_models.py

Writes test/fixtures/models/*.onnx (except cifar-synth-fragile.onnx, which make_synthetic_rgb.py trains)
and test/fixtures/data/*.npy; see test/fixtures/README.md. The models are built with onnx.helper,
opset 13, IR version 7. All weights are seeded. Finally every valid model in test/fixtures/models/ and
both demo models are loaded and run in onnxruntime-node (Node), and not-onnx.onnx must fail to load.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from common import REPO_ROOT, load_fashion_mnist, node_available, ort_run, rel

MODELS = REPO_ROOT / "test" / "fixtures" / "models"
DATA = REPO_ROOT / "test" / "fixtures" / "data"
OPSET = 13
IR_VERSION = 7
SEED = 0


def _save(model: onnx.ModelProto, name: str) -> Path:
    model.ir_version = IR_VERSION
    model.producer_name = "robustness-lens/scripts/models/make_test_models.py"
    onnx.checker.check_model(model)
    path = MODELS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def _model(nodes, inputs, outputs, initializers, name: str) -> onnx.ModelProto:
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


def linear_model(graph_name: str, in_shape: list, w: np.ndarray, b: np.ndarray, out_batch) -> onnx.ModelProto:
    """input [in_shape] float32 -> Flatten -> MatMul W [n_in, n_out] -> Add b -> logits [out_batch, n_out]."""
    nodes = [
        helper.make_node("Flatten", ["input"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "W"], ["mm"]),
        helper.make_node("Add", ["mm", "b"], ["logits"]),
    ]
    return _model(
        nodes,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, in_shape)],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [out_batch, w.shape[1]])],
        [numpy_helper.from_array(w.astype(np.float32), "W"), numpy_helper.from_array(b.astype(np.float32), "b")],
        graph_name,
    )


def nearest_centroid_weights() -> tuple[np.ndarray, np.ndarray]:
    """A linear nearest-class-mean classifier for Fashion-MNIST (inputs pixel/255), no randomness:
    logit_c = x . mu_c - |mu_c|^2 / 2, where mu_c is the mean training image of class c. The argmax is the
    class whose mean image is nearest to x. About 68% accurate on the test set."""
    x, y = load_fashion_mnist("train")
    x = x.reshape(len(x), -1).astype(np.float64) / 255.0
    mu = np.stack([x[y == c].mean(axis=0) for c in range(10)])  # [10, 784]
    return mu.T.copy(), -0.5 * (mu ** 2).sum(axis=1)


def random_weights(n_in: int, n_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded normal(0, 1) / sqrt(n_in) weights, so logits are of order 1 for inputs in [0, 1]."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_in, n_out)) / np.sqrt(n_in), rng.standard_normal(n_out) * 0.1


def wrong_input_size_model() -> onnx.ModelProto:
    """input [N,3,64,64] -> ReduceMean over H,W -> [N,3] -> MatMul [3,10] + b -> logits [N,10]."""
    w, b = random_weights(3, 10, SEED + 1)
    nodes = [
        helper.make_node("ReduceMean", ["input"], ["m"], axes=[2, 3], keepdims=0),
        helper.make_node("MatMul", ["m", "W"], ["mm"]),
        helper.make_node("Add", ["mm", "b"], ["logits"]),
    ]
    return _model(
        nodes,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 64, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        [numpy_helper.from_array(w.astype(np.float32), "W"), numpy_helper.from_array(b.astype(np.float32), "b")],
        "wrong_input_size",
    )


def nan_model() -> onnx.ModelProto:
    """input [N,1,28,28] -> logits [N,10] that are NaN for every input.

    logits = ReduceSum(input, axes [2,3]) (shape [N,1]) * zeros[1,10] + (0 / 0): the first term carries the
    batch dimension, the second is a constant NaN (Div of zero by zero, computed at run time)."""
    nodes = [
        helper.make_node("ReduceSum", ["input", "axes"], ["s"], keepdims=0),        # [N,1]
        helper.make_node("MatMul", ["s", "zeros"], ["z"]),                           # [N,10] of 0
        helper.make_node("Div", ["zero", "zero"], ["nan"]),                          # scalar NaN
        helper.make_node("Add", ["z", "nan"], ["logits"]),                           # [N,10] of NaN
    ]
    return _model(
        nodes,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        [
            numpy_helper.from_array(np.array([2, 3], dtype=np.int64), "axes"),
            numpy_helper.from_array(np.zeros((1, 10), dtype=np.float32), "zeros"),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero"),
        ],
        "nan_output",
    )


def make_models() -> list[Path]:
    w, b = nearest_centroid_weights()
    w5, b5 = random_weights(784, 5, SEED + 2)
    paths = [
        _save(linear_model("grey28_linear", ["N", 1, 28, 28], w, b, "N"), "grey28-linear.onnx"),
        _save(nan_model(), "nan-output.onnx"),
        _save(wrong_input_size_model(), "wrong-input-size.onnx"),
        _save(linear_model("five_classes", ["N", 1, 28, 28], w5, b5, "N"), "five-classes.onnx"),
        _save(linear_model("fixed_batch", [1, 1, 28, 28], w, b, 1), "fixed-batch.onnx"),
    ]
    not_onnx = MODELS / "not-onnx.onnx"
    not_onnx.write_text("this is not an ONNX model\n", encoding="ascii")
    paths.append(not_onnx)
    return paths


def make_data() -> list[Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    x, y = load_fashion_mnist("t10k")
    rng = np.random.default_rng(SEED)
    y_oor = y[:16].copy()
    y_oor[5] = 12  # out of range for 10 labels
    arrays = {
        "x16.npy": np.ascontiguousarray(x[:16], dtype=np.uint8),
        "y16.npy": np.ascontiguousarray(y[:16], dtype=np.int64),
        "y16-out-of-range.npy": y_oor.astype(np.int64),
        "x16-rgb32.npy": rng.integers(0, 256, (16, 32, 32, 3), dtype=np.uint8),
        "empty-x.npy": np.zeros((0, 28, 28), dtype=np.uint8),
        "empty-y.npy": np.zeros((0,), dtype=np.int64),
        "y15.npy": np.ascontiguousarray(y[:15], dtype=np.int64),
    }
    paths = []
    for name, a in arrays.items():
        np.save(DATA / name, a)
        paths.append(DATA / name)
    return paths


def verify() -> None:
    """Loads and runs the models in onnxruntime-node; raises on any unexpected result."""
    if not node_available():
        print("onnxruntime-node checks skipped (node or node_modules/onnxruntime-node not found)")
        return
    x16 = np.load(DATA / "x16.npy").astype(np.float32)[:, None] / 255.0  # [16,1,28,28]
    rgb = np.load(DATA / "x16-rgb32.npy").astype(np.float32).transpose(0, 3, 1, 2) / 255.0
    rgb_norm = (rgb - 0.5) / 0.25
    fixtures = [
        # (model, input, expected output shape, expect all NaN)
        (MODELS / "grey28-linear.onnx", x16, [16, 10], False),
        (MODELS / "nan-output.onnx", x16, [16, 10], True),
        (MODELS / "wrong-input-size.onnx", np.zeros((2, 3, 64, 64), np.float32), [2, 10], False),
        (MODELS / "five-classes.onnx", x16, [16, 5], False),
        (MODELS / "fixed-batch.onnx", x16[:1], [1, 10], False),
        (MODELS / "cifar-synth-fragile.onnx", rgb_norm, [16, 10], False),
        (REPO_ROOT / "examples" / "fashion-mnist" / "models" / "classifier.onnx", x16, [16, 10], False),
        (REPO_ROOT / "examples" / "cifar-synth" / "models" / "classifier.onnx", rgb_norm, [16, 10], False),
    ]
    failures = []
    for path, x, shape, all_nan in fixtures:
        if not path.exists():
            print(f"  MISSING {rel(path)} (run the script that makes it)")
            continue
        r = ort_run(path, x)
        if not r.get("ok"):
            failures.append(f"{rel(path)}: {r.get('error')}")
            continue
        out = r["output"]
        ok = list(out.shape) == shape and (np.isnan(out).all() if all_nan else np.isfinite(out).all())
        if path.name in ("grey28-linear.onnx", "fixed-batch.onnx") and ok:
            # Compare with the same linear model computed in numpy.
            w, b = nearest_centroid_weights()
            ref = x.reshape(len(x), -1).astype(np.float64) @ w + b
            ok = bool(np.allclose(out, ref, atol=1e-4))
            if path.name == "grey28-linear.onnx":
                y16 = np.load(DATA / "y16.npy")
                print(f"       grey28-linear matches numpy; accuracy on x16/y16: {(out.argmax(1) == y16).mean():.4f}")
        ins = ", ".join(f"{i['name']} {i['shape']}" for i in r["inputs"])
        outs = ", ".join(f"{o['name']} {o['shape']}" for o in r["outputs"])
        print(f"  {'ok  ' if ok else 'FAIL'} {rel(path)}: in {ins}; out {outs}; ran {list(x.shape)} -> {list(out.shape)}"
              f"{' (all NaN)' if all_nan and ok else ''}")
        if not ok:
            failures.append(f"{rel(path)}: output shape {list(out.shape)} / values unexpected")
    # The fixed-batch model must reject a batch of 2 (the engine has to feed it one image at a time).
    r = ort_run(MODELS / "fixed-batch.onnx", x16[:2])
    print(f"  {'ok  ' if not r.get('ok') else 'FAIL'} fixed-batch.onnx rejects batch 2: {str(r.get('error'))[:100]}")
    if r.get("ok"):
        failures.append("fixed-batch.onnx accepted a batch of 2")
    r = ort_run(MODELS / "not-onnx.onnx")
    print(f"  {'ok  ' if not r.get('ok') else 'FAIL'} not-onnx.onnx fails to load: {str(r.get('error'))[:100]}")
    if r.get("ok"):
        failures.append("not-onnx.onnx loaded")
    if failures:
        sys.exit("verification failed:\n" + "\n".join(failures))


def main() -> None:
    for p in make_models() + make_data():
        print(f"  {rel(p)}  {p.stat().st_size} bytes")
    print("onnxruntime-node checks:")
    verify()


if __name__ == "__main__":
    main()
