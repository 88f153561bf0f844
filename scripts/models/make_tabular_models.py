#!/usr/bin/python3
"""Trains the tabular-shift demo model and writes the tabular ONNX fixtures, then checks them in Node.

    node --import tsx scripts/data/make-tabular-data.ts      # first: the data (and the training split)
    /usr/bin/python3 scripts/models/make_tabular_models.py   # ~5 s

Needs only numpy and onnx (Debian's /usr/bin/python3). The models are logistic regressions trained by
plain full-batch gradient descent (deterministic: no random draws) and written by hand with onnx.helper
in the layout skl2onnx gives a scikit-learn classifier: input "float_input" float32 [None, F]; outputs
"label" int64 [None] and "probabilities" float32 [None, K] (options={"zipmap": False}), opset 13,
IR version 7.

Writes
  examples/tabular-shift/models/risk.onnx            binary "patient risk" model (8 features), trained on
                                                     examples/tabular-shift/data/source-train.csv
  examples/tabular-shift/MODEL.md                    how it was made, accuracy on each split
  test/fixtures/models/tabular-binary.onnx           the same model as risk.onnx
  test/fixtures/models/tabular-zipmap.onnx           the same with skl2onnx's default zipmap=True: outputs
                                                     "output_label" int64 [None] and "output_probability"
                                                     seq(map(int64, float)) (ai.onnx.ml ZipMap)
  test/fixtures/models/tabular-label-only.onnx       the same with only the "label" output
  test/fixtures/models/tabular-logits-first.onnx     the same with outputs "label", "logits" [None, 2] and
                                                     "probabilities" [None, 2] (the engine must pick "probabilities")
  test/fixtures/models/tabular-double-input.onnx     the same with a float64 input "double_input"
  test/fixtures/models/tabular-3class.onnx           softmax regression, 4 features, 3 classes, fitted on
                                                     test/fixtures/tabular/three-class-45.csv
  test/fixtures/tabular/expected-probabilities.json  numpy's probabilities of tabular-binary.onnx on
                                                     risk-40.csv and of tabular-3class.onnx on three-class-45.csv
"""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / "examples" / "tabular-shift"
DATA = DEMO / "data"
MODELS = REPO_ROOT / "test" / "fixtures" / "models"
FIXTURES = REPO_ROOT / "test" / "fixtures" / "tabular"
OPSET = 13
ML_OPSET = 1
IR_VERSION = 7
PRODUCER = "robustness-lens/scripts/models/make_tabular_models.py"

FEATURES = ["age", "bmi", "systolic_bp", "cholesterol", "glucose", "heart_rate", "smoker", "exercise_hours"]
OUTCOMES = ["low", "high"]
SPLITS = ["source-train", "source-heldout", "target-dev", "target-test"]


def rel(path: Path) -> str:
    return str(Path(path).resolve().relative_to(REPO_ROOT))


