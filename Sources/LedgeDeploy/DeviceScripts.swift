/// The shell the deploy runs on a device (POSIX sh and coreutils only; no Python, curl or
/// systemd needed). `root` is the device's folder for Ledge, relative to the login folder
/// or absolute; every script is one `sh -c` over the multiplexed SSH connection.
enum DeviceScripts {
    /// Facts as `key=value` lines, then `objects:` and the store's object names.
    static func probe(root: String) -> String {
        let r = DeviceRelease.quoted(root)
        return """
            set -e
            mkdir -p \(r)/store/sha256 \(r)/releases
            echo "arch=$(uname -m)"
            echo "cores=$(nproc 2>/dev/null || echo 1)"
            echo "free_kb=$(df -Pk \(r) | awk 'NR==2 {print $4}')"
            if [ -r /etc/os-release ]; then . /etc/os-release; echo "os=$ID $VERSION_ID"; fi
            echo "glibc=$(getconf GNU_LIBC_VERSION 2>/dev/null || true)"
            if [ -d /run/systemd/system ]; then echo systemd=yes; else echo systemd=no; fi
            echo "current=$(readlink \(r)/current 2>/dev/null || true)"
            echo "running=$(if [ -f \(r)/ledge.pid ] && kill -0 "$(cat \(r)/ledge.pid)" 2>/dev/null; then echo yes; else echo no; fi)"
            echo objects:
            ls \(r)/store/sha256
            """
    }

    /// Receives one object on standard input, checks its sha256, then names it (a partial
    /// upload is never taken for the object: the next run sends it again).
    static func receive(root: String, object: String) -> String {
        let store = DeviceRelease.quoted(root + "/store/sha256")
        let hex = String(object.prefix { $0 != "-" })
        let mode = String(object.split(separator: "-").last ?? "644")
        return """
            set -e
            P=\(store)/.\(object).part
            cat > "$P"
            set -- $(sha256sum "$P")
            if [ "$1" != "\(hex)" ]; then rm -f "$P"; echo "object \(object.prefix(12)) arrived damaged" >&2; exit 3; fi
            chmod \(mode) "$P"
            mv "$P" \(store)/\(object)
            """
    }

    /// Starts `releases/ID/run.sh` in the background on `host:port`, its output in `log`,
    /// its pid written to `pidFile`; detached from the SSH session.
    static func start(root: String, release: String, host: String, port: Int, log: String, pidFile: String) -> String {
        let r = DeviceRelease.quoted(root)
        return """
            set -e
            cd \(r)
            S=; if command -v setsid > /dev/null; then S=setsid; fi
            LEDGE_HOST=\(DeviceRelease.quoted(host)) LEDGE_PORT=\(port) $S nohup \(DeviceRelease.quoted(release))/run.sh >> \(DeviceRelease.quoted(log)) 2>&1 < /dev/null &
            echo $! > \(DeviceRelease.quoted(pidFile))
            """
    }

    /// Stops the server whose pid is in `pidFile` (SIGTERM: it finishes what it is doing), waiting up to 15 s.
    static func stop(root: String, pidFile: String) -> String {
        let p = DeviceRelease.quoted(root + "/" + pidFile)
        return """
            if [ -f \(p) ]; then
              PID=$(cat \(p)); kill "$PID" 2> /dev/null || true
              i=0; while kill -0 "$PID" 2> /dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
              kill -9 "$PID" 2> /dev/null || true
              rm -f \(p)
            fi
            """
    }

    /// Points `current` at `release` atomically (symlink, then rename); prints the previous target.
    static func switchTo(root: String, release: String) -> String {
        let r = DeviceRelease.quoted(root)
        return """
            set -e
            cd \(r)
            echo "previous=$(readlink current 2>/dev/null || true)"
            ln -sfn \(DeviceRelease.quoted(release)) current.new
            mv -T current.new current
            """
    }

    /// Keeps `current` and the `keep` newest releases; removes store objects no release links.
    static func prune(root: String, keep: Int) -> String {
        let r = DeviceRelease.quoted(root)
        return """
            cd \(r) || exit 0
            CUR=$(readlink current 2>/dev/null || true)
            ls -1t releases | tail -n +\(keep + 1) | while read -r ID; do
              [ "releases/$ID" = "$CUR" ] || rm -rf "releases/$ID"
            done
            find store/sha256 -type f -links 1 ! -name '.*' -delete 2> /dev/null || true
            """
    }

    /// The last lines of a log on the device, for error messages.
    static func tail(root: String, log: String) -> String {
        "tail -n 5 \(DeviceRelease.quoted(root + "/" + log)) 2> /dev/null || true"
    }
}
