#!/usr/bin/env python3
"""Generate Ledge's own ONNX fixture models and the deliberately broken model files.

Usage: python scripts/make_models.py FIXTURES_DIR

Writes into FIXTURES_DIR/models/:
  mobilenet_gen.onnx  MobileNet-v1-class float32 CNN, seeded He-init weights,
                      input `input` [N,3,224,224] -> output `output` [N,1000] (softmax)
  mlp_gen.onnx        x float32 [N,256] -> MatMul/Add/Relu x2 -> Gemm -> `logits` [N,10]
                      (seeded weights; the dynamic-quantization fixture)
  add.onnx            inputs `a`, `b` float32 [N,4] -> `sum` = a + b
  add_one.onnx        the same interface, `sum` = a + b + 1 (a second version of add.onnx
                      for the repository's hot-reload tests)
  slow_gen.onnx       x float32 [N,256], repeats int64 [2] -> `y` = x, after x is tiled `repeats`
                      times and goes through 100 MatMuls with the identity: a run whose length
                      the caller chooses (the exit-timeout and interruption tests)
  random.tflite       4096 seeded random bytes
  truncated.tflite    first 1000 bytes of efficientnet_lite0.tflite (must exist already)
  truncated.onnx      first 1000 bytes of mobilenet_gen.onnx
  empty.onnx          0 bytes
  fake.onnx           a copy of images/chelsea.png (run make_images.py first)
"""
import os
import shutil
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8  # opset 13 needs IR >= 7; ORT 1.31 accepts up to IR 11

# (output channels, stride) of the depthwise-separable blocks (MobileNet v1, width 1.0).
BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
          (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.count = 0

    def name(self, prefix):
        self.count += 1
        return f"{prefix}_{self.count}"

    def const(self, prefix, array):
        n = self.name(prefix)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), n))
        return n

    def stats(self, tensor):
        """Per-channel mean and variance of `tensor` on the calibration batch."""
        graph = helper.make_graph(
            self.nodes, "probe",
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 224, 224])],
            [helper.make_tensor_value_info(tensor, TensorProto.FLOAT, None)], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.ir_version = IR_VERSION
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        (out,) = sess.run(None, {"input": self.calibration})
        return out.mean(axis=(0, 2, 3)), out.var(axis=(0, 2, 3)) + 1e-3

    def conv_bn_relu6(self, x, cin, cout, k, stride, group):
        fan_in = (cin // group) * k * k
        w = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(cout, cin // group, k, k))
        conv = self.name("conv")
        pad = k // 2
        self.nodes.append(helper.make_node(
            "Conv", [x, self.const("w", w)], [conv], kernel_shape=[k, k],
            strides=[stride, stride], pads=[pad, pad, pad, pad], group=group))
        # Running statistics measured on the calibration batch (data-dependent init),
        # so every layer stays input-dependent instead of collapsing to a constant.
        mean, var = self.stats(conv)
        bn = self.name("bn")
        self.nodes.append(helper.make_node(
            "BatchNormalization",
            [conv,
             self.const("gamma", self.rng.uniform(0.8, 1.2, cout)),
             self.const("beta", self.rng.normal(0.5, 0.2, cout)),
             self.const("mean", mean),
             self.const("var", var)],
            [bn], epsilon=1e-5))
        out = self.name("relu6")
        self.nodes.append(helper.make_node("Clip", [bn, self.lo, self.hi], [out]))
        return out


def mobilenet():
    b = Builder(seed=20240601)
    b.calibration = calibration_batch()
    b.lo = b.const("clip_min", np.float32(0.0))
    b.hi = b.const("clip_max", np.float32(6.0))
    x = b.conv_bn_relu6("input", 3, 32, 3, 2, 1)
    cin = 32
    for cout, stride in BLOCKS:
        x = b.conv_bn_relu6(x, cin, cin, 3, stride, cin)   # depthwise
        x = b.conv_bn_relu6(x, cin, cout, 1, 1, 1)         # pointwise
        cin = cout
    b.nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"]))
    b.nodes.append(helper.make_node("Flatten", ["pool"], ["flat"], axis=1))
    # Standardise the pooled features (measured on the calibration batch) inside the
    # classifier so the logits depend on the image rather than on shared biases.
    mean, var = b.stats("pool")
    fc_w = b.rng.normal(0.0, np.sqrt(2.0 / cin), size=(1000, cin)) / np.sqrt(var)
    fc_b = b.rng.normal(0.0, 0.01, size=1000) - fc_w @ mean
    b.nodes.append(helper.make_node(
        "Gemm", ["flat", b.const("fc_w", fc_w), b.const("fc_b", fc_b)], ["logits"], transB=1))
    b.nodes.append(helper.make_node("Softmax", ["logits"], ["output"], axis=1))
    graph = helper.make_graph(
        b.nodes, "mobilenet_gen",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 224, 224])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 1000])],
        b.inits)
    return finish(graph, "MobileNet-v1-class CNN with seeded random weights (Ledge test fixture)")


