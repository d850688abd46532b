internal import LedgeFetch

/// The shell the deploy runs on a device (POSIX sh and coreutils only; no Python, curl or
/// systemd needed). `root` is the device's folder for Ledge, relative to the login folder
/// or absolute; every script is one `sh -c` over the multiplexed SSH connection.
///
/// Layout under `root`: `store/sha256/HEX-MODE` (objects; `.HEX-MODE.part` while arriving),
/// `releases/ID/` (hard links into the store), `current` → `releases/ID`, `history` (one
/// `EPOCH ID` line each time a release became current), `run/ID.ready` (written by the
/// server once it serves: its pid), `run/ID.pid` (the supervisor's pid, without systemd),
/// `ledge.log` (every server's output).
enum DeviceScripts {
    /// Facts as `key=value` lines, `partial=NAME SIZE` per partly received object, then
    /// `objects:` and the store's object names.
    static func probe(root: String) -> String {
        let r = DeviceRelease.quoted(root)
        return """
            set -e
            mkdir -p \(r)/store/sha256 \(r)/releases \(r)/run
            cd \(r)
            echo "root=$(pwd -P)"
            echo "arch=$(uname -m)"
            echo "cores=$(nproc 2>/dev/null || echo 1)"
            echo "free_kb=$(df -Pk . | awk 'NR==2 {print $4}')"
            if [ -r /etc/os-release ]; then . /etc/os-release; echo "os=$ID $VERSION_ID"; fi
            echo "glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null || true)"
            echo "uid=$(id -u)"
            if [ -d /run/systemd/system ]; then
              echo systemd=yes
              if [ -e "/var/lib/systemd/linger/$(id -un)" ]; then echo linger=yes; fi
            else
              echo systemd=no
            fi
            CUR=$(readlink current 2>/dev/null || true)
            echo "current=$CUR"
            echo "service=$(cat service 2>/dev/null || true)"
            \(runningLine)
            for f in store/sha256/.*.part; do [ -f "$f" ] && echo "partial=$(basename "$f" .part | cut -c2-) $(wc -c < "$f")"; done
            echo objects:
            ls store/sha256
            """
    }

    /// `running=yes` when the current release's server has said it is ready and still runs
    /// (cwd: root, `CUR` set).
    private static let runningLine = """
        ID=${CUR#releases/}; if [ -n "$CUR" ] && [ -f "run/$ID.ready" ] && kill -0 "$(cat "run/$ID.ready")" 2>/dev/null; then echo running=yes; else echo running=no; fi
        """

    /// Receives one object of `size` bytes on standard input, appending to what an earlier,
    /// interrupted transfer left when `offset` > 0; checks its sha256, then names it (a damaged
    /// object is removed, never taken for the object: the next run sends it again). Fewer bytes
    /// than `size` are kept for the next run to resume: a cut link can end the input (EOF)
    /// before the hang-up ends the script, and the digest of a short file never matches.
    /// The bytes of `object`'s partial file (`.HEX-MODE.part`, which ``receive(root:object:offset:size:)``
    /// writes), 0 when there is none.
    static func partialSize(root: String, object: String) -> String {
        "wc -c < \(DeviceRelease.quoted(root + "/store/sha256/." + object + ".part")) 2> /dev/null || echo 0"
    }

    static func receive(root: String, object: String, offset: Int, size: Int) -> String {
        let store = DeviceRelease.quoted(root + "/store/sha256")
        let hex = String(object.prefix { $0 != "-" })
        let mode = String(object.split(separator: "-").last ?? "644")
        let write: String
        if offset > 0 {
            write = """
                S=$(wc -c < "$P" 2> /dev/null || echo 0)
                if [ "$S" -ne \(offset) ]; then echo "partial object \(object.prefix(12)) holds $S bytes, not \(offset)" >&2; exit 3; fi
                cat >> "$P"
                """
        } else {
            write = "cat > \"$P\""
        }
        // A secret (mode 600) is never readable by others, not even while it arrives.
        return """
            set -e
            \(mode == "600" ? "umask 077" : ":")
            P=\(store)/.\(object).part
            \(write)
            S=$(wc -c < "$P")
            if [ "$S" -lt \(size) ]; then echo "object \(object.prefix(12)) arrived short ($S of \(size) bytes): kept to resume" >&2; exit 3; fi
            set -- $(sha256sum "$P")
            if [ "$1" != "\(hex)" ]; then rm -f "$P"; echo "object \(object.prefix(12)) arrived damaged" >&2; exit 3; fi
            chmod \(mode) "$P"
            mv "$P" \(store)/\(object)
            """
    }

