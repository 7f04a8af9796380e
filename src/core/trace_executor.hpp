#pragma once
// An executor that makes a trace::Slot current on the thread for every handler it runs.
//
// A coroutine spawned on a SlotExecutor is resumed through it after every suspension (Asio
// completes an awaited operation on the coroutine's executor), so trace::current() names the
// coroutine's own span wherever it runs, even with other coroutines interleaved on the same
// thread. Everything else (queries, requirements, preferences) is the inner executor's.
#include <boost/asio/execution.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>

#include <memory>
#include <type_traits>
#include <utility>

#include "core/trace.hpp"

namespace parley::trace {

template <class Inner>
class SlotExecutor {
 public:
  SlotExecutor(Inner inner, std::shared_ptr<Slot> slot) noexcept : inner_(std::move(inner)), slot_(std::move(slot)) {}

  const Inner& inner() const noexcept { return inner_; }
  const std::shared_ptr<Slot>& slot() const noexcept { return slot_; }

  template <class Function>
  void execute(Function&& f) const {
    inner_.execute([slot = slot_, f = std::forward<Function>(f)]() mutable {
      ScopedSlot scope(slot.get());
      std::move(f)();
    });
  }

  template <class Property>
  auto query(const Property& p) const
      -> std::enable_if_t<boost::asio::can_query<const Inner&, Property>::value,
                          typename boost::asio::query_result<const Inner&, Property>::type> {
    return boost::asio::query(inner_, p);
  }

  template <class Property>
  auto require(const Property& p) const
      -> std::enable_if_t<boost::asio::can_require<const Inner&, Property>::value,
                          SlotExecutor<std::decay_t<typename boost::asio::require_result<const Inner&, Property>::type>>> {
    return {boost::asio::require(inner_, p), slot_};
  }

  template <class Property>
  auto prefer(const Property& p) const
      -> std::enable_if_t<boost::asio::can_prefer<const Inner&, Property>::value,
                          SlotExecutor<std::decay_t<typename boost::asio::prefer_result<const Inner&, Property>::type>>> {
    return {boost::asio::prefer(inner_, p), slot_};
  }

  friend bool operator==(const SlotExecutor& a, const SlotExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.slot_ == b.slot_;
  }
  friend bool operator!=(const SlotExecutor& a, const SlotExecutor& b) noexcept { return !(a == b); }

 private:
  Inner inner_;
  std::shared_ptr<Slot> slot_;
};

}  // namespace parley::trace
