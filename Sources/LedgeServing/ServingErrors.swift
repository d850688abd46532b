package import LedgeCore

extension LedgeError {
    /// No model called `name` (404 over HTTP).
    package static func unknownModel(_ name: String) -> LedgeError { .notFound("unknown model '\(name)'") }

    /// Every instance of `model` is busy and `waiting` requests fill the queue of `limit` (503 over HTTP).
    package static func busy(model: String, waiting: Int, limit: Int) -> LedgeError {
        LedgeError(.busy, "model '\(model)' is busy: \(waiting) requests waiting (queue limit \(limit))")
    }

    /// Every instance of `model` is busy and its priority `level`'s queue is full.
    package static func busy(model: String, level: Int, waiting: Int, limit: Int) -> LedgeError {
        LedgeError(.busy, "model '\(model)' is busy: \(waiting) requests of priority \(level) waiting (its queue policy's max_queue_size \(limit))")
    }
}
