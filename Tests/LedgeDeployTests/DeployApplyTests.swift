import Foundation
import FoundationNetworking
import LedgeTesting
import Testing

/// `ledge deploy apply` to three devices, each a real sshd on its own loopback address with
/// its own user, host key and release folder (LedgeTesting's SSHFleet, removed afterwards).
@Suite(.serialized, .ownThread) struct DeployApplyTests {
    /// A port pair per run, the same on every device (they differ by address).
    let port = Int.random(in: 20_000...29_000) * 2

    private func apply(
        _ fleet: SSHFleet, devices: [SSHDevice], models: [String], root: String = ".ledge", extra: [String] = []
    ) throws -> ProcessResult {
        var arguments =
            [
                "deploy", "apply", "--ssh-config", fleet.configPath, "--listen", "ssh", "--port", String(port), "--check-port",
                String(port + 1), "--root", root,
            ] + extra
        for device in devices { arguments += ["--device", device.alias] }
        for model in models { arguments += ["-m", model] }
        return try ProcessRunner.ledge(arguments, environment: ["XDG_CACHE_HOME": fleet.directory + "/cache"], timeLimit: 300)
    }

    private func classify(_ device: SSHDevice, model: String) async throws -> String {
        var request = URLRequest(url: URL(string: "http://\(device.address):\(port)/v2/models/\(model)/classify?top_k=1")!)
        request.httpMethod = "POST"
        request.setValue("image/jpeg", forHTTPHeaderField: "Content-Type")
        request.httpBody = try Data(contentsOf: URL(fileURLWithPath: Fixtures.image("chelsea.jpg")))
        request.timeoutInterval = 20
        let (body, _) = try await URLSession.shared.data(for: request)
        return String(decoding: body, as: UTF8.self)
    }

    private func stopServers(_ fleet: SSHFleet) async {
        for device in fleet.devices {
            _ = try? await device.run("for f in .ledge/run/*.pid ledge/run/*.pid; do [ -f $f ] && kill $(cat $f); done; true")
        }
    }

    @Test func applyToThreeDevicesThenUnchangedThenABadModelAndAChangedHostKey() async throws {
        try await SSHFleet.withFleet { fleet in
            defer { Task { await stopServers(fleet) } }
            let effnet = Fixtures.model("efficientnet_lite0.tflite")
            let first = try apply(fleet, devices: fleet.devices, models: [effnet])
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)\(Self.logs(fleet))")
            #expect(first.stdout.split(separator: "\n").filter { $0.contains(" deployed ") }.count == 3, "\(first.stdout)")
            for device in fleet.devices {
                #expect(try await classify(device, model: "efficientnet_lite0").contains(#""label":"Egyptian cat""#), "\(device.alias)")
            }

            // status lists them: the release, the model with its sha256, ready, the requests served.
            var statusArguments = ["deploy", "status", "--ssh-config", fleet.configPath, "--port", String(port), "--json"]
            for device in fleet.devices { statusArguments += ["--device", device.alias] }
            let status = try ProcessRunner.ledge(statusArguments, timeLimit: 120)
            #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
            let listed = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [[String: Any]])
            #expect(listed.map { $0["device"] as? String } == fleet.devices.map(\.alias))
            let modelDigest = ContentDigestForTests.sha256(file: effnet)
            for entry in listed {
                #expect(entry["ready"] as? Bool == true)
                #expect((entry["release"] as? String)?.count == 16)
                #expect((entry["models"] as? [String: String]) == ["efficientnet_lite0": modelDigest])
                #expect(entry["requests"] as? Int == 2)  // the apply's own check after the switch, and the classify
                #expect((entry["p50Milliseconds"] as? Double ?? 0) > 0)
                #expect((10_000_000...1_000_000_000).contains(entry["residentBytes"] as? Int ?? 0), "\(entry)")
            }

            // Nothing changed: nothing is sent, nothing restarted (the first device as the canary, then the others).
            let again = try apply(fleet, devices: fleet.devices, models: [effnet], extra: ["--canary", "1"])
            #expect(again.status == 0)
            #expect(again.stdout.split(separator: "\n").filter { $0.contains(" unchanged ") && $0.contains("0 files") }.count == 3, "\(again.stdout)")