def read_table(path: Path, features: list[str], label: str, label_names: list[str] | None):
    """Reads a CSV: (x float32 [N, F], y int64 [N], groups or None)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    x = np.array([[float(r[c]) for c in features] for r in rows], dtype=np.float64).astype(np.float32)
    y = np.array([label_names.index(r[label]) if label_names else int(r[label]) for r in rows], dtype=np.int64)
    groups = [r["site"] for r in rows] if rows and "site" in rows[0] else None
    return x, y, groups


# ---------------------------------------------------------------------------------------------------
# Training (plain gradient descent; float64 throughout, the exported weights are float32).

def fit_logistic(x: np.ndarray, y: np.ndarray, steps: int = 4000, lr: float = 0.5, l2: float = 1e-3):
    """Binary logistic regression on standardised features. Returns (mean, scale, w [F], b) with
    P(y=1 | x) = sigmoid(((x - mean) / scale) . w + b)."""
    x = x.astype(np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    w = np.zeros(x.shape[1])
    b = 0.0
    n = len(y)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(z @ w + b)))
        g = p - y
        w -= lr * (z.T @ g / n + l2 * w)
        b -= lr * g.mean()
    return mean, scale, w, b


def fit_softmax(x: np.ndarray, y: np.ndarray, classes: int, steps: int = 3000, lr: float = 0.5, l2: float = 1e-3):
    """Multinomial logistic regression (no standardisation). Returns (W [F, K], b [K])."""
    x = x.astype(np.float64)
    onehot = np.eye(classes)[y]
    w = np.zeros((x.shape[1], classes))
    b = np.zeros(classes)
    n = len(y)
    for _ in range(steps):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        g = p - onehot
        w -= lr * (x.T @ g / n + l2 * w)
        b -= lr * g.mean(axis=0)
    return w, b


# ---------------------------------------------------------------------------------------------------
# Reference predictions in numpy, from the float32 weights as stored in the ONNX file.

def f32(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float32)


def binary_probabilities(x: np.ndarray, mean, scale, w, b) -> np.ndarray:
    z = ((x.astype(np.float64) - f32(mean).astype(np.float64)) / f32(scale).astype(np.float64)) @ f32(w).astype(np.float64) + float(f32(b))
    p1 = 1.0 / (1.0 + np.exp(-z))
    return np.stack([1.0 - p1, p1], axis=1)


def softmax_probabilities(x: np.ndarray, w, b) -> np.ndarray:
    logits = x.astype(np.float64) @ f32(w).astype(np.float64) + f32(b).astype(np.float64)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------------------------------
# ONNX graphs in skl2onnx's layout.

def tensor(name: str, elem: int, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, elem, shape)


def zipmap_output(name: str) -> onnx.ValueInfoProto:
    """seq(map(int64, tensor(float))), the type of skl2onnx's ZipMap output."""
    map_type = onnx.TypeProto()
    map_type.map_type.key_type = TensorProto.INT64
    map_type.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    seq_type = onnx.TypeProto()
    seq_type.sequence_type.elem_type.CopyFrom(map_type)
    return helper.make_value_info(name, seq_type)


