#!/usr/bin/env python3
"""Write the seed corpora of the file-format fuzz targets (Fuzz/Corpus/<Target>/).

Usage: $LEDGE_HOME/venv/bin/python scripts/make_fuzz_seeds.py [FUZZ_DIR]

Every seed is small (< 64 KB): fuzzing is fastest on small inputs, and the seeds are
committed. They are derived from the fixtures (LEDGE_HOME, default <repo>/.ledge) or
written here:

  FuzzTFLite     a two-tensor model written with LiteRT's schema (object API): a float
                 input, a per-tensor and a per-channel quantized tensor, an operator, a
                 signature, metadata entries (efficientnet_lite0's real TFLITE_METADATA
                 buffer, a min_runtime_version string); with a zip of labels at its tail,
                 stored and deflated; plus the fixtures truncated.tflite and random.tflite
  FuzzONNX       add.onnx, add_one.onnx, truncated.onnx (fixtures) and a quantized graph
                 (QuantizeLinear / DequantizeLinear / Conv, int8 initializers, two opsets)
  FuzzImage      Pillow's JPEGs of a 16x12 crop of chelsea.jpg (baseline, progressive, grey,
                 CMYK, EXIF orientation 6, 4:4:4) and PNGs (RGB, palette, grey, RGBA,
                 16-bit and Adam7 through scripts/pngwrite.py), rocket_224.jpg, huge_header.jpg
  FuzzMultipart  see MULTIPART below: uploads as classify and the Seldon routes take them
"""
import io
import os
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import pngwrite  # noqa: E402

LEDGE_HOME = os.environ.get("LEDGE_HOME") or os.path.join(REPO, ".ledge")
MODELS = os.path.join(LEDGE_HOME, "fixtures", "models")
IMAGES = os.path.join(LEDGE_HOME, "fixtures", "images")
LIMIT = 64 * 1024


def write(folder, name, data):
    assert len(data) < LIMIT, f"{name}: {len(data)} bytes"
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def fixture(folder, name):
    with open(os.path.join(folder, name), "rb") as f:
        return f.read()


