internal import LedgeCore

/// How a device keeps its server running: a systemd unit (system-wide when the login is root,
/// the user's own when the user lingers, so it outlives the SSH session), or, without
/// systemd (containers, minimal images), `supervise.sh` of the release with a pid file.
///
/// Every release runs as its own instance (`ledge@ID` or `run/ID.pid`), started with
/// `--reuse-port` beside the one serving: the new server takes every new connection once it
/// listens, then the old one is stopped and finishes what it was doing — no refused
/// connection. A switch is start new → wait ready → check → stop the others.
public enum ServiceMode: String, Sendable, Codable, CaseIterable {
    case systemdSystem = "systemd-system"
    case systemdUser = "systemd-user"
    case supervisor

    /// The mode for a probed device: `requested` (`auto`, `systemd` or `supervisor`).
    static func choose(_ requested: String, facts: DeviceFacts) throws -> ServiceMode {
        let systemd = facts.values["systemd"] == "yes"
        let root = facts.values["uid"] == "0"
        let linger = facts.values["linger"] == "yes"
        switch requested {
        case "supervisor": return .supervisor
        case "systemd":
            guard systemd else { throw LedgeError(.invalidInput, "--init systemd: the device does not run systemd") }
            guard root || linger else {
                throw LedgeError(
                    .invalidInput,
                    "--init systemd: user units stop when the SSH session ends unless the user lingers (run 'loginctl enable-linger' on the device)")
            }
            return root ? .systemdSystem : .systemdUser
        default:
            guard systemd, root || linger else { return .supervisor }
            return root ? .systemdSystem : .systemdUser
        }
    }

    private var systemctl: String { self == .systemdUser ? "systemctl --user" : "systemctl" }

    /// Where the unit template lives on the device.
    private var unitFolder: String { self == .systemdUser ? "\"${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user\"" : "/etc/systemd/system" }

    /// `ledge@.service`: one instance per release, `Type=notify` (the server says when it is
    /// ready), restarted on failure, output appended to `ledge.log`.
    static func unit(rootPath: String, host: String, port: Int, threads: Int? = nil, user: Bool) -> String {
        """
        # Written by ledge deploy: one instance per release (ledge@RELEASE-ID).
        [Unit]
        Description=Ledge inference server, release %i
        After=network-online.target
        Wants=network-online.target

        [Service]
        Type=notify
        NotifyAccess=main
        WorkingDirectory=\(rootPath)
        Environment=LEDGE_HOST=\(host) LEDGE_PORT=\(port)\(threads.map { " LEDGE_THREADS=\($0)" } ?? "")
        ExecStart=\(rootPath)/releases/%i/run.sh --reuse-port --ready-file \(rootPath)/run/%i.ready
        ExecStopPost=/bin/rm -f \(rootPath)/run/%i.ready
        Restart=on-failure
        RestartSec=2
        TimeoutStartSec=120
        TimeoutStopSec=30
        StandardOutput=append:\(rootPath)/ledge.log
        StandardError=append:\(rootPath)/ledge.log

        [Install]
        WantedBy=\(user ? "default.target" : "multi-user.target")

        """
    }

    /// Writes the unit (when it changed) and reloads systemd; nothing without systemd.
    func installScript(rootPath: String, host: String, port: Int, threads: Int?) -> String {
        guard self != .supervisor else { return ":" }
        let text = Self.unit(rootPath: rootPath, host: host, port: port, threads: threads, user: self == .systemdUser)
        return """
            set -e
            D=\(unitFolder)
            mkdir -p "$D"
            cat > "$D/ledge@.service.new" << 'LEDGE_UNIT'
            \(text)LEDGE_UNIT
            if cmp -s "$D/ledge@.service.new" "$D/ledge@.service"; then rm "$D/ledge@.service.new"
            else mv "$D/ledge@.service.new" "$D/ledge@.service"; \(systemctl) daemon-reload; fi
            """
    }

    /// Starts release `id` as a new instance on the real port (beside whatever serves).
    func startScript(root: String, release id: String, host: String, port: Int, threads: Int?) -> String {
        let r = DeviceRelease.quoted(root)
        let q = DeviceRelease.quoted(id)
        switch self {
        case .supervisor:
            return """
                set -e
                cd \(r)
                rm -f run/\(q).ready
                S=; if command -v setsid > /dev/null; then S=setsid; fi
                LEDGE_HOST=\(DeviceRelease.quoted(host)) LEDGE_PORT=\(port) LEDGE_THREADS=\(threads.map(String.init) ?? "") $S nohup releases/\(q)/supervise.sh run/\(q).pid \\
                  --reuse-port --ready-file "$(pwd -P)"/run/\(q).ready >> ledge.log 2>&1 < /dev/null &
                i=0; while [ ! -f run/\(q).pid ] && [ $i -lt 100 ]; do sleep 0.02; i=$((i + 1)); done
                """
        case .systemdSystem, .systemdUser:
            // --no-block: the deploy waits for the ready file itself, with its own time limit and message.
            return "set -e\ncd \(r)\nrm -f run/\(q).ready\n\(systemctl) start --no-block ledge@\(q).service"
        }
    }

    /// The pid file that tells whether a starting instance still lives (supervisor only).
    func pidFile(release id: String) -> String? { self == .supervisor ? "run/\(id).pid" : nil }

    /// Stops release `id`'s instance (it drains: SIGTERM, up to 30 s).
    func stopScript(root: String, release id: String) -> String {
        switch self {
        case .supervisor:
            return DeviceScripts.stop(root: root, pidFile: "run/\(id).pid", seconds: 30)
                + "\nrm -f \(DeviceRelease.quoted(root + "/run/" + id + ".ready"))"
        case .systemdSystem, .systemdUser:
            return "\(systemctl) disable --now ledge@\(DeviceRelease.quoted(id)).service 2> /dev/null || true"
        }
    }

    /// Stops every instance but release `id`'s (also those a supervisor started before the
    /// device moved to systemd), and makes `id` the one systemd starts at boot.
    func stopOthersScript(root: String, keeping id: String) -> String {
        let r = DeviceRelease.quoted(root)
        let keep = DeviceRelease.quoted(id)
        var script = """
            cd \(r) || exit 0
            for f in run/*.pid; do
              [ -f "$f" ] || continue
              ID=$(basename "$f" .pid); [ "$ID" = \(keep) ] && continue
              PID=$(cat "$f"); kill "$PID" 2> /dev/null || true
              i=0; while kill -0 "$PID" 2> /dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
              kill -9 "$PID" 2> /dev/null || true
              rm -f "$f" "run/$ID.ready"
            done
            """
        if self != .supervisor {
            script += """

                [ -z \(keep) ] || \(systemctl) enable ledge@\(keep).service 2> /dev/null
                for U in $(\(systemctl) list-units --all --plain --no-legend 'ledge@*.service' | awk '{print $1}'); do
                  [ "$U" = ledge@\(keep).service ] || \(systemctl) disable --now "$U" 2> /dev/null || true
                done
                """
        }
        return script + "\ntrue"
    }

    /// Stops every instance and removes the unit (for `deploy remove`).
    func removeScript(root: String) -> String {
        let stop = stopOthersScript(root: root, keeping: "")
        guard self != .supervisor else { return stop }
        return stop + "\nrm -f \(unitFolder)/ledge@.service; \(systemctl) daemon-reload 2> /dev/null || true"
    }
}
