#pragma once
// Splits a SQL script into statements for drivers that run one statement at a time.
#include <string_view>
#include <vector>

namespace parley::db {

// Returns the statements of `script` without their terminating ';' and surrounding whitespace;
// empty statements and comment-only tails are dropped. Semicolons inside '...' and "..." strings,
// -- and /* */ comments, PostgreSQL $tag$...$tag$ bodies, and SQLite CREATE TRIGGER ... BEGIN ...
// END bodies do not split. The views point into `script`.
std::vector<std::string_view> split_sql_script(std::string_view script);

}  // namespace parley::db
