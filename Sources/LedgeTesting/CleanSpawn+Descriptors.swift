internal import CLedgeProcess
internal import Foundation

extension CleanSpawn {
    /// Adds to `actions` the closing of every descriptor from 3 up (``ledge_spawn_close_inherited``;
    /// in a file of its own, so that the harness's public API file does not import the C module).
    static func closeInherited(_ actions: inout posix_spawn_file_actions_t) {
        ledge_spawn_close_inherited(&actions)
    }
}
