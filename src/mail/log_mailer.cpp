#include "mail/log_mailer.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "core/error.hpp"
#include "mail/blocking.hpp"

namespace parley::mail {
namespace {

AppError write_failure(const std::filesystem::path& file, std::string_view what, int error) {
  return AppError::unavailable("Email could not be sent; try again later.",
                               "mail log " + file.string() + ": " + std::string(what) + ": " + std::strerror(error));
}

// The mbox separator line, "From MAILER-DAEMON Tue Jan  2 03:04:05 2024" (asctime's layout, UTC).
std::string separator_line(std::chrono::system_clock::time_point time) {
  static constexpr std::array<std::string_view, 7> kDays{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "From MAILER-DAEMON %s %s %2d %02d:%02d:%02d %04d\n", kDays[utc.tm_wday].data(),
                kMonths[utc.tm_mon].data(), utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, utc.tm_year + 1900);
  return buffer;
}

// `message` (CRLF lines) as an mboxrd entry body: LF lines, ">*From " lines quoted with one more '>'.
std::string mboxrd_body(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 64);
  while (!message.empty()) {
    std::size_t end = message.find("\r\n");
    std::string_view line = message.substr(0, end);
    std::size_t quotes = line.find_first_not_of('>');
    if (quotes != std::string_view::npos && line.substr(quotes).starts_with("From ")) out += '>';
    out += line;
    out += '\n';
    if (end == std::string_view::npos) break;
    message.remove_prefix(end + 2);
  }
  return out;
}

}  // namespace

LogMailer::LogMailer(Options options) : file_(std::move(options.file)), from_(parse_from_address(options.from)) {
  if (file_.empty()) throw std::invalid_argument("the mail log file name is empty");
}

LogMailer::~LogMailer() {
  // Let queued and running writes finish: their coroutines reference this object.
  pool_.join();
}

boost::asio::awaitable<void> LogMailer::send(Email email) {
  validate_email(email);
  // A named local, not a temporary in the co_await expression (GCC 12; see blocking.hpp).
  auto job = [this, email = std::move(email)] { append_blocking(email); };
  co_await run_blocking(pool_, std::move(job));
}

void LogMailer::append_blocking(const Email& email) const {
  auto now = std::chrono::system_clock::now();
  std::string entry = separator_line(now);
  entry += mboxrd_body(render_message(
      email, from_, {.date = now, .message_id = make_message_id(from_), .encoding = BodyEncoding::eight_bit}));
  entry += '\n';

  if (file_.has_parent_path()) {
    std::error_code ec;
    std::filesystem::create_directories(file_.parent_path(), ec);
    if (ec) throw write_failure(file_, "create folder", ec.value());
  }
  int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) throw write_failure(file_, "open", errno);
  std::string_view rest = entry;
  while (!rest.empty()) {
    ssize_t written = ::write(fd, rest.data(), rest.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      throw write_failure(file_, "write", error);
    }
    rest.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::close(fd) != 0) throw write_failure(file_, "close", errno);
}

}  // namespace parley::mail