def calibration_batch():
    """scikit-image's photos at 224x224, NCHW float32 in [0, 1]."""
    from PIL import Image
    from skimage import data
    arrays = []
    for name in ("chelsea", "coffee", "astronaut", "rocket", "camera", "cat", "immunohistochemistry"):
        img = Image.fromarray(getattr(data, name)()).convert("RGB").resize((224, 224), Image.BILINEAR)
        arrays.append(np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255.0)
    return np.stack(arrays)


def add_model():
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"])], "add",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N", 4])])
    return finish(graph, "sum = a + b (Ledge test fixture)")


def add_one_model():
    one = helper.make_tensor("one", TensorProto.FLOAT, [1], [1.0])
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["ab"]), helper.make_node("Add", ["ab", "one"], ["sum"])], "add_one",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N", 4])], initializer=[one])
    return finish(graph, "sum = a + b + 1 (Ledge test fixture: a second version of add.onnx)")


def add_sub_model():
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"]), helper.make_node("Sub", ["a", "b"], ["difference"])], "add_sub",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N", 4]),
         helper.make_tensor_value_info("difference", TensorProto.FLOAT, ["N", 4])])
    return finish(graph, "sum = a + b, difference = a - b (Ledge test fixture: a model of two outputs)")


def mlp_model():
    """x [N,256] -> MatMul 512 + bias, Relu -> MatMul 128 + bias, Relu -> Gemm (transB) 10: the
    MatMul/Gemm-heavy shape dynamic quantization is for. Seeded He-init weights."""
    rng = np.random.default_rng(256)
    def weight(name, shape, fan_in):
        return numpy_helper.from_array(rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape).astype(np.float32), name)
    inits = [weight("w1", (256, 512), 256), weight("b1", (512,), 256), weight("w2", (512, 128), 512),
             weight("b2", (128,), 512), weight("w3", (10, 128), 128), weight("b3", (10,), 128)]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h1"], name="fc1"),
             helper.make_node("Add", ["h1", "b1"], ["h1b"], name="fc1_bias"),
             helper.make_node("Relu", ["h1b"], ["r1"], name="relu1"),
             helper.make_node("MatMul", ["r1", "w2"], ["h2"], name="fc2"),
             helper.make_node("Add", ["h2", "b2"], ["h2b"], name="fc2_bias"),
             helper.make_node("Relu", ["h2b"], ["r2"], name="relu2"),
             helper.make_node("Gemm", ["r2", "w3", "b3"], ["logits"], name="fc3", transB=1)]
    graph = helper.make_graph(
        nodes, "mlp_gen", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 256])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    return finish(graph, "MLP with seeded random weights (Ledge test fixture for dynamic quantization)")


