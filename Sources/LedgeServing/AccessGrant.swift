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
        /// The log settings (`GET`/`POST /v2/logging`, gRPC LogSettings).
        case logging
        /// Registering, unregistering and listing shared memory regions (`/v2/systemsharedmemory/…`).
        case sharedMemory = "shared-memory"
        /// The trace settings (`/v2[/models/…]/trace/setting`, gRPC TraceSetting).
        case trace
    }

    /// One accepted token and what it may reach: the APIs of `scopes` (`nil`: every API) and the
    /// models of `models` (`nil`: every model; otherwise only requests naming one of them, and the
    /// server's own health and metadata).
    public struct Grant: Sendable, Hashable {
        public var token: String
        public var scopes: Set<Scope>?
        public var models: Set<String>?

        public init(_ token: String, scopes: Set<Scope>? = nil, models: Set<String>? = nil) {
            self.token = token
            self.scopes = scopes
            self.models = models
        }

        /// The grant as a token file line: `TOKEN[ SCOPE,SCOPE…][ models=NAME,NAME…]`, scopes in
        /// ``Scope`` order and models sorted (what ``readGrants(file:kind:label:)`` reads back).
        public var line: String {
            ([token] + (scopes.map { [Scope.allCases.filter($0.contains).map(\.rawValue).joined(separator: ",")] } ?? [])
                + (models.map { ["models=" + $0.sorted().joined(separator: ",")] } ?? [])).joined(separator: " ")
        }
    }

    /// The grants in `file`, one per line: `TOKEN` (unlimited), `TOKEN SCOPE,SCOPE…` (limited to
    /// those APIs), `TOKEN models=NAME,NAME…` (limited to those models) or both; blank lines and
    /// surrounding white space ignored, each token checked with ``problem(token:)``. A missing file is named as `kind`; a bad line after `label` (with its
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
        let form = "expected 'TOKEN', 'TOKEN SCOPE,SCOPE…', 'TOKEN models=NAME,NAME…' or both limits"
        let limits = fields.dropFirst()
        let modelFields = limits.filter { $0.hasPrefix("models=") }
        guard fields.count <= 3, modelFields.count <= 1, limits.count - modelFields.count <= 1 else {
            throw LedgeError.invalidInput("\(place): \(form), got \(fields.count) fields")
        }
        if let problem = problem(token: fields[0]) { throw LedgeError.invalidInput("\(place): \(problem)") }
        var grant = Grant(fields[0])
        if let scopeField = limits.first(where: { !$0.hasPrefix("models=") }) {
            var scopes: Set<Scope> = []
            for name in scopeField.split(separator: ",", omittingEmptySubsequences: false) {
                guard let scope = Scope(rawValue: String(name)) else {
                    let known = Scope.allCases.map(\.rawValue)
                    throw LedgeError.invalidInput(
                        "\(place): unknown scope '\(name)': expected \(known.dropLast().joined(separator: ", ")) or \(known.last ?? "")")
                }
                scopes.insert(scope)
            }
            grant.scopes = scopes
        }
        if let modelField = modelFields.first {
            let names = modelField.dropFirst("models=".count).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if let bad = names.first(where: { $0.isEmpty || $0.contains("/") }) {
                throw LedgeError.invalidInput("\(place): models= names a model '\(bad)': expected model names separated by commas")
            }
            grant.models = Set(names)
        }
        return grant
    }
}
