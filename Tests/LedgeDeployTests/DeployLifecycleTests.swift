import Foundation
import FoundationNetworking
import LedgeTesting
import Synchronization
import Testing

/// A release's life on three real sshd devices: redeployed under load without a failed request,
/// a link cut in the middle of an upload (resumed next time; cut again and back, resumed in the
/// same run), a new server dying right after it
/// said it was ready (rolled back), `rollback`, `logs` and `remove`.
@Suite(.serialized, .ownThread) struct DeployLifecycleTests {
    let port = Int.random(in: 15_000...19_900) * 2

    private func ledge(_ fleet: SSHFleet, _ command: [String], devices: [SSHDevice], extra: [String] = []) throws -> ProcessResult {
        var arguments = ["deploy"] + command + ["--ssh-config", fleet.configPath, "--port", String(port)]
        for device in devices { arguments += ["--device", device.alias] }
        return try ProcessRunner.ledge(arguments + extra, environment: ["XDG_CACHE_HOME": fleet.directory + "/cache"], timeLimit: 300)
    }

    private func apply(_ fleet: SSHFleet, _ devices: [SSHDevice], model: String, extra: [String] = []) throws -> ProcessResult {
        try ledge(
            fleet, ["apply"], devices: devices,
            extra: ["--listen", "ssh", "--check-port", String(port + 1), "-m", Fixtures.model(model), "--name", "classifier", "--json"] + extra)
    }

