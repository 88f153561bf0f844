#!/usr/bin/python3
"""A model with the inference cost of a small real CIFAR classifier, for the pipeline benchmark only.

bench/models/resnet20-cost.onnx takes the cifar-synth demo's input ([batch, 3, 32, 32] float32) and gives 10
scores, through 19 3x3 convolutions at 32x32 (3->16, then 18 x 16->16, each with ReLU), global average pooling
and a 16->10 linear layer: about 43 million multiply-adds per image, like ResNet-20 (41 M). Its weights are
seeded random (He initialisation), not trained: the benchmark measures throughput, not accuracy, and says so.
Run: /usr/bin/python3 scripts/models/make_bench_model.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'bench', 'models', 'resnet20-cost.onnx')


def main():
    rng = np.random.default_rng(20)
    nodes, inits = [], []
    x = 'input'
    channels = 3
    for i in range(19):
        out_channels = 16
        w = (rng.standard_normal((out_channels, channels, 3, 3)) * np.sqrt(2.0 / (channels * 9))).astype(np.float32)
        b = np.zeros(out_channels, dtype=np.float32)
        inits += [numpy_helper.from_array(w, f'w{i}'), numpy_helper.from_array(b, f'b{i}')]
        nodes.append(helper.make_node('Conv', [x, f'w{i}', f'b{i}'], [f'c{i}'], pads=[1, 1, 1, 1], kernel_shape=[3, 3]))
        nodes.append(helper.make_node('Relu', [f'c{i}'], [f'r{i}']))
        x = f'r{i}'
        channels = out_channels
    nodes.append(helper.make_node('GlobalAveragePool', [x], ['pooled']))
    nodes.append(helper.make_node('Flatten', ['pooled'], ['flat'], axis=1))
    fc = (rng.standard_normal((16, 10)) * np.sqrt(1.0 / 16)).astype(np.float32)
    inits += [numpy_helper.from_array(fc, 'fc'), numpy_helper.from_array(np.zeros(10, dtype=np.float32), 'fcb')]
    nodes.append(helper.make_node('Gemm', ['flat', 'fc', 'fcb'], ['scores']))
    graph = helper.make_graph(
        nodes,
        'resnet20_cost',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['batch', 3, 32, 32])],
        [helper.make_tensor_value_info('scores', TensorProto.FLOAT, ['batch', 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='robustness-lens')
    model.ir_version = 8
    onnx.checker.check_model(model)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    onnx.save(model, OUT)
    print(f'wrote {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
