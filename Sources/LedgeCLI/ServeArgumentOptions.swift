internal import ArgumentParser
internal import LedgeDeploy

/// `--serve-arg ARG`: more `ledge serve` arguments for what `deploy apply` and `deploy k8s` start.
struct ServeArgumentOptions: ParsableArguments {
    @Option(
        name: .customLong("serve-arg"), parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "One more ledge serve argument for the servers deployed (apply: where the fleet file gives no serve_args); repeatable, values may start with '-': --serve-arg --log-format --serve-arg json.",
            valueName: "argument"))
    var arguments: [String] = []

    /// Refuses an argument the deploy sets itself (`setBy` says where).
    func check(setBy: String) throws {
        for argument in arguments {
            if let problem = ServeArguments.problem(argument, setBy: setBy) { throw ValidationError("--serve-arg '\(argument)': \(problem)") }
        }
    }
}