def slow_model(layers=100):
    """y = x, the long way: x [N,256] tiled by `repeats` (rows R·N), then `layers` MatMuls with the
    256×256 identity (exact: each output is one product by 1 plus zeros), then the first N rows.
    A run costs layers × R·N × 256 × 256 × 2 flops, so its caller sets its length."""
    identity = numpy_helper.from_array(np.eye(256, dtype=np.float32), "identity")
    zero = numpy_helper.from_array(np.array([0], dtype=np.int64), "zero")
    nodes = [helper.make_node("Tile", ["x", "repeats"], ["h0"], name="tile"),
             helper.make_node("Shape", ["x"], ["x_shape"], name="shape"),
             helper.make_node("Slice", ["x_shape", "zero", "one"], ["rows"], name="rows")]
    for i in range(layers):
        nodes.append(helper.make_node("MatMul", [f"h{i}", "identity"], [f"h{i + 1}"], name=f"layer{i}"))
    nodes.append(helper.make_node("Slice", [f"h{layers}", "zero", "rows", "zero"], ["y"], name="first_rows"))
    one = numpy_helper.from_array(np.array([1], dtype=np.int64), "one")
    graph = helper.make_graph(
        nodes, "slow_gen",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 256]),
         helper.make_tensor_value_info("repeats", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 256])], [identity, zero, one])
    return finish(graph, "y = x through a tiled chain of identity MatMuls: a run as long as `repeats` asks (Ledge test fixture)")


def finish(graph, doc):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="ledge-make_models", producer_version="1")
    model.ir_version = IR_VERSION
    model.doc_string = doc
    onnx.checker.check_model(model, full_check=True)
    return model


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def check_loads(path, feeds):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    print(f"  {os.path.basename(path)}: loads in onnxruntime {ort.__version__}; "
          f"output shapes {[o.shape for o in outs]}")
    return outs


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_models.py FIXTURES_DIR")
    models = os.path.join(sys.argv[1], "models")
    images = os.path.join(sys.argv[1], "images")
    os.makedirs(models, exist_ok=True)

    gen = os.path.join(models, "mobilenet_gen.onnx")
    write_atomic(gen, mobilenet().SerializeToString())
    x = np.random.default_rng(1).random((2, 3, 224, 224), dtype=np.float32)
    (probs,) = check_loads(gen, {"input": x})
    assert probs.shape == (2, 1000) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    print(f"  mobilenet_gen top-1 {probs.argmax(axis=1).tolist()} max {probs.max(axis=1).tolist()}")

    add = os.path.join(models, "add.onnx")
    write_atomic(add, add_model().SerializeToString())
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    (s,) = check_loads(add, {"a": a, "b": a * 2})
    assert np.array_equal(s, a * 3)
    add_one = os.path.join(models, "add_one.onnx")
    write_atomic(add_one, add_one_model().SerializeToString())
    (s,) = check_loads(add_one, {"a": a, "b": a * 2})
    assert np.array_equal(s, a * 3 + 1)
    add_sub = os.path.join(models, "add_sub.onnx")
    write_atomic(add_sub, add_sub_model().SerializeToString())
    s, d = check_loads(add_sub, {"a": a, "b": a * 2})
    assert np.array_equal(s, a * 3) and np.array_equal(d, -a)

    mlp = os.path.join(models, "mlp_gen.onnx")
    write_atomic(mlp, mlp_model().SerializeToString())
    (logits,) = check_loads(mlp, {"x": np.random.default_rng(2).random((4, 256), dtype=np.float32)})
    assert logits.shape == (4, 10)

    slow = os.path.join(models, "slow_gen.onnx")
    write_atomic(slow, slow_model().SerializeToString())
    x = np.random.default_rng(3).random((2, 256), dtype=np.float32)
    (y,) = check_loads(slow, {"x": x, "repeats": np.array([4, 1], dtype=np.int64)})
    assert np.array_equal(y, x)

    rng = np.random.default_rng(4096)
    write_atomic(os.path.join(models, "random.tflite"), rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    with open(os.path.join(models, "efficientnet_lite0.tflite"), "rb") as f:
        write_atomic(os.path.join(models, "truncated.tflite"), f.read(1000))
    with open(gen, "rb") as f:
        write_atomic(os.path.join(models, "truncated.onnx"), f.read(1000))
    write_atomic(os.path.join(models, "empty.onnx"), b"")
    shutil.copyfile(os.path.join(images, "chelsea.png"), os.path.join(models, "fake.onnx.tmp"))
    os.replace(os.path.join(models, "fake.onnx.tmp"), os.path.join(models, "fake.onnx"))
    print("  wrote random.tflite, truncated.tflite, truncated.onnx, empty.onnx, fake.onnx")


if __name__ == "__main__":
    main()
