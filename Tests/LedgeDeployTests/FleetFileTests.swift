import Foundation
import FoundationNetworking
import LedgeCore
import LedgeTesting
import Testing

@testable import LedgeDeploy

/// Fleet files: the format, its inheritance and paths, and every refusal with its exact line.
@Suite(.ownThread) struct FleetFileTests {
    static let example = """
        # fleet.yaml
        defaults:
          models: [models/effnet.tflite]
          server_port: 8000
          threads: 2
          ssh_user: pi
        devices:
          kitchen-pi:
            ssh: 192.168.1.20
            ssh_port: 2222
            ssh_identity: keys/kitchen
            labels: {site: kitchen, arch: arm64, floor: 1}
            models: {effnet: /srv/models/effnet.tflite, ocr: ocr.onnx}
            server_port: 9000
            root: /opt/ledge
          lab-jetson:
            labels: &lab {site: lab}
            threads: 4
          lab-spare:
            ssh: admin@10.0.0.9
            ssh_identity: ~/.ssh/id_ed25519
            labels: *lab
        """

    @Test func parsesTheFullExampleWithDefaultsInheritedAndOverridden() throws {
        let folder = NSTemporaryDirectory() + "ledge-fleet-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.example.write(toFile: folder + "/fleet.yaml", atomically: true, encoding: .utf8)
        let fleet = try FleetFile(contentsOf: folder + "/fleet.yaml", sshConfig: "/etc/fleet_ssh")
        #expect(fleet.devices.map(\.name) == ["kitchen-pi", "lab-jetson", "lab-spare"])
        let (kitchen, jetson, spare) = (fleet.devices[0], fleet.devices[1], fleet.devices[2])

        #expect(
            kitchen.target
                == SSHTarget(
                    destination: "192.168.1.20", port: 2222, configFile: "/etc/fleet_ssh", user: "pi", identity: folder + "/keys/kitchen"))
        #expect(kitchen.labels == ["site": "kitchen", "arch": "arm64", "floor": "1"])
        #expect(
            kitchen.models == [
                FleetModel(path: "/srv/models/effnet.tflite", name: "effnet"), FleetModel(path: folder + "/ocr.onnx", name: "ocr"),
            ])
        #expect(kitchen.serverPort == 9000 && kitchen.threads == 2 && kitchen.root == "/opt/ledge")

        // Only defaults: ssh to its own name; paths relative to the fleet file's folder.
        #expect(jetson.target == SSHTarget(destination: "lab-jetson", configFile: "/etc/fleet_ssh", user: "pi"))
        #expect(jetson.models == [FleetModel(path: folder + "/models/effnet.tflite", name: nil)])
        #expect(jetson.serverPort == 8000 && jetson.threads == 4 && jetson.root == nil)

        // A user in the destination wins over the defaults' ssh_user; ~ is left to ssh; an alias's labels.
        #expect(spare.target == SSHTarget(destination: "admin@10.0.0.9", configFile: "/etc/fleet_ssh", identity: "~/.ssh/id_ed25519"))
        #expect(spare.labels == ["site": "lab"])

        #expect(try fleet.select([FleetSelector(parsing: "site=lab")]).map(\.name) == ["lab-jetson", "lab-spare"])
        #expect(try fleet.select([FleetSelector(parsing: "site=kitchen"), FleetSelector(parsing: "floor=1")]).map(\.name) == ["kitchen-pi"])
    }

    /// Token, certificate, key and CA files: relative to the fleet file's folder, the device's over the defaults'.
    @Test func networkSafetyFilesAreInheritedAndResolved() throws {
        let text = """
            defaults:
              auth_token_file: secrets/token
              tls_ca: /etc/fleet/ca.pem
            devices:
              a: {}
              b:
                auth_token_file: b.token
                tls_cert: b.crt
                tls_key: /keys/b.key
                tls_client_ca: clients.pem
                tls_client_cert: me.crt
                tls_client_key: me.key
            """
        let fleet = try FleetFile(text: text, path: "/srv/fleet/fleet.yaml")
        #expect(fleet.devices[0].access == DeviceAccess(tokenFile: "/srv/fleet/secrets/token", trustRoots: "/etc/fleet/ca.pem"))
        #expect(
            fleet.devices[1].access
                == DeviceAccess(
                    tokenFile: "/srv/fleet/b.token", certificate: "/srv/fleet/b.crt", key: "/keys/b.key", trustRoots: "/etc/fleet/ca.pem",
                    clientCA: "/srv/fleet/clients.pem", clientCertificate: "/srv/fleet/me.crt", clientKey: "/srv/fleet/me.key"))
        #expect(fleet.devices[1].access.problem == nil)
        #expect(
            DeviceAccess(certificate: "c", key: "k", clientCA: "ca").problem
                == "tls_client_ca needs tls_client_cert and tls_client_key: the checks of the new release present them")
        #expect(DeviceAccess(clientCA: "ca").problem == "tls_client_ca needs tls_cert and tls_key (mutual TLS is TLS)")
        // The command line fills in what the file does not say.
        #expect(
            fleet.devices[0].access.over(DeviceAccess(tokenFile: "/cli/token", certificate: "/cli/c.pem", key: "/cli/k.pem"))
                == DeviceAccess(tokenFile: "/srv/fleet/secrets/token", certificate: "/cli/c.pem", key: "/cli/k.pem", trustRoots: "/etc/fleet/ca.pem"))
    }

    /// `serve_args`: a device's list replaces the defaults'; kept as written (paths in them are the device's).
    @Test func serveArgumentsAreInheritedOrReplaced() throws {
        let text = """
            defaults:
              serve_args: [--log-format, json, --trace-config, "triton,file=trace.json"]
            devices:
              a: {}
              b:
                serve_args: [--allow-client-shm, --max-batch-size=8]
            """
        let fleet = try FleetFile(text: text, path: "/srv/fleet/fleet.yaml")
        #expect(fleet.devices[0].serveArguments == ["--log-format", "json", "--trace-config", "triton,file=trace.json"])
        #expect(fleet.devices[1].serveArguments == ["--allow-client-shm", "--max-batch-size=8"])
        #expect(try FleetFile(text: "devices: {a: }\n", path: "f.yaml").devices[0].serveArguments == nil)
    }

    /// `serve_env`: a device's variables over the defaults' of the same name; values as written.
    @Test func serveEnvironmentIsMergedByName() throws {
        let text = """
            defaults:
              serve_env: {MALLOC_ARENA_MAX: 4, OTEL_EXPORTER_OTLP_ENDPOINT: "https://collector:4318"}
            devices:
              a: {}
              b:
                serve_env:
                  OTEL_SERVICE_NAME: kitchen cam
                  MALLOC_ARENA_MAX: 2
                  EMPTY:
            """
        let fleet = try FleetFile(text: text, path: "/srv/fleet/fleet.yaml")
        let named = { (device: FleetDevice) in device.serveEnvironment?.map { "\($0.name)=\($0.value)" } }
        #expect(named(fleet.devices[0]) == ["MALLOC_ARENA_MAX=4", "OTEL_EXPORTER_OTLP_ENDPOINT=https://collector:4318"])
        #expect(
            named(fleet.devices[1]) == [
                "OTEL_EXPORTER_OTLP_ENDPOINT=https://collector:4318", "OTEL_SERVICE_NAME=kitchen cam", "MALLOC_ARENA_MAX=2", "EMPTY=",
            ])
        #expect(try FleetFile(text: "devices: {a: }\n", path: "f.yaml").devices[0].serveEnvironment == nil)
    }

    @Test func aFileNameWithoutAFolderKeepsModelPathsRelative() throws {
        let fleet = try FleetFile(text: "devices:\n  a:\n    models: [m/x.onnx]\n", path: "fleet.yaml")
        #expect(fleet.devices[0].models == [FleetModel(path: "m/x.onnx", name: nil)])
        #expect(fleet.devices[0].target == SSHTarget(destination: "a"))
    }

    /// Each refusal, exactly: `FILE:LINE:COLUMN: PATH: problem`.
    @Test(arguments: [
        (
            "devices:\n  kitchen-pi:\n    prot: 22\n",
            "f.yaml:3:5: devices.kitchen-pi.prot: unknown key; expected one of ssh, ssh_user, ssh_port, ssh_identity, models, server_port, threads, root, auth_token_file, tls_cert, tls_key, tls_ca, tls_client_ca, tls_client_cert, tls_client_key, serve_args, serve_env, labels"
        ),
        ("device:\n  a: {}\n", "f.yaml:1:1: device: unknown key; expected one of defaults, devices"),
        (
            "defaults:\n  ssh: x\ndevices: {a: }\n",
            "f.yaml:2:3: defaults.ssh: unknown key; expected one of ssh_user, ssh_port, ssh_identity, models, server_port, threads, root, auth_token_file, tls_cert, tls_key, tls_ca, tls_client_ca, tls_client_cert, tls_client_key, serve_args, serve_env"
        ),
        ("devices:\n  a:\n    server_port: abc\n", "f.yaml:3:18: devices.a.server_port: expected an integer 1-65535, got 'abc'"),
        ("devices:\n  a:\n    ssh_port: 70000\n", "f.yaml:3:15: devices.a.ssh_port: expected an integer 1-65535, got '70000'"),
        ("defaults:\n  threads: [2]\ndevices: {a: }\n", "f.yaml:2:12: defaults.threads: expected an integer 1-256, got a list"),
        ("devices:\n  a:\n    root:\n", "f.yaml:3:10: devices.a.root: expected a folder, got nothing"),
        ("devices:\n  a:\n    tls_cert: c.pem\n", "f.yaml:2:3: devices.a: tls_cert and tls_key go together: give both or neither"),
        (
            "devices:\n  a:\n    tls_client_key: k.pem\n",
            "f.yaml:2:3: devices.a: tls_client_cert and tls_client_key go together: give both or neither"
        ),
        ("devices:\n  a:\n    auth_token_file: [t]\n", "f.yaml:3:22: devices.a.auth_token_file: expected a token file, got a list"),
        ("devices:\n  a:\n    labels: [x]\n", "f.yaml:3:13: devices.a.labels: expected a mapping, got a list"),
        ("devices:\n  a:\n    labels: {x=y: z}\n", "f.yaml:3:14: devices.a.labels.x=y: a label must not be empty or hold '=' or white space"),
        (
            "devices:\n  a:\n    ssh: -oProxyCommand=x\n",
            "f.yaml:3:10: devices.a.ssh: expected [USER@]HOST or an ssh config alias, got '-oProxyCommand=x'"
        ),
        ("devices:\n  a:\n    ssh: u@h\n    ssh_user: v\n", "f.yaml:4:15: devices.a.ssh_user: the ssh destination 'u@h' names a user already"),
        ("devices:\n  a:\n    models: []\n", "f.yaml:3:13: devices.a.models: expected at least one model"),
        (
            "devices:\n  a:\n    models: 3\n",
            "f.yaml:3:13: devices.a.models: expected a list of model files or a mapping of names to model files, got '3'"
        ),
        (
            "devices:\n  a:\n    models: {../x: m.onnx}\n",
            "f.yaml:3:14: devices.a.models.../x: model name '../x' is not valid: expected letters, digits, '-', '_' or '.' (no '/' or '..')"
        ),
        ("devices:\n  a:\n    serve_env: [A=1]\n", "f.yaml:3:16: devices.a.serve_env: expected a mapping, got a list"),
        ("devices:\n  a:\n    serve_env: {A: [1]}\n", "f.yaml:3:20: devices.a.serve_env.A: expected a value, got a list"),
        (
            "defaults:\n  serve_env: {LEDGE_PORT: 9000}\ndevices: {a: }\n",
            "f.yaml:2:15: defaults.serve_env.LEDGE_PORT: set by deploy (--listen, server_port, threads); expected another variable"
        ),
        (
            "devices:\n  a:\n    serve_env: {1A: x}\n",
            "f.yaml:3:17: devices.a.serve_env.1A: expected a name of letters, digits and '_' that does not start with a digit"
        ),
        (
            "devices:\n  a:\n    serve_env: {A: \"x\\ny\"}\n",
            "f.yaml:3:17: devices.a.serve_env.A: the value holds a line break or NUL: expected one line"
        ),
        (
            "devices:\n  a:\n    serve_args: --log-format json\n",
            "f.yaml:3:17: devices.a.serve_args: expected a list of ledge serve arguments, got '--log-format json'"
        ),
        (
            "defaults:\n  serve_args: [--log-format, json, --port=9000]\ndevices: {a: }\n",
            "f.yaml:2:36: defaults.serve_args[2]: '--port' is set by server_port; expected other ledge serve options"
        ),
        (
            "devices:\n  a:\n    serve_args: [-m, x.onnx]\n",
            "f.yaml:3:18: devices.a.serve_args[0]: '-m' is set by models; expected other ledge serve options"
        ),
        (
            "devices:\n  a:\n    serve_args: [--tls-key, k.pem]\n",
            "f.yaml:3:18: devices.a.serve_args[0]: '--tls-key' is set by tls_cert, tls_key and tls_client_ca; expected other ledge serve options"
        ),
        (
            "devices:\n  a:\n    serve_args: [\"--log-level\\nerror\"]\n",
            "f.yaml:3:18: devices.a.serve_args[0]: expected one argument on one line, got a line break"
        ),
        ("devices:\n  a:\n    serve_args: [[x]]\n", "f.yaml:3:18: devices.a.serve_args[0]: expected a ledge serve argument, got a list"),
        ("devices:\n  a: {}\n  b: {}\n  a: {}\n", "f.yaml:4:3: duplicate key 'a'"),
        ("devices:\n  a: {ssh: x\n", "f.yaml:3:1: did not find expected ',' or '}'"),
        ("devices:\n\t a: {}\n", "f.yaml:2:1: found character that cannot start any token"),
        ("defaults: {server_port: 1}\n", "f.yaml: devices: missing; expected a mapping of device names to their settings"),
        ("devices: {}\n", "f.yaml:1:10: devices: expected at least one device"),
        ("devices: [a, b]\n", "f.yaml:1:10: devices: expected a mapping, got a list"),
        ("- a\n", "f.yaml:1:1: expected a mapping, got a list"),
        ("# nothing\n", "f.yaml: empty; expected a mapping with 'devices'"),
        ("devices: {a: }\n---\ndevices: {b: }\n", "f.yaml:3:1: expected one YAML document, found a second"),
        ("devices:\n  ? [a]\n  : {}\n", "f.yaml:2:5: a mapping key must be a scalar"),
        ("devices: &d {a: *d}\n", "f.yaml:1:14: more than 100000 nodes or 64 levels (a recursive alias?)"),
    ])
    func refusals(text: String, message: String) throws {
        let error = try #require(throws: LedgeError.self) { try FleetFile(text: text, path: "f.yaml") }
        #expect(error.code == .invalidInput)
        #expect(error.message == message)
    }

    @Test func aMissingFileIsNamed() throws {
        let error = try #require(throws: LedgeError.self) { try FleetFile(contentsOf: "/nonexistent/fleet.yaml") }
        #expect(error.message == "fleet file not found: /nonexistent/fleet.yaml")
    }

    @Test func selectors() throws {
        let fleet = try FleetFile(text: Self.example, path: "fleet.yaml")
        for bad in ["site", "=lab", "site="] {
            let error = try #require(throws: LedgeError.self) { try FleetSelector(parsing: bad) }
            #expect(error.code == .usage)
            #expect(error.message == "--select '\(bad)': expected LABEL=VALUE, as site=kitchen")
        }
        let split = try FleetSelector(parsing: "k=a=b")
        #expect(split.label == "k" && split.value == "a=b")
        let none = try #require(throws: LedgeError.self) {
            try fleet.select([FleetSelector(parsing: "site=lab"), FleetSelector(parsing: "arch=arm64")])
        }
        #expect(none.code == .usage)
        #expect(none.message == "--select site=lab --select arch=arm64: no device in fleet.yaml matches")
        let unknownLabel = try #require(throws: LedgeError.self) { try fleet.select([FleetSelector(parsing: "rack=3")]) }
        #expect(unknownLabel.message == "--select rack=3: no device in fleet.yaml matches")
    }

    @Test func sshOptionsForUserIdentityAndPort() {
        let common = [
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10", "-o", "ServerAliveInterval=5", "-o",
            "ServerAliveCountMax=3", "-o", "ControlMaster=auto", "-o",
            "ControlPath=/tmp/ledge-ctl-%C", "-o", "ControlPersist=60",
        ]
        #expect(SSHTarget(destination: "pi").options == common)
        #expect(
            SSHTarget(destination: "h", port: 2222, configFile: "/c", user: "pi", identity: "/k/id").options
                == ["-F", "/c", "-p", "2222", "-l", "pi", "-i", "/k/id", "-o", "IdentitiesOnly=yes"] + common)
    }
}

