import Foundation

/// Values by a byte string (a cell's text), for lookups made once per finding of a national
/// run. A `Dictionary` keyed by `String` would first need a String made from the cell, then
/// hash it with seeded SipHash: together several times the cost of FNV-1a over the bytes
/// and a probe of this table, whose entries are plain numbers (no reference counting).
struct BytesTable<Value> {
    private struct Entry {
        var hash: UInt64
        var start: Int32, count: Int32
        /// Index into `values`, or -1 for an empty slot.
        var value: Int32
    }

    private var slots = [Entry](repeating: Entry(hash: 0, start: 0, count: 0, value: -1), count: 16)
    private var keys: [UInt8] = []
    private var values: [Value] = []

    subscript(key: UnsafeBufferPointer<UInt8>) -> Value? {
        get {
            let hash = Self.hash(key)
            let found = slot(of: key, hash)
            return found.value >= 0 ? values[Int(found.value)] : nil
        }
        set {
            guard let newValue else { preconditionFailure("entries are never removed") }
            let hash = Self.hash(key)
            let found = slot(of: key, hash)
            if found.value >= 0 { values[Int(found.value)] = newValue; return }
            slots[found.index] = Entry(hash: hash, start: Int32(keys.count), count: Int32(key.count), value: Int32(values.count))
            keys.append(contentsOf: key)
            values.append(newValue)
            if values.count * 2 > slots.count { grow() }
        }
    }

    /// The slot holding `key`, or the empty slot where it would go.
    private func slot(of key: UnsafeBufferPointer<UInt8>, _ hash: UInt64) -> (index: Int, value: Int32) {
        slots.withUnsafeBufferPointer { slots in
            keys.withUnsafeBufferPointer { keys in
                let mask = slots.count - 1
                var i = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let e = slots[i]
                    if e.value < 0 { return (i, -1) }
                    if e.hash == hash, Int(e.count) == key.count,
                       key.isEmpty || memcmp(keys.baseAddress! + Int(e.start), key.baseAddress!, key.count) == 0 {
                        return (i, e.value)
                    }
                    i = (i + 1) & mask
                }
            }
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [Entry](repeating: Entry(hash: 0, start: 0, count: 0, value: -1), count: old.count * 2)
        let mask = slots.count - 1
        for e in old where e.value >= 0 {
            var i = Int(truncatingIfNeeded: e.hash) & mask
            while slots[i].value >= 0 { i = (i + 1) & mask }
            slots[i] = e
        }
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var stream = Fingerprint.Stream()
        stream.add(bytes)
        // FNV's low bits mix poorly for short keys: fold the high half in before masking.
        return stream.number ^ (stream.number >> 29)
    }
}
