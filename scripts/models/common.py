"""Shared helpers for the model/data generating scripts in scripts/models/.

Run the scripts with Debian's Python (``/usr/bin/python3``), which has torch, onnx and numpy.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
FASHION_MNIST_DIR = Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))
ORT_RUN = Path(__file__).resolve().parent / "ort_run.cjs"


def read_idx(path: Path) -> np.ndarray:
    """Reads an IDX file (optionally gzipped), as used by (Fashion-)MNIST."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims).copy()


def load_fashion_mnist(split: str) -> tuple[np.ndarray, np.ndarray]:
    """Returns (images uint8 [N,28,28], labels int64 [N]) for split 'train' or 't10k'."""
    x = read_idx(FASHION_MNIST_DIR / f"{split}-images-idx3-ubyte.gz")
    y = read_idx(FASHION_MNIST_DIR / f"{split}-labels-idx1-ubyte.gz").astype(np.int64)
    return x, y


def export_onnx(model, example: "torch.Tensor", path: Path) -> None:  # noqa: F821
    """Exports a torch model with input 'input' and output 'logits', dynamic batch, opset 13."""
    import onnx
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    model.eval()
    with torch.no_grad():
        torch.onnx.export(
            model,
            example,
            str(path),
            input_names=["input"],
            output_names=["logits"],
            dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
            opset_version=13,
            do_constant_folding=True,
        )
    m = onnx.load(str(path))
    onnx.checker.check_model(m)


def node_available() -> bool:
    return shutil.which("node") is not None and (REPO_ROOT / "node_modules" / "onnxruntime-node").is_dir()


def ort_run(model_path: Path, x: np.ndarray | None = None) -> dict:
    """Runs a model in onnxruntime-node (via ort_run.cjs); returns the parsed JSON result.

    With x (float32) given, result['output'] is the first output as a numpy array (NaN kept)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ["node", str(ORT_RUN), str(model_path)]
        if x is not None:
            x = np.ascontiguousarray(x, dtype="<f4")
            inp = Path(tmp) / "input.f32"
            inp.write_bytes(x.tobytes())
            cmd += [str(inp), json.dumps(list(x.shape))]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT)
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        result = {"ok": False, "error": (proc.stdout + proc.stderr).strip()[:2000]}
    if result.get("ok") and "data" in result:
        data = np.array([np.nan if v is None else v for v in result["data"]], dtype=np.float32)
        result["output"] = data.reshape(result["dims"])
    return result


def check_in_node(model_path: Path, x: np.ndarray, torch_logits: np.ndarray, atol: float = 1e-3) -> str:
    """Checks that onnxruntime-node reproduces torch's logits/predictions; returns a summary line."""
    if not node_available():
        return "onnxruntime-node check skipped (node or node_modules/onnxruntime-node not found)"
    r = ort_run(model_path, x)
    if not r.get("ok"):
        raise RuntimeError(f"{model_path}: onnxruntime-node failed: {r.get('error')}")
    out = r["output"]
    if out.shape != torch_logits.shape:
        raise RuntimeError(f"{model_path}: output shape {out.shape} != torch {torch_logits.shape}")
    max_diff = float(np.max(np.abs(out - torch_logits)))
    same = int(np.sum(out.argmax(1) == torch_logits.argmax(1)))
    if same != len(out) or max_diff > atol:
        raise RuntimeError(f"{model_path}: node/torch mismatch: {same}/{len(out)} same predictions, max |diff| {max_diff:g}")
    print(f"  {rel(model_path)} in onnxruntime-node: {same}/{len(out)} predictions equal torch's, max |logit diff| {max_diff:.2e}")
    # (A stable summary for MODEL.md, so that reruns give the same text.)
    return f"onnxruntime-node gives the same predictions as PyTorch on all {len(out)} images (max |logit difference| < {atol:g})"


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def rel(path: Path) -> str:
    return str(Path(path).resolve().relative_to(REPO_ROOT))
