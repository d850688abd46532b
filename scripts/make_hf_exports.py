#!/usr/bin/env python3
"""Hugging Face-style exports of image classifiers: an ONNX model with the
`config.json` (id2label) and `preprocessor_config.json` (the image processor's
recipe) that `transformers`/Optimum exports keep beside it, for the tests of
Ledge's sidecar reading (scripts/hf_pixel_values.py makes their reference).

Usage: python scripts/make_hf_exports.py <fixtures-dir>

Writes <fixtures-dir>/hf/:
  vit/model.onnx + config.json + preprocessor_config.json
      ViTImageProcessor: resize to 224x224 bilinear, mean/std 0.5 (an Optimum export folder)
  convnext/config.json + preprocessor_config.json + onnx/model.onnx
      ConvNextImageProcessor: shortest edge 224 / crop_pct 0.875 bicubic, then
      center crop 224, ImageNet mean/std (the Hub's layout: the model in onnx/)
  repo/mobilenet/config.json + preprocessor_config.json + 1/model.onnx
      MobileNetV2ImageProcessor: shortest edge 256 bilinear, center crop 224,
      mean/std 0.5 (a model repository's version folder)

Each model is a small CNN with seeded weights whose input `pixel_values` is
[batch_size, num_channels, height, width], every axis dynamic, as Optimum
exports it, and whose output `logits` is [batch_size, 5].
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]

EXPORTS = {
    "vit": {
        "model": "model.onnx",
        "labels": ["tench, Tinca tinca", "goldfish, Carassius auratus", "great white shark", "tiger shark", "hammerhead"],
        "processor": {
            "do_normalize": True, "do_rescale": True, "do_resize": True,
            "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
            "image_processor_type": "ViTImageProcessor", "resample": 2,
            "rescale_factor": 0.00392156862745098, "size": {"height": 224, "width": 224},
        },
    },
    "convnext": {
        "model": "onnx/model.onnx",
        "labels": ["tabby, tabby cat", "tiger cat", "Persian cat", "Siamese cat, Siamese", "Egyptian cat"],
        "processor": {
            "crop_pct": 0.875, "do_normalize": True, "do_rescale": True, "do_resize": True,
            "image_mean": IMAGENET_MEAN, "image_std": IMAGENET_STD,
            "image_processor_type": "ConvNextImageProcessor", "resample": 3,
            "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224},
        },
    },
    "repo/mobilenet": {
        "model": "1/model.onnx",
        "labels": ["espresso", "cup", "coffee mug", "eggnog", "consomme"],
        "processor": {
            "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_normalize": True,
            "do_rescale": True, "do_resize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
            "image_processor_type": "MobileNetV2ImageProcessor", "resample": 2,
            "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 256},
        },
    },
}


def model(seed):
    """Conv 3→8 /2, ReLU, Conv 8→16 /2, ReLU, global average pool, Gemm 16→5."""
    rng = np.random.default_rng(seed)

    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    inits = [
        numpy_helper.from_array(he((8, 3, 3, 3), 27), "conv1.weight"),
        numpy_helper.from_array(he((8,), 27) * 0.1, "conv1.bias"),
        numpy_helper.from_array(he((16, 8, 3, 3), 72), "conv2.weight"),
        numpy_helper.from_array(he((16,), 72) * 0.1, "conv2.bias"),
        numpy_helper.from_array(he((5, 16), 16), "classifier.weight"),
        numpy_helper.from_array(he((5,), 16) * 0.1, "classifier.bias"),
    ]
    nodes = [
        helper.make_node("Conv", ["pixel_values", "conv1.weight", "conv1.bias"], ["c1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", "conv2.weight", "conv2.bias"], ["c2"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"]),
        helper.make_node("GlobalAveragePool", ["r2"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["features"], axis=1),
        helper.make_node("Gemm", ["features", "classifier.weight", "classifier.bias"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "hf_export",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch_size", "num_channels", "height", "width"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", 5])],
        inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="ledge make_hf_exports.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m.SerializeToString()


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    temporary = path + ".tmp"
    with open(temporary, "wb") as f:
        f.write(data)
    os.replace(temporary, path)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_hf_exports.py <fixtures-dir>")
    root = os.path.join(sys.argv[1], "hf")
    for seed, (name, export) in enumerate(sorted(EXPORTS.items())):
        folder = os.path.join(root, name)
        write(os.path.join(folder, export["model"]), model(seed + 7))
        config = {
            "architectures": ["ForImageClassification"], "num_channels": 3,
            "id2label": {str(i): label for i, label in enumerate(export["labels"])},
            "label2id": {label: i for i, label in enumerate(export["labels"])},
        }
        write(os.path.join(folder, "config.json"), json.dumps(config, indent=2).encode())
        write(os.path.join(folder, "preprocessor_config.json"), json.dumps(export["processor"], indent=2).encode())
    with open(os.path.join(root, "exports.json"), "w") as f:
        json.dump({name: export["model"] for name, export in EXPORTS.items()}, f, indent=1, sort_keys=True)
    print(f"wrote {len(EXPORTS)} Hugging Face-style exports to {root}")


if __name__ == "__main__":
    main()