    /// The outcome rows of `apply --json`, by device.
    private func outcomes(_ result: ProcessResult) throws -> [String: [String: Any]] {
        let rows = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]], "\(result.stdout)\(result.stderr)")
        return Dictionary(uniqueKeysWithValues: rows.map { ($0["device"] as? String ?? "", $0) })
    }

    /// The input shape the device's `classifier` reports, without its batch dimension: which model serves.
    private func servedShape(_ device: SSHDevice) async throws -> [Int] {
        let (body, _) = try await URLSession.shared.data(from: URL(string: "http://\(device.address):\(port)/v2/models/classifier")!)
        let metadata = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        let inputs = try #require(metadata["inputs"] as? [[String: Any]])
        return Array((inputs.first?["shape"] as? [Int] ?? []).dropFirst())
    }

    @Test func redeployUnderLoadCutLinkResumeFailedSwitchRollbackLogsRemove() async throws {
        try await SSHFleet.withFleet { fleet in
            let devices = fleet.devices
            defer { _ = try? ledge(fleet, ["remove"], devices: devices) }
            let first = try apply(fleet, devices, model: "efficientnet_lite0.tflite")
            #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
            for device in devices { #expect(try await servedShape(device) == [224, 224, 3]) }
            // The probe child kept the TFLite model's packed weights (and their seal) in the device folder's cache.
            for device in devices {
                let weights = ((try? FileManager.default.contentsOfDirectory(atPath: device.home + "/.ledge/cache/xnnpack")) ?? []).sorted()
                #expect(weights.count == 2 && weights[0].hasSuffix(".xnn") && weights[1] == weights[0] + ".sha256", "\(device.alias): \(weights)")
            }

            // Redeploy another model under the same name while a client sends requests to every
            // device without pause, each on a new connection: none fails, the new model answers.
            let load = LoadClient(urls: devices.map { "http://\($0.address):\(port)/v2/models/classifier/classify?top_k=1" })
            let client = Task { await load.run() }
            try await load.waitForAnswers(30)
            let second = try apply(fleet, devices, model: "mobilenet_gen.onnx")
            try await load.waitForAnswers(load.answered + 30)
            load.stop()
            await client.value
            #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
            #expect(load.failures.isEmpty, "\(load.failures.prefix(5))")
            #expect(load.answered > 60)
            for device in devices { #expect(try await servedShape(device) == [3, 224, 224]) }
            // The probe child kept the ONNX model's optimized graph in the device folder's cache.
            for device in devices {
                let graphs = (try? FileManager.default.contentsOfDirectory(atPath: device.home + "/.ledge/cache/onnx")) ?? []
                #expect(graphs.count == 1 && graphs[0].hasSuffix(".onnx"), "\(device.alias): \(graphs)")
            }
            let switched = try outcomes(second)
            for device in devices { #expect((switched[device.alias]?["switchSeconds"] as? Double ?? 0) > 0) }

            // Only the model changes: the model and a few KB of metadata (the SBOM) are sent. The link of one device is cut
            // half-way (the upload paced to 128 KiB/s): it keeps serving, the others switch.
            let cut = devices[1]
            let model = Fixtures.model("ch_ppocr_mobile_v2.0_cls_infer.onnx")
            let size = try FileManager.default.attributesOfItem(atPath: model)[.size] as? Int ?? 0
            let cutter = cutWhenPartlyUploaded(cut, atLeast: 96 * 1024)
            let third = try apply(
                fleet, devices, model: "ch_ppocr_mobile_v2.0_cls_infer.onnx", extra: ["--limit-rate", "128K", "--upload-retries", "0"])
            cutter.done.wait()
            #expect(cutter.cut.isSet, "no partial upload of 96 KiB appeared on \(cut.alias)")
            #expect(third.status == 1)
            let rows = try outcomes(third)
            #expect(rows[cut.alias]?["state"] as? String == "failed")
            let cutReason = rows[cut.alias]?["reason"] as? String ?? ""
            #expect(cutReason.hasPrefix("send "), "\(rows[cut.alias] ?? [:])")
            for device in devices where device.alias != cut.alias {
                #expect(rows[device.alias]?["state"] as? String == "deployed")
                let sent = rows[device.alias]?["uploadedBytes"] as? Int ?? 0
                #expect(sent >= size && sent < size + 64 * 1024, "\(rows[device.alias] ?? [:])")
                #expect(try await servedShape(device) == [3, -1, -1])
            }
            #expect(try await servedShape(cut) == [3, 224, 224])  // the old release serves on
            try await cut.startSSHD()
            // The next run resumes after what arrived; its link is cut again half-way, sshd comes
            // back a moment later, and the upload goes on from there in the same run (a warning, a retry).
            let arrived = partialBytes(cut)
            let again = cutWhenPartlyUploaded(cut, atLeast: arrived + 64 * 1024)
            let done = Flag()
            let running = Mutex<ProcessResult?>(nil)
            Thread.detachNewThread {
                defer { done.set() }
                let result = try? apply(fleet, [cut], model: "ch_ppocr_mobile_v2.0_cls_infer.onnx", extra: ["--limit-rate", "128K"])
                running.withLock { $0 = result }
            }
            while !again.cut.isSet && !done.isSet { try await Task.sleep(for: .milliseconds(5)) }
            #expect(again.cut.isSet, "no partial upload of \(arrived + 64 * 1024) bytes appeared on \(cut.alias)")
            try await cut.startSSHD()
            while !done.isSet { try await Task.sleep(for: .milliseconds(20)) }
            let fourth = try #require(running.withLock { $0 })
            let resumed = try outcomes(fourth)[cut.alias] ?? [:]
            #expect(resumed["state"] as? String == "deployed", "\(resumed) \(fourth.stderr)")
            #expect(resumed["uploadRetries"] as? Int == 1, "\(resumed)")
            #expect((resumed["resumedBytes"] as? Int ?? 0) == arrived)
            // What arrived before the cuts is not sent again.
            let sent = resumed["uploadedBytes"] as? Int ?? .max
            #expect(sent >= size - arrived && sent < size - arrived + 64 * 1024, "\(resumed)")
            let warning = try #require(fourth.stderr.split(separator: "\n").first { $0.hasPrefix("warning: ") }, "\(fourth.stderr)")
            #expect(warning.hasPrefix("warning: \(cut.alias): send "), "\(warning)")
            #expect(warning.hasSuffix("; resuming in 1 s (retry 1 of 3)"), "\(warning)")
            #expect(try await servedShape(cut) == [3, -1, -1])

            // A new server that dies the moment it says it is ready: the switch is undone and
            // the old server, never stopped, serves on.
            let victim = devices[2]
            let killer = Task { try await killWhenReady(on: victim, except: try currentRelease(victim)) }
            let failing = try outcomes(try apply(fleet, [victim], model: "efficientnet_lite0.tflite"))[victim.alias] ?? [:]
            try await killer.value
            #expect(failing["state"] as? String == "rolled back", "\(failing)")
            let failingReason = failing["reason"] as? String ?? ""
            #expect(failingReason.contains("serves on"), "\(failing)")
            #expect(try await servedShape(victim) == [3, -1, -1])

            // rollback: the release before the current one serves again.
            let back = try ledge(fleet, ["rollback"], devices: [devices[0]], extra: ["--listen", "ssh"])
            #expect(back.status == 0, "\(back.stdout)\(back.stderr)")
            #expect(try await servedShape(devices[0]) == [3, 224, 224])

            // logs: each line prefixed with its device.
            let logs = try ledge(fleet, ["logs"], devices: devices, extra: ["-n", "3"])
            #expect(logs.status == 0, "\(logs.stderr)")
            for device in devices {
                #expect(logs.stdout.split(separator: "\n").filter { $0.hasPrefix(device.alias + " | ") }.count == 3, "\(logs.stdout)")
            }

            // remove: servers stopped, folder gone.
            let removed = try ledge(fleet, ["remove"], devices: devices)
            #expect(removed.status == 0, "\(removed.stdout)\(removed.stderr)")
            for device in devices {
                #expect(!FileManager.default.fileExists(atPath: device.home + "/.ledge"))
                #expect((try? await URLSession.shared.data(from: URL(string: "http://\(device.address):\(port)/v2/health/live")!)) == nil)
            }
        }
    }

    /// Waits (polling the device's folder, which is on this machine) until a partly received
    /// object holds at least `bytes`.
    /// Watches `device`'s store for a partial upload of at least `bytes` and then cuts its link, on a
    /// thread of its own: the apply blocks a thread of Swift's pool while it runs, and other suites'
    /// processes may hold the rest (a task here once never ran until the upload had ended).
    /// `done` is signalled when the thread ends (after 120 s without a partial upload at the latest); `cut` says whether it cut.
    private func cutWhenPartlyUploaded(_ device: SSHDevice, atLeast bytes: Int) -> (cut: Flag, done: DispatchSemaphore) {
        let (cut, done) = (Flag(), DispatchSemaphore(value: 0))
        let store = device.home + "/.ledge/store/sha256"
        Thread.detachNewThread {
            defer { done.signal() }
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []
                let partial = names.contains { name in
                    name.hasSuffix(".part") && ((try? FileManager.default.attributesOfItem(atPath: store + "/" + name)[.size] as? Int) ?? 0) >= bytes
                }
                if partial {
                    device.cutLinkNow()
                    cut.set()
                    return
                }
                usleep(2_000)
            }
        }
        return (cut, done)
    }

    /// The bytes of the largest partly received object in `device`'s store (0 when none).
    private func partialBytes(_ device: SSHDevice) -> Int {
        let store = device.home + "/.ledge/store/sha256"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: store)) ?? []
        return names.filter { $0.hasSuffix(".part") }.map {
            (try? FileManager.default.attributesOfItem(atPath: store + "/" + $0)[.size] as? Int) ?? 0
        }.max() ?? 0
    }

    private func currentRelease(_ device: SSHDevice) throws -> String {
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: device.home + "/.ledge/current")
        return String(target.split(separator: "/").last ?? "")
    }

    /// Kills (SIGKILL) the server of a release other than `except` as soon as its ready file appears.
    private func killWhenReady(on device: SSHDevice, except: String) async throws {
        let run = device.home + "/.ledge/run"
        for _ in 0..<60_000 {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: run)) ?? []
            where name.hasSuffix(".ready") && name != except + ".ready" {
                if let text = try? String(contentsOfFile: run + "/" + name, encoding: .utf8),
                    let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
                {
                    kill(pid, SIGKILL)
                    return
                }
            }
            try await Task.sleep(for: .milliseconds(1))
        }
        Issue.record("no new server became ready on \(device.alias)")
    }
}

