import Dispatch
import Foundation
import Rules

/// Makes numbered pieces on every core and hands each to `deliver` in number order: a report
/// of a gigabyte is written a few hundred kilobytes at a time, never held whole. A worker whose
/// piece is next delivers it, with any later pieces already made, while the others go on making
/// theirs (no one waits for a write to end); pieces wait for their turn at most `ahead` at a
/// time. `deliver` is never called for two pieces at once.
enum InOrder {
    static func run<T>(_ count: Int, ahead: Int = 16, make: (Int) -> T, deliver: (T) throws -> Void) throws {
        try withoutActuallyEscaping(make) { make in
            try withoutActuallyEscaping(deliver) { deliver in
                let turns = Turns(ahead: ahead, make: make, deliver: deliver)
                // Pieces are handed out in increasing order, so each waits only for pieces
                // held by workers that are running.
                DispatchQueue.concurrentPerform(iterations: count) { turns.take($0) }
                if let failure = turns.failure { throw failure }
            }
        }
    }

    /// Findings written a block at a time on every core and handed to `chunk` in order: reports
    /// of millions of findings stream. `render` gets each finding with its details read into a
    /// scratch the block's worker reuses.
    static func findings(_ findings: ArraySlice<Finding>, block: Int = 256, _ render: (Finding, DetailsScratch, inout String) -> Void,
                         chunk: ([UInt8]) throws -> Void) throws {
        let start = findings.startIndex
        let scratches = Writers { DetailsScratch() }
        try run((findings.count + block - 1) / block, make: { b -> [UInt8] in
            scratches.with { scratch in
                var text = ""
                for i in (start + b * block)..<min(findings.endIndex, start + (b + 1) * block) {
                    findings[i].details(into: scratch)
                    render(findings[i], scratch, &text)
                }
                return Array(text.utf8)
            }
        }, deliver: chunk)
    }

    /// What a report's `write` streams, gathered into one string (for small reports and tests).
    static func collected(_ write: (([UInt8]) throws -> Void) throws -> Void) -> String {
        var bytes: [UInt8] = []
        // Only the chunk function can fail, and appending to an array does not.
        try? write { bytes += $0 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Writers (with their caches and buffers) reused from one piece to the next: each piece
    /// takes one no other piece holds, so a worker keeps what it cached for the pieces before.
    final class Writers<T>: @unchecked Sendable {
        // `free` is guarded by `lock`; a writer taken out is used by one thread only.
        private var free: [T] = []
        private let lock = NSLock()
        private let make: () -> T

        init(_ make: @escaping () -> T) { self.make = make }

        func with<R>(_ body: (inout T) -> R) -> R {
            var writer = lock.withLock { free.popLast() } ?? make()
            defer { lock.withLock { free.append(writer) } }
            return body(&writer)
        }
    }

    private final class Turns<T>: @unchecked Sendable {
        // All but `make` and `deliver`'s own work is guarded by `condition`.
        private let condition = NSCondition()
        /// The first piece not yet delivered; pieces made after it, waiting (nil: not made, as
        /// a delivery had failed).
        private var next = 0
        private var waiting: [Int: T?] = [:]
        /// Whether a worker is delivering: it delivers every piece that is ready in turn.
        private var delivering = false
        private(set) var failure: (any Error)?
        private let ahead: Int
        private let make: (Int) -> T
        private let deliver: (T) throws -> Void

        init(ahead: Int, make: @escaping (Int) -> T, deliver: @escaping (T) throws -> Void) {
            self.ahead = ahead
            self.make = make
            self.deliver = deliver
        }

        func take(_ i: Int) {
            condition.lock()
            while i - next >= ahead { condition.wait() }
            let failed = failure != nil
            condition.unlock()
            let piece = failed ? nil : make(i)
            condition.lock()
            defer { condition.unlock() }
            waiting[i] = piece
            guard !delivering else { return }
            delivering = true
            while let ready = waiting.removeValue(forKey: next) {
                if let ready, failure == nil {
                    condition.unlock()
                    do { try deliver(ready) } catch { condition.withLock { failure = error } }
                    condition.lock()
                }
                next += 1
                condition.broadcast()
            }
            delivering = false
        }
    }
}
