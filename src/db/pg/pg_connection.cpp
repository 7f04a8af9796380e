#include "db/pg/pg_connection.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstdlib>
#include <optional>
#include <vector>

#include "db/errors.hpp"

namespace parley::db::pg {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Wait = asio::posix::descriptor_base::wait_type;

struct PgConnection::Pending {
  explicit Pending(StatementTimer t) : timer(std::move(t)) {}
  StatementTimer timer;  // from the call to the result (the pipeline's wait included)
  std::string_view sql;
  bool named = false;
  std::vector<std::optional<std::string>> values;
  bool awaiting_prepare = false;  // the next result belongs to this statement's Parse
  std::exception_ptr error;
  ResultSet result;
  Completion done;
};

namespace {

std::optional<std::string> to_text(const Value& value) {
  struct Visitor {
    std::optional<std::string> operator()(std::nullptr_t) const { return std::nullopt; }
    std::optional<std::string> operator()(std::int64_t v) const { return std::to_string(v); }
    std::optional<std::string> operator()(double v) const {
      char buf[32];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
      return std::string(buf, end);
    }
    std::optional<std::string> operator()(bool v) const { return std::string(v ? "true" : "false"); }
    std::optional<std::string> operator()(const std::string& v) const { return v; }
  };
  return std::visit(Visitor{}, value);
}

std::shared_ptr<PgConnection::Pending> make_pending(StatementObserver* observer, Query query, Params params) {
  auto op = std::make_shared<PgConnection::Pending>(StatementTimer(observer, query));
  op->sql = query.sql;
  op->named = !query.name.empty();
  op->values.reserve(params.size());
  for (const Value& v : params) op->values.push_back(to_text(v));
  return op;
}

ResultSet to_result_set(const PGresult* res) {
  ResultSet rs;
  const int fields = PQnfields(res);
  const int tuples = PQntuples(res);
  rs.columns->reserve(static_cast<std::size_t>(fields));
  for (int f = 0; f < fields; ++f) rs.columns->emplace_back(PQfname(res, f));
  rs.rows.reserve(static_cast<std::size_t>(tuples));
  for (int t = 0; t < tuples; ++t) {
    std::vector<std::optional<std::string>> cells;
    cells.reserve(static_cast<std::size_t>(fields));
    for (int f = 0; f < fields; ++f) {
      if (PQgetisnull(res, t, f)) {
        cells.emplace_back(std::nullopt);
      } else {
        cells.emplace_back(std::in_place, PQgetvalue(res, t, f), static_cast<std::size_t>(PQgetlength(res, t, f)));
      }
    }
    rs.rows.emplace_back(rs.columns.get(), std::move(cells));
  }
  const char* affected = PQcmdTuples(const_cast<PGresult*>(res));
  rs.affected_rows = (affected != nullptr && *affected != '\0') ? std::strtoll(affected, nullptr, 10) : 0;
  return rs;
}

std::exception_ptr map_error(const PGresult* res, PGconn* conn) {
  const char* sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  std::string message = PQresultErrorMessage(res);
  if (message.empty()) message = PQerrorMessage(conn);
  if (sqlstate == nullptr) {
    // No SQLSTATE: the failure happened in libpq (lost connection, protocol trouble).
    return std::make_exception_ptr(database_unavailable("libpq: " + message));
  }
  return std::make_exception_ptr(from_sqlstate(sqlstate, std::move(message)));
}

}  // namespace

PgConnection::PgConnection(asio::any_io_executor executor, PGconn* conn)
    : strand_(asio::make_strand(std::move(executor))),
      conn_(conn),
      socket_(strand_),
      last_used_(Clock::now().time_since_epoch().count()) {}

PgConnection::~PgConnection() {
  // libpq owns the descriptor: release it from Asio before PQfinish closes it.
  if (socket_.is_open()) socket_.release();
  PQfinish(conn_);
}

awaitable<std::shared_ptr<PgConnection>> PgConnection::connect(asio::any_io_executor executor, std::string url,
                                                               std::chrono::milliseconds connect_timeout,
                                                               std::chrono::milliseconds statement_timeout,
                                                               StartedCallback on_started) {
  // Keywords before "dbname" are defaults that the URL may override.
  const char* const keys[] = {"application_name", "keepalives_idle", "keepalives_interval", "keepalives_count",
                              "dbname", nullptr};
  const char* const values[] = {"parley", "30", "10", "3", url.c_str(), nullptr};
  PGconn* raw = PQconnectStartParams(keys, values, /*expand_dbname=*/1);
  if (raw == nullptr) throw database_unavailable("libpq: out of memory in PQconnectStartParams");
  auto self = std::make_shared<PgConnection>(executor, raw);
  // Server notices (and libpq's own messages) would go to stderr; the errors that matter reach the
  // caller as AppError instead.
  PQsetNoticeProcessor(raw, [](void*, const char*) {}, nullptr);
  if (PQstatus(raw) == CONNECTION_BAD) throw database_unavailable(std::string("connect: ") + PQerrorMessage(raw));
  if (on_started) on_started(self);
  co_await asio::co_spawn(self->strand_, self->finish_connect(connect_timeout), use_awaitable);
  std::vector<Value> params{std::to_string(statement_timeout.count())};
  co_await self->execute(Query{"", "SELECT set_config('statement_timeout', $1, false)"}, params);
  co_return self;
}

awaitable<void> PgConnection::finish_connect(std::chrono::milliseconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(strand_, timeout);
  PostgresPollingStatusType status = PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) {
      throw database_unavailable(std::string("connect: ") + PQerrorMessage(conn_));
    }
    // libpq may switch sockets while it tries the hosts/addresses of the URL: re-register each time.
    if (socket_.is_open()) socket_.release();
    const int fd = PQsocket(conn_);
    if (fd < 0) throw database_unavailable(std::string("connect: ") + PQerrorMessage(conn_));
    socket_.assign(fd);
    const Wait wait = status == PGRES_POLLING_READING ? Wait::wait_read : Wait::wait_write;
    auto which = co_await (socket_.async_wait(wait, use_awaitable) || deadline.async_wait(use_awaitable));
    if (broken_) throw database_unavailable("connect: closed while connecting");  // close() meanwhile
    if (which.index() == 1) throw database_unavailable("connect: timed out after " + std::to_string(timeout.count()) + " ms");
    status = PQconnectPoll(conn_);
  }
  if (PQsetnonblocking(conn_, 1) != 0 || PQenterPipelineMode(conn_) != 1) {
    throw database_unavailable(std::string("connect: cannot enter pipeline mode: ") + PQerrorMessage(conn_));
  }
  backend_pid_ = PQbackendPID(conn_);
  // The launcher owns the connection for the loop and drops what is pending when it goes, also
  // when the io_context shuts down before the loop ever started (read_loop's own guard then never
  // ran): a statement queued meanwhile (connect()'s set_config) would otherwise keep the
  // connection, its completion and the coroutine awaiting it alive in a cycle (a leak).
  struct LoopOwner {
    std::shared_ptr<PgConnection> self;
    explicit LoopOwner(std::shared_ptr<PgConnection> conn) : self(std::move(conn)) {}
    LoopOwner(LoopOwner&& other) noexcept = default;
    LoopOwner(const LoopOwner&) = delete;
    ~LoopOwner() {
      if (self) self->drop_pending();
    }
  };
  asio::co_spawn(strand_, [owner = LoopOwner(shared_from_this())] { return owner.self->read_loop(); }, asio::detached);
}

