internal import LedgeCore

extension AccessPolicy {
    /// What a limited token may reach: the groups of Triton's restricted APIs, where Ledge has them.
    public enum Scope: String, CaseIterable, Sendable, Hashable {
        /// Server and model liveness and readiness (HTTP and gRPC).
        case health
        /// Server and model metadata and configuration, the model list, the web page.
        case metadata
        /// Inference: V2 infer, the image endpoint, Seldon predictions, gRPC ModelInfer and its stream.
        case inference
        /// The repository API: index, load and unload.
        case modelRepository = "model-repository"
        /// `GET /metrics`.
        case metrics
        /// Per-model statistics (`GET /v2/models/…/stats`, gRPC ModelStatistics).
        case statistics
    }

    /// One accepted token and what it may reach (`scopes` `nil`: everything).
    public struct Grant: Sendable, Hashable {
        public var token: String
        public var scopes: Set<Scope>?

        public init(_ token: String, scopes: Set<Scope>? = nil) {
            self.token = token
            self.scopes = scopes
        }
    }

    /// The grants in `file`, one per line: `TOKEN` (unlimited) or `TOKEN SCOPE,SCOPE…` (limited to
    /// those APIs); blank lines and surrounding white space ignored, each token checked with
    /// ``problem(token:)``. A missing file is named as `kind`; a bad line after `label` (with its
    /// number when the file holds more than one line). `ledge serve` reads its `--auth-token-file`
    /// with this at start and on every reload; `deploy apply` reads its own.
    public static func readGrants(file: String, kind: String, label: String) throws -> [Grant] {
        let data = try CheckedFile.read(file, kind: kind, expected: "a file", code: .invalidInput)
        let lines = String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            .map { String($0).trimmingWhitespaceAndNewlines() }
        let numbered = lines.enumerated().filter { !$0.element.isEmpty }
        guard !numbered.isEmpty else { throw LedgeError.invalidInput("\(label): \(problem(token: "") ?? "")") }
        var grants: [Grant] = []
        var lineOfToken: [String: Int] = [:]
        for (index, line) in numbered {
            let place = numbered.count == 1 ? label : "\(label): line \(index + 1)"
            let grant = try grant(line, place: place)
            if let first = lineOfToken[grant.token] { throw LedgeError.invalidInput("\(place): the same token as line \(first)") }
            lineOfToken[grant.token] = index + 1
            grants.append(grant)
        }
        return grants
    }

    /// One line of a token file.
    private static func grant(_ line: String, place: String) throws -> Grant {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count <= 2 else {
            throw LedgeError.invalidInput("\(place): expected 'TOKEN' or 'TOKEN SCOPE,SCOPE…', got \(fields.count) fields")
        }
        if let problem = problem(token: fields[0]) { throw LedgeError.invalidInput("\(place): \(problem)") }
        guard fields.count == 2 else { return Grant(fields[0]) }
        var scopes: Set<Scope> = []
        for name in fields[1].split(separator: ",", omittingEmptySubsequences: false) {
            guard let scope = Scope(rawValue: String(name)) else {
                let known = Scope.allCases.map(\.rawValue)
                throw LedgeError.invalidInput(
                    "\(place): unknown scope '\(name)': expected \(known.dropLast().joined(separator: ", ")) or \(known.last ?? "")")
            }
            scopes.insert(scope)
        }
        return Grant(fields[0], scopes: scopes)
    }
}
