#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif
internal import LedgeCore
public import LedgeFetch

/// What `ledge deploy status` reports of a device.
public struct DeviceStatus: Sendable, Encodable {
    public var device: String
    public var arch: String?
    /// The release `current` points at (`releases/ID` → `ID`).
    public var release: String?
    /// How the server is kept running (``ServiceMode``).
    public var service: String?
    public var running = false
    public var ready = false
    /// Seconds the server has been running.
    public var uptimeSeconds: Int?
    /// Served models with the sha256 of their files.
    public var models: [String: String] = [:]
    /// Successful inference requests since the server started, and their median time in ms.
    public var requests: Int?
    public var p50Milliseconds: Double?
    /// The server's resident memory (`process_resident_memory_bytes`), in bytes.
    public var residentBytes: Int?
    public var error: String?
}

extension Deployer {
    /// Status of each device: its current release and models, the server's uptime, health,
    /// request count, median and resident memory from `/metrics` (asked with the current release's own token, over
    /// HTTPS when it has a certificate, verified against `trustRoots` or the system's roots, and
    /// presenting `identity` to a release that asks for client certificates).
    public static func status(
        _ targets: [SSHTarget], root: String, port: Int, trustRoots: String? = nil, identity: ClientIdentity? = nil
    ) async -> [DeviceStatus] {
        defer { for target in targets { target.closeConnection() } }
        return await BoundedParallel.map(count: targets.count, limit: targets.count) { index in
            await status(of: targets[index], root: root, port: port, trustRoots: trustRoots, identity: identity)
        }
    }

    static func status(of target: SSHTarget, root: String, port: Int, trustRoots: String?, identity: ClientIdentity?) async -> DeviceStatus {
        var status = DeviceStatus(device: target.destination)
        do {
            let r = DeviceRelease.quoted(root)
            let script = """
                cd \(r) 2> /dev/null || { echo "no \(root) folder: nothing was deployed here" >&2; exit 3; }
                echo "arch=$(uname -m)"
                CUR=$(readlink current 2>/dev/null || true); ID=${CUR#releases/}
                echo "current=$CUR"
                echo "service=$(cat service 2>/dev/null || true)"
                if [ -n "$CUR" ] && [ -f "run/$ID.ready" ] && kill -0 "$(cat "run/$ID.ready")" 2>/dev/null; then
                  echo running=yes; echo "uptime=$(ps -o etimes= -p "$(cat "run/$ID.ready")" | tr -d ' ')"
                fi
                for f in current/models/*/model.*; do [ -f "$f" ] && echo "model=$(basename "$(dirname "$f")") $(sha256sum "$f" | cut -c1-64)"; done
                \(DeviceScripts.secrets(release: "current"))
                true
                """
            let facts = try await target.check(script, what: "status")
            let secrets = DeviceScripts.secrets(in: facts, trustRoots: trustRoots, identity: identity)
            for line in facts.split(separator: "\n").map(String.init) {
                guard let equals = line.firstIndex(of: "=") else { continue }
                let key = line[..<equals]
                let value = String(line[line.index(after: equals)...])
                switch key {
                case "arch": status.arch = value
                case "current": status.release = value.split(separator: "/").last.map(String.init)
                case "running": status.running = value == "yes"
                case "service": status.service = value.isEmpty ? nil : value
                case "uptime": status.uptimeSeconds = Int(value)
                case "model":
                    let parts = value.split(separator: " ")
                    if parts.count == 2 { status.models[String(parts[0])] = String(parts[1]) }
                default: break
                }
            }
            let host = try await target.resolvedHost()
            let base = "\(secrets.scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            if secrets.asksClientCertificateOnDevice && identity == nil {
                status.error = "the server asks for a client certificate (mutual TLS): give --tls-client-cert and --tls-client-key"
            }
            let http = HTTPClient(timeLimit: 5, trustRoots: trustRoots, identity: identity)
            status.ready = (try? await http.send("GET", base + "/v2/health/ready", headers: secrets.headers))?.status == 200
            if status.ready, let metrics = try? await http.send("GET", base + "/metrics", headers: secrets.headers), metrics.status == 200 {
                let text = String(decoding: metrics.body, as: UTF8.self)
                (status.requests, status.p50Milliseconds) = Self.requestSummary(text)
                status.residentBytes = Self.residentBytes(text)
            }
        } catch {
            status.error = describe(error)
        }
        return status
    }

    /// The server's resident memory from its Prometheus text, `nil` when absent (a server before it reported it).
    static func residentBytes(_ text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix("process_resident_memory_bytes ") {
            return line.split(separator: " ").last.flatMap { Double($0) }.map { Int($0) }
        }
        return nil
    }

    /// Successful requests and the median request time (ms, interpolated in the histogram's
    /// buckets) from Ledge's Prometheus text.
    static func requestSummary(_ text: String) -> (Int?, Double?) {
        var requests = 0
        var buckets: [Double: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count >= 2, let value = Double(parts[1]) else { continue }
            if parts[0].hasPrefix("ledge_inference_request_success_total") { requests += Int(value) }
            if parts[0].hasPrefix("ledge_inference_request_duration_seconds_bucket"),
                let le = parts[0].firstMatch(of: #/le="([^"]+)"/#).map({ String($0.output.1) })
            {
                buckets[le == "+Inf" ? .infinity : Double(le) ?? .infinity, default: 0] += value
            }
        }
        let sorted = buckets.sorted { $0.key < $1.key }
        guard let total = sorted.last?.value, total > 0 else { return (requests, nil) }
        var previous: (bound: Double, count: Double) = (0, 0)
        for (bound, count) in sorted {
            guard count >= total / 2 else {
                previous = (bound, count)
                continue
            }
            guard bound.isFinite else { return (requests, previous.bound * 1000) }
            let share = count > previous.count ? (total / 2 - previous.count) / (count - previous.count) : 0
            return (requests, (previous.bound + (bound - previous.bound) * share) * 1000)
        }
        return (requests, nil)
    }
}
