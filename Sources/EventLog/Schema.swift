import GRDB

/// The log's tables, created and upgraded by GRDB's migrator.
enum Schema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY NOT NULL,
                    stream TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    type TEXT NOT NULL,
                    data TEXT NOT NULL,
                    correlation_id TEXT,
                    causation_id TEXT,
                    time_ms INTEGER NOT NULL,
                    UNIQUE (stream, version)
                );
                CREATE INDEX events_by_correlation ON events (correlation_id);
                CREATE TABLE commands (
                    command_id TEXT PRIMARY KEY NOT NULL,
                    reply TEXT NOT NULL,
                    time_ms INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE snapshots (
                    stream TEXT PRIMARY KEY NOT NULL,
                    version INTEGER NOT NULL,
                    seq INTEGER NOT NULL,
                    data TEXT NOT NULL
                ) WITHOUT ROWID;
                CREATE TABLE offsets (
                    consumer TEXT PRIMARY KEY NOT NULL,
                    position INTEGER NOT NULL
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2: no correlation index") { db in
            // Every commit wrote a page of this index; nothing on the hot path reads it.
            try db.execute(sql: "DROP INDEX IF EXISTS events_by_correlation")
        }
        migrator.registerMigration("v3: counters") { db in
            // Running totals of the read side, kept up to date at commit (never counted by scans).
            try db.execute(sql: """
                CREATE TABLE counters (
                    name TEXT PRIMARY KEY NOT NULL,
                    value INTEGER NOT NULL
                ) WITHOUT ROWID
                """)
        }
        migrator.registerMigration("v4: commands by time") { db in
            // Retention deletes the command records older than its window.
            try db.execute(sql: "CREATE INDEX commands_by_time ON commands (time_ms)")
        }
        migrator.registerMigration("v5: command body hashes") { db in
            // A command id reused with another body is refused, not answered as a retry.
            try db.execute(sql: "ALTER TABLE commands ADD COLUMN body_hash INTEGER")
        }
        migrator.registerMigration("v6: projection position") { db in
            // How far the read side has been written from the events (``EventLog/projected``).
            // A log from before it wrote its read side in every commit: projected to its head.
            try db.execute(sql: """
                CREATE TABLE projection (
                    name TEXT PRIMARY KEY NOT NULL,
                    seq INTEGER NOT NULL
                ) WITHOUT ROWID;
                INSERT INTO projection (name, seq) SELECT 'read_side', COALESCE(MAX(seq), 0) FROM events;
                """)
        }
        return migrator
    }
}
