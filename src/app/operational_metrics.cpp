#include "app/operational_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#ifndef PARLEY_REVISION
#define PARLEY_REVISION "unknown"
#endif

namespace parley {
namespace {

// Fields of /proc/self/stat after the command name (which may hold spaces, in parentheses):
// field 14/15 utime/stime in clock ticks, 20 num_threads, 22 starttime in ticks since boot.
struct ProcStat {
  double cpu_seconds = 0;
  double threads = 0;
};

ProcStat read_proc_stat() {
  std::ifstream in("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream fields(text.substr(close + 2));  // from field 3 (state)
  std::string field;
  ProcStat stat;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  for (int n = 3; fields >> field; ++n) {
    if (n == 14 || n == 15) stat.cpu_seconds += std::stod(field) / ticks;
    if (n == 20) {
      stat.threads = std::stod(field);
      break;
    }
  }
  return stat;
}

double resident_bytes() {
  std::ifstream in("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  in >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

double open_fds() {
  std::error_code ec;
  double count = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    ++count;
  }
  return count;
}

}  // namespace

OperationalMetrics::OperationalMetrics(prometheus::Registry& registry, const db::Database* database)
    : database_(database),
      ready_(prometheus::BuildGauge()
                 .Name("parley_ready")
                 .Help("1 when /readyz would answer 200 (every required dependency reachable), else 0")
                 .Register(registry)
                 .Add({})),
      resident_memory_(prometheus::BuildGauge()
                           .Name("process_resident_memory_bytes")
                           .Help("Resident memory size in bytes")
                           .Register(registry)
                           .Add({})),
      open_fds_(prometheus::BuildGauge()
                    .Name("process_open_fds")
                    .Help("Number of open file descriptors")
                    .Register(registry)
                    .Add({})),
      max_fds_(prometheus::BuildGauge()
                   .Name("process_max_fds")
                   .Help("Maximum number of open file descriptors")
                   .Register(registry)
                   .Add({})),
      threads_(prometheus::BuildGauge().Name("process_threads").Help("Number of OS threads").Register(registry).Add({})),
      cpu_seconds_(prometheus::BuildCounter()
                       .Name("process_cpu_seconds_total")
                       .Help("Total user and system CPU time spent in seconds")
                       .Register(registry)
                       .Add({})),
      pool_connections_(prometheus::BuildGauge()
                            .Name("parley_db_pool_connections")
                            .Help("Database connections by pool and state (in_use: held by a transaction; idle)")
                            .Register(registry)),
      pool_max_(prometheus::BuildGauge()
                    .Name("parley_db_pool_max_connections")
                    .Help("The most connections a database pool opens")
                    .Register(registry)),
      pool_waiting_(prometheus::BuildGauge()
                        .Name("parley_db_pool_waiting")
                        .Help("Requests waiting for a database connection")
                        .Register(registry)),
      transactions_(prometheus::BuildCounter()
                        .Name("parley_db_transactions_total")
                        .Help("Database transactions by how they ended (a failed commit counts as rolled back)")
                        .Register(registry)),
      committed_(transactions_.Add({{"outcome", "committed"}})),
      rolled_back_(transactions_.Add({{"outcome", "rolled_back"}})),
      retries_(prometheus::BuildCounter()
                   .Name("parley_db_retries_total")
                   .Help("Transactions run again after a serialization failure or a deadlock")
                   .Register(registry)
                   .Add({})),
      ws_open_(prometheus::BuildGauge()
                   .Name("parley_ws_open_sockets")
                   .Help("Real-time WebSockets open (attached to this process's hub)")
                   .Register(registry)
                   .Add({})),
      ws_overflows_(prometheus::BuildCounter()
                        .Name("parley_ws_queue_overflows_total")
                        .Help("Real-time sockets closed with 4008: their outgoing queue (or replay hold) overflowed")
                        .Register(registry)
                        .Add({})),
      ws_refused_frames_(prometheus::BuildCounter()
                             .Name("parley_ws_refused_frames_total")
                             .Help("Real-time sockets closed for a malformed or refused client frame")
                             .Register(registry)
                             .Add({})),
      ws_frames_(prometheus::BuildCounter()
                     .Name("parley_ws_frames_total")
                     .Help("Real-time WebSocket frames: in from clients, out queued to them")
                     .Register(registry)),
      ws_frames_in_(ws_frames_.Add({{"direction", "in"}})),
      ws_frames_out_(ws_frames_.Add({{"direction", "out"}})),
      ws_deliveries_(prometheus::BuildCounter()
                         .Name("parley_ws_deliveries_total")
                         .Help("Events queued to real-time sockets, live or replayed on resume")
                         .Register(registry)
                         .Add({})),
      ws_delivery_latency_family_(
          prometheus::BuildHistogram()
              .Name("parley_ws_delivery_latency_seconds")
              .Help("From an event's write (database clock) to its frame queued on every local recipient socket, "
                    "per event delivered live")
              .Register(registry)),
      typing_dropped_(prometheus::BuildCounter()
                          .Name("parley_realtime_typing_dropped_total")
                          .Help("Typing indicators dropped (over the rate limit, or not a member)")
                          .Register(registry)
                          .Add({})) {
  prometheus::BuildGauge()
      .Name("parley_build_info")
      .Help("Always 1: the version and revision of this build")
      .Register(registry)
      .Add({{"version", PARLEY_VERSION}, {"revision", PARLEY_REVISION}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("parley_process_start_time_seconds")
      .Help("When this process started, in seconds since the Unix epoch")
      .Register(registry)
      .Add({})
      .Set(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) max_fds_.Set(static_cast<double>(limit.rlim_cur));
}

void OperationalMetrics::watch(const realtime::Realtime& realtime) {
  std::lock_guard lock(mutex_);
  realtime_ = &realtime;
  const auto& latency = realtime.hub().delivery_latency();
  ws_delivery_latency_ = &ws_delivery_latency_family_.Add({}, latency.bounds());
  ws_delivery_latency_seen_ = latency.snapshot();
}

void OperationalMetrics::advance(prometheus::Counter& counter, double total, double& seen) {
  if (total > seen) {
    counter.Increment(total - seen);
    seen = total;
  }
}

void OperationalMetrics::update(bool ready) {
  std::lock_guard lock(mutex_);
  ready_.Set(ready ? 1 : 0);
  const auto stat = read_proc_stat();
  advance(cpu_seconds_, stat.cpu_seconds, cpu_seconds_seen_);
  threads_.Set(stat.threads);
  resident_memory_.Set(resident_bytes());
  open_fds_.Set(open_fds());
  if (realtime_ != nullptr) {
    const auto& counters = realtime_->counters();
    ws_open_.Set(static_cast<double>(counters.open_sockets.load()));
    advance(ws_overflows_, static_cast<double>(counters.slow_consumers.load()), ws_overflows_seen_);
    advance(ws_refused_frames_, static_cast<double>(counters.refused_frames.load()), ws_refused_seen_);
    advance(typing_dropped_, static_cast<double>(counters.typing_dropped.load()), typing_dropped_seen_);
    advance(ws_frames_in_, static_cast<double>(counters.frames_in.load()), ws_frames_in_seen_);
    advance(ws_frames_out_, static_cast<double>(counters.frames_out.load()), ws_frames_out_seen_);
    advance(ws_deliveries_, static_cast<double>(counters.deliveries.load()), ws_deliveries_seen_);
    // The histogram grows by what the hub observed since the previous scrape.
    auto latency = realtime_->hub().delivery_latency().snapshot();
    std::vector<double> increments(latency.counts.size());
    for (std::size_t i = 0; i < latency.counts.size(); ++i)
      increments[i] = static_cast<double>(latency.counts[i] - ws_delivery_latency_seen_.counts[i]);
    ws_delivery_latency_->ObserveMultiple(increments,
                                          static_cast<double>(latency.sum_us - ws_delivery_latency_seen_.sum_us) / 1e6);
    ws_delivery_latency_seen_ = std::move(latency);
  }
  if (database_ == nullptr) return;
  const auto& transactions = database_->transaction_counters();
  advance(committed_, static_cast<double>(transactions.committed.load()), committed_seen_);
  advance(rolled_back_, static_cast<double>(transactions.rolled_back.load()), rolled_back_seen_);
  advance(retries_, static_cast<double>(transactions.retries.load()), retries_seen_);
  for (const auto& pool : database_->pool_stats()) {
    pool_connections_.Add({{"pool", pool.pool}, {"state", "in_use"}}).Set(static_cast<double>(pool.in_use));
    pool_connections_.Add({{"pool", pool.pool}, {"state", "idle"}}).Set(static_cast<double>(pool.idle));
    pool_max_.Add({{"pool", pool.pool}}).Set(static_cast<double>(pool.max));
    pool_waiting_.Add({{"pool", pool.pool}}).Set(static_cast<double>(pool.waiting));
  }
}

}  // namespace parley