    /// Starts a release's `run.sh` directly (no supervisor) in the background on `host:port`
    /// (gRPC on a free port: the serving release holds the gRPC port) for its check, output in
    /// `releases/ID/check.log`, pid in `run/check.pid`.
    static func startCheck(root: String, release: String, host: String, port: Int, threads: Int?) -> String {
        let r = DeviceRelease.quoted(root)
        let id = DeviceRelease.quoted(release)
        return """
            set -e
            cd \(r)
            S=; if command -v setsid > /dev/null; then S=setsid; fi
            LEDGE_HOST=\(DeviceRelease.quoted(host)) LEDGE_PORT=\(port) LEDGE_GRPC_PORT=0 LEDGE_THREADS=\(threads.map(String.init) ?? "") $S nohup releases/\(id)/run.sh > releases/\(id)/check.log 2>&1 < /dev/null &
            echo $! > run/check.pid
            """
    }

    /// Stops the process whose pid is in `pidFile` (under root) with SIGTERM (it finishes what
    /// it is doing), waiting up to `seconds`, then SIGKILL.
    static func stop(root: String, pidFile: String, seconds: Int = 15) -> String {
        let p = DeviceRelease.quoted(root + "/" + pidFile)
        return """
            if [ -f \(p) ]; then
              PID=$(cat \(p)); kill "$PID" 2> /dev/null || true
              i=0; while kill -0 "$PID" 2> /dev/null && [ $i -lt \(seconds * 10) ]; do sleep 0.1; i=$((i + 1)); done
              kill -9 "$PID" 2> /dev/null || true
              rm -f \(p)
            fi
            """
    }

    /// Points `current` at `releases/ID` atomically (symlink, then rename) and, when `record`,
    /// notes it in `history` (a rollback after a failed switch is not noted); prints the
    /// previous target.
    static func switchTo(root: String, release: String, record: Bool) -> String {
        let r = DeviceRelease.quoted(root)
        let id = DeviceRelease.quoted(release)
        return """
            set -e
            cd \(r)
            [ -f releases/\(id)/run.sh ] || { echo "release \(release) is not on the device" >&2; exit 3; }
            echo "previous=$(readlink current 2>/dev/null || true)"
            ln -sfn releases/\(id) current.new
            mv -T current.new current
            \(record ? "echo \"$(date +%s) \(release)\" >> history" : ":")
            """
    }

    /// Waits until the server of release `id` has written its ready file (at most `seconds`),
    /// failing at once with the log's last line when the server exits instead (the supervisor
    /// or systemd restarting it, or the supervisor gone). `logOffset`: `ledge.log`'s size at start.
    static func waitReady(root: String, release: String, seconds: Int, service: ServiceMode, logOffset: Int) -> String {
        let r = DeviceRelease.quoted(root)
        let q = DeviceRelease.quoted(release)
        let exited: String
        switch service {
        case .supervisor:
            exited = """
                if ! kill -0 "$(cat run/\(q).pid 2> /dev/null)" 2> /dev/null || tail -c +\(logOffset + 1) ledge.log | grep -q '^supervise.sh: ledge exited'; then F=1; fi
                """
        case .systemdSystem, .systemdUser:
            let systemctl = service == .systemdUser ? "systemctl --user" : "systemctl"
            exited = """
                if [ "$(\(systemctl) show -p NRestarts --value ledge@\(q).service)" != 0 ] || [ "$(\(systemctl) show -p ActiveState --value ledge@\(q).service)" = failed ]; then F=1; fi
                """
        }
        return """
            cd \(r)
            i=0; F=
            while [ ! -s run/\(q).ready ]; do
              \(exited)
              if [ -n "$F" ]; then
                echo "the server exited before it was ready: $(tail -c +\(logOffset + 1) ledge.log | grep -v '^supervise.sh' | tail -n 1)" >&2; exit 3
              fi
              if [ $i -ge \(seconds * 20) ]; then
                echo "the server was not ready within \(seconds) s: $(tail -c +\(logOffset + 1) ledge.log | tail -n 1)" >&2; exit 3
              fi
              sleep 0.05; i=$((i + 1))
            done
            echo "pid=$(cat run/\(q).ready)"
            """
    }

