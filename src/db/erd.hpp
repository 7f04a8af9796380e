#pragma once
// Entity-relationship diagram of the live schema, as Markdown with a Mermaid erDiagram block.
// `parley erd` prints it; docs/erd.md is its output against the SQLite schema.
#include <boost/asio/awaitable.hpp>
#include <string>

#include "db/database.hpp"

namespace parley::db {

// Reads the catalog of `db` (SQLite: pragma_table_list, pragma_table_info, pragma_foreign_key_list;
// PostgreSQL: pg_class for the table list without partitions, information_schema for columns and
// keys) and renders every table with its columns (PK/FK marked, nullable columns commented "null")
// and one relationship per foreign key: `||` on the referenced side, `o{` on the referencing side
// (`o|` when the key column is the whole primary key, i.e. one-to-one), `|o` instead of `||` when
// the key column is nullable. Tables and columns come out in a stable order (tables by name,
// columns by position), so the output only changes when the schema does.
boost::asio::awaitable<std::string> render_erd(Database& db);

}  // namespace parley::db
