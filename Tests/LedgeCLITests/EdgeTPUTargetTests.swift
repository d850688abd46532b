import Foundation
import LedgeTesting
import Testing

/// `ledge inspect --target edgetpu`: the Edge TPU compiler's verdict without the compiler.
@Suite(.ownThread) struct EdgeTPUTargetTests {
    @Test func quantizedEfficientNetIsReady() throws {
        let result = try ProcessRunner.ledge(["inspect", Fixtures.model("efficientnet_lite0.tflite"), "--target", "edgetpu"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.hasSuffix(
                "\nedgetpu: ready: all 64 operators are on the Edge TPU's supported list and every tensor is 8-bit\n"))
    }

    /// DeepLabV3 from the same package is float: the compiler's first complaint.
    @Test func floatDeepLabIsNotQuantized() throws {
        let result = try ProcessRunner.ledge(["inspect", Fixtures.model("deeplabv3.tflite"), "--target", "edgetpu"])
        #expect(result.status == 1)
        #expect(
            result.stdout.hasSuffix(
                "\nedgetpu: Model not quantized: 181 float tensors (first: AvgPool2D/AvgPool, MobilenetV2/Conv/Conv2D_bias, MobilenetV2/Conv/Relu6); the Edge TPU compiler needs full 8-bit quantization\n"
            ), "\(result.stdout)")
    }

    @Test func onnxAndUnknownTargetsAreRefused() throws {
        let onnx = Fixtures.model("mobilenet_gen.onnx")
        let result = try ProcessRunner.ledge(["inspect", onnx, "--target", "edgetpu"])
        #expect(result.status == 3)
        #expect(result.stderr == "error: --target edgetpu: \(onnx) is an ONNX model: the Edge TPU runs TFLite models only\n")
        let unknown = try ProcessRunner.ledge(["inspect", onnx, "--target", "hailo"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("Error: --target must be edgetpu, got 'hailo'\n"))
    }
}
