internal import CLedgeProcess
internal import Foundation

extension CleanSpawn {
    /// Adds to `actions` the closing of every descriptor from 3 up (in a file of its own: the C
    /// module's `pid_t` would shadow the public one that `BackgroundProcess` exposes).
    static func closeInherited(_ actions: inout posix_spawn_file_actions_t) {
        ledge_spawn_close_inherited(&actions)
    }
}
