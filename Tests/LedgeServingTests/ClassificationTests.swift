import LedgeCore
@testable import LedgeServing
import Testing

/// The classification extension's strings against the shape it declares.
@Suite struct ClassificationTests {
    func strings(_ content: InferenceResponse.Output.Content) -> (shape: [Int], strings: [String]) {
        guard case .strings(let shape, let strings) = content else { return ([], []) }
        return (shape, strings)
    }

    /// FuzzRequest's crasher Fuzz/Crashers/FuzzRequest/classification-of-empty-tensors.json: an empty
    /// last dimension was taken as one class, so `[0]` came back as shape `[1]` with no strings.
    @Test(arguments: [[0], [2, 0], [0, 3], [2, 0, 0]])
    func emptyTensorsGiveAsManyStringsAsTheirShapeSays(shape: [Int]) {
        let (outShape, strings) = strings(ServedModel.classes(Tensor(dtype: .float32, shape: shape), k: 2, quantization: nil, labels: nil))
        #expect(outShape == Array(shape.dropLast()) + [min(2, shape.last!)])
        #expect(strings.count == outShape.reduce(1, *))
    }

    @Test func scalarIsOneClass() {
        let (shape, strings) = strings(
            ServedModel.classes(Tensor(dtype: .float32, shape: [], values: [Float(0.5)]), k: 3, quantization: nil, labels: ["a"]))
        #expect(shape == [1])
        #expect(strings == ["0.500000:0:a"])
    }

    @Test func rowsGiveTheirTopK() {
        let tensor = Tensor(dtype: .float32, shape: [2, 3], values: [Float(0.1), 0.7, 0.2, 0.9, 0.05, 0.05])
        let (shape, strings) = strings(ServedModel.classes(tensor, k: 2, quantization: nil, labels: nil))
        #expect(shape == [2, 2])
        #expect(strings == ["0.700000:1", "0.200000:2", "0.900000:0", "0.050000:1"])
    }
}