/// `ledge deploy status|apply --fleet F` against real sshd devices.
@Suite(.serialized, .ownThread) struct FleetCLITests {
    /// `status --select site=lab`: only the selected device is asked, reached with the fleet
    /// file's ssh user, port and key.
    @Test func statusOfTheSelectedDeviceOnly() async throws {
        try await SSHFleet.withFleet(addresses: ["127.0.0.2"]) { fleet in
            let device = fleet.devices[0]
            let folder = fleet.directory + "/fleet-file"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // No Host entry: the user, port and key come from the fleet file.
            let config = """
                Host *
                    UserKnownHostsFile "\(fleet.knownHostsPath)"
                    GlobalKnownHostsFile /dev/null

                """
            try config.write(toFile: folder + "/ssh_config", atomically: true, encoding: .utf8)
            let file = """
                defaults:
                  root: ledge
                devices:
                  lab-pi:
                    ssh: \(device.address)
                    ssh_user: \(device.user)
                    ssh_port: \(device.port)
                    ssh_identity: \(fleet.identityPath)
                    labels: {site: lab}
                  attic-pi:
                    ssh: attic.invalid
                    labels: {site: attic}
                """
            try file.write(toFile: folder + "/fleet.yaml", atomically: true, encoding: .utf8)
            let common = ["deploy", "status", "--fleet", folder + "/fleet.yaml", "--ssh-config", folder + "/ssh_config"]
            let status = try ProcessRunner.ledge(common + ["--select", "site=lab", "--json"], timeLimit: 120)
            #expect(status.status == 1, "\(status.stdout)\(status.stderr)")  // reached, but serves no release
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
            #expect(listed.count == 1)
            #expect(listed.first?["device"] as? String == "lab-pi")
            #expect(listed.first?["arch"] as? String == "x86_64")
            #expect(listed.first?["release"] == nil && listed.first?["error"] == nil, "\(status.stdout)")
            #expect(listed.first?["running"] as? Bool == false && listed.first?["ready"] as? Bool == false)

            let none = try ProcessRunner.ledge(common + ["--select", "site=garage"], timeLimit: 60)
            #expect(none.status == 2)
            #expect(none.stderr.contains("--select site=garage: no device in \(folder)/fleet.yaml matches"), "\(none.stderr)")
        }
    }

