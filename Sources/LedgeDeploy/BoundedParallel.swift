/// Runs jobs `0..<count` at most `limit` at once; results in index order. What every `deploy`
/// subcommand does with its devices (ssh itself runs off the cooperative pool, ``SSHTarget``).
enum BoundedParallel {
    static func map<T: Sendable>(count: Int, limit: Int, _ job: @escaping @Sendable (Int) async -> T) async -> [T] {
        await withTaskGroup(of: (Int, T).self) { group in
            var results: [(Int, T)] = []
            var next = 0
            while next < min(max(1, limit), count) {
                let index = next
                group.addTask { (index, await job(index)) }
                next += 1
            }
            for await result in group {
                results.append(result)
                if next < count {
                    let index = next
                    group.addTask { (index, await job(index)) }
                    next += 1
                }
            }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }
}
