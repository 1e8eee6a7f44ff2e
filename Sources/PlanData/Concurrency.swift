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
    /// `map` on every core, in order: for the stages that touch each of millions of findings.
    public func concurrentMap<T: Sendable>(minimumChunk: Int = 4096, _ transform: (Element) -> T) -> [T] {
        concurrentMapChunks(minimumChunk: minimumChunk) { $0.map(transform) }
    }

    /// Maps the array a chunk at a time on every core (each chunk may keep state of its own, such
    /// as a cache) and joins the chunks' results in order. Small arrays are one chunk, mapped in
    /// place, where starting threads would cost more than it saves.
    public func concurrentMapChunks<T: Sendable>(minimumChunk: Int = 4096, _ transform: (ArraySlice<Element>) -> [T]) -> [T] {
        let chunks = Swift.min((count + minimumChunk - 1) / minimumChunk, 64)
        guard chunks > 1 else { return transform(self[...]) }
        let results = WorkerResults<[T]>(count: chunks)
        let size = (count + chunks - 1) / chunks
        withoutActuallyEscaping(transform) { transform in
            let work = UncheckedSendable(transform)
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                results.set(c, work.value(self[(c * size)..<Swift.min(count, (c + 1) * size)]))
            }
        }
        return [T](results.all.joined())
    }
}

extension Array {
    /// `(0..<count).map(element)` on every core, written in place: for arrays of millions of
    /// references, where joining chunks would copy (and count) each reference again.
    public init(count: Int, concurrentlyFilling element: (Int) -> Element) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            let chunks = Swift.min((count + 65_535) / 65_536, 64)
            let out = UncheckedSendable(buffer.baseAddress)
            withoutActuallyEscaping(element) { element in
                let make = UncheckedSendable(element)
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let size = (count + chunks - 1) / chunks
                    for i in (c * size)..<Swift.min(count, (c + 1) * size) { (out.value! + i).initialize(to: make.value(i)) }
                }
            }
            initialized = count
        }
    }
}

/// A closure handed to worker threads: callers of `concurrentMap` pass transforms that only
/// read shared state.
private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
