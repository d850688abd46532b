import LedgeBench
import LedgeCore
import LedgeTesting
import Testing

/// The error paths of `bench` that are its own (budgets, inputs) have their
/// codes; opening the model shares inspect's paths (LedgeEngineTests).
@Suite struct BenchErrorCodeTests {

    @Test(arguments: ["", "p50<", "p50<3 parsecs", "nonsense", "fps@0>10"])
    func malformedBudgetsAreUsageErrors(_ text: String) {
        #expect(ledgeErrorCode { _ = try Budget.parse(text) } == .usage, "'\(text)'")
    }

    @Test func dynamicImageSizeWithoutInputSizeIsAUsageError() {
        let spec = TensorSpec(name: "x", dtype: .float32, shape: [-1, 3, -1, -1])
        #expect(ledgeErrorCode { _ = try InputFactory.shape(of: spec, batch: 1, inputSize: nil) } == .usage)
        #expect(ledgeErrorCode { _ = try InputFactory.shape(of: spec, batch: 1, inputSize: ImageSize(width: 192, height: 48)) } == nil)
    }
}
