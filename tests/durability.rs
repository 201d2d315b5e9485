//! Step 4: durable intake, order, retries and dead letters (filled below).
