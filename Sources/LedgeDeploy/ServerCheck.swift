#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
internal import LedgeFetch

/// Checks a server on a device over HTTP: ready, every model ready, one inference per model
/// on zeros of its input shape (dynamic dimensions as 1); with the device's token and, for
/// HTTPS, its trust roots.
struct ServerCheck {
    let base: String
    let http: HTTPClient
    let headers: [(String, String)]

    init(base: String, secrets: DeviceSecrets? = nil) {
        self.base = base
        http = HTTPClient(timeLimit: 20, trustRoots: secrets?.trustRoots, identity: secrets?.clientIdentity)
        headers = secrets?.headers ?? []
    }

    init(_ device: DeviceEndpoint, port: Int) { self.init(base: device.base(port), secrets: device.secrets) }

    /// Waits up to `seconds` for `/v2/health/ready`, then checks the models. Throws the reason; a
    /// TLS handshake refused for a certificate (``HTTPClient/certificateRefusals``) at once.
    /// `alive`, asked about once a second while waiting, ends the wait when the server has exited.
    func run(models: [String], seconds: Int, alive: (@Sendable () async -> Bool)? = nil) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var last = "no answer"
        var polls = 0
        while true {
            // The last answer, or why there was none (refused, a certificate that does not verify), names the failure.
            do {
                let response = try await http.send("GET", base + "/v2/health/ready", headers: headers)
                if response.status == 200 { break }
                last = "not ready: \(response.status)"
            } catch {
                last = Self.reason(error)
                // A certificate that does not fit will not fit later: no need to wait out the time limit.
                if HTTPClient.certificateRefusals.contains(last) { throw LedgeError(.runtimeFailure, "\(base): \(last)") }
            }
            if ContinuousClock.now > deadline { throw LedgeError(.timedOut, "\(base) was not ready within \(seconds) s (\(last))") }
            polls += 1
            if polls % 5 == 0, let alive, await !alive() { throw LedgeError(.runtimeFailure, "the server exited before it was ready") }
            try await Task.sleep(for: .milliseconds(200))
        }
        for model in models {
            let metadata = try await http.send("GET", base + "/v2/models/\(model)", headers: headers)
            guard metadata.status == 200 else { throw LedgeError(.runtimeFailure, "model '\(model)' is not served (\(metadata.status))") }
            let body = try Self.zerosRequest(metadata: metadata.body, model: model)
            let infer = try await http.send(
                "POST", base + "/v2/models/\(model)/infer", headers: headers + [("Content-Type", "application/json")], body: body)
            guard infer.status == 200 else {
                throw LedgeError(
                    .runtimeFailure,
                    "model '\(model)': inference failed (\(infer.status)): \(String(decoding: infer.body.prefix(200), as: UTF8.self))")
            }
        }
    }

    /// A failed request's reason without the request (`GET URL failed: `), which the message names already.
    static func reason(_ error: any Error) -> String {
        let message = (error as? LedgeError)?.message ?? String(describing: error)
        guard let range = message.firstRange(of: " failed: ") else { return message }
        return String(message[range.upperBound...])
    }

    /// A V2 infer request of zeros for every input of `metadata`.
    static func zerosRequest(metadata: [UInt8], model: String) throws -> [UInt8] {
        struct Metadata: Decodable {
            struct Input: Decodable {
                var name: String
                var datatype: String
                var shape: [Int]
            }
            var inputs: [Input]
        }
        guard let parsed = try? JSONDecoder().decode(Metadata.self, from: Data(metadata)) else {
            throw LedgeError(.runtimeFailure, "model '\(model)': unreadable metadata")
        }
        var parts: [String] = []
        for input in parsed.inputs {
            let shape = input.shape.map { $0 < 0 ? 1 : $0 }
            let count = shape.reduce(1, *)
            let zero = input.datatype == "BOOL" ? "false" : "0"
            let data = Array(repeating: zero, count: count).joined(separator: ",")
            parts.append(
                #"{"name":"\#(input.name)","datatype":"\#(input.datatype)","shape":[\#(shape.map(String.init).joined(separator: ","))],"data":[\#(data)]}"#
            )
        }
        return Array(#"{"inputs":[\#(parts.joined(separator: ","))]}"#.utf8)
    }
}
