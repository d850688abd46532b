internal import LedgeCore

/// What `ledge deploy rollback`, `logs` and `remove` did on one device.
public struct DeviceResult: Sendable, Encodable {
    public var device: String
    public var succeeded: Bool
    /// The release now serving (rollback), or the log text (logs).
    public var detail: String
    public var reason: String?
}

extension Deployer {
    /// `ledge deploy rollback`: serves the release before the current one (or `release`) again,
    /// with the same gap-free switch as `apply`; the release must still be on the device.
    public static func rollback(
        _ targets: [SSHTarget], release: String?, options: ApplyOptions, progress: @escaping @Sendable (String, String) -> Void
    ) async -> [DeviceResult] {
        await each(targets) { target in
            let say = { (message: String) in progress(target.destination, message) }
            do {
                say("probing")
                let facts = try await DeviceFacts(target.check(DeviceScripts.probe(root: options.root), what: "probe"))
                let id =
                    try await target.check(DeviceScripts.rollbackTarget(root: options.root, to: release), what: "find the release")
                    .split(separator: "\n").first.map(String.init) ?? ""
                guard !id.isEmpty else {
                    throw LedgeError(
                        .notFound, release.map { "release \($0) is not on the device" } ?? "no earlier release on the device to roll back to")
                }
                let models = try await target.check("ls \(DeviceRelease.quoted(options.root + "/releases/" + id + "/models"))", what: "list models")
                    .split(separator: "\n").map(String.init)
                let service = try ServiceMode(rawValue: facts.values["service"] ?? "") ?? ServiceMode.choose(options.initSystem, facts: facts)
                var device = try await DeviceEndpoint(host: target.resolvedHost(), options: options)
                // The release's own token and scheme: it may predate the ones given now.
                let secrets = try await target.check(
                    "cd \(DeviceRelease.quoted(options.root))\n\(DeviceScripts.secrets(release: "releases/" + id))\ntrue",
                    what: "read the release's secrets")
                device.secrets = DeviceScripts.secrets(
                    in: secrets, trustRoots: options.secrets?.trustRoots, identity: options.secrets?.clientIdentity)
                _ = try await activate(id, on: target, device: device, service: service, facts: facts, models: models, options: options, say: say)
                say("rolled back")
                return DeviceResult(device: target.destination, succeeded: true, detail: id)
            } catch let failure as RolledBack {
                return DeviceResult(device: target.destination, succeeded: false, detail: "", reason: failure.reason)
            } catch {
                return DeviceResult(device: target.destination, succeeded: false, detail: "", reason: describe(error))
            }
        }
    }

    /// `ledge deploy logs`: the last `lines` lines of each device's `ledge.log`.
    public static func logs(_ targets: [SSHTarget], root: String, lines: Int) async -> [DeviceResult] {
        await each(targets) { target in
            do {
                let text = try await target.check(
                    "[ -f \(DeviceRelease.quoted(root + "/ledge.log")) ] || { echo 'no ledge.log: nothing was deployed here' >&2; exit 3; }\n"
                        + DeviceScripts.tail(root: root, log: "ledge.log", lines: lines), what: "logs")
                return DeviceResult(device: target.destination, succeeded: true, detail: text)
            } catch {
                return DeviceResult(device: target.destination, succeeded: false, detail: "", reason: describe(error))
            }
        }
    }

    /// `ledge deploy logs --follow`: streams every device's log, each line prefixed with the
    /// device, until interrupted; returns when every stream has ended.
    public static func followLogs(_ targets: [SSHTarget], root: String, lines: Int) async {
        let width = targets.map(\.destination.count).max() ?? 0
        _ = await each(targets) { target in
            let prefix = target.destination + String(repeating: " ", count: width - target.destination.count) + " | "
            let script =
                "tail -n \(lines) -F \(DeviceRelease.quoted(root + "/ledge.log")) 2> /dev/null | awk -v P=\(DeviceRelease.quoted(prefix)) '{print P $0; fflush()}'"
            let status =
                await target.stream(script)
            return DeviceResult(device: target.destination, succeeded: status == 0, detail: "")
        }
    }

    /// `ledge deploy remove`: stops every server Ledge started on the device (and its systemd
    /// unit) and deletes the device folder; refuses a folder that does not look like Ledge's.
    public static func remove(_ targets: [SSHTarget], root: String) async -> [DeviceResult] {
        await each(targets) { target in
            let r = DeviceRelease.quoted(root)
            do {
                let service =
                    try await target.check("cat \(r)/service 2> /dev/null || true", what: "probe")
                    .split(separator: "\n").first.flatMap { ServiceMode(rawValue: String($0)) } ?? .supervisor
                _ = try await target.check(
                    """
                    [ -d \(r) ] || { echo "\(root) does not exist" >&2; exit 3; }
                    [ -d \(r)/store/sha256 ] && [ -d \(r)/releases ] || { echo "\(root) is not a ledge deploy folder (no store/sha256 and releases)" >&2; exit 3; }
                    ( \(service.removeScript(root: root)) )
                    rm -rf \(r)
                    """, what: "remove")
                return DeviceResult(device: target.destination, succeeded: true, detail: "removed")
            } catch {
                return DeviceResult(device: target.destination, succeeded: false, detail: "", reason: describe(error))
            }
        }
    }

    /// Runs `work` for every target at once, results in the targets' order; closes the connections.
    static func each(_ targets: [SSHTarget], _ work: @escaping @Sendable (SSHTarget) async -> DeviceResult) async -> [DeviceResult] {
        defer { for target in targets { target.closeConnection() } }
        return await BoundedParallel.map(count: targets.count, limit: targets.count) { await work(targets[$0]) }
    }
}
