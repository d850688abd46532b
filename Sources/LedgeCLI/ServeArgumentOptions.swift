internal import ArgumentParser
internal import LedgeCore
internal import LedgeDeploy

/// `--serve-arg ARG` and `--serve-env NAME=VALUE`: more `ledge serve` arguments and environment
/// variables for what `deploy apply` and `deploy k8s` start.
struct ServeArgumentOptions: ParsableArguments {
    @Option(
        name: .customLong("serve-arg"), parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "One more ledge serve argument for the servers deployed (apply: where the fleet file gives no serve_args); repeatable, values may start with '-': --serve-arg --log-format --serve-arg json.",
            valueName: "argument"))
    var arguments: [String] = []

    @Option(
        name: .customLong("serve-env"),
        help: ArgumentHelp(
            "An environment variable for the servers deployed, NAME=VALUE; repeatable (apply: under the fleet file's serve_env of the same name): --serve-env MALLOC_ARENA_MAX=4 --serve-env OTEL_EXPORTER_OTLP_ENDPOINT=https://collector:4318. On devices they travel in the release, readable by its user only.",
            valueName: "name=value"))
    var environmentEntries: [String] = []

    /// The `--serve-env` variables, checked.
    func environment() throws -> [ServeEnvironment.Variable] {
        do {
            return try environmentEntries.map { try ServeEnvironment.Variable(parsing: $0) }
        } catch let error as LedgeError {
            throw ValidationError(error.message)
        }
    }

    /// Refuses an argument the deploy sets itself (`setBy` says where).
    func check(setBy: String) throws {
        for argument in arguments {
            if let problem = ServeArguments.problem(argument, setBy: setBy) { throw ValidationError("--serve-arg '\(argument)': \(problem)") }
        }
        _ = try environment()
    }
}