    /// Fails unless release `id`'s server is still the process `pid` that said it was ready
    /// (a check passing while it died could have been answered by the old server).
    static func stillServing(root: String, release: String, pid: String) -> String {
        let ready = DeviceRelease.quoted(root + "/run/" + release + ".ready")
        return """
            if [ "$(cat \(ready) 2> /dev/null)" != \(DeviceRelease.quoted(pid)) ] || ! kill -0 \(DeviceRelease.quoted(pid)) 2> /dev/null; then
              echo "the new server (pid \(pid)) exited during its check" >&2; exit 3
            fi
            """
    }

    /// The release before the current one in `history` that is still on the device (or `to`).
    static func rollbackTarget(root: String, to: String?) -> String {
        let r = DeviceRelease.quoted(root)
        if let to {
            return "cd \(r) && [ -f releases/\(DeviceRelease.quoted(to))/run.sh ] && echo \(DeviceRelease.quoted(to))"
        }
        return """
            cd \(r) || exit 0
            CUR=$(readlink current 2>/dev/null || true); CUR=${CUR#releases/}
            [ -f history ] || exit 0
            awk '{print $2}' history | tac | while read -r ID; do
              if [ "$ID" != "$CUR" ] && [ -f "releases/$ID/run.sh" ]; then echo "$ID"; break; fi
            done
            """
    }

    /// Keeps `current`, releases with a server and the `keep` newest releases; removes store
    /// objects no release links any more.
    static func prune(root: String, keep: Int) -> String {
        let r = DeviceRelease.quoted(root)
        return """
            cd \(r) || exit 0
            CUR=$(readlink current 2>/dev/null || true)
            ls -1t releases | grep -v '\\.partial$' | tail -n +\(keep + 2) | while read -r ID; do
              [ "releases/$ID" = "$CUR" ] || [ -f "run/$ID.ready" ] || [ -f "run/$ID.pid" ] || rm -rf "releases/$ID"
            done
            find store/sha256 -type f -links 1 ! -name '.*' -delete 2> /dev/null || true
            """
    }

    /// The last `lines` lines of a log under root, for error messages and `deploy logs`.
    static func tail(root: String, log: String, lines: Int = 5) -> String {
        "tail -n \(lines) \(DeviceRelease.quoted(root + "/" + log)) 2> /dev/null || true"
    }

    /// Prints a release's token for the checks (`token=…`: the first line that is a token alone,
    /// unlimited), whether it serves HTTPS (`tls=yes`) and asks for
    /// client certificates (`mtls=yes`), for the
    /// checks of `status` and `rollback`: the release's own, read over ssh.
    static func secrets(release: String) -> String {
        let folder = DeviceRelease.quoted(release) + "/"
        return """
            [ -f \(folder)\(DeviceRelease.tokenPath) ] && echo "token=$(awk 'NF == 1 { print; exit }' \(folder)\(DeviceRelease.tokenPath))"
            [ -f \(folder)\(DeviceRelease.certificatePath) ] && echo tls=yes
            [ -f \(folder)\(DeviceRelease.clientCAPath) ] && echo mtls=yes
            """
    }

    /// What ``secrets(release:)`` printed: the token, and whether the release serves HTTPS.
    /// `identity`: the client certificate this machine's checks present, if any.
    static func secrets(in output: String, trustRoots: String?, identity: ClientIdentity? = nil) -> DeviceSecrets {
        var secrets = DeviceSecrets(trustRoots: trustRoots, clientIdentity: identity)
        for line in output.split(separator: "\n") {
            if line.hasPrefix("token="), line.count > 6 { secrets.token = String(line.dropFirst(6)) }
            if line == "tls=yes" { secrets.servesHTTPSOnDevice = true }
            if line == "mtls=yes" { secrets.asksClientCertificateOnDevice = true }
        }
        return secrets
    }
}
