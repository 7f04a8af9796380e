#include "amqp/engine.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "amqp/session.hpp"

namespace parley::amqp::detail {
namespace {

// Frames handled per pass before the jobs get their turn again.
constexpr int kFramesPerPass = 64;

int make_eventfd() {
  const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  return fd;
}

std::exception_ptr closed_error() {
  return std::make_exception_ptr(Error(ErrorKind::closed, "the connection was closed"));
}

}  // namespace

Engine::Engine(ConnectionConfig config) : config_(std::move(config)), wake_fd_(make_eventfd()) {}

Engine::~Engine() {
  // The running thread holds a reference: either it has returned, or this is its last act.
  if (thread_.joinable()) {
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
  }
  ::close(wake_fd_);
}

void Engine::start(std::function<void(std::exception_ptr)> opened) {
  thread_ = std::thread([self = shared_from_this(), opened = std::move(opened)] { self->run(opened); });
}

void Engine::submit(Job job) {
  std::unique_lock lock(mutex_);
  if (ended_) {
    const std::exception_ptr error = ended_;
    lock.unlock();
    job.fail(error);
    return;
  }
  jobs_.push_back(std::move(job));
  lock.unlock();
  wake();
}

void Engine::close(std::shared_ptr<Completion<void>> done) {
  submit(Job{[this, done](Session&) {
               closing_ = true;
               if (state_.load() == State::open) state_ = State::closing;
               close_waiters_.push_back(done);
             },
             // Ended already: closed is what the caller wants.
             [done](std::exception_ptr) { done->succeed(); }, true});
}

void Engine::join() {
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

std::string Engine::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

void Engine::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof one);
}

std::deque<Job> Engine::take_jobs() {
  std::deque<Job> jobs;
  std::lock_guard lock(mutex_);
  jobs.swap(jobs_);
  return jobs;
}

void Engine::run(const std::function<void(std::exception_ptr)>& opened) {
  Session session(config_);
  try {
    session.connect();
  } catch (...) {
    const std::exception_ptr error = std::current_exception();
    finish(session, error);
    opened(error);
    return;
  }
  state_ = State::open;
  opened(nullptr);

  std::optional<Clock::time_point> close_deadline;
  for (;;) {
    for (Job& job : take_jobs()) {
      if (session.dead()) {
        job.fail(session.death());
      } else if (closing_ && !job.is_close) {
        job.fail(closed_error());
      } else {
        try {
          job.run(session);
        } catch (...) {
          job.fail(std::current_exception());
        }
      }
    }
    if (!session.dead()) session.pump(kFramesPerPass);
    if (session.dead()) break;
    const Clock::time_point now = Clock::now();
    std::optional<Clock::time_point> deadline = session.expire_publishes(now);
    if (closing_) {
      if (!close_deadline) close_deadline = now + config_.operation_timeout;
      if (!session.publishes_pending() || now >= *close_deadline) break;
      deadline = deadline ? std::min(*deadline, *close_deadline) : *close_deadline;
    }
    if (session.has_buffered_input()) continue;
    wait_for_input(session.socket_fd(), deadline);
  }
  finish(session, session.dead() ? session.death() : nullptr);
}

void Engine::wait_for_input(int socket_fd, std::optional<Clock::time_point> deadline) {
  // Woken at least this often, so heartbeats go out and a silent server is noticed.
  std::chrono::milliseconds timeout{1000};
  if (config_.heartbeat.count() > 0) timeout = std::min<std::chrono::milliseconds>(timeout, config_.heartbeat / 2);
  if (deadline) {
    const auto until = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now());
    timeout = std::clamp(until, std::chrono::milliseconds{0}, timeout);
  }
  pollfd fds[2] = {{socket_fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  const int ready = ::poll(fds, 2, static_cast<int>(timeout.count()));
  if (ready > 0 && (fds[1].revents & POLLIN) != 0) {
    std::uint64_t count = 0;
    [[maybe_unused]] const auto read = ::read(wake_fd_, &count, sizeof count);
  }
}

void Engine::finish(Session& session, std::exception_ptr failure) {
  if (failure) {
    session.fail_everything(failure);
  } else {
    session.fail_everything(nullptr);  // consumers end cleanly; publishes still unconfirmed fail as closed
    session.close();
  }
  const std::exception_ptr ended = failure ? failure : closed_error();
  std::deque<Job> left;
  {
    std::lock_guard lock(mutex_);
    ended_ = ended;
    left.swap(jobs_);
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& e) {
        failure_ = e.what();
      }
    }
  }
  state_ = State::ended;
  for (Job& job : left) job.fail(ended);
  for (auto& waiter : close_waiters_) waiter->succeed();
  close_waiters_.clear();
}

}  // namespace parley::amqp::detail