// Not a coroutine: parameters are converted now, while the caller's span is valid, and the
// returned awaitable owns everything. (Also avoids GCC 12 destroying lambda captures of an
// initiation inside a co_await expression twice.)
awaitable<ResultSet> PgConnection::execute(Query query, Params params) {
  return asio::async_initiate<decltype(use_awaitable), void(std::exception_ptr, ResultSet)>(
      [self = shared_from_this(), op = make_pending(observer_, query, params)](auto handler) {
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        op->done = [executor, shared](std::exception_ptr error, ResultSet rs) {
          asio::post(executor, [shared, error, rs = std::move(rs)]() mutable { (*shared)(error, std::move(rs)); });
        };
        asio::dispatch(self->strand_, [self, op] { self->start(op); });
      },
      use_awaitable);
}

awaitable<std::vector<ResultSet>> PgConnection::execute_all(std::span<const Statement> batch) {
  std::vector<std::shared_ptr<Pending>> ops;
  ops.reserve(batch.size());
  for (const Statement& statement : batch) ops.push_back(make_pending(observer_, statement.query, statement.params));
  return asio::async_initiate<decltype(use_awaitable), void(std::exception_ptr, std::vector<ResultSet>)>(
      [self = shared_from_this(), ops = std::move(ops)](auto handler) mutable {
        // Completions run on the strand, one at a time, so the gathering needs no lock.
        struct Gathered {
          std::vector<ResultSet> results;
          std::exception_ptr error;
          std::size_t remaining = 0;
        };
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto gathered = std::make_shared<Gathered>();
        gathered->results.resize(ops.size());
        gathered->remaining = ops.size();
        for (std::size_t i = 0; i < ops.size(); ++i) {
          ops[i]->done = [executor, shared, gathered, i](std::exception_ptr error, ResultSet rs) {
            if (error && !gathered->error) gathered->error = error;
            gathered->results[i] = std::move(rs);
            if (--gathered->remaining > 0) return;
            asio::post(executor, [shared, gathered] { (*shared)(gathered->error, std::move(gathered->results)); });
          };
        }
        asio::dispatch(self->strand_, [self, ops = std::move(ops)] {
          for (const auto& op : ops) self->start(op);
        });
      },
      use_awaitable);
}

