import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import LedgeServer
import LedgeServing
import LedgeTesting
import Testing

/// Triton's shared-memory extension over HTTP: regions registered, inputs read from them and
/// outputs written to them, every refusal with its status and exact text, a region that shrinks
/// after registering (the case that would raise SIGBUS through a mapping), and off by default.
@Suite(.ownThread) struct SharedMemoryTests {
    static func app(allowed: Bool = true) throws -> some ApplicationProtocol {
        buildApplication(
            configuration: ServerConfiguration(host: "127.0.0.1", port: 0),
            repository: try TestServer.repository(allowClientSharedMemory: allowed), logger: TestServer.logger)
    }

    static func register(_ client: some TestClientProtocol, _ name: String, key: String, offset: Int = 0, size: Int) async throws
        -> TestResponse
    {
        try await client.execute(
            uri: "/v2/systemsharedmemory/region/\(name)/register", method: .post,
            body: ByteBuffer(string: #"{"key":"\#(key)","offset":\#(offset),"byte_size":\#(size)}"#))
    }

    /// add.onnx's inputs `a` and `b` and output `sum`, each `[1, 4]` FP32, with these parameters.
    static func addBody(a: String, b: String = #""data":[10,20,30,40]"#, sum: String? = nil) -> ByteBuffer {
        let outputs = sum.map { #","outputs":[{"name":"sum","parameters":{\#($0)}}]"# } ?? ""
        return ByteBuffer(
            string: #"{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],\#(a)},{"name":"b","datatype":"FP32","shape":[1,4],\#(b)}]\#(outputs)}"#
        )
    }

    @Test func registerInferStatusAndUnregister() async throws {
        let object = try SharedMemoryObject(size: 64)
        object.write([1, 2, 3, 4], at: 0)
        object.write([10, 20, 30, 40], at: 16)
        try await Self.app().test(.router) { client in
            #expect(try await Self.register(client, "io", key: object.key, size: 64).status == .ok)
            try await client.execute(uri: "/v2/systemsharedmemory/status", method: .get) { response in
                #expect(String(buffer: response.body) == #"[{"byte_size":64,"key":"\#(object.key)","name":"io","offset":0}]"#)
            }
            try await client.execute(uri: "/v2/systemsharedmemory/region/io/status", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2", method: .get) { response in
                #expect(String(buffer: response.body).contains(#""statistics","trace","logging","system_shared_memory"]"#))
            }
            // Both inputs and the output in the region: the response describes the output, without data or parameters.
            let body = Self.addBody(
                a: #""parameters":{"shared_memory_region":"io","shared_memory_byte_size":16}"#,
                b: #""parameters":{"shared_memory_region":"io","shared_memory_offset":16,"shared_memory_byte_size":16}"#,
                sum: #""shared_memory_region":"io","shared_memory_offset":32,"shared_memory_byte_size":32"#)
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: body) { response in
                #expect(response.status == .ok, "\(response.errorMessage ?? "")")
                #expect(
                    String(buffer: response.body)
                        == #"{"model_name":"add","model_version":"1","outputs":[{"name":"sum","datatype":"FP32","shape":[1,4]}]}"#)
                #expect(response.headers[HTTPField.Name("Inference-Header-Content-Length")!] == nil)
            }
            #expect(object.floats(4, at: 32) == [11, 22, 33, 44])
            // One input from the region, one as JSON, the output in the response.
            try await client.execute(
                uri: "/v2/models/add/infer", method: .post,
                body: Self.addBody(a: #""parameters":{"shared_memory_region":"io","shared_memory_byte_size":16}"#, b: #""data":[1,1,1,1]"#)
            ) { response in
                let decoded = try response.json(InferResponse.self)
                #expect(decoded.outputs.first?.data == [2, 3, 4, 5])
            }
            try await client.execute(uri: "/v2/systemsharedmemory/region/io/unregister", method: .post) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/systemsharedmemory/status", method: .get) { #expect(String(buffer: $0.body) == "[]") }
            try await client.execute(
                uri: "/v2/models/add/infer", method: .post,
                body: Self.addBody(a: #""parameters":{"shared_memory_region":"io","shared_memory_byte_size":16}"#)
            ) { response in
                #expect(response.status == .badRequest)
                #expect(response.errorMessage == "input 'a': shared memory region 'io' is not registered")
            }
        }
    }

    @Test func refusalsNameWhatIsWrong() async throws {
        let object = try SharedMemoryObject(size: 64)
        let region = #""shared_memory_region":"io","shared_memory_byte_size":16"#
        try await Self.app().test(.router) { client in
            #expect(try await Self.register(client, "io", key: object.key, size: 64).status == .ok)
            for (name, key, offset, size, message) in [
                (
                    "x", "/ledge-no-such-object", 0, 4,
                    "shared memory key '/ledge-no-such-object' does not exist: expected an object the client created (shm_open)"
                ),
                ("x", "/a/b", 0, 4, "shared memory key '/a/b' is not a POSIX shared memory name: expected '/name' (one leading slash, no other)"),
                ("x", object.key, 8, 64, "shared memory key '\(object.key)' holds 64 bytes: region 'x' (offset 8 + byte_size 64) runs past its end"),
                ("x", object.key, -1, 4, "shared memory region 'x': offset -1 and byte_size 4: expected sizes of 0 or more"),
                ("io", object.key, 0, 4, "shared memory region 'io' is already registered (key '\(object.key)'): unregister it first"),
                (String(repeating: "n", count: 257), object.key, 0, 4, "shared memory region name is 257 bytes long: expected 1 to 256"),
                ("x", "/" + String(repeating: "k", count: 300), 0, 4, "shared memory key is 301 bytes long: expected at most 255"),
            ] {
                let response = try await Self.register(client, name, key: key, offset: offset, size: size)
                #expect(response.status == .badRequest)
                #expect(response.errorMessage == message)
            }
            try await client.execute(
                uri: "/v2/systemsharedmemory/region/y/register", method: .post, body: ByteBuffer(string: #"{"key":"/k"}"#)
            ) { response in
                #expect(response.errorMessage == "register request: missing field 'byte_size' in the request JSON")
            }
            try await client.execute(uri: "/v2/systemsharedmemory/region/y/register", method: .post, body: ByteBuffer(string: "[1]")) {
                response in
                #expect(response.errorMessage == "register request: field '(root)' has the wrong type: expected an object")
            }
            try await client.execute(uri: "/v2/systemsharedmemory/region/nope/status", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.errorMessage == "shared memory region 'nope' is not registered")
            }
            // CUDA shared memory, as a CPU-only server answers it.
            try await client.execute(uri: "/v2/cudasharedmemory/status", method: .get) { #expect(String(buffer: $0.body) == "[]") }
            try await client.execute(uri: "/v2/cudasharedmemory/region/g/register", method: .post, body: ByteBuffer(string: "{}")) {
                #expect($0.errorMessage == "CUDA shared memory is not supported: this server runs models on the CPU (use system shared memory)")
            }
            for (body, message) in [
                (
                    Self.addBody(a: #""parameters":{"shared_memory_region":"io","shared_memory_byte_size":12}"#),
                    "input 'a': shared_memory_byte_size 12 does not match shape [1, 4] of FP32: expected 16 bytes"
                ),
                (
                    Self.addBody(a: #""parameters":{"shared_memory_region":"io","shared_memory_offset":56,"shared_memory_byte_size":16}"#),
                    "input 'a': shared_memory_offset 56 + shared_memory_byte_size 16 runs past region 'io' of 64 bytes"
                ),
                (
                    Self.addBody(a: #""parameters":{"shared_memory_region":"io"}"#),
                    "input 'a': parameters.shared_memory_region 'io' needs parameters.shared_memory_byte_size"
                ),
                (
                    Self.addBody(a: #""parameters":{"shared_memory_byte_size":16}"#),
                    "input 'a': parameters.shared_memory_byte_size is given without parameters.shared_memory_region"
                ),
                (
                    Self.addBody(a: #""data":[1,2,3,4],"parameters":{\#(region)}"#),
                    "input 'a' has both 'data' and parameters.shared_memory_region: expected one"
                ),
                (
                    Self.addBody(a: #""parameters":{\#(region)}"#, sum: #""shared_memory_region":"io","shared_memory_byte_size":8"#),
                    "requested output 'sum' holds 16 bytes but its shared_memory_byte_size is 8: expected at least 16"
                ),
                (
                    Self.addBody(a: #""parameters":{\#(region)}"#, sum: #""classification":2,\#(region)"#),
                    "requested output 'sum': parameters.classification and parameters.shared_memory_region: expected one (classes are sent in the response)"
                ),
            ] {
                try await client.execute(uri: "/v2/models/add/infer", method: .post, body: body) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorMessage == message)
                }
            }
            // No more regions than the server holds descriptors for.
            for n in 1..<SharedMemoryRegistry.maximumRegions {
                #expect(try await Self.register(client, "r\(n)", key: object.key, size: 4).status == .ok)
            }
            let response = try await Self.register(client, "one-more", key: object.key, size: 4)
            #expect(response.errorMessage == "128 shared memory regions are registered, the most this server holds: unregister one first")
            try await client.execute(uri: "/v2/systemsharedmemory/unregister", method: .post) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/systemsharedmemory/status", method: .get) { #expect(String(buffer: $0.body) == "[]") }
        }
    }

    /// An output of fixed shape (efficientnet_lite0's `[1, 1000]` UINT8) too large for its slice is
    /// refused before the model runs (the statistics count no inference); one that fits is written.
    @Test func aFixedOutputTooLargeIsRefusedBeforeTheRun() async throws {
        let input = 224 * 224 * 3
        let object = try SharedMemoryObject(size: input + 1000)
        @Sendable func body(outputBytes: Int) -> ByteBuffer {
            ByteBuffer(
                string:
                    #"{"inputs":[{"name":"images","datatype":"UINT8","shape":[1,224,224,3],"parameters":{"shared_memory_region":"io","shared_memory_byte_size":\#(input)}}],"outputs":[{"name":"Softmax","parameters":{"shared_memory_region":"io","shared_memory_offset":\#(input),"shared_memory_byte_size":\#(outputBytes)}}]}"#
            )
        }
        @Sendable func inferences(_ client: some TestClientProtocol) async throws -> Int {
            try await client.execute(uri: "/v2/models/efficientnet/stats", method: .get) { response in
                let text = String(buffer: response.body)
                let count = text.range(of: #""inference_count":"#).map { Int(text[$0.upperBound...].prefix { $0.isNumber }) ?? -1 }
                return count ?? -1
            }
        }
        try await Self.app().test(.router) { client in
            #expect(try await Self.register(client, "io", key: object.key, size: input + 1000).status == .ok)
            try await client.execute(uri: "/v2/models/efficientnet/infer", method: .post, body: body(outputBytes: 999)) { response in
                #expect(response.status == .badRequest)
                #expect(
                    response.errorMessage
                        == "requested output 'Softmax' holds 1000 bytes but its shared_memory_byte_size is 999: expected at least 1000")
            }
            #expect(try await inferences(client) == 0)
            try await client.execute(uri: "/v2/models/efficientnet/infer", method: .post, body: body(outputBytes: 1000)) { response in
                #expect(response.status == .ok, "\(response.errorMessage ?? "")")
            }
            #expect(try await inferences(client) == 1)
        }
    }

    /// The client shrinks its object after registering it: a read through a mapping would raise
    /// SIGBUS and end the server; here the request gets an error and the server goes on.
    @Test func aRegionThatShrinksIsAnErrorNotACrash() async throws {
        let object = try SharedMemoryObject(size: 64)
        try await Self.app().test(.router) { client in
            #expect(try await Self.register(client, "io", key: object.key, size: 64).status == .ok)
            object.truncate(to: 20)
            let body = Self.addBody(a: #""parameters":{"shared_memory_region":"io","shared_memory_offset":16,"shared_memory_byte_size":16}"#)
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: body) { response in
                #expect(response.status == .badRequest)
                #expect(
                    response.errorMessage
                        == "shared memory region 'io': key '\(object.key)' ends before byte 20: the object shrank after it was registered")
            }
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: AuthTests.addBody) { #expect($0.status == .ok) }
        }
    }

    @Test func offByDefault() async throws {
        let object = try SharedMemoryObject(size: 64)
        let off = "client shared memory is off on this server: start ledge serve with --allow-client-shm to use it"
        try await Self.app(allowed: false).test(.router) { client in
            let response = try await Self.register(client, "io", key: object.key, size: 64)
            #expect(response.status == .badRequest)
            #expect(response.errorMessage == off)
            try await client.execute(uri: "/v2/systemsharedmemory/status", method: .get) { #expect($0.errorMessage == off) }
            let body = Self.addBody(a: #""parameters":{"shared_memory_region":"io","shared_memory_byte_size":16}"#)
            try await client.execute(uri: "/v2/models/add/infer", method: .post, body: body) { #expect($0.errorMessage == off) }
            try await client.execute(uri: "/v2", method: .get) { #expect(!String(buffer: $0.body).contains("shared_memory")) }
        }
    }
}