/// Sends `POST classify` with chelsea.jpg to each URL in turn without pause, each request on a
/// new connection, and records every failure (no answer, or a status other than 200).
final class LoadClient: Sendable {
    private struct State {
        var answered = 0
        var failures: [String] = []
        var stopped = false
    }
    private let urls: [String]
    private let state = Mutex(State())
    private let image: Data

    init(urls: [String]) {
        self.urls = urls
        self.image = (try? Data(contentsOf: URL(fileURLWithPath: Fixtures.image("chelsea.jpg")))) ?? Data()
    }

    var answered: Int { state.withLock { $0.answered } }
    var failures: [String] { state.withLock { $0.failures } }
    func stop() { state.withLock { $0.stopped = true } }

    func run() async {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 1
        let session = URLSession(configuration: configuration)
        var index = 0
        while !state.withLock({ $0.stopped }) {
            let url = urls[index % urls.count]
            index += 1
            var request = URLRequest(url: URL(string: url)!)
            request.httpMethod = "POST"
            request.setValue("image/jpeg", forHTTPHeaderField: "Content-Type")
            request.setValue("close", forHTTPHeaderField: "Connection")
            request.httpBody = image
            request.timeoutInterval = 30
            do {
                let (body, response) = try await session.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                state.withLock {
                    if status == 200 {
                        $0.answered += 1
                    } else {
                        $0.failures.append("\(url): \(status) \(String(decoding: body.prefix(200), as: UTF8.self))")
                    }
                }
            } catch {
                state.withLock { $0.failures.append("\(url): \(error)") }
            }
        }
        session.invalidateAndCancel()
    }

    func waitForAnswers(_ count: Int) async throws {
        for _ in 0..<6000 where answered < count { try await Task.sleep(for: .milliseconds(10)) }
    }
}