            // A canary that fails (its sshd down, its server serving on): the others are not started.
            let canary = fleet.devices[0]
            canary.cutLinkNow()
            let stopped = try apply(fleet, devices: fleet.devices, models: [effnet], extra: ["--canary", "1", "--json"])
            try await canary.startSSHD()
            #expect(stopped.status == 1)
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(stopped.stdout.utf8)) as? [[String: Any]], "\(stopped.stdout)")
            #expect(rows.map { $0["state"] as? String } == ["failed", "skipped", "skipped"], "\(rows)")
            #expect((rows[0]["reason"] as? String ?? "").contains("Connection refused"), "\(rows[0])")
            for row in rows.dropFirst() {
                #expect(row["reason"] as? String == "not deployed: the canary failed (\(canary.alias))")
            }

            // A model that crashes the runtime fails its check on the spare port; the old release keeps serving.
            let bad = try BadModels.path("crash_runtime.tflite")
            let refused = try apply(fleet, devices: [fleet.devices[0]], models: [bad])
            #expect(refused.status == 1)
            #expect(refused.stdout.contains(" failed "), "\(refused.stdout)")
            #expect(refused.stdout.contains("the new release failed its check"), "\(refused.stdout)")
            #expect(try await classify(fleet.devices[0], model: "efficientnet_lite0").contains(#""label":"Egyptian cat""#))

            // A changed host key is refused; the other devices are unaffected.
            let changed = fleet.devices[2]
            _ = try await changed.replaceHostKey()
            // With --max-failures 1, one at a time, the devices after it are not started.
            let limited = try apply(
                fleet, devices: [changed] + fleet.devices.prefix(2), models: [effnet], extra: ["--max-failures", "1", "--parallel", "1"])
            #expect(limited.status == 1)
            let states = limited.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true)[3] }
            #expect(states == ["failed", "skipped", "skipped"], "\(limited.stdout)")
            #expect(limited.stdout.contains("not deployed: 1 device failed (--max-failures 1)"), "\(limited.stdout)")
            let keyed = try apply(fleet, devices: fleet.devices, models: [effnet])
            #expect(keyed.status == 1)
            let line = keyed.stdout.split(separator: "\n").first { $0.hasPrefix(changed.alias) }.map(String.init) ?? ""
            #expect(line.contains(" failed ") && line.contains("Host key verification failed"), "\(keyed.stdout)")
            #expect(keyed.stdout.split(separator: "\n").filter { $0.contains(" unchanged ") }.count == 2)
            await stopServers(fleet)
        }
    }

    /// A device whose disk is full gets one clear line and keeps serving its release; once there
    /// is room again, the next apply completes.
    @Test func aFullDiskIsReportedAndTheOldReleaseKeepsServing() async throws {
        try await SSHFleet.withFleet(addresses: ["127.0.0.2"]) { fleet in
            let device = fleet.devices[0]
            // Refusals first: nothing to roll back to; a folder that is not Ledge's is not removed; a bad rate.
            let common = ["--ssh-config", fleet.configPath, "--device", device.alias]
            let rollback = try ProcessRunner.ledge(["deploy", "rollback", "--root", "ledge"] + common, timeLimit: 120)
            #expect(rollback.status == 1)
            #expect(rollback.stdout.contains("no earlier release on the device to roll back to"), "\(rollback.stdout)")
            _ = try await device.run("mkdir -p notledge && touch notledge/keep")
            let remove = try ProcessRunner.ledge(["deploy", "remove", "--root", "notledge"] + common, timeLimit: 120)
            #expect(remove.status == 1)
            #expect(remove.stdout.contains("notledge is not a ledge deploy folder (no store/sha256 and releases)"), "\(remove.stdout)")
            #expect(FileManager.default.fileExists(atPath: device.home + "/notledge/keep"))
            let rate = try ProcessRunner.ledge(["deploy", "apply", "--limit-rate", "fast", "-m", Fixtures.model("add.onnx")] + common, timeLimit: 60)
            #expect(rate.status == 2)
            #expect(rate.stderr.contains("--limit-rate"), "\(rate.stderr)")
            let first = try apply(fleet, devices: [device], models: [Fixtures.model("efficientnet_lite0.tflite")], root: "ledge")
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
            let pid = try await device.run("cat ledge/run/*.ready").stdout
            // A 4 MiB file system over the release folder: the new objects do not fit.
            try await device.limitDisk(bytes: 4 << 20)
            let full = try apply(fleet, devices: [device], models: [Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")], root: "ledge")
            #expect(full.status == 1)
            #expect(full.stdout.contains(" failed ") && full.stdout.contains("not enough space on the device: "), "\(full.stdout)")
            #expect(try await classify(device, model: "efficientnet_lite0").contains(#""label":"Egyptian cat""#))
            device.removeDiskLimit()
            #expect(try await device.run("cat ledge/run/*.ready").stdout == pid)  // the same server, untouched
            let retried = try apply(fleet, devices: [device], models: [Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")], root: "ledge")
            #expect(retried.status == 0, "\(retried.stdout)")
            #expect(retried.stdout.contains(" deployed "))
            await stopServers(fleet)
        }
    }
}

extension DeployApplyTests {
    /// Every device's server log and the check logs of its releases, for failure messages.
    static func logs(_ fleet: SSHFleet) -> String {
        var text = ""
        for device in fleet.devices {
            for root in [".ledge", "ledge"] {
                let folder = device.home + "/" + root
                var files = [folder + "/ledge.log"]
                for release in (try? FileManager.default.contentsOfDirectory(atPath: folder + "/releases")) ?? [] {
                    files.append(folder + "/releases/" + release + "/check.log")
                }
                for file in files {
                    guard let log = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
                    text +=
                        "\n--- \(device.alias) \(file.dropFirst(device.home.count + 1)):\n"
                        + log.split(separator: "\n").suffix(15).joined(separator: "\n")
                }
            }
        }
        return text
    }
}

/// sha256 of a file as hex, for comparing with what the devices report.
enum ContentDigestForTests {
    static func sha256(file: String) -> String {
        let run = try? ProcessRunner.run("/usr/bin/sha256sum", [file])
        return String(run?.stdout.prefix(64) ?? "")
    }
}