def save(model: onnx.ModelProto, path: Path) -> Path:
    model.ir_version = IR_VERSION
    model.producer_name = PRODUCER
    # onnx 1.12's strict shape inference cannot type ZipMap's seq(map) output; check the rest fully.
    has_zipmap = any(n.op_type == "ZipMap" for n in model.graph.node)
    onnx.checker.check_model(model, full_check=not has_zipmap)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def binary_model(mean, scale, w, b, variant: str = "plain") -> onnx.ModelProto:
    """float_input [N, F] -> Sub mean -> Div scale -> MatMul w -> Add b -> Sigmoid = P(high) [N, 1];
    probabilities = Concat(1 - p, p) [N, 2]; label = ArgMax(probabilities) int64 [N].

    variant: "plain" (label, probabilities), "zipmap" (output_label, output_probability as seq(map)),
    "label-only" (label), "logits-first" (label, logits [N, 2] = [0, z], probabilities),
    "double-input" (double_input float64 [N, F], cast to float32 first)."""
    features = len(w)
    input_name = "double_input" if variant == "double-input" else "float_input"
    nodes = []
    x = input_name
    if variant == "double-input":
        nodes.append(helper.make_node("Cast", [input_name], ["x32"], to=TensorProto.FLOAT))
        x = "x32"
    nodes += [
        helper.make_node("Sub", [x, "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["scaled"]),
        helper.make_node("MatMul", ["scaled", "coef"], ["mm"]),
        helper.make_node("Add", ["mm", "intercept"], ["z"]),              # [N, 1]
        helper.make_node("Sigmoid", ["z"], ["p_high"]),                   # [N, 1]
        helper.make_node("Sub", ["one", "p_high"], ["p_low"]),           # [N, 1]
        helper.make_node("Concat", ["p_low", "p_high"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    initializers = [
        numpy_helper.from_array(f32(mean), "mean"),
        numpy_helper.from_array(f32(scale), "scale"),
        numpy_helper.from_array(f32(w).reshape(features, 1), "coef"),
        numpy_helper.from_array(f32([b]), "intercept"),
        numpy_helper.from_array(f32(1.0), "one"),
    ]
    label = tensor("label", TensorProto.INT64, [None])
    probabilities = tensor("probabilities", TensorProto.FLOAT, [None, 2])
    opsets = [helper.make_opsetid("", OPSET)]
    if variant == "zipmap":
        nodes[-1] = helper.make_node("ArgMax", ["probabilities"], ["output_label"], axis=1, keepdims=0)
        nodes.append(helper.make_node("ZipMap", ["probabilities"], ["output_probability"], domain="ai.onnx.ml", classlabels_int64s=[0, 1]))
        outputs = [tensor("output_label", TensorProto.INT64, [None]), zipmap_output("output_probability")]
        opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    elif variant == "label-only":
        outputs = [label]
    elif variant == "logits-first":
        nodes.append(helper.make_node("Sub", ["z", "z"], ["zero"]))
        nodes.append(helper.make_node("Concat", ["zero", "z"], ["logits"], axis=1))
        outputs = [label, tensor("logits", TensorProto.FLOAT, [None, 2]), probabilities]
    else:
        outputs = [label, probabilities]
    elem = TensorProto.DOUBLE if variant == "double-input" else TensorProto.FLOAT
    graph = helper.make_graph(nodes, f"logistic_regression_{variant.replace('-', '_')}", [tensor(input_name, elem, [None, features])], outputs, initializer=initializers)
    return helper.make_model(graph, opset_imports=opsets)


def softmax_model(w, b) -> onnx.ModelProto:
    """float_input [N, F] -> MatMul W -> Add b -> Softmax = probabilities [N, K]; label = ArgMax int64 [N]."""
    features, classes = w.shape
    nodes = [
        helper.make_node("MatMul", ["float_input", "coef"], ["mm"]),
        helper.make_node("Add", ["mm", "intercept"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
        helper.make_node("ArgMax", ["probabilities"], ["label"], axis=1, keepdims=0),
    ]
    graph = helper.make_graph(
        nodes,
        "softmax_regression",
        [tensor("float_input", TensorProto.FLOAT, [None, features])],
        [tensor("label", TensorProto.INT64, [None]), tensor("probabilities", TensorProto.FLOAT, [None, classes])],
        initializer=[numpy_helper.from_array(f32(w), "coef"), numpy_helper.from_array(f32(b), "intercept")],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])


# ---------------------------------------------------------------------------------------------------
# Checking in onnxruntime-node.

NODE_RUN = r"""
const path = require('node:path');
const fs = require('node:fs');
const ort = require(path.join(process.argv[1], 'node_modules', 'onnxruntime-node'));
(async () => {
  const jobs = JSON.parse(fs.readFileSync(0, 'utf8'));
  const out = [];
  for (const job of jobs) {
    try {
      const session = await ort.InferenceSession.create(job.model);
      const meta = session.outputMetadata.map((m) => ({ name: m.name, isTensor: m.isTensor, type: m.type, shape: m.shape }));
      const result = { ok: true, outputs: meta };
      if (job.x) {
        const ctor = job.type === 'float64' ? Float64Array : Float32Array;
        const feeds = { [session.inputNames[0]]: new ort.Tensor(job.type, ctor.from(job.x.flat()), [job.x.length, job.x[0].length]) };
        const names = meta.filter((m) => m.isTensor).map((m) => m.name);
        const res = await session.run(feeds, names);
        result.values = Object.fromEntries(names.map((n) => [n, Array.from(res[n].data, Number)]));
      }
      out.push(result);
      await session.release();
    } catch (error) {
      out.push({ ok: false, error: String(error && error.message || error).split('\n')[0] });
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def run_in_node(jobs: list[dict]) -> list[dict] | None:
    if shutil.which("node") is None or not (REPO_ROOT / "node_modules" / "onnxruntime-node").is_dir():
        print("onnxruntime-node checks skipped (node or node_modules/onnxruntime-node not found)")
        return None
    payload = json.dumps([{**j, "model": str(j["model"]), "x": None if j.get("x") is None else np.asarray(j["x"]).tolist()} for j in jobs])
    proc = subprocess.run(["node", "-e", NODE_RUN, str(REPO_ROOT)], input=payload, capture_output=True, text=True, cwd=REPO_ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"node failed: {proc.stderr.strip()[:2000]}")
    return json.loads(proc.stdout)


# ---------------------------------------------------------------------------------------------------

def pct(a: float) -> str:
    return f"{100 * a:.1f}%"


def main() -> None:
    for split in SPLITS:
        if not (DATA / f"{split}.csv").exists():
            sys.exit(f"{rel(DATA / (split + '.csv'))} is missing: run node --import tsx scripts/data/make-tabular-data.ts first")

    # The demo model.
    x_train, y_train, _ = read_table(DATA / "source-train.csv", FEATURES, "outcome", OUTCOMES)
    mean, scale, w, b = fit_logistic(x_train, y_train)
    written = [
        save(binary_model(mean, scale, w, b), DEMO / "models" / "risk.onnx"),
        save(binary_model(mean, scale, w, b), MODELS / "tabular-binary.onnx"),
        save(binary_model(mean, scale, w, b, "zipmap"), MODELS / "tabular-zipmap.onnx"),
        save(binary_model(mean, scale, w, b, "label-only"), MODELS / "tabular-label-only.onnx"),
        save(binary_model(mean, scale, w, b, "logits-first"), MODELS / "tabular-logits-first.onnx"),
        save(binary_model(mean, scale, w, b, "double-input"), MODELS / "tabular-double-input.onnx"),
    ]

    # The 3-class fixture model.
    x3, y3, _ = read_table(FIXTURES / "three-class-45.csv", ["x1", "x2", "x3", "x4"], "class", None)
    w3, b3 = fit_softmax(x3, y3, 3)
    written.append(save(softmax_model(w3, b3), MODELS / "tabular-3class.onnx"))
    for p in written:
        print(f"  {rel(p)}  {p.stat().st_size} bytes")

    # Accuracy of the demo model on every split (numpy).
    rows = []
    split_data = {}
    for split in SPLITS:
        x, y, groups = read_table(DATA / f"{split}.csv", FEATURES, "outcome", OUTCOMES)
        p = binary_probabilities(x, mean, scale, w, b)
        split_data[split] = (x, y, p)
        pred = p.argmax(axis=1)
        by_site = {}
        for site in sorted(set(groups)):
            mask = np.array([g == site for g in groups])
            by_site[site] = (int(mask.sum()), float((pred[mask] == y[mask]).mean()))
        rows.append({
            "split": split,
            "n": len(y),
            "high": float(y.mean()),
            "mean_p_high": float(p[:, 1].mean()),
            "accuracy": float((pred == y).mean()),
            "brier": float(((p[:, 1] - y) ** 2).mean()),
            "sites": by_site,
        })
        print(f"  {split:15s} n={len(y):5d}  high {pct(y.mean()):>6s}  mean P(high) {pct(p[:, 1].mean()):>6s}  accuracy {pct((pred == y).mean())}")

    # Reference probabilities for the load-model tests.
    x40, y40, _ = read_table(FIXTURES / "risk-40.csv", FEATURES, "outcome", OUTCOMES)
    p40 = binary_probabilities(x40, mean, scale, w, b)
    p45 = softmax_probabilities(x3, w3, b3)
    expected = {
        "about": "numpy (float64, from the float32 weights in the ONNX files) probabilities; written by scripts/models/make_tabular_models.py",
        "tabular-binary.onnx": {
            "data": "risk-40.csv",
            "features": FEATURES,
            "labels": OUTCOMES,
            "probabilities": np.round(p40, 8).tolist(),
            "predicted": p40.argmax(axis=1).tolist(),
            "accuracy": float((p40.argmax(axis=1) == y40).mean()),
        },
        "tabular-3class.onnx": {
            "data": "three-class-45.csv",
            "features": ["x1", "x2", "x3", "x4"],
            "labels": ["alpha", "beta", "gamma"],
            "probabilities": np.round(p45, 8).tolist(),
            "predicted": p45.argmax(axis=1).tolist(),
            "accuracy": float((p45.argmax(axis=1) == y3).mean()),
        },
    }
    out = FIXTURES / "expected-probabilities.json"
    # One line per model entry field, one line per row of probabilities: small diffs on a rerun.
    parts = []
    for key, value in expected.items():
        if isinstance(value, dict):
            fields = [f'  {json.dumps(k)}: {json.dumps(v)}' for k, v in value.items() if k != "probabilities"]
            prob_lines = ",\n".join(f"    {json.dumps(r)}" for r in value["probabilities"])
            fields.append(f'  "probabilities": [\n{prob_lines}\n  ]')
            parts.append(f"{json.dumps(key)}: {{\n" + ",\n".join(fields) + "\n}")
        else:
            parts.append(f"{json.dumps(key)}: {json.dumps(value)}")
    out.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")
    json.loads(out.read_text(encoding="utf-8"))
    print(f"  {rel(out)}")

    # onnxruntime-node must agree with numpy.
    check_line = "onnxruntime-node check skipped"
    results = run_in_node(
        [
            {"model": MODELS / "tabular-binary.onnx", "x": x40, "type": "float32"},
            {"model": MODELS / "tabular-3class.onnx", "x": x3, "type": "float32"},
            {"model": MODELS / "tabular-logits-first.onnx", "x": x40, "type": "float32"},
            {"model": MODELS / "tabular-label-only.onnx", "x": x40, "type": "float32"},
            {"model": MODELS / "tabular-double-input.onnx", "x": x40.astype(np.float64), "type": "float64"},
            {"model": MODELS / "tabular-zipmap.onnx"},
            {"model": DEMO / "models" / "risk.onnx", "x": split_data["target-test"][0], "type": "float32"},
        ]
    )
    if results is not None:
        failures = []
        for name, r, ref in [("tabular-binary", results[0], p40), ("tabular-3class", results[1], p45), ("tabular-logits-first", results[2], p40), ("tabular-double-input", results[4], p40), ("risk (target-test)", results[6], split_data["target-test"][2])]:
            if not r["ok"]:
                failures.append(f"{name}: {r['error']}")
                continue
            got = np.array(r["values"]["probabilities"]).reshape(ref.shape)
            diff = float(np.abs(got - ref).max())
            labels = np.array(r["values"]["label"])
            same = int((labels == ref.argmax(axis=1)).sum())
            print(f"  {'ok  ' if diff < 1e-5 and same == len(ref) else 'FAIL'} {name}: max |p - numpy| {diff:.1e}, {same}/{len(ref)} labels equal numpy's argmax")
            if diff >= 1e-5 or same != len(ref):
                failures.append(name)
        lo = results[3]
        print(f"  {'ok  ' if lo['ok'] and [o['name'] for o in lo['outputs']] == ['label'] else 'FAIL'} tabular-label-only: outputs {[o['name'] for o in lo.get('outputs', [])]}")
        zm = results[5]
        print(f"  {'ok  ' if zm['ok'] else 'FAIL'} tabular-zipmap loads: outputs {[(o['name'], o['isTensor']) for o in zm.get('outputs', [])] if zm['ok'] else zm['error']}")
        if not zm["ok"] or zm["outputs"][1]["isTensor"]:
            failures.append("tabular-zipmap")
        if failures:
            sys.exit("verification failed: " + ", ".join(failures))
        check_line = (
            f"onnxruntime-node gives numpy's probabilities (max difference < 1e-5) and predictions on all "
            f"{len(split_data['target-test'][1])} rows of target-test"
        )

    write_model_md(rows, mean, scale, w, b, check_line)


def write_model_md(rows: list[dict], mean, scale, w, b, check_line: str) -> None:
    by = {r["split"]: r for r in rows}
    sites = sorted({s for r in rows for s in r["sites"]})
    site_rows = "\n".join(
        f"| {r['split']} | " + " | ".join(f"{pct(r['sites'][s][1])} ({r['sites'][s][0]})" if s in r["sites"] else "–" for s in sites) + " |"
        for r in rows
    )
    weights = "\n".join(f"| `{f}` | {m:.2f} | {s:.2f} | {c:+.3f} |" for f, m, s, c in zip(FEATURES, mean, scale, w))
    text = f"""# tabular-shift demo: patient risk under a change of clinics

Generated by two seeded scripts; rerun both to regenerate every file in `data/` and `models/`:

```sh
node --import tsx scripts/data/make-tabular-data.ts      # data/*.csv, data/*.parquet (and test/fixtures/tabular/)
/usr/bin/python3 scripts/models/make_tabular_models.py   # models/risk.onnx, this file (and test/fixtures/models/tabular-*.onnx)
```

## Data (synthetic, made by `scripts/data/make-tabular-data.ts`)

A binary outcome, `outcome` = `low` / `high` (labels `["low", "high"]`: class 0 is `low`), from 8 numeric
columns measured on a patient: `age`, `bmi`, `systolic_bp`, `cholesterol`, `glucose`, `heart_rate`,
`smoker` (0/1), `exercise_hours`; and the clinic that saw the patient, `site` (the group column). The
true risk is a logistic function of the true measurements with a kink (glucose above 126 adds risk).

- Source population (clinics a, b, c; {pct(by['source-train']['high'])} `high` in the training split): `source-train.csv` (3,000 rows, seed 1, CSV only:
  the model's training split) and `source-heldout` (2,000 rows, seed 2).
- Target population: **covariate shift** (patients about 11 years older, heavier, more smokers and diabetics,
  less exercise; 60% from clinic d, which the source never saw and whose blood-pressure cuff reads 10 mmHg
  high) and **label shift** (drawn with exactly 55% `high`): `target-dev` (1,500 rows, seed 3) and
  `target-test` (1,500 rows, seed 4).

Each held-out file is written twice with the same values: `.csv` (pandas-style, `index=False`) and
`.parquet` (hyparquet-writer, Snappy; integers INT64, decimals DOUBLE, text STRING).

## Model (`models/risk.onnx`)

Logistic regression on standardised features, trained on `source-train.csv` by plain full-batch gradient
descent (4,000 steps, learning rate 0.5, L2 1e-3; numpy, no random draws), exported by hand with
`onnx.helper` in scikit-learn's layout (skl2onnx, `zipmap=False`), opset 13:
input `float_input` float32 [None, 8] (the 8 columns above, in that order);
outputs `label` int64 [None] and `probabilities` float32 [None, 2] (P(low), P(high)).
Graph: Sub(mean) → Div(scale) → MatMul → Add → Sigmoid → Concat(1 − p, p); ArgMax for `label`.

| feature | mean | scale | coefficient (standardised) |
|---|---|---|---|
{weights}

Intercept {b:+.3f}.

## Accuracy (argmax of `probabilities`)

| split | rows | share `high` | mean P(high) | accuracy | Brier score |
|---|---|---|---|---|---|
""" + "\n".join(
        f"| {r['split']} | {r['n']:,} | {pct(r['high'])} | {pct(r['mean_p_high'])} | {pct(r['accuracy'])} | {r['brier']:.3f} |" for r in rows
    ) + f"""

By site (accuracy, rows in parentheses):

| split | {' | '.join(sites)} |
|---|{'---|' * len(sites)}
{site_rows}

Under the shift the accuracy falls from {pct(by['source-heldout']['accuracy'])} (source held-out) to
{pct(by['target-test']['accuracy'])} (target test), a drop of {100 * (by['source-heldout']['accuracy'] - by['target-test']['accuracy']):.1f} percentage points; the Brier score
rises from {by['source-heldout']['brier']:.3f} to {by['target-test']['brier']:.3f}. On average the predicted risk still follows the
prevalence (mean P(high) {pct(by['target-test']['mean_p_high'])} where {pct(by['target-test']['high'])} of the target patients are `high`).

Check: {check_line}.
"""
    path = DEMO / "MODEL.md"
    path.write_text(text, encoding="utf-8")
    print(f"  {rel(path)}")


if __name__ == "__main__":
    main()
