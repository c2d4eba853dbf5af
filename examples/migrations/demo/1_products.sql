-- The demo's one table.
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name VARCHAR(64) NOT NULL,
    price DOUBLE PRECISION,
    tags JSON,
    added TIMESTAMP
);
