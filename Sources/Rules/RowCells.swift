import Expressions
import PlanData

/// A table row's finding's details read from its cells alone, for the writers of reports of
/// millions of findings: the ref, the owner and the values it lists stay the cells' bytes (a
/// value's `CellValue` says what it is), and the message's holes that are one variable are
/// copied from their cells; only what its other holes read is made into values. What a writer
/// then gets is what `details` would give, byte for byte: a text cell's value is its text, a
/// date's is its cell, which is `YYYY-MM-DD` when it is one, and an empty cell's is null.
extension RowContext {
    /// For a rule whose plan reads `cells` and a row whose key is the text `ref`.
    func cellDetails(_ rule: Int, _ row: FlaggedRow, ref: UnsafeBufferPointer<UInt8>, into scratch: DetailsScratch) {
        let plan = plans.baseAddress! + rule
        let activation = scratch.activation(for: self)
        let previous = lastRead(scratch)
        let slots = fields.count
        activation.withValues { row.read(cells: UnsafeBufferPointer(plan.pointee.holes), slots: slots, into: &$0, after: previous) }
        scratch.lastPlan = (rule, holes: true)
        scratch.storedMessage.removeAll()
        let fields = fields
        plan.pointee.render.render(activation, into: &scratch.storedMessage) { slot, out in
            guard let value = row.cellValue(fields[slot]) else { return false }
            switch value {
            case .null: out.append("none")
            case .text(let text), .date(let text): out.append(text)
            }
            return true
        }
        let count = plan.pointee.valueFields.count
        scratch.reserveCells(count)
        for (i, field) in plan.pointee.valueFields.enumerated() { scratch.storedCells[i] = row.cellValue(field) ?? .null }
        scratch.storedCellCount = count
        scratch.storedNames = UnsafeBufferPointer(plan.pointee.valueNames)
        var owner = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
        if let field = self.owner, case .text(let text)? = row.cellValue(field) { owner = text }
        var hash = plan.pointee.fingerprint
        hash.add(ref)
        (scratch.storedRefCell, scratch.storedOwnerCell, scratch.storedHash) = (ref, owner, hash.number)
        (scratch.storedSourceKey, scratch.storedLine) = (ObjectIdentifier(self), row.line)
    }
}

extension DetailsScratch {
    /// Room for `count` cell values.
    func reserveCells(_ count: Int) {
        guard count > storedCellCapacity else { return }
        storedCells.deallocate()
        storedCells = .allocate(capacity: count)
        storedCellCapacity = count
    }
}
