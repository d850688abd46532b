import Foundation
import LedgeTesting
import Testing

/// `ledge deploy bench` on the three test devices (LedgeTesting's SSHFleet): the release's own
/// `ledge bench` runs on each, one row per model and device, and the exit code follows the budget.
@Suite(.serialized, .ownThread) struct DeployBenchTests {
    let port = Int.random(in: 15_000...19_999) * 2
    /// Few runs: the numbers only have to exist, not to be precise.
    let few = ["--runs", "3", "--warmup", "1"]

    private func ledge(_ fleet: SSHFleet, _ arguments: [String]) throws -> ProcessResult {
        try ProcessRunner.ledge(
            ["deploy"] + arguments + ["--ssh-config", fleet.configPath], environment: ["XDG_CACHE_HOME": fleet.directory + "/cache"],
            timeLimit: 300)
    }

    private func stopServers(_ fleet: SSHFleet) async {
        for device in fleet.devices {
            _ = try? await device.run("for f in .ledge/ledge.pid .ledge/check.pid; do [ -f $f ] && kill $(cat $f); done; true")
        }
    }

    /// The table's rows (between the header and the blank line before the summary), split into cells.
    private func rows(_ stdout: String) -> [[String]] {
        let lines = stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().prefix { !$0.isEmpty }.map { line in
            // Cells are separated by two or more spaces; the budget cell runs to the end of the line.
            line.split(separator: "  ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
    }

    /// The failures of `--budget edge` (`p50<15ms,size<5MB`): the size one exactly when the model
    /// is 5 MB or more; p50 may miss or not (the numbers of a busy machine).
    private func edgeFailuresAreRight(_ failures: [String], size: Int) -> Bool {
        let sizeFailure = String(format: "size %.1f MB is not < 5 MB", Double(size) / 1e6)
        let p50 = failures.filter { $0 != sizeFailure }
        return failures.contains(sizeFailure) == (size >= 5_000_000) && p50.count <= 1
            && p50.allSatisfy { $0.wholeMatch(of: #/p50 [0-9]+\.[0-9]{2} ms is not < 15 ms/#) != nil }
    }

    @Test func benchOnThreeDevicesWithTheEdgeBudgetThenOneMetOneMissedAndFailedDevices() async throws {
        try await SSHFleet.withFleet { fleet in
            let effnet = Fixtures.model("efficientnet_lite0.tflite")
            let size = try #require(try FileManager.default.attributesOfItem(atPath: effnet)[.size] as? Int)
            let devices = fleet.devices.flatMap { ["--device", $0.alias] }
            let applied = Result {
                try ledge(fleet, ["apply", "--listen", "ssh", "--port", String(port), "--check-port", String(port + 1), "-m", effnet] + devices)
            }
            await stopServers(fleet)  // bench runs the release's ledge itself, no server needed
            let apply = try applied.get()
            try #require(apply.status == 0, "\(apply.stdout)\(apply.stderr)")

            // --budget edge as JSON: numbers per device, and the exit code its verdicts imply.
            let edge = try ledge(fleet, ["bench", "--budget", "edge", "--json"] + few + devices)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(edge.stdout.utf8)) as? [String: Any], "\(edge)")
            #expect(report["budget"] as? String == "p50<15ms,size<5MB")
            let listed = try #require(report["devices"] as? [[String: Any]])
            #expect(listed.map { $0["device"] as? String } == fleet.devices.map(\.alias))
            var verdicts: [Bool] = []
            for entry in listed {
                #expect(entry["error"] == nil, "\(entry)")
                #expect((entry["release"] as? String)?.count == 16)
                let models = try #require(entry["models"] as? [[String: Any]])
                try #require(models.count == 1, "\(entry)")
                let model = models[0]
                #expect(model["model"] as? String == "efficientnet_lite0")
                #expect(model["runtime"] as? String != nil && model["threads"] as? Int != nil)
                for key in ["p50Milliseconds", "p99Milliseconds", "fps"] { #expect((model[key] as? Double ?? 0) > 0, "\(key): \(model)") }
                #expect((model["peakRSSBytes"] as? Int ?? 0) > 0)
                #expect(model["sizeBytes"] as? Int == size)
                let passed = try #require(model["budgetPassed"] as? Bool)
                let failures = model["budgetFailures"] as? [String] ?? []
                #expect(passed == failures.isEmpty)
                #expect(edgeFailuresAreRight(failures, size: size), "\(failures)")
                #expect(entry["passed"] as? Bool == passed)
                verdicts.append(passed)
            }
            #expect(report["passed"] as? Bool == !verdicts.contains(false))
            #expect(edge.status == (verdicts.contains(false) ? 1 : 0), "\(edge.stderr)")

            // The table: a row per device, the numbers, the verdict, the summary; the exit code follows the rows.
            let table = try ledge(fleet, ["bench", "--budget", "edge"] + few + devices)
            #expect(table.stdout.hasPrefix("MODEL"), "\(table)")
            #expect(
                table.stdout.split(separator: "\n").first?.split(separator: " ") == ["MODEL", "DEVICE", "P50", "P99", "FPS", "RSS", "SIZE", "BUDGET"])
            let edgeRows = rows(table.stdout)
            #expect(edgeRows.map { Array($0.prefix(2)) } == fleet.devices.map { ["efficientnet_lite0", $0.alias] }, "\(table.stdout)")
            let megabytes = String(format: "%.1f MB", Double(size) / 1e6)
            #expect(edgeRows.allSatisfy { $0.count == 8 }, "\(table.stdout)")
            for row in edgeRows where row.count == 8 {
                #expect(row[2].wholeMatch(of: #/[0-9]+\.[0-9]{2} ms/#) != nil && row[3].hasSuffix(" ms"), "\(row)")
                #expect(row[4].wholeMatch(of: #/[0-9.]+/s/#) != nil && row[5].hasSuffix(" MB") && row[6] == megabytes, "\(row)")
                let failures = row[7].hasPrefix("FAIL: ") ? row[7].dropFirst(6).components(separatedBy: "; ") : []
                #expect((row[7] == "PASS" && size < 5_000_000) || (!failures.isEmpty && edgeFailuresAreRight(failures, size: size)), "\(row)")
            }
            let passing = edgeRows.filter { $0.last == "PASS" }.count
            #expect(table.stdout.hasSuffix("\n\nbudget p50<15ms,size<5MB: \(passing) of 3 devices pass\n"), "\(table.stdout)")
            #expect(table.status == (passing == 3 ? 0 : 1))

            // A budget the model must meet: exit 0.
            let roomy = try ledge(fleet, ["bench", "--budget", "p50<100s,rss<100GB"] + few + devices)
            #expect(roomy.status == 0, "\(roomy)")
            #expect(rows(roomy.stdout).map { $0.last ?? "" } == ["PASS", "PASS", "PASS"], "\(roomy.stdout)")
            #expect(roomy.stdout.hasSuffix("budget p50<100s,rss<100GB: 3 of 3 devices pass\n"))

            // One it cannot meet: exit 1, the limit named on every row.
            let tight = try ledge(fleet, ["bench", "--budget", "size<1MB"] + few + devices)
            #expect(tight.status == 1, "\(tight)")
            #expect(
                rows(tight.stdout).map { $0.last ?? "" } == Array(repeating: "FAIL: size \(megabytes) is not < 1 MB", count: 3), "\(tight.stdout)")
            #expect(tight.stdout.hasSuffix("budget size<1MB: 0 of 3 devices pass\n"))

            // Under another root: a device without a release, one whose bench fails (a stand-in ledge.sh),
            // and an unreachable one: a row each saying why, exit 1.
            let (bare, failing, down) = (fleet.devices[0], fleet.devices[1], fleet.devices[2])
            let fake = try await failing.run(
                "mkdir -p other/releases/r1/models/m && echo x > other/releases/r1/models/m/model.tflite"
                    + " && printf '#!/bin/sh\\necho \"error: cannot load\" >&2\\nexit 4\\n' > other/releases/r1/ledge.sh"
                    + " && chmod +x other/releases/r1/ledge.sh && ln -s releases/r1 other/current")
            try #require(fake.status == 0, "\(fake)")
            await down.stopSSHD()
            let failed = try ledge(fleet, ["bench", "--root", "other"] + few + devices)
            #expect(failed.status == 1, "\(failed)")
            #expect(
                rows(failed.stdout) == [
                    ["m", failing.alias, "-", "-", "-", "-", "-", "ERROR: ledge bench exited with 4: error: cannot load"],
                    ["-", bare.alias, "-", "-", "-", "-", "-", "ERROR: no release under other (run ledge deploy apply first)"],
                    [
                        "-", down.alias, "-", "-", "-", "-", "-",
                        "ERROR: \(down.alias): list the release: ssh: connect to host \(down.address) port \(down.port): Connection refused",
                    ],
                ], "\(failed.stdout)")
            #expect(failed.stdout.hasSuffix("\n\n0 of 3 devices measured\n"))

            // A bad budget is a usage error before any device is asked.
            let usage = try ledge(fleet, ["bench", "--budget", "p51<3ms", "--device", fleet.devices[0].alias])
            #expect(usage.status == 2)
            #expect(usage.stderr.contains("--budget: unknown metric 'p51' in term 'p51<3ms' (term 1 of 1)"), "\(usage.stderr)")
        }
    }
}
