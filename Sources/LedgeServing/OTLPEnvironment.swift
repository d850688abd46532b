internal import LedgeCore
internal import LedgeFetch

/// The OpenTelemetry SDKs' exporter variables (the C++ SDK's, which Triton builds on, reads them): a collector
/// behind TLS, with an API key, far away over a slow link. Each is read as
/// `OTEL_EXPORTER_OTLP_TRACES_X`, else `OTEL_EXPORTER_OTLP_X` (an empty value counts as unset).
extension OpenTelemetrySettings {
    /// Reads the variables from `environment`. The endpoint only when no `opentelemetry,url` was
    /// given: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as it is, `OTEL_EXPORTER_OTLP_ENDPOINT` as a base
    /// that `/v1/traces` is added to. Resource attributes from `OTEL_RESOURCE_ATTRIBUTES`, then
    /// `OTEL_SERVICE_NAME`, each but those `opentelemetry,resource` set. Values are checked here;
    /// files by ``checkFiles()``.
    mutating func read(environment: [String: String]) throws {
        func variable(_ suffix: String) -> (name: String, value: String)? {
            for name in ["OTEL_EXPORTER_OTLP_\(signal.variable)_" + suffix, "OTEL_EXPORTER_OTLP_" + suffix] {
                if let value = environment[name], !value.isEmpty { return (name, value) }
            }
            return nil
        }
        if let (name, value) = variable("PROTOCOL") {
            guard value == "http/protobuf" || value == "grpc" else {
                throw LedgeError.usage("\(name)=\(value): expected http/protobuf or grpc (ledge does not export OTLP as JSON)")
            }
            grpc = value == "grpc"
        }
        if !given.contains("url"), let (name, value) = variable("ENDPOINT") {
            // gRPC uses either variable as it is (the path is not used); HTTP adds the signal's path to the generic one.
            let text = grpc || name.hasSuffix(signal.variable + "_ENDPOINT") ? value : Self.base(value) + signal.path
            _ = try OTLPEndpoint(url: text, label: name)
            url = text
            origins["url"] = name
        } else if grpc, !given.contains("url") {
            url = "http://localhost:4317"  // the SDKs' gRPC default
        }
        var attributes: [Attribute] = []
        if let text = environment["OTEL_RESOURCE_ATTRIBUTES"], !text.isEmpty {
            attributes = try Self.pairs(text, variable: "OTEL_RESOURCE_ATTRIBUTES", what: "attribute") { _ in true }
        }
        if let name = environment["OTEL_SERVICE_NAME"], !name.isEmpty { attributes.append(Attribute(key: "service.name", value: name)) }
        for attribute in attributes where !given.contains("resource=" + attribute.key) {
            resource.removeAll { $0.key == attribute.key }
            resource.append(attribute)
        }
        if let (name, value) = variable("CERTIFICATE") { (certificate, origins["certificate"]) = (value, name) }
        if let (name, value) = variable("CLIENT_CERTIFICATE") { (clientCertificate, origins["clientCertificate"]) = (value, name) }
        if let (name, value) = variable("CLIENT_KEY") { (clientKey, origins["clientKey"]) = (value, name) }
        if (clientCertificate == nil) != (clientKey == nil) {
            let (set, missing) = clientCertificate == nil ? ("clientKey", "CLIENT_CERTIFICATE") : ("clientCertificate", "CLIENT_KEY")
            throw LedgeError.usage(
                "\(origins[set] ?? set) is set but not OTEL_EXPORTER_OTLP_\(signal.variable)_\(missing) (or OTEL_EXPORTER_OTLP_\(missing)): a client certificate needs its key"
            )
        }
        if let (name, value) = variable("HEADERS") {
            headers = try Self.headers(value, variable: name)
            if grpc, let header = headers.first(where: { $0.key.lowercased() == "te" || $0.key.lowercased().hasPrefix("grpc-") }) {
                throw LedgeError.usage("\(name): header \(header.key) is one gRPC sets itself")
            }
            origins["headers"] = name
        }
        if let (name, value) = variable("COMPRESSION") {
            guard value == "gzip" || value == "none" else { throw LedgeError.usage("\(name)=\(value): expected gzip or none") }
            gzip = value == "gzip"
        }
        if let (name, value) = variable("TIMEOUT") {
            timeoutMilliseconds = try TraceSettings.integer(value, name, atLeast: 1)
        }
    }

    /// Checks that the PEM files named exist and fit (the key is the certificate's), naming the
    /// variable at fault; only for an `https` endpoint, the only one they apply to.
    public func checkFiles() throws {
        guard endpoint?.url.secure == true else { return }
        if let certificate, let problem = HTTPClient.trustRootsProblem(certificate, label: origins["certificate"] ?? "certificate") {
            throw LedgeError.usage(problem)
        }
        if let identity,
            let problem = identity.problem(naming: { part, file in
                "\(origins[part == .certificate ? "clientCertificate" : "clientKey"] ?? "\(part)")=\(file)"
            })
        {
            throw LedgeError.usage(problem)
        }
    }

    /// The client certificate and key, when both are set.
    var identity: ClientIdentity? {
        guard let clientCertificate, let clientKey else { return nil }
        return ClientIdentity(certificateFile: clientCertificate, keyFile: clientKey)
    }

    /// `OTEL_EXPORTER_OTLP_ENDPOINT` without the slashes it ends with.
    private static func base(_ text: String) -> String {
        var text = Substring(text)
        while text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }

    /// `NAME=VALUE,NAME=VALUE` (W3C Baggage's form, values percent-encoded), as HTTP header fields.
    /// Messages name the header, never its value (an API key).
    static func headers(_ text: String, variable: String) throws -> [Attribute] {
        let headers = try pairs(text, variable: variable, what: "header") { $0.utf8.allSatisfy(isTokenByte) }
        if let header = headers.first(where: { reserved.contains($0.key.lowercased()) }) {
            throw LedgeError.usage("\(variable): header \(header.key) is one ledge sets itself")
        }
        return headers
    }

    /// `NAME=VALUE` pairs separated by commas, whitespace around each trimmed and values
    /// percent-decoded; `what` (header, attribute) names a pair in messages, which never show a value.
    private static func pairs(_ text: String, variable: String, what: String, validName: (String) -> Bool) throws -> [Attribute] {
        var pairs: [Attribute] = []
        for (index, item) in text.split(separator: ",").enumerated() {
            guard let equals = item.firstIndex(of: "=") else {
                throw LedgeError.usage("\(variable): pair \(index + 1) has no '=': expected NAME=VALUE pairs separated by commas")
            }
            let name = item[..<equals].trimmingWhitespace()
            guard !name.isEmpty else {
                throw LedgeError.usage(
                    "\(variable): \(what == "header" ? "a" : "an") \(what) with no name: expected NAME=VALUE pairs separated by commas")
            }
            guard validName(name) else { throw LedgeError.usage("\(variable): \(what) name '\(name.prefix(40))' is not an HTTP field name") }
            guard let value = item[item.index(after: equals)...].trimmingWhitespace().percentDecoded,
                !value.utf8.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7f })
            else {
                throw LedgeError.usage(
                    "\(variable): \(what) \(name): expected a percent-encoded UTF-8 value without control characters")
            }
            pairs.append(Attribute(key: name, value: value))
        }
        return pairs
    }

    /// Header fields the exporter writes itself.
    private static let reserved: Set<String> = [
        "host", "content-type", "content-length", "content-encoding", "transfer-encoding", "connection", "user-agent",
    ]

    /// RFC 9110's `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): true
        default: "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