    /// The trace level a device's server reports (`GET /v2/trace/setting`).
    private func traceLevel(_ device: SSHDevice, port: Int) async throws -> [String]? {
        let url = try #require(URL(string: "http://\(device.address):\(port)/v2/trace/setting"))
        let (body, _) = try await URLSession.shared.data(from: url)
        return (try JSONSerialization.jsonObject(with: body) as? [String: Any])?["trace_level"] as? [String]
    }

    /// `apply --fleet` without -m: each device gets the fleet file's models on its own
    /// server_port; `status --fleet` finds both ready under their names.
    @Test func applyTakesModelsAndPortsFromTheFleetFile() async throws {
        try await SSHFleet.withFleet(addresses: ["127.0.0.2", "127.0.0.3"]) { fleet in
            let port = Int.random(in: 10_000...19_000) * 3
            defer {
                for device in fleet.devices {
                    _ = try? ProcessRunner.run(
                        "/usr/bin/ssh", ["-F", fleet.configPath, device.alias, "[ -f ledge/ledge.pid ] && kill $(cat ledge/ledge.pid); true"])
                }
            }
            let file = """
                defaults:
                  models: {cat: \(Fixtures.model("efficientnet_lite0.tflite"))}
                  root: ledge
                devices:
                  first: {ssh: \(fleet.devices[0].alias), server_port: \(port), serve_args: [--trace-config, level=TIMESTAMPS, --trace-config, "triton,file=trace.json"]}
                  second: {ssh: \(fleet.devices[1].alias), server_port: \(port + 2)}
                """
            let path = fleet.directory + "/fleet.yaml"
            try file.write(toFile: path, atomically: true, encoding: .utf8)
            let common = ["--fleet", path, "--ssh-config", fleet.configPath]
            let applied = try ProcessRunner.ledge(
                ["deploy", "apply", "--listen", "ssh", "--check-port", String(port + 1)] + common,
                environment: ["XDG_CACHE_HOME": fleet.directory + "/cache"], timeLimit: 300)
            #expect(applied.status == 0, "\(applied.stdout)\(applied.stderr)")
            let rows = applied.stdout.split(separator: "\n").dropFirst()
            #expect(rows.map { $0.split(separator: " ").first.map(String.init) } == ["first", "second"], "\(applied.stdout)")
            #expect(rows.allSatisfy { $0.contains(" deployed ") }, "\(applied.stdout)")
            let status = try ProcessRunner.ledge(["deploy", "status", "--json"] + common, timeLimit: 120)
            #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
            #expect(listed.map { $0["device"] as? String } == ["first", "second"])
            let digest = ContentDigestForTests.sha256(file: Fixtures.model("efficientnet_lite0.tflite"))
            for entry in listed {
                #expect(entry["ready"] as? Bool == true)
                #expect((entry["models"] as? [String: String]) == ["cat": digest])
            }
            // The first device's server traces, as its serve_args say; the second's does not.
            #expect(try await traceLevel(fleet.devices[0], port: port) == ["TIMESTAMPS"])
            #expect(try await traceLevel(fleet.devices[1], port: port + 2) == ["OFF"])

            // An option the server does not know stops the new release on its spare port, with the server's
            // own message; the device goes on serving the release before.
            try file.replacing("level=TIMESTAMPS", with: "level=TENSORS, --no-such-option")
                .write(toFile: path, atomically: true, encoding: .utf8)
            let refused = try ProcessRunner.ledge(
                ["deploy", "apply", "--listen", "ssh", "--check-port", String(port + 1)] + common,
                environment: ["XDG_CACHE_HOME": fleet.directory + "/cache"], timeLimit: 300)
            #expect(refused.status == 1, "\(refused.stdout)\(refused.stderr)")
            #expect(
                refused.stdout.contains(
                    "the new release failed its check: the server exited before it was ready (log: Error: Unknown option '--no-such-option')"),
                "\(refused.stdout)")
            #expect(refused.stdout.split(separator: "\n").contains { $0.hasPrefix("second ") && $0.contains(" unchanged ") }, "\(refused.stdout)")
            #expect(try await traceLevel(fleet.devices[0], port: port) == ["TIMESTAMPS"])
        }
    }
}
