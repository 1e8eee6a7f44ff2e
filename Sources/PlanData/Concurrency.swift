import Dispatch
import Foundation

/// One result per worker of a `concurrentPerform`, each written once, read after all have finished.
public final class WorkerResults<T>: @unchecked Sendable {
    // Guarded by `lock`.
    private var slots: [T?]
    private let lock = NSLock()

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    public func set(_ i: Int, _ value: T) { lock.withLock { slots[i] = value } }

    /// Every worker's result, in order (all must have been set).
    public var all: [T] { lock.withLock { slots.map { $0! } } }
}

extension Array where Element: Sendable {
    /// `map` on every core, in order, written in place: for the stages that touch each of
    /// millions of findings.
    public func concurrentMap<T: Sendable>(minimumChunk: Int = 4096, _ transform: (Element) -> T) -> [T] {
        [T](count: count, minimumChunk: minimumChunk) { transform(self[$0]) }
    }
}

extension Array {
    /// `(0..<count).map(element)` on every core, written in place: for arrays of millions of
    /// references, where joining chunks would copy (and count) each reference again.
    public init(count: Int, minimumChunk: Int = 65_536, concurrentlyFilling element: (Int) -> Element) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            let out = UncheckedSendable(buffer.baseAddress)
            Self.concurrentlyChunked(count, minimumChunk) { range in
                for i in range { (out.value! + i).initialize(to: element(i)) }
            }
            initialized = count
        }
    }

    /// Rewrites the elements in place a chunk of indices at a time on every core (a chunk may
    /// keep state of its own, such as a cache): for arrays of millions of findings, which a map
    /// would hold twice.
    public mutating func concurrentlyRewrite(minimumChunk: Int = 4096, _ rewrite: (Range<Int>, UnsafeMutableBufferPointer<Element>) -> Void) {
        let count = count
        withUnsafeMutableBufferPointer { buffer in
            let elements = UncheckedSendable(buffer)
            Self.concurrentlyChunked(count, minimumChunk) { rewrite($0, elements.value) }
        }
    }

    /// `body` for up to 64 chunks of `0..<count` on every core; one chunk, on this thread, when
    /// the count is below `minimumChunk` (starting threads would cost more than it saves).
    private static func concurrentlyChunked(_ count: Int, _ minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        let chunks = Swift.min((count + minimumChunk - 1) / minimumChunk, 64)
        guard chunks > 1 else { body(0..<count); return }
        let size = (count + chunks - 1) / chunks
        withoutActuallyEscaping(body) { body in
            let work = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in work.value((c * size)..<Swift.min(count, (c + 1) * size)) }
        }
    }
}

/// A closure handed to worker threads: callers of `concurrentMap` pass transforms that only
/// read shared state.
private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
