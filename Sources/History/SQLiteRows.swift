import GRDB
import GRDBSQLite

// A national run writes and reads millions of rows. Through GRDB each row became a `Row` (or its
// arguments a boxed array) and cost more than SQLite's own work, so these loops use SQLite's C
// API on statements GRDB prepares (GRDB still owns the connection, transactions and migrations).

/// A statement run once per row: bind its columns, then `step`.
struct RowWriter {
    let db: Database
    /// Kept: GRDB finalizes the SQLite statement when this goes.
    let statement: Statement
    var raw: SQLiteStatement { statement.sqliteStatement }

    init(_ db: Database, _ sql: String) throws {
        self.db = db
        statement = try db.makeStatement(sql: sql)
    }

    func bind(_ column: Int32, _ number: Int64) { sqlite3_bind_int64(raw, column, number) }

    /// Text (nil: NULL), which SQLite copies.
    func bind(_ column: Int32, _ text: String?) {
        guard var text else { sqlite3_bind_null(raw, column); return }
        // SQLITE_TRANSIENT is a C macro Swift does not import.
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        text.withUTF8 { bytes in
            // An empty buffer may have no address, which SQLite would take for NULL.
            _ = bytes.isEmpty ? sqlite3_bind_text(raw, column, "", 0, transient)
                : sqlite3_bind_text(raw, column, bytes.baseAddress, Int32(bytes.count), transient)
        }
    }

    /// Runs the statement with the columns bound, ready for the next row.
    func step() throws {
        let code = sqlite3_step(raw)
        sqlite3_reset(raw)
        guard code == SQLITE_DONE else { throw db.error(code) }
    }
}

extension Database {
    /// Each row of a query with one integer argument (a run id); `body` reads its columns.
    func eachRow(_ sql: String, _ argument: Int64, _ body: (SQLiteRow) throws -> Void) throws {
        let statement = try makeStatement(sql: sql)
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        sqlite3_bind_int64(raw, 1, argument)
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw error(code) }
            try body(SQLiteRow(raw: raw))
        }
    }

    func error(_ code: Int32) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqliteConnection)))
    }
}

/// The current row of a query, valid until the next step.
struct SQLiteRow {
    let raw: SQLiteStatement

    /// A text column's bytes; nil for NULL.
    func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard sqlite3_column_type(raw, column) != SQLITE_NULL, let bytes = sqlite3_column_text(raw, column) else { return nil }
        return UnsafeBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(raw, column)))
    }

    func text(_ column: Int32) -> String? { bytes(column).map { String(decoding: $0, as: UTF8.self) } }

    /// An integer column; nil for NULL.
    func int(_ column: Int32) -> Int64? {
        sqlite3_column_type(raw, column) == SQLITE_NULL ? nil : sqlite3_column_int64(raw, column)
    }
}
