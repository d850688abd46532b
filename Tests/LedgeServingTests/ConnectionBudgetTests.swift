@testable import LedgeServing
import Synchronization
import Testing

/// One count of connections for the HTTP and gRPC listeners: the connection that spends the budget
/// pauses every listener, the first to close resumes them, and a listener added while it is spent
/// starts paused.
@Suite struct ConnectionBudgetTests {
    /// What each listener was told, in order.
    final class Calls: Sendable {
        let log = Mutex<[String]>([])
        func listener(_ name: String) -> ConnectionBudget.Listener {
            .init(pause: { self.log.withLock { $0.append("\(name) pause") } }, resume: { self.log.withLock { $0.append("\(name) resume") } })
        }
        func take() -> [String] {
            log.withLock { log in
                defer { log = [] }
                return log
            }
        }
    }

    @Test func spendingTheBudgetPausesEveryListenerAndTheFirstCloseResumesThem() {
        let budget = ConnectionBudget(limit: 2)
        let calls = Calls()
        let http = budget.add(listener: calls.listener("http"))
        _ = budget.add(listener: calls.listener("grpc"))
        #expect(budget.tryOpen())
        #expect(calls.take().isEmpty && budget.hasRoom)
        #expect(budget.tryOpen())
        #expect(Set(calls.take()) == ["http pause", "grpc pause"] && !budget.hasRoom)
        #expect(!budget.tryOpen())  // one accepted by a read already under way waits
        #expect(budget.open == 2)
        budget.closed()
        #expect(Set(calls.take()) == ["http resume", "grpc resume"] && budget.hasRoom)

        budget.remove(listener: http)
        #expect(budget.tryOpen())
        #expect(calls.take() == ["grpc pause"])
        #expect(budget.add(listener: calls.listener("late")) >= 0)
        #expect(calls.take() == ["late pause"])
        budget.closed()
        #expect(Set(calls.take()) == ["grpc resume", "late resume"])
    }

    @Test func theDescriptorLimitLessTheReserveIsTheMost() {
        #expect(ConnectionBudget.descriptorReserve == 132)
        #expect(ConnectionBudget.allowedConnections(descriptors: 256) == 124)
        #expect(ConnectionBudget.allowedConnections(descriptors: 1_048_576) == 1_048_444)
        #expect(ConnectionBudget.allowedConnections(descriptors: 148) == 16)
        #expect(ConnectionBudget(limit: 0).limit == 1)
    }
}
