/// Values by object identity, for what a report writer caches per finding kind or escalation
/// level and looks up for each of millions of findings: the address is its own hash (objects
/// are 16-byte aligned), where a `Dictionary` would hash it with seeded SipHash first.
struct IdentityTable<Value> {
    /// Per slot: the object's address (0: empty) and its value's index in `values`.
    private var keys = [UInt](repeating: 0, count: 16)
    private var indexes = [Int32](repeating: 0, count: 16)
    private var values: [Value] = []

    subscript(id: ObjectIdentifier) -> Value? {
        get {
            let i = slot(of: UInt(bitPattern: id))
            return keys[i] == 0 ? nil : values[Int(indexes[i])]
        }
        set {
            guard let newValue else { preconditionFailure("entries are never removed") }
            let key = UInt(bitPattern: id), i = slot(of: key)
            if keys[i] != 0 { values[Int(indexes[i])] = newValue; return }
            (keys[i], indexes[i]) = (key, Int32(values.count))
            values.append(newValue)
            if values.count * 2 > keys.count { grow() }
        }
    }

    private func slot(of key: UInt) -> Int {
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: (key >> 4) &* 0x9E37_79B9_7F4A_7C15 >> 40) & mask
        while keys[i] != 0, keys[i] != key { i = (i + 1) & mask }
        return i
    }

    private mutating func grow() {
        let (oldKeys, oldIndexes) = (keys, indexes)
        keys = [UInt](repeating: 0, count: oldKeys.count * 2)
        indexes = [Int32](repeating: 0, count: oldKeys.count * 2)
        for (key, index) in zip(oldKeys, oldIndexes) where key != 0 {
            let i = slot(of: key)
            (keys[i], indexes[i]) = (key, index)
        }
    }
}