def tflite_seeds(out):
    import ai_edge_litert
    sys.path.insert(0, os.path.dirname(ai_edge_litert.__file__))
    import schema_py_generated as s  # LiteRT's generated flatbuffer schema
    import flatbuffers

    real = s.ModelT.InitFromPackedBuf(fixture(MODELS, "efficientnet_lite0.tflite"), 0)
    real_metadata = next(bytes(real.buffers[m.buffer].data) for m in real.metadata if m.name == b"TFLITE_METADATA")

    def buffer(data=None):
        b = s.BufferT()
        b.data = None if data is None else list(data)
        return b

    def tensor(name, type_, shape, buffer_index, scales=None, zero_points=None, axis=0):
        t = s.TensorT()
        t.name, t.type, t.shape, t.buffer = name, type_, shape, buffer_index
        t.shapeSignature = [-1] + shape[1:]
        if scales is not None:
            q = s.QuantizationParametersT()
            q.scale, q.zeroPoint, q.quantizedDimension = scales, zero_points, axis
            t.quantization = q
        return t

    model = s.ModelT()
    model.version = 3
    model.description = b"ledge fuzz seed"
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = 6  # DEQUANTIZE
    model.operatorCodes = [code]
    graph = s.SubGraphT()
    graph.name = b"main"
    graph.tensors = [
        tensor(b"input", 9, [1, 4], 1, scales=[0.5], zero_points=[-3]),
        tensor(b"weights", 9, [2, 4], 2, scales=[0.25, 0.125], zero_points=[0, 0], axis=0),
        tensor(b"output", 0, [1, 4], 0),
    ]
    graph.inputs, graph.outputs = [0], [2]
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0], [2]
    graph.operators = [op]
    model.subgraphs = [graph]
    model.buffers = [buffer(), buffer(), buffer(np.arange(8, dtype=np.int8).tobytes()), buffer(real_metadata), buffer(b"1.5.0\0")]
    entries = []
    for name, index in [(b"TFLITE_METADATA", 3), (b"min_runtime_version", 4)]:
        m = s.MetadataT()
        m.name, m.buffer = name, index
        entries.append(m)
    model.metadata = entries
    signature = s.SignatureDefT()
    signature.signatureKey, signature.subgraphIndex = b"serving_default", 0
    for field, index in [("inputs", 0), ("outputs", 2)]:
        m = s.TensorMapT()
        m.name, m.tensorIndex = field.encode(), index
        setattr(signature, field, [m])
    model.signatureDefs = [signature]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    flat = bytes(builder.Output())
    write(out, "small-model.tflite", flat)

    labels = "\n".join(f"class {i}" for i in range(40)).encode() + b"\n"
    for name, compression in [("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED)]:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", compression) as z:
            z.writestr("labels_without_background.txt", labels)
        write(out, f"small-model-zip-{name}.tflite", flat + archive.getvalue())
    write(out, "truncated.tflite", fixture(MODELS, "truncated.tflite"))
    write(out, "random.tflite", fixture(MODELS, "random.tflite"))


def onnx_seeds(out):
    for name in ["add.onnx", "add_one.onnx", "truncated.onnx"]:
        write(out, name, fixture(MODELS, name))
    rng = np.random.default_rng(7)
    inits = [
        numpy_helper.from_array(rng.integers(-128, 127, (4, 3, 3, 3), dtype=np.int8), "w_q"),
        numpy_helper.from_array(np.array(0.02, dtype=np.float32), "w_scale"),
        numpy_helper.from_array(np.array(0, dtype=np.int8), "w_zero"),
        numpy_helper.from_array(np.array(0.1, dtype=np.float32), "x_scale"),
        numpy_helper.from_array(np.array(0, dtype=np.int8), "x_zero"),
    ]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "x_scale", "x_zero"], ["x_q"]),
        helper.make_node("DequantizeLinear", ["x_q", "x_scale", "x_zero"], ["x_dq"]),
        helper.make_node("DequantizeLinear", ["w_q", "w_scale", "w_zero"], ["w_dq"]),
        helper.make_node("Conv", ["x_dq", "w_dq"], ["y"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["y"], ["z"]),
    ]
    graph = helper.make_graph(
        nodes, "quantized",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 4, 8, 8])],
        inits)
    model = helper.make_model(
        graph, producer_name="ledge-fuzz", producer_version="1",
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.microsoft", 1)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    write(out, "quantized.onnx", model.SerializeToString())


def image_seeds(out):
    crop = Image.open(os.path.join(IMAGES, "chelsea.jpg")).convert("RGB").crop((100, 60, 116, 72))
    def jpeg(image, **options):
        data = io.BytesIO()
        image.save(data, "JPEG", quality=80, **options)
        return data.getvalue()
    write(out, "baseline.jpg", jpeg(crop))
    write(out, "progressive.jpg", jpeg(crop, progressive=True))
    write(out, "grey.jpg", jpeg(crop.convert("L")))
    write(out, "cmyk.jpg", jpeg(crop.convert("CMYK")))
    write(out, "subsampling-444.jpg", jpeg(crop, subsampling=0))
    exif = Image.Exif()
    exif[0x0112] = 6
    write(out, "exif-orientation-6.jpg", jpeg(crop, exif=exif.tobytes()))
    def png(image):
        data = io.BytesIO()
        image.save(data, "PNG")
        return data.getvalue()
    write(out, "rgb.png", png(crop))
    write(out, "palette.png", png(crop.convert("P")))
    write(out, "grey.png", png(crop.convert("L")))
    write(out, "rgba.png", png(crop.convert("RGBA")))
    pixels = np.asarray(crop).astype(">u2") * 257
    for name, interlace in [("rgb16.png", False), ("adam7.png", True)]:
        path = os.path.join(out, name)
        pngwrite.write_png(path, pixels if name == "rgb16.png" else np.asarray(crop), interlace=interlace)
        assert os.path.getsize(path) < LIMIT
    write(out, "rocket_224.jpg", fixture(IMAGES, "rocket_224.jpg"))
    write(out, "huge_header.jpg", fixture(IMAGES, "huge_header.jpg"))


CRLF = b"\r\n"
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
# name -> (Content-Type value, body): the first line of a FuzzMultipart input is the value.
MULTIPART = {
    "file-upload": (b"multipart/form-data; boundary=XyZ", b"--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.jpg\"\r\n"
                    b"Content-Type: image/jpeg\r\n\r\n" + JPEG_HEAD + b"\r\n--XyZ--\r\n"),
    "quoted-boundary-preamble": (b"multipart/form-data; boundary=\"a b;c\"; charset=utf-8",
                                 b"preamble\r\n--a b;c\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\\\"y.png\"\r\n\r\n"
                                 b"\x89PNG\r\n\x1a\n\r\n--a b;c--\r\nepilogue"),
    "seldon-fields": (b"multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=\"strData\"\r\n\r\nhello\r\n"
                      b"--B\r\nContent-Disposition: form-data; name=\"binData\"; filename=\"b\"\r\n\r\n\x00\x01\x02\r\n"
                      b"--B\r\nContent-Disposition: form-data; name=\"jsonData\"\r\n\r\n{\"a\":[1,2.5,null]}\r\n--B--"),
    "no-closing": (b"multipart/form-data; boundary=B", b"--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ndata"),
    "folded-header": (b"multipart/form-data; boundary=B", b"--B \t\r\nContent-Disposition: form-data;\r\n name=\"f\"; filename=\"a\"\r\n"
                      b"Content-Type: image/gif\r\n\r\nGIF89a\r\n--B--\r\n"),
    "no-headers": (b"multipart/form-data; boundary=B", b"--B\r\n\r\ncontent\r\n--B--\r\n"),
    "bad-header-line": (b"multipart/form-data; boundary=B", b"--B\r\nno colon here\r\n\r\nx\r\n--B--\r\n"),
    "no-boundary": (b"multipart/form-data", b"--B\r\n\r\nx\r\n--B--\r\n"),
}


def main():
    fuzz = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "Fuzz")
    corpus = os.path.join(fuzz, "Corpus")
    tflite_seeds(os.path.join(corpus, "FuzzTFLite"))
    onnx_seeds(os.path.join(corpus, "FuzzONNX"))
    image_seeds(os.path.join(corpus, "FuzzImage"))
    for name, (content_type, body) in MULTIPART.items():
        write(os.path.join(corpus, "FuzzMultipart"), name, content_type + CRLF + body)
    for folder in sorted(os.listdir(corpus)):
        files = os.listdir(os.path.join(corpus, folder))
        size = sum(os.path.getsize(os.path.join(corpus, folder, f)) for f in files)
        print(f"{folder}: {len(files)} seeds, {size} bytes")


if __name__ == "__main__":
    main()
