// Public imports: a conformance of a public type to a public protocol is public.
public import ArgumentParser
public import LedgeBench
public import LedgeGRPC
public import Logging

/// `ledge bench --format`: `table`, `json`, `csv`, `markdown` (or `md`), in any case.
extension BenchFormat: ExpressibleByArgument {
    public init?(argument: String) {
        let name = argument.lowercased()
        self.init(rawValue: name == "md" ? "markdown" : name)
    }
}

/// `ledge serve --grpc-infer-response-compression-level`: Triton's level names.
extension GRPCResponseCompression: ExpressibleByArgument {}

/// `ledge serve --log-level`: swift-log's level names.
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `ledge serve --log-format`: how each log line is written.
enum LogFormat: String, CaseIterable, ExpressibleByArgument {
    /// `level: message key=value…`.
    case text
    /// One JSON object per line.
    case json
}
