//! Dead letters: work past its retry budget, kept for an operator to list and replay (in key
//! order, like the DynamoDB query).

use rusqlite::{params, Connection};

use bridge_core::ports::store::DeadLetter;

use super::{from_json, to_json, Fail};

pub(super) fn put(conn: &Connection, account: &str, letter: &DeadLetter) -> Result<(), Fail> {
    conn.prepare_cached(
        "INSERT INTO dead_letters (account, key, letter, failed_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (account, key) DO UPDATE SET letter = excluded.letter, failed_at = excluded.failed_at",
    )?
    .execute(params![account, letter.key, to_json(letter)?, letter.failed_at])?;
    Ok(())
}

pub(super) fn list(conn: &Connection, account: &str) -> Result<Vec<DeadLetter>, Fail> {
    let mut stmt = conn.prepare_cached("SELECT letter FROM dead_letters WHERE account = ?1 ORDER BY key")?;
    let rows = stmt.query_map([account], |r| r.get::<_, String>(0))?;
    rows.map(|json| from_json(&json?, "dead letter")).collect()
}

pub(super) fn remove(conn: &Connection, account: &str, key: &str) -> Result<(), Fail> {
    conn.prepare_cached("DELETE FROM dead_letters WHERE account = ?1 AND key = ?2")?.execute(params![account, key])?;
    Ok(())
}
