import Testing
@testable import LedgeCore

@Suite struct TensorTests {
    @Test func storageIsAlignedAndZeroed() {
        let t = Tensor(dtype: .float32, shape: [3, 5])
        #expect(Int(bitPattern: t.storage.baseAddress) % 64 == 0)
        #expect(t.byteCount == 60)
        #expect(t.values(as: Float.self) == [Float](repeating: 0, count: 15))
    }

    @Test func copyOnWrite() {
        let a = Tensor(dtype: .int32, shape: [4], values: [Int32(1), 2, 3, 4])
        var b = a
        b.withUnsafeMutableBytes { $0.bindMemory(to: Int32.self)[0] = 9 }
        #expect(a.values(as: Int32.self) == [1, 2, 3, 4])
        #expect(b.values(as: Int32.self) == [9, 2, 3, 4])
    }

    @Test func tensorsOverOneStorageCopyBeforeWriting() {
        let storage = TensorStorage(byteCount: 8)
        var a = Tensor(dtype: .int32, shape: [2], storage: storage)
        let b = Tensor(dtype: .int32, shape: [2], storage: storage)
        var c = b.reshaped([1, 2])
        a.withUnsafeMutableBytes { $0.bindMemory(to: Int32.self)[0] = 7 }
        c.withUnsafeMutableBytes { $0.bindMemory(to: Int32.self)[1] = 9 }
        #expect(a.values(as: Int32.self) == [7, 0])
        #expect(b.values(as: Int32.self) == [0, 0])
        #expect(c.values(as: Int32.self) == [0, 9])
    }

    @Test func dequantizesPerTensorAndPerChannel() {
        let q = Tensor(dtype: .uint8, shape: [1, 4], values: [UInt8(0), 128, 131, 255])
        #expect(q.floatValues(dequantizing: Quantization(scale: 0.5, zeroPoint: 128)) == [-64, 0, 1.5, 63.5])
        let pc = Tensor(dtype: .int8, shape: [2, 2], values: [Int8(2), 4, 2, 4])
        let quant = Quantization(scales: [1, 0.5], zeroPoints: [0, 2], axis: 0)
        #expect(pc.floatValues(dequantizing: quant) == [2, 4, 0, 1])
    }

    @Test func float16Widens() {
        let h = Tensor(dtype: .float16, shape: [2], values: [Float16(1.5).bitPattern, Float16(-2).bitPattern])
        #expect(h.floatValues() == [1.5, -2])
    }

    @Test func dtypeSizesAndNames() {
        #expect(DType.allCases.map(\.byteSize) == [1, 1, 1, 2, 2, 4, 4, 8, 8, 2, 4, 8])
        #expect(DType.float32.v2Name == "FP32")
        #expect(DType.uint8.v2Name == "UINT8")
    }

    @Test func specAcceptsDynamicDimensions() {
        let spec = TensorSpec(name: "x", dtype: .float32, shape: [-1, 3, -1, -1])
        #expect(spec.accepts(shape: [4, 3, 48, 192]))
        #expect(!spec.accepts(shape: [4, 1, 48, 192]))
        #expect(!spec.accepts(shape: [3, 48, 192]))
        #expect(spec.shapeDescription == "[-1, 3, -1, -1]")
    }

    @Test func imageSizeParsing() throws {
        let size = try ImageSize.parse(heightByWidth: "48x192")
        #expect(size.height == 48 && size.width == 192)
        #expect(try ImageSize.parse(heightByWidth: "224") == ImageSize(width: 224, height: 224))
        #expect(throws: LedgeError.usage("--input-size expects HxW with positive sizes (e.g. 224x224), got '48x'")) {
            try ImageSize.parse(heightByWidth: "48x")
        }
        #expect(throws: LedgeError.usage("--input-size expects HxW with positive sizes (e.g. 224x224), got '0x5'")) {
            try ImageSize.parse(heightByWidth: "0x5")
        }
    }

    @Test func errorCodes() {
        #expect(LedgeError.usage("u").code == .usage)
        #expect(LedgeError.invalidInput("i").code == .invalidInput)
        #expect(LedgeError.invalidModel("m").code == .invalidModel)
        #expect(LedgeError.notFound("n").code == .notFound)
        #expect(LedgeError.runtimeUnavailable("r").code == .runtimeUnavailable)
        #expect(LedgeError.runtimeFailure("f").code == .runtimeFailure)
        #expect(LedgeError(.busy, "b").code != .invalidInput)
        #expect(LedgeError.invalidModel("m").appending(detail: "d") == LedgeError(.invalidModel, "m: d"))
        #expect(LedgeError.Code.timedOut.description == "timedOut")
    }
}
