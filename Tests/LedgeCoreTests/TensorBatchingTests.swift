import Testing
@testable import LedgeCore

@Suite struct TensorBatchingTests {
    @Test func concatenatesAlongTheFirstDimensionInOrder() throws {
        let a = Tensor(dtype: .int32, shape: [1, 2, 2], values: [Int32(1), 2, 3, 4])
        let b = Tensor(dtype: .int32, shape: [2, 2, 2], values: [Int32(5), 6, 7, 8, 9, 10, 11, 12])
        let none = Tensor(dtype: .int32, shape: [0, 2, 2])
        let c = Tensor(dtype: .int32, shape: [1, 2, 2], values: [Int32(13), 14, 15, 16])
        let joined = try Tensor.concatenating([a, b, none, c])
        #expect(joined.shape == [4, 2, 2])
        #expect(joined.dtype == .int32)
        #expect(joined.values(as: Int32.self) == Array(1...16))
        #expect(Int(bitPattern: joined.storage.baseAddress) % TensorStorage.alignment == 0)
    }

    @Test func splitsBackIntoTheSameTensors() throws {
        let values = (0..<30).map { UInt16($0 * 3) }
        let batch = Tensor(dtype: .uint16, shape: [5, 3, 2], values: values)
        let pieces = try batch.splitting(counts: [1, 0, 3, 1])
        #expect(pieces.map(\.shape) == [[1, 3, 2], [0, 3, 2], [3, 3, 2], [1, 3, 2]])
        #expect(pieces.map { $0.values(as: UInt16.self) } == [Array(values[0..<6]), [], Array(values[6..<24]), Array(values[24..<30])])
        #expect(try Tensor.concatenating(pieces).values(as: UInt16.self) == values)
        // One piece is the tensor itself.
        #expect(try batch.splitting(counts: [5])[0].values(as: UInt16.self) == values)
    }

    @Test func oneTensorIsItselfAndOneDimensionalTensorsJoin() throws {
        let a = Tensor(dtype: .float64, shape: [2], values: [1.5, -2])
        #expect(try Tensor.concatenating([a]).values(as: Double.self) == [1.5, -2])
        let b = Tensor(dtype: .float64, shape: [1], values: [3.25])
        #expect(try Tensor.concatenating([a, b]).values(as: Double.self) == [1.5, -2, 3.25])
        #expect(try Tensor.concatenating([a, b]).shape == [3])
    }

    @Test func refusesWhatCannotBeJoinedWithTheTensorAtFault() {
        let a = Tensor(dtype: .float32, shape: [1, 4])
        #expect(throws: LedgeError.invalidInput("cannot concatenate no tensors: expected at least one")) {
            try Tensor.concatenating([])
        }
        #expect(throws: LedgeError.invalidInput("cannot concatenate tensor 0: it is a scalar, expected at least one dimension")) {
            try Tensor.concatenating([Tensor(dtype: .float32, shape: []), a])
        }
        #expect(throws: LedgeError.invalidInput("cannot concatenate tensor 2: dtype int32, expected float32 as tensor 0")) {
            try Tensor.concatenating([a, a, Tensor(dtype: .int32, shape: [1, 4])])
        }
        #expect(throws: LedgeError.invalidInput("cannot concatenate tensor 1: shape [1, 3], expected [n, 4]")) {
            try Tensor.concatenating([a, Tensor(dtype: .float32, shape: [1, 3])])
        }
        #expect(throws: LedgeError.invalidInput("cannot concatenate tensor 1: shape [4], expected [n, 4]")) {
            try Tensor.concatenating([a, Tensor(dtype: .float32, shape: [4])])
        }
    }

    @Test func refusesCountsThatDoNotCutTheFirstDimension() {
        let batch = Tensor(dtype: .float32, shape: [4, 1000])
        #expect(throws: LedgeError.invalidInput("cannot split shape [4, 1000] into counts [1, 2]: they sum to 3, expected 4")) {
            try batch.splitting(counts: [1, 2])
        }
        #expect(throws: LedgeError.invalidInput("cannot split shape [4, 1000] into -1 rows: expected counts of at least 0")) {
            try batch.splitting(counts: [5, -1])
        }
        #expect(throws: LedgeError.invalidInput("cannot split a scalar: expected at least one dimension")) {
            try Tensor(dtype: .float32, shape: []).splitting(counts: [1])
        }
    }
}