void PgConnection::execute_async(Query query, Params params, Completion done) {
  auto op = make_pending(observer_, query, params);
  op->done = std::move(done);
  asio::dispatch(strand_, [self = shared_from_this(), op] { self->start(op); });
}

void PgConnection::set_notify_callback(NotifyCallback callback) {
  asio::dispatch(strand_, [self = shared_from_this(), callback = std::move(callback)]() mutable {
    self->on_notify_ = std::move(callback);
  });
}

void PgConnection::close() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    self->fail_all("connection closed by the pool");
  });
}

awaitable<void> PgConnection::drained() {
  // A strand runs its handlers in order: hopping onto it and back means the close queued before
  // has run. The hop back resumes the caller on its own executor.
  auto self = shared_from_this();  // alive across the hops
  auto back = co_await asio::this_coro::executor;
  co_await asio::post(strand_, use_awaitable);
  co_await asio::post(back, use_awaitable);
}

void PgConnection::start(std::shared_ptr<Pending> op) {
  if (broken_) {
    op->done(std::make_exception_ptr(database_unavailable("connection is closed")), {});
    return;
  }
  std::vector<const char*> values;
  values.reserve(op->values.size());
  for (const auto& v : op->values) values.push_back(v ? v->c_str() : nullptr);
  const int count = static_cast<int>(values.size());
  bool sent;
  if (op->named) {
    auto it = prepared_.find(op->sql);
    if (it == prepared_.end()) {
      std::string name = "parley_" + std::to_string(prepared_.size() + 1);
      if (PQsendPrepare(conn_, name.c_str(), std::string(op->sql).c_str(), count, nullptr) == 0) {
        fail_all(std::string("send: ") + PQerrorMessage(conn_));
        op->done(std::make_exception_ptr(database_unavailable("connection lost")), {});
        return;
      }
      it = prepared_.emplace(op->sql, std::move(name)).first;
      op->awaiting_prepare = true;
      prepared_count_ = prepared_.size();
    }
    sent = PQsendQueryPrepared(conn_, it->second.c_str(), count, values.data(), nullptr, nullptr, 0) != 0;
  } else {
    sent = PQsendQueryParams(conn_, std::string(op->sql).c_str(), count, nullptr, values.data(), nullptr, nullptr,
                             0) != 0;
  }
  // A sync point after every statement: its own implicit transaction outside BEGIN, and an error
  // aborts only this statement, not the others queued behind it.
  const bool synced = sent && PQpipelineSync(conn_) != 0;
  pending_.push_back(std::move(op));
  const std::size_t now_in_flight = ++in_flight_;
  std::size_t seen = max_in_flight_.load();
  while (now_in_flight > seen && !max_in_flight_.compare_exchange_weak(seen, now_in_flight)) {
  }
  if (!synced) {
    // Sends fail only when the connection is unusable; the pipeline is then out of step anyway.
    fail_all(std::string("send: ") + PQerrorMessage(conn_));
    return;
  }
  flush();
}

void PgConnection::flush() {
  if (writing_ || broken_) return;
  const int rc = PQflush(conn_);
  if (rc < 0) {
    fail_all(std::string("flush: ") + PQerrorMessage(conn_));
  } else if (rc == 1) {
    writing_ = true;
    asio::co_spawn(strand_, [self = shared_from_this()] { return self->write_loop(); }, asio::detached);
  }
}

