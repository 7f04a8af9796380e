#pragma once
// Test-only: a private PostgreSQL database per test, so test processes that ctest runs in parallel
// against the same server never see each other's rows or schema. Header-only.
//
//   auto admin = PgTestDatabase::admin_url_from_env();        // PARLEY_TEST_PG_URL, or nullopt
//   if (!admin) GTEST_SKIP() << "PARLEY_TEST_PG_URL is unset";
//   PgTestDatabase scratch(*admin);                           // CREATE DATABASE parley_t_<hex>
//   auto db = pg::make_postgres(io, pg::PgConfig{.url = scratch.url()});
//   ... migrate, test ...
//   db->close();                                              // then ~PgTestDatabase drops it
//
// Creating and dropping use short blocking libpq connections to the admin URL's database (not
// the Asio pool): they run once per test, outside any io_context. The drop uses WITH (FORCE), so
// connections a test leaves open do not keep the database alive.
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley::db::testing {

class PgTestDatabase {
 public:
  // The server to create test databases on: $PARLEY_TEST_PG_URL, nullopt when unset or empty.
  static std::optional<std::string> admin_url_from_env() {
    const char* url = std::getenv("PARLEY_TEST_PG_URL");
    if (url == nullptr || *url == '\0') return std::nullopt;
    return std::string(url);
  }

  // Creates an empty database "parley_t_<16 hex digits>" on the server of `admin_url` (a libpq
  // URI). Throws std::runtime_error when the server refuses.
  explicit PgTestDatabase(std::string admin_url) : admin_url_(std::move(admin_url)) {
    std::random_device rd;
    std::uint64_t bits = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    static constexpr char kHex[] = "0123456789abcdef";
    name_ = "parley_t_";
    for (int i = 0; i < 16; ++i) name_.push_back(kHex[(bits >> (4 * i)) & 0xf]);
    url_ = with_database(admin_url_, name_);
    run_admin("CREATE DATABASE " + name_);
  }

  ~PgTestDatabase() {
    try {
      run_admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
      // A failed drop leaves a stray database on a throwaway test server; never throw here.
    }
  }

  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  // A libpq URI for the new database (the admin URI with its database name replaced).
  const std::string& url() const noexcept { return url_; }
  const std::string& name() const noexcept { return name_; }

  // `url` with its path (the database name) replaced by `database`; query parameters are kept.
  // Works for postgresql://user@host:port/db and postgresql://user@/db?host=/socket/dir forms.
  static std::string with_database(std::string_view url, std::string_view database) {
    std::size_t scheme = url.find("://");
    std::size_t authority = scheme == std::string_view::npos ? 0 : scheme + 3;
    std::size_t query = url.find('?', authority);
    std::string_view head = url.substr(0, query);
    std::string_view tail = query == std::string_view::npos ? std::string_view{} : url.substr(query);
    std::size_t slash = head.find('/', authority);
    std::string out(slash == std::string_view::npos ? head : head.substr(0, slash));
    out.push_back('/');
    out.append(database);
    out.append(tail);
    return out;
  }

 private:
  void run_admin(const std::string& sql) const {
    std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(admin_url_.c_str()), &PQfinish);
    if (PQstatus(conn.get()) != CONNECTION_OK) {
      throw std::runtime_error("PgTestDatabase: connect: " + std::string(PQerrorMessage(conn.get())));
    }
    std::unique_ptr<PGresult, decltype(&PQclear)> res(PQexec(conn.get(), sql.c_str()), &PQclear);
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
      throw std::runtime_error("PgTestDatabase: " + sql + ": " + PQerrorMessage(conn.get()));
    }
  }

  std::string admin_url_;
  std::string name_;
  std::string url_;
};

}  // namespace parley::db::testing
