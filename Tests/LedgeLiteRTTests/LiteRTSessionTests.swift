import Foundation
import LedgeCore
import LedgeLiteRT
import LedgeTesting
import Testing

@Suite("LiteRT session on efficientnet_lite0")
struct LiteRTSessionTests {
    @Test func inputAndOutputSpecs() throws {
        let session: any InferenceSession = try Support.session()
        #expect(session.executionProvider == "cpu")
        let info = session.info
        #expect(info.format == .tflite)
        #expect(info.runtimeVersion == "2.3.0")
        #expect(info.signatures == ["<placeholder signature>"])
        let input = try #require(info.inputs.first)
        #expect(info.inputs.count == 1)
        #expect(input.name == "images")
        #expect(input.dtype == .uint8)
        #expect(input.shape == [1, 224, 224, 3])
        let q = try #require(input.quantization)
        #expect(abs(q.scale - 0.012566) < 1e-5)
        #expect(q.zeroPoint == 131)
        let output = try #require(info.outputs.first)
        #expect(info.outputs.count == 1)
        #expect(output.name == "Softmax")
        #expect(output.dtype == .uint8)
        #expect(output.shape == [1, 1000])
        #expect(output.quantization?.scale == 1.0 / 256)
        #expect(output.quantization?.zeroPoint == 0)
    }

    @Test func metadataLabelsOperatorsAndVerdict() throws {
        let info = try Support.session().info
        let labels = try #require(info.metadata.labels)
        #expect(labels.count == 1000)
        #expect(labels[285] == "Egyptian cat")
        #expect(labels[967] == "espresso")
        #expect(info.metadata.associatedFiles.contains("labels_without_background.txt"))
        let names = info.operators.map(\.name)
        #expect(names.contains("CONV_2D"))
        #expect(names.contains("DEPTHWISE_CONV_2D"))
        #expect(info.operators.allSatisfy { $0.count > 0 })
        #expect(info.quantized == .yes)
        #expect(info.sizeBytes == 5_434_493)
    }

    @Test func outputMatchesPythonReference() throws {
        let reference = try Fixtures.referenceCase("tflite_fixed")
        let session = try Support.session()
        let outputs = try session.run(reference.inputs)
        #expect(outputs.count == reference.outputs.count)
        for (got, want) in zip(outputs, reference.outputs) {
            #expect(got.shape == want.shape)
            let a: [UInt8] = got.values(), b: [UInt8] = want.values()
            let worst = zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
            #expect(worst <= 1, "largest difference \(worst) quantization steps")
        }
    }

    @Test func oneAndTwoThreadsAgree() throws {
        var input = Tensor(dtype: .uint8, shape: [1, 224, 224, 3])
        input.withUnsafeMutableBytes { bytes in
            for i in 0..<bytes.count { bytes[i] = UInt8((i * 7 + i / 672) & 0xFF) }
        }
        let one = try Support.session(threads: 1).run([input])
        let two = try Support.session(threads: 2).run([input])
        #expect(one[0].values(as: UInt8.self) == two[0].values(as: UInt8.self))
        // The persistent buffers give the same answer on a second run.
        let session = try Support.session(threads: 2)
        _ = try session.run([input])
        #expect(try session.run([input])[0].values(as: UInt8.self) == two[0].values(as: UInt8.self))
    }

    @Test func wrongDtypeAndShapeAreNamed() throws {
        let session = try Support.session()
        #expect(
            Support.message { _ = try session.run([Tensor(dtype: .float32, shape: [1, 224, 224, 3])]) }
                == "input 'images': expected dtype uint8, got float32")
        #expect(
            Support.message { _ = try session.run([Tensor(dtype: .uint8, shape: [2, 224, 224, 3])]) }
                == "input 'images': expected shape [1, 224, 224, 3], got [2, 224, 224, 3]")
        #expect(Support.message { _ = try session.run([]) } == "model expects 1 input(s), got 0")
        #expect(Support.message { _ = try Support.session(threads: 0) } == "threads: expected at least 1, got 0")
    }

    @Test func badLibraryPaths() throws {
        #expect(
            Support.message { _ = try LiteRTRuntime.shared(libraryPath: "/nonexistent/libLiteRt.so") }
                == "LiteRT library not found at '/nonexistent/libLiteRt.so' (from the path given); install it with 'pip install ai-edge-litert==2.3.0'"
        )
        let notELF = Support.modelPath
        #expect(
            Support.message { _ = try LiteRTRuntime(libraryPath: notELF) }
                == "LiteRT library '\(notELF)' could not be loaded: \(notELF): invalid ELF header; install it with 'pip install ai-edge-litert==2.3.0'"
        )
        let zlib = ["/usr/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/aarch64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1"]
            .first { FileManager.default.fileExists(atPath: $0) }
        if let zlib {
            #expect(
                Support.message { _ = try LiteRTRuntime(libraryPath: zlib) }
                    == "LiteRT library '\(zlib)' could not be loaded: not a LiteRT library (symbol LiteRtCreateEnvironment is missing); install it with 'pip install ai-edge-litert==2.3.0'"
            )
        }
    }
}