awaitable<void> PgConnection::write_loop() {
  // Reads continue meanwhile in read_loop, so the server never blocks on a full output buffer.
  while (!broken_) {
    boost::system::error_code ec;
    co_await socket_.async_wait(Wait::wait_write, asio::redirect_error(use_awaitable, ec));
    if (ec || broken_) break;
    const int rc = PQflush(conn_);
    if (rc < 0) fail_all(std::string("flush: ") + PQerrorMessage(conn_));
    if (rc != 1) break;
  }
  writing_ = false;
}

awaitable<void> PgConnection::read_loop() {
  // Runs for the connection's life, also when idle, so a server restart is noticed at once and
  // NOTIFY messages are delivered without a query.
  //
  // When the io_context shuts down with this loop suspended, the frame is destroyed instead of
  // resumed. Whatever is still pending is then dropped without completing it (no handler may run
  // any more): a pending statement's completion can own this connection (a transaction's rollback
  // does), and left in pending_ it would keep the connection, and itself, alive forever.
  struct DropPendingOnExit {
    PgConnection& self;
    ~DropPendingOnExit() { self.drop_pending(); }
  } drop_pending_on_exit{*this};
  while (!broken_) {
    boost::system::error_code ec;
    co_await socket_.async_wait(Wait::wait_read, asio::redirect_error(use_awaitable, ec));
    if (broken_) break;
    if (ec) {
      fail_all("wait: " + ec.message());
      break;
    }
    if (PQconsumeInput(conn_) == 0) {
      fail_all(std::string("read: ") + PQerrorMessage(conn_));
      break;
    }
    drain_results();
    drain_notifies();
    if (!broken_ && PQstatus(conn_) == CONNECTION_BAD) fail_all(std::string("read: ") + PQerrorMessage(conn_));
  }
}

void PgConnection::drop_pending() {
  broken_ = true;  // a statement started from now on fails at once instead of waiting forever
  std::deque<std::shared_ptr<Pending>> dropped;
  dropped.swap(pending_);
}

void PgConnection::drain_results() {
  int consecutive_nulls = 0;
  while (!pending_.empty() && !broken_ && PQisBusy(conn_) == 0) {
    PGresult* res = PQgetResult(conn_);
    if (res == nullptr) {
      // NULL ends one statement's results; two in a row means libpq has nothing more for now.
      if (++consecutive_nulls > 1) break;
      continue;
    }
    consecutive_nulls = 0;
    Pending& op = *pending_.front();
    switch (PQresultStatus(res)) {
      case PGRES_PIPELINE_SYNC: {
        auto done = std::move(pending_.front());
        pending_.pop_front();
        finish(std::move(done));
        break;
      }
      case PGRES_TUPLES_OK:
      case PGRES_COMMAND_OK:
      case PGRES_EMPTY_QUERY:
        if (op.awaiting_prepare) {
          op.awaiting_prepare = false;
        } else if (!op.error) {
          op.result = to_result_set(res);
        }
        break;
      case PGRES_PIPELINE_ABORTED:
        if (!op.error) op.error = std::make_exception_ptr(AppError::internal("pipeline aborted"));
        break;
      default:
        if (op.awaiting_prepare) {
          // The statement never got prepared: forget it so the next use prepares again.
          prepared_.erase(op.sql);
          prepared_count_ = prepared_.size();
          op.awaiting_prepare = false;
        }
        if (!op.error) op.error = map_error(res, conn_);
        break;
    }
    PQclear(res);
  }
}

void PgConnection::drain_notifies() {
  while (PGnotify* note = PQnotifies(conn_)) {
    if (on_notify_) on_notify_(note->relname, note->extra != nullptr ? note->extra : "");
    PQfreemem(note);
  }
}

void PgConnection::finish(std::shared_ptr<Pending> op) {
  --in_flight_;
  if (!broken_) transaction_failed_ = PQtransactionStatus(conn_) == PQTRANS_INERROR;
  last_used_ = Clock::now().time_since_epoch().count();
  op->timer.finished(op->error != nullptr);
  op->done(op->error, std::move(op->result));
}

void PgConnection::fail_all(const std::string& reason) {
  broken_ = true;
  auto error = std::make_exception_ptr(database_unavailable(reason));
  while (!pending_.empty()) {
    auto op = std::move(pending_.front());
    pending_.pop_front();
    if (!op->error) op->error = error;
    op->result = {};
    finish(std::move(op));
  }
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

}  // namespace parley::db::pg
